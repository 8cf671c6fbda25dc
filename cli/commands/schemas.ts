// `protea schemas generate | check`: derive schemas/generated/types.ts from the
// .avsc files, or fail when the committed file is stale (CI runs the check).
import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { GENERATED_FILE } from '../../schemas/paths.js';

function fail(err: unknown): void {
  process.stderr.write(`${err instanceof ProteaError ? err.describe() : String(err)}\n`);
  process.exitCode = 1;
}

export function registerSchemas(program: Command): Command {
  const rel = path.relative(PROJECT_ROOT, GENERATED_FILE);
  const schemas = program.command('schemas').description('Avro schemas (schemas/*.avsc) and the TypeScript types generated from them');

  schemas
    .command('generate')
    .description(`validate every schemas/*.avsc and write ${rel}`)
    .action(async () => {
      try {
        const { writeTypes } = await import('../../schemas/codegen.js');
        const { changed } = writeTypes();
        process.stdout.write(`${changed ? 'wrote' : 'up to date:'} ${rel}\n`);
      } catch (err) {
        fail(err);
      }
    });

  schemas
    .command('check')
    .description(`exit 1 (PROTEA_ERR_SCHEMA_DRIFT) when ${rel} is out of date with schemas/*.avsc`)
    .action(async () => {
      try {
        const { checkDrift } = await import('../../schemas/codegen.js');
        const drift = checkDrift();
        if (!drift.stale) {
          process.stdout.write(`${rel} is up to date\n`);
          return;
        }
        const err = new ProteaError('SCHEMA_DRIFT', `${rel} is stale: it does not match schemas/*.avsc`, { file: rel });
        process.stderr.write(`${err.describe()}\n${drift.diff ?? ''}\n`);
        process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    });

  return schemas;
}
