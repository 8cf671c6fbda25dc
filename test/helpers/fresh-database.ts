// A throw-away database per test: created on the server of PROTEA_DB_URL
// through the maintenance database `postgres`, dropped (WITH (FORCE), so open
// pools do not block it) when the test ends.
//
// A fully migrated one is cloned (CREATE DATABASE ... TEMPLATE) from a
// template database migrated once per content of sql/, instead of replaying
// every migration per test:
//   - its name carries a hash of sql/ (and of the runner that writes the
//     bookkeeping table): `protea_tpl_<hash>`; changing a migration gives a
//     new template, never a stale schema;
//   - it is built under another name (`protea_tplb_...`) and renamed when
//     complete, while a session holds an advisory lock on `postgres`, so tap's
//     parallel jobs (and other checkouts on the same server) build it once and
//     never clone a half-migrated one; a build that died leaves only a
//     `protea_tplb_` database, dropped by the next builder;
//   - it is marked: IS_TEMPLATE, ALLOW_CONNECTIONS false (nothing can connect
//     to it and use it, which also keeps CREATE DATABASE from failing with
//     55006), and a JSON comment naming it a protea test template;
//   - templates of other sql/ contents unused for an hour are dropped when a
//     new template is built (the comment records when each was last used).
// Databases migrated only up to a version ({ to: N }) and unmigrated ones are
// created from template1 and migrated step by step, as before.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { PROJECT_ROOT, config } from '../../lib/config.js';
import { adminQuery, sql, withDatabase } from '../../lib/db.js';
import { MIGRATIONS_DIR, migrate } from '../../lib/migrate.js';

export interface FreshDatabaseOptions {
  /** Apply the migrations of sql/ (true: all, cloned from the template; { to }: up to a version, replayed). */
  migrate?: boolean | { to: number };
}

const TEMPLATE_PREFIX = 'protea_tpl_';
const BUILD_PREFIX = 'protea_tplb_';
// Advisory lock key (on the maintenance database) held while a template is built: "protea_t" in ASCII.
const TEMPLATE_LOCK_KEY = '8102661225300713332';
// A template of other sql/ contents not used for this long is dropped by the next build.
const STALE_MS = 60 * 60 * 1000;
// What the comment of a template database says (JSON), so that only our own templates are ever dropped.
interface TemplateMark {
  protea: 'test-template';
  sql: string;
  lastUsed: string;
}

async function admin(url: string, token: { sql: string; values: readonly unknown[] }): Promise<void> {
  await adminQuery(url, token.sql.replaceAll('$slonik_', '$'), [...token.values]); // slonik's placeholder spelling, as slonik executes it
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sqlState = (err: unknown): string | undefined => (err as { code?: string }).code;

/**
 * Runs `step` again while it fails with SQLSTATE 55006 (a session is still
 * connected to the source or the renamed database: a closing connection's
 * backend takes a moment to leave).
 */
async function retryWhileAccessed(step: () => Promise<void>, attempts = 10): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (sqlState(err) !== '55006' || attempt >= attempts) throw err;
      await pause(100 * attempt);
    }
  }
}

/** Hash (hex, 16 digits) of every file of sql/ (names and bytes) and of the migration runner's source. */
export function migrationsHash(dir: string = MIGRATIONS_DIR): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => !n.startsWith('.')).sort()) {
    h.update(name).update('\0').update(readFileSync(path.join(dir, name))).update('\0');
  }
  // the runner creates schema_migrations itself: a change to it changes the template too
  const runner = path.join(PROJECT_ROOT, 'lib', 'migrate.ts');
  if (existsSync(runner)) h.update(readFileSync(runner));
  return h.digest('hex').slice(0, 16);
}

const markOf = (hash: string): string => JSON.stringify({ protea: 'test-template', sql: hash, lastUsed: new Date().toISOString() } satisfies TemplateMark);

function parseMark(comment: string | null): TemplateMark | null {
  if (!comment) return null;
  try {
    const m = JSON.parse(comment) as Partial<TemplateMark>;
    return m.protea === 'test-template' && typeof m.sql === 'string' && typeof m.lastUsed === 'string' ? (m as TemplateMark) : null;
  } catch {
    return null;
  }
}

async function templateReady(client: pg.Client, name: string): Promise<boolean> {
  const r = await client.query<{ datistemplate: boolean }>('SELECT datistemplate FROM pg_database WHERE datname = $1', [name]);
  return r.rows[0]?.datistemplate === true;
}

/** Drops a template database (unmarking it first: PostgreSQL refuses to drop a template). */
export async function dropTemplate(client: pg.Client, name: string): Promise<void> {
  const id = pg.escapeIdentifier(name);
  await client.query(`ALTER DATABASE ${id} WITH IS_TEMPLATE false`);
  await client.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
}

