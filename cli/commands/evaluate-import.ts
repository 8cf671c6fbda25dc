// PLACEHOLDER: replaced by the helper that builds `protea evaluate import`.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';

export function registerEvaluateImport(evaluate: Command): void {
  evaluate
    .command('import')
    .description('not built yet')
    .action(() => {
      throw new ProteaError('USAGE', 'protea evaluate import is not built yet');
    });
}
