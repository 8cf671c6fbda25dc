// The schema migration runner.
//
// `sql/` holds ordered pairs `NNNN_<name>.up.sql` / `NNNN_<name>.down.sql`,
// numbered 0001, 0002, ... without gaps. The runner records what it applied in
// `schema_migrations(version, name, checksum, applied_at)` (its own table, not
// a migration), where checksum is the sha256 of the up file.
//
// Every function takes a PostgreSQL connection URL (default: config().dbUrl)
// and opens, then closes, one dedicated connection of its own:
//   - migrate(url, { to })        applies pending ups in order, up to `to`
//   - rollback(url, { steps | to }) reverts the newest applied (default 1 step)
//   - status(url)                 every migration, applied or pending
// Each file runs in its own transaction together with its bookkeeping row, so
// a failing file leaves no trace (MIGRATION_FAILED names the file, the line and
// PostgreSQL's message). migrate and rollback hold a session advisory lock for
// their whole run: two migrators on one database queue instead of colliding,
// and the second one finds nothing left to do.
//
// The file text runs as-is over the simple query protocol (several statements
// per file are fine, parameters are not); every query of the runner itself is
// a slonik `sql` template, executed on the same connection so that it shares
// the migration's transaction.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { z } from 'zod';
import { PROJECT_ROOT, config } from './config.js';
import { createCopyPool, databaseName, redact, sql } from './db.js';
import { ProteaError, classify } from './errors.js';
import { logger } from './log.js';

/** Where the migrations of this checkout live. */
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'sql');

/** The bookkeeping table; created by the runner, never by a migration. */
export const MIGRATIONS_TABLE = 'schema_migrations';

// Key of the advisory lock (per database) that serialises migrators: "protea" in ASCII.
const LOCK_KEY = 0x70726f746561;

const FILE_PATTERN = /^(\d{4,})_([a-z0-9][a-z0-9_]*)\.(up|down)\.sql$/;
// The runner wraps each file in a transaction; a file must not end it itself.
const TRANSACTION_CONTROL = /^[ \t]*(BEGIN|START[ \t]+TRANSACTION|COMMIT|END[ \t]+TRANSACTION|ROLLBACK)[ \t]*;/im;

export interface MigrationFile {
  readonly version: number;
  /** The part after the number: `foundation` for 0001_foundation.up.sql. */
  readonly name: string;
  /** `0001_foundation` */
  readonly id: string;
  readonly upFile: string;
  readonly downFile: string;
  readonly upSql: string;
  readonly downSql: string;
  /** sha256 (hex) of the up file's bytes. */
  readonly checksum: string;
}

export interface MigrationStatus {
  readonly version: number;
  readonly name: string;
  readonly applied: boolean;
  readonly appliedAt: Date | null;
  /** The up file changed after it was applied (sha256 differs from the recorded one). */
  readonly checksumMismatch: boolean;
  /** Applied in the database but absent from this checkout. */
  readonly missing: boolean;
}

export interface MigrationStep {
  readonly version: number;
  readonly name: string;
  readonly file: string;
  readonly ms: number;
}

export interface MigrateResult {
  readonly applied: readonly MigrationStep[];
  /** Highest applied version afterwards (0: none). */
  readonly version: number;
  /** Applied versions whose up file changed since. */
  readonly checksumMismatches: readonly number[];
}

export interface RollbackResult {
  readonly rolledBack: readonly MigrationStep[];
  readonly version: number;
}

export interface RunnerOptions {
  /** Folder of the migration files (default: `<project>/sql`). */
  dir?: string;
  /** Receives one human-readable line per step (the CLI prints them). */
  onStep?: (line: string) => void;
}

const pad = (version: number): string => String(version).padStart(4, '0');

function invalidFiles(message: string, file: string, hint: string): ProteaError {
  return new ProteaError('MIGRATION_FAILED', message, { file, hint });
}

/**
 * Reads and validates the migration files of `dir`: every up has its down
 * (same number and name), numbering starts at 1 without gaps or duplicates,
 * nothing else lives in the folder (dot files aside), and no file ends the
 * transaction the runner wraps it in. Throws a ProteaError naming the file.
 */