/** Builds the template `name` unless it exists, holding the build lock; drops leftovers and stale templates meanwhile. */
async function buildTemplate(server: string, name: string, hash: string, dir: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(server, 'postgres') });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [TEMPLATE_LOCK_KEY]);
    try {
      if (await templateReady(client, name)) return; // another job built it while this one waited
      const others = await client.query<{ datname: string; comment: string | null }>(
        `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE 'protea\\_tpl%'`,
      );
      for (const { datname, comment } of others.rows) {
        // a build database is only ever seen under the lock when its builder died
        if (datname.startsWith(BUILD_PREFIX)) {
          await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
          continue;
        }
        const mark = parseMark(comment);
        if (datname.startsWith(TEMPLATE_PREFIX) && datname !== name && mark && Date.now() - Date.parse(mark.lastUsed) > STALE_MS) {
          // best effort: one in use by a slow clone elsewhere stays until a later build
          await dropTemplate(client, datname).catch(() => {});
        }
      }
      const building = `${BUILD_PREFIX}${hash}_${randomBytes(3).toString('hex')}`;
      const id = pg.escapeIdentifier(building);
      await client.query(`CREATE DATABASE ${id}`);
      await migrate(withDatabase(server, building), { dir, onStep: () => {} });
      // marked before it gets its final name, so a template found by name is always complete
      await retryWhileAccessed(() => client.query(`ALTER DATABASE ${id} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`).then(() => {}));
      await client.query(`COMMENT ON DATABASE ${id} IS ${pg.escapeLiteral(markOf(hash))}`);
      await retryWhileAccessed(() => client.query(`ALTER DATABASE ${id} RENAME TO ${pg.escapeIdentifier(name)}`).then(() => {}));
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [TEMPLATE_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Makes sure the template of the migrations in `dir` (default sql/) exists on
 * `server` and records its use; returns its name. Safe to call from many
 * sessions at once: one builds, the others wait for it.
 */
export async function ensureTemplate(server: string = config().dbUrl, dir: string = MIGRATIONS_DIR): Promise<string> {
  const hash = migrationsHash(dir);
  const name = `${TEMPLATE_PREFIX}${hash}`;
  const client = new pg.Client({ connectionString: withDatabase(server, 'postgres') });
  await client.connect();
  try {
    if (!(await templateReady(client, name))) {
      await buildTemplate(server, name, hash, dir);
    } else {
      // last use, read by the stale-template cleanup of other checkouts (best effort: two jobs
      // updating the same comment at once may see "tuple concurrently updated")
      await client.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(markOf(hash))}`).catch(() => {});
    }
  } finally {
    await client.end();
  }
  return name;
}

// One template check per server and process (a test file), shared by its tests.
const templates = new Map<string, Promise<string>>();
function templateFor(server: string): Promise<string> {
  let p = templates.get(server);
  if (!p) {
    p = ensureTemplate(server);
    p.catch(() => templates.delete(server)); // a failed check is retried by the next caller
    templates.set(server, p);
  }
  return p;
}

/** Creates `protea_t_<hex>`, registers its removal on t.teardown, returns its URL. */
export async function freshDatabase(t: Test, options: FreshDatabaseOptions = {}): Promise<string> {
  const server = config().dbUrl;
  const maintenance = withDatabase(server, 'postgres');
  const name = `protea_t_${randomBytes(6).toString('hex')}`;
  const cloned = options.migrate === true;
  for (let attempt = 1; ; attempt++) {
    // template1 for an empty or partly migrated database, the migrated template otherwise
    const template = cloned ? await templateFor(server) : 'template1';
    try {
      await admin(maintenance, sql.unsafe`CREATE DATABASE ${sql.identifier([name])} TEMPLATE ${sql.identifier([template])}`);
      break;
    } catch (err) {
      // 55006: another session is connected to the template (template1 is open to everyone);
      // 3D000: the template was dropped as stale by another checkout since this process checked it
      const code = sqlState(err);
      if ((code !== '55006' && code !== '3D000') || attempt >= 8) throw err;
      if (code === '3D000') templates.delete(server);
      await pause(200 * attempt);
    }
  }
  t.teardown(async () => {
    await admin(maintenance, sql.unsafe`DROP DATABASE IF EXISTS ${sql.identifier([name])} WITH (FORCE)`);
  });
  const url = withDatabase(server, name);
  if (typeof options.migrate === 'object') await migrate(url, { to: options.migrate.to, onStep: () => {} });
  return url;
}
