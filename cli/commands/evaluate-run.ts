// PLACEHOLDER: replaced by the helper that builds `protea evaluate run`.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';

export function registerEvaluateRun(evaluate: Command): void {
  evaluate
    .command('run')
    .description('not built yet')
    .action(() => {
      throw new ProteaError('USAGE', 'protea evaluate run is not built yet');
    });
}
