// PLACEHOLDER: replaced by the helper that builds `protea evaluate files`.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';

export function registerEvaluateFiles(evaluate: Command): void {
  evaluate
    .command('files')
    .description('not built yet')
    .action(() => {
      throw new ProteaError('USAGE', 'protea evaluate files is not built yet');
    });
}
