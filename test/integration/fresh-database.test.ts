// The test databases: a fully migrated one is a clone of a template migrated
// once per content of sql/, with the same schema as replaying the migrations;
// the template is marked so nothing else uses it; two sessions asking for a
// new template at once build it once; stale templates are dropped.
import { cpSync, mkdtempSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { config } from '../../lib/config.js';
import { adminQuery, withDatabase } from '../../lib/db.js';
import { MIGRATIONS_DIR, migrate, status } from '../../lib/migrate.js';
import { dropTemplate, ensureTemplate, freshDatabase, migrationsHash } from '../helpers/fresh-database.js';

const server = config().dbUrl;
const maintenance = withDatabase(server, 'postgres');

/** Tables, columns, indexes, constraints and migration rows of a database, as comparable text. */
async function schemaOf(url: string): Promise<Record<string, string[]>> {
  const q = async (text: string): Promise<string[]> => (await adminQuery<{ x: string }>(url, text)).map((r) => r.x);
  return {
    columns: await q(`SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, '') AS x
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`),
    indexes: await q(`SELECT indexdef AS x FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
    constraints: await q(`SELECT conrelid::regclass || ':' || pg_get_constraintdef(oid) AS x FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`),
    functions: await q(`SELECT p.oid::regprocedure::text AS x FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`),
    migrations: await q(`SELECT version || ':' || name || ':' || checksum AS x FROM schema_migrations ORDER BY version`),
  };
}

t.test('a migrated database is a clone of the template, with the schema a replay gives', async (t) => {
  const cloned = await freshDatabase(t, { migrate: true });
  const replayed = await freshDatabase(t);
  await migrate(replayed, { onStep: () => {} });
  const pending = (await status(cloned)).filter((m) => !m.applied || m.checksumMismatch);
  t.same(pending, [], 'every migration of sql/ recorded as applied, none changed since');
  t.same(await schemaOf(cloned), await schemaOf(replayed), 'same tables, columns, indexes, constraints, functions and bookkeeping');

  const name = `protea_tpl_${migrationsHash()}`;
  const [row] = await adminQuery<{ datistemplate: boolean; datallowconn: boolean; comment: string | null }>(
    maintenance, `SELECT datistemplate, datallowconn, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`, [name]);
  t.ok(row, `template ${name} exists`);
  t.equal(row?.datistemplate, true, 'marked as a template');
  t.equal(row?.datallowconn, false, 'nothing can connect to it');
  t.match(JSON.parse(row?.comment ?? '{}'), { protea: 'test-template', sql: migrationsHash() }, 'its comment names it a protea test template of this sql/');
});

t.test('a database migrated up to a version replays up to it', async (t) => {
  const url = await freshDatabase(t, { migrate: { to: 3 } });
  const applied = (await status(url)).filter((m) => m.applied).map((m) => m.version);
  t.same(applied, [1, 2, 3]);
});

t.test('two sessions asking for a new template at once build it once; a stale template is dropped', async (t) => {
  // a copy of sql/ with one changed byte: a template no other test uses
  const dir = mkdtempSync(path.join(tmpdir(), 'protea-sql-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const last = readdirSync(dir).filter((n) => n.endsWith('.up.sql')).sort().at(-1)!;
  appendFileSync(path.join(dir, last), `\n-- probe ${process.pid} ${Date.now()}\n`);
  const name = `protea_tpl_${migrationsHash(dir)}`;

  // a template of another sql/ last used two hours ago, marked as ours
  const stale = `protea_tpl_0stale${process.pid}`;
  await adminQuery(maintenance, `CREATE DATABASE ${stale}`);
  const old = JSON.stringify({ protea: 'test-template', sql: '0stale', lastUsed: new Date(Date.now() - 2 * 3600_000).toISOString() });
  await adminQuery(maintenance, `ALTER DATABASE ${stale} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  await adminQuery(maintenance, `COMMENT ON DATABASE ${stale} IS ${pg.escapeLiteral(old)}`);

  t.teardown(async () => {
    const client = new pg.Client({ connectionString: maintenance });
    await client.connect();
    try {
      for (const db of [name, stale]) await dropTemplate(client, db).catch(() => {});
    } finally {
      await client.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const names = await Promise.all([ensureTemplate(server, dir), ensureTemplate(server, dir), ensureTemplate(server, dir)]);
  t.same(names, [name, name, name], 'every session gets the same template');
  const dbs = (await adminQuery<{ datname: string }>(maintenance, `SELECT datname FROM pg_database WHERE datname LIKE 'protea\\_tpl%'`)).map((r) => r.datname);
  t.ok(dbs.includes(name), 'the template exists');
  t.same(dbs.filter((d) => d.startsWith('protea_tplb_') && d.includes(migrationsHash(dir))), [], 'no half-built copy left behind');
  t.notOk(dbs.includes(stale), 'the stale template was dropped');
  const migrated = await adminQuery<{ n: string }>(maintenance, `SELECT count(*) AS n FROM pg_database WHERE datname = $1 AND datistemplate AND NOT datallowconn`, [name]);
  t.equal(Number(migrated[0]?.n), 1, 'marked as a template nothing connects to');
});
