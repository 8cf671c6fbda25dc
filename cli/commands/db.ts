// protea db migrate | rollback | status
import { type Command, InvalidArgumentError } from 'commander';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { MigrationStatus } from '../../lib/migrate.js';

const dbModules = async () => {
  const [{ databaseName }, { migrate, rollback, status }] = await Promise.all([import('../../lib/db.js'), import('../../lib/migrate.js')]);
  return { databaseName, migrate, rollback, status };
};

function version(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer (a migration version).');
  return Number(value);
}

function positive(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(value);
}

const pad = (v: number): string => String(v).padStart(4, '0');

/** The status table: version, name, state, applied_at. */
export function formatMigrationStatus(rows: readonly MigrationStatus[]): string {
  const lines = rows.map((r) => [
    pad(r.version),
    r.name,
    r.missing ? 'applied (file missing)' : r.checksumMismatch ? 'applied (file changed)' : r.applied ? 'applied' : 'pending',
    r.appliedAt ? r.appliedAt.toISOString() : '-',
  ]);
  const header = ['version', 'name', 'state', 'applied_at'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('the PostgreSQL schema: apply, revert and list the migrations of sql/ (PROTEA_DB_URL)');

  db.command('migrate')
    .description('apply the pending migrations in order, each in its own transaction (idempotent)')
    .option('--to <version>', 'stop after this version instead of the newest', version)
    .action(async (opts: { to?: number }) => {
      const { databaseName, migrate } = await dbModules();
      const name = databaseName(config().dbUrl);
      const result = await migrate(config().dbUrl, { ...(opts.to !== undefined ? { to: opts.to } : {}), onStep: (line) => console.log(line) });
      console.log(result.applied.length === 0 ? `nothing to migrate: ${name} is at version ${result.version}` : `${name} is at version ${result.version} (${result.applied.length} applied)`);
    });

  db.command('rollback')
    .description('revert applied migrations, newest first, each in its own transaction (default: the newest one)')
    .option('--steps <n>', 'how many migrations to revert', positive)
    .option('--to <version>', 'revert every migration above this version (0: all)', version)
    .action(async (opts: { steps?: number; to?: number }) => {
      const { databaseName, rollback } = await dbModules();
      const name = databaseName(config().dbUrl);
      const result = await rollback(config().dbUrl, {
        ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        onStep: (line) => console.log(line),
      });
      console.log(result.rolledBack.length === 0 ? `nothing to roll back: ${name} is at version ${result.version}` : `${name} is at version ${result.version} (${result.rolledBack.length} rolled back)`);
    });

  db.command('status')
    .description('list every migration with its state (applied or pending) and when it was applied; exit 1 on a missing or changed file')
    .action(async () => {
      const { databaseName, status } = await dbModules();
      const rows = await status(config().dbUrl);
      console.log(formatMigrationStatus(rows));
      const applied = rows.filter((r) => r.applied);
      const pending = rows.length - applied.length;
      console.log(`\n${databaseName(config().dbUrl)}: version ${applied.at(-1)?.version ?? 0}, ${applied.length} applied, ${pending} pending`);
      const missing = rows.filter((r) => r.missing);
      if (missing.length > 0) {
        throw new ProteaError('MIGRATION_MISSING', `the database has applied ${missing.map((m) => `${pad(m.version)}_${m.name}`).join(', ')}, not in this checkout`);
      }
      if (rows.some((r) => r.checksumMismatch)) {
        console.log('warning: a migration file changed after it was applied (file changed): restore it and add a new migration instead');
        process.exitCode = 1;
      }
    });
}
