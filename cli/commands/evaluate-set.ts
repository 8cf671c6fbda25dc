// PLACEHOLDER: replaced by the helper that builds `protea evaluate set`.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';

export function registerEvaluateSet(evaluate: Command): void {
  evaluate
    .command('set')
    .description('not built yet')
    .action(() => {
      throw new ProteaError('USAGE', 'protea evaluate set is not built yet');
    });
}
