// PLACEHOLDER: replaced by the helper that builds `protea api`.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('not built yet')
    .action(() => {
      throw new ProteaError('USAGE', 'protea api is not built yet');
    });
}