export function listMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    throw new ProteaError('MIGRATION_FAILED', `migrations folder ${dir} cannot be read: ${(err as Error).message}`, { file: dir, hint: 'Run from a checkout of the project (sql/ holds the migrations).' }, { cause: err });
  }
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of names) {
    const m = FILE_PATTERN.exec(file);
    if (!m) {
      throw invalidFiles(`${file} is not a migration file name`, path.join(dir, file), 'The migrations folder holds only NNNN_<name>.up.sql / NNNN_<name>.down.sql pairs (lower-case name, digits and _).');
    }
    const version = Number(m[1]);
    const name = m[2] as string;
    const direction = m[3] as 'up' | 'down';
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name || entry[direction] !== undefined) {
      const other = entry[direction] ?? entry.up ?? entry.down;
      throw invalidFiles(`${file} reuses version ${pad(version)} of ${other}`, path.join(dir, file), 'Each version number belongs to exactly one migration: renumber the newer file.');
    }
    entry[direction] = file;
    byVersion.set(version, entry);
  }
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  const out: MigrationFile[] = [];
  let expected = 1;
  for (const version of versions) {
    const entry = byVersion.get(version)!;
    const present = (entry.up ?? entry.down) as string;
    if (version !== expected) {
      const gap = version > expected ? `${pad(expected)}${version - 1 > expected ? `..${pad(version - 1)}` : ''} missing` : 'numbering starts at 0001';
      throw invalidFiles(`${present}: migration numbering has a gap (${gap})`, path.join(dir, present), 'Number migrations 0001, 0002, ... without gaps.');
    }
    expected += 1;
    const id = `${pad(version)}_${entry.name}`;
    if (entry.up === undefined || entry.down === undefined) {
      const lacking = entry.up === undefined ? `${id}.up.sql` : `${id}.down.sql`;
      throw invalidFiles(`${present} has no matching ${lacking}`, path.join(dir, present), 'Every migration needs an up and a down file with the same number and name.');
    }
    const upFile = path.join(dir, entry.up);
    const downFile = path.join(dir, entry.down);
    const upBytes = readFileSync(upFile);
    const upSql = upBytes.toString('utf8');
    const downSql = readFileSync(downFile, 'utf8');
    for (const [file, text] of [[upFile, upSql], [downFile, downSql]] as const) {
      const tc = TRANSACTION_CONTROL.exec(text);
      if (tc) {
        const line = text.slice(0, tc.index).split('\n').length;
        throw new ProteaError('MIGRATION_FAILED', `${path.basename(file)} controls the transaction itself (${tc[1]!.toUpperCase()})`, {
          file,
          line,
          hint: 'The runner runs each file in its own transaction: remove BEGIN/COMMIT/ROLLBACK from the file.',
        });
      }
    }
    out.push({ version, name: entry.name, id, upFile, downFile, upSql, downSql, checksum: createHash('sha256').update(upBytes).digest('hex') });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Database side

interface Token<T = unknown> {
  readonly sql: string;
  readonly values: readonly unknown[];
  readonly parser?: { parse: (row: unknown) => T };
}

/**
 * Runs a slonik query token on a pg client (same connection, same
 * transaction). slonik writes placeholders as $slonik_N and rewrites them to
 * $N when it executes a query; this does the same.
 */
async function run<T = Record<string, unknown>>(client: pg.PoolClient, token: Token<T>): Promise<T[]> {
  const result = await client.query(token.sql.replaceAll('$slonik_', '$'), [...token.values]);
  return token.parser ? result.rows.map((r) => token.parser!.parse(r)) : (result.rows as T[]);
}

const AppliedRow = z.object({
  version: z.number().int(),
  name: z.string(),
  checksum: z.string(),
  applied_at: z.date(),
});
type AppliedRow = z.infer<typeof AppliedRow>;

async function connect<T>(dbUrl: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = createCopyPool(dbUrl, 1);
  pool.on('error', () => {}); // an idle client dropped by the server must not crash the process
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => {});
    throw classify(err, { component: 'postgresql', hint: `Could not connect to ${redact(dbUrl)}: start the stack (protea stack up) or fix PROTEA_DB_URL.` });
  }
  try {
    return await fn(client);
  } finally {
    client.release();
    await pool.end().catch(() => {});
  }
}

/** Holds the migrators' advisory lock around fn (waits for another migrator to finish). */
async function locked<T>(client: pg.PoolClient, onWait: () => void, fn: () => Promise<T>): Promise<T> {
  const [got] = await run(client, sql.type(z.object({ ok: z.boolean() }))`SELECT pg_try_advisory_lock(${LOCK_KEY}::bigint) AS ok`);
  if (!got?.ok) {
    onWait();
    await run(client, sql.unsafe`SELECT pg_advisory_lock(${LOCK_KEY}::bigint)`);
  }
  try {
    return await fn();
  } finally {
    await run(client, sql.unsafe`SELECT pg_advisory_unlock(${LOCK_KEY}::bigint)`).catch(() => {});
  }
}

async function ensureTable(client: pg.PoolClient): Promise<void> {
  await run(client, sql.unsafe`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
}

async function readApplied(client: pg.PoolClient): Promise<AppliedRow[]> {
  const [exists] = await run(client, sql.type(z.object({ t: z.string().nullable() }))`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists?.t) return [];
  return run(client, sql.type(AppliedRow)`SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version`);
}

function assertNoneMissing(applied: readonly AppliedRow[], files: readonly MigrationFile[], dir: string): void {
  const known = new Set(files.map((f) => f.version));
  const missing = applied.filter((a) => !known.has(a.version));
  if (missing.length > 0) {
    const list = missing.map((m) => `${pad(m.version)}_${m.name}`).join(', ');
    throw new ProteaError('MIGRATION_MISSING', `the database has applied ${list}, which ${missing.length === 1 ? 'is' : 'are'} not in ${dir}`, { file: dir, versions: missing.map((m) => m.version) });
  }
}

/** A failed file, with the line of the statement PostgreSQL complained about. */
function failed(file: string, sqlText: string, err: unknown, direction: 'up' | 'down', version: number): ProteaError {
  const e = err as { message?: string; position?: string; code?: string; detail?: string };
  const context: Record<string, unknown> = { file };
  const position = Number(e?.position);
  if (Number.isInteger(position) && position > 0) context.line = sqlText.slice(0, position - 1).split('\n').length;
  if (typeof e?.code === 'string') context.sqlstate = e.code;
  if (direction === 'down') {
    context.hint = `The down migration failed and was rolled back; the database is still at version ${version}. Fix the file and rerun \`protea db rollback\`.`;
  }
  const detail = e?.detail ? ` (${e.detail})` : '';
  // PostgreSQL going away mid-migration is an outage (retry), not a broken file: its own code says so
  const cause = classify(err);
  return new ProteaError(cause.retriable ? cause.key : 'MIGRATION_FAILED', `${path.basename(file)}: ${e?.message ?? String(err)}${detail}`, context, { cause: err });
}

/** Runs one file and its bookkeeping statement in one transaction; rolls both back on failure. */
async function inTransaction(client: pg.PoolClient, file: string, text: string, direction: 'up' | 'down', version: number, bookkeeping: Token): Promise<number> {
  const started = performance.now();
  await run(client, sql.unsafe`BEGIN`);
  try {
    await client.query(text); // the file as-is: simple query protocol, several statements
    await run(client, bookkeeping);
    await run(client, sql.unsafe`COMMIT`);
  } catch (err) {
    await run(client, sql.unsafe`ROLLBACK`).catch(() => {});
    throw failed(file, text, err, direction, version);
  }
  return Math.round(performance.now() - started);
}

function checkTarget(to: number | undefined, option: string, max: number): void {
  if (to !== undefined && (!Number.isInteger(to) || to < 0 || to > max)) {
    throw new ProteaError('USAGE', `${option} ${to}: expected a version between 0 and ${max}`, { field: option });
  }
}

/**
 * Applies the pending migrations in order, each in its own transaction, up to
 * version `to` (default: the newest). Re-running it is a no-op.
 */
export async function migrate(dbUrl: string = config().dbUrl, options: RunnerOptions & { to?: number } = {}): Promise<MigrateResult> {
  const dir = options.dir ?? MIGRATIONS_DIR;
  const say = options.onStep ?? ((line: string) => logger('migrate').info(line));
  const files = listMigrations(dir);
  const newest = files.at(-1)?.version ?? 0;
  checkTarget(options.to, '--to', newest);
  const target = options.to ?? newest;
  return connect(dbUrl, (client) =>
    locked(client, () => say(`waiting for another migrator on ${databaseName(dbUrl)} to finish`), async () => {
      await ensureTable(client);
      const applied = await readApplied(client);
      assertNoneMissing(applied, files, dir);
      const current = applied.at(-1)?.version ?? 0;
      if (target < current) {
        throw new ProteaError('USAGE', `the database is at version ${current}, above --to ${target}`, { hint: `Use \`protea db rollback --to ${target}\` to go down.` });
      }
      const done = new Map(applied.map((a) => [a.version, a]));
      const checksumMismatches = files.filter((f) => done.has(f.version) && done.get(f.version)!.checksum !== f.checksum).map((f) => f.version);
      for (const v of checksumMismatches) say(`warning: ${files[v - 1]!.id}.up.sql changed after it was applied (checksum mismatch)`);
      const pending = files.filter((f) => !done.has(f.version) && f.version <= target);
      const early = pending.find((f) => f.version < current);
      if (early) {
        throw new ProteaError('MIGRATION_FAILED', `${early.id} is pending but the newer version ${current} is already applied`, {
          file: early.upFile,
          hint: 'Migrations apply in order: roll back to before it (protea db rollback --to N) or renumber it after the newest.',
        });
      }
      const steps: MigrationStep[] = [];
      for (const f of pending) {
        const ms = await inTransaction(client, f.upFile, f.upSql, 'up', current, sql.unsafe`
          INSERT INTO schema_migrations (version, name, checksum) VALUES (${f.version}, ${f.name}, ${f.checksum})`);
        steps.push({ version: f.version, name: f.name, file: f.upFile, ms });
        say(`applied ${f.id} (${ms} ms)`);
      }
      return { applied: steps, version: steps.at(-1)?.version ?? current, checksumMismatches };
    }),
  );
}

/**
 * Reverts applied migrations, newest first, each in its own transaction: the
 * last `steps` (default 1), or every one above version `to` (0: all).
 */
export async function rollback(dbUrl: string = config().dbUrl, options: RunnerOptions & { steps?: number; to?: number } = {}): Promise<RollbackResult> {
  const dir = options.dir ?? MIGRATIONS_DIR;
  const say = options.onStep ?? ((line: string) => logger('migrate').info(line));
  if (options.steps !== undefined && options.to !== undefined) {
    throw new ProteaError('USAGE', 'give either --steps or --to, not both', { field: '--steps' });
  }
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
    throw new ProteaError('USAGE', `--steps ${options.steps}: expected a positive integer`, { field: '--steps' });
  }
  const files = listMigrations(dir);
  checkTarget(options.to, '--to', files.at(-1)?.version ?? 0);
  return connect(dbUrl, (client) =>
    locked(client, () => say(`waiting for another migrator on ${databaseName(dbUrl)} to finish`), async () => {
      const applied = await readApplied(client);
      assertNoneMissing(applied, files, dir);
      const newestFirst = [...applied].reverse();
      const targets = options.to !== undefined ? newestFirst.filter((a) => a.version > options.to!) : newestFirst.slice(0, options.steps ?? 1);
      const steps: MigrationStep[] = [];
      let version = applied.at(-1)?.version ?? 0;
      for (const a of targets) {
        const f = files[a.version - 1]!;
        const ms = await inTransaction(client, f.downFile, f.downSql, 'down', version, sql.unsafe`
          DELETE FROM schema_migrations WHERE version = ${f.version}`);
        steps.push({ version: f.version, name: f.name, file: f.downFile, ms });
        say(`rolled back ${f.id} (${ms} ms)`);
        version = newestFirst.find((x) => x.version < f.version)?.version ?? 0;
      }
      return { rolledBack: steps, version };
    }),
  );
}

/**
 * Every migration of the checkout, applied or pending, plus any the database
 * has applied that this checkout lacks (missing: true). Read-only: it creates
 * nothing, so it also works on an empty database.
 */
export async function status(dbUrl: string = config().dbUrl, options: Pick<RunnerOptions, 'dir'> = {}): Promise<MigrationStatus[]> {
  const files = listMigrations(options.dir ?? MIGRATIONS_DIR);
  const applied = await connect(dbUrl, readApplied);
  const done = new Map(applied.map((a) => [a.version, a]));
  const rows: MigrationStatus[] = files.map((f) => {
    const a = done.get(f.version);
    return { version: f.version, name: f.name, applied: a !== undefined, appliedAt: a?.applied_at ?? null, checksumMismatch: a !== undefined && a.checksum !== f.checksum, missing: false };
  });
  const known = new Set(files.map((f) => f.version));
  for (const a of applied) {
    if (!known.has(a.version)) rows.push({ version: a.version, name: a.name, applied: true, appliedAt: a.applied_at, checksumMismatch: false, missing: true });
  }
  return rows.sort((x, y) => x.version - y.version);
}
