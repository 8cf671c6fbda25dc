// The machine's PostgreSQL server: checked, started through pg_ctlcluster
// when it is local and down, and given the project's databases on demand.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Config } from '../lib/config.js';
import { adminQuery as query, databaseName, redact, withDatabase } from '../lib/db.js';
import { ProteaError, classify } from '../lib/errors.js';
import type { ComponentStatus } from './layout.js';
import { waitFor } from './processes.js';

/** Creates the database when missing (CREATE DATABASE takes no parameters: the name is checked and quoted). */
export async function ensureDatabase(serverUrl: string, name: string): Promise<boolean> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new ProteaError('CONFIG_INVALID', `database name "${name}" must be lower-case letters, digits and _`, { field: 'PROTEA_DB_URL' });
  const maintenance = withDatabase(serverUrl, 'postgres');
  const rows = await query<{ n: number }>(maintenance, 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name]);
  if ((rows[0]?.n ?? 0) > 0) return false;
  try {
    await query(maintenance, `CREATE DATABASE "${name}"`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw classify(err, { component: 'postgresql' }); // 42P04: created concurrently
  }
  return true;
}

export async function postgresStatus(cfg: Config): Promise<ComponentStatus> {
  const u = new URL(cfg.dbUrl);
  const base = { name: 'postgresql' as const, address: redact(cfg.dbUrl), log: postgresLog(), managed: false, pid: undefined };
  try {
    const rows = await query<{ v: string; exists: boolean }>(withDatabase(cfg.dbUrl, 'postgres'), 'SELECT current_setting($1) AS v, EXISTS (SELECT 1 FROM pg_database WHERE datname = $2) AS exists', ['server_version', databaseName(cfg.dbUrl)]);
    const row = rows[0]!;
    return { ...base, health: row.exists ? 'healthy' : 'unhealthy', detail: `PostgreSQL ${row.v}, database ${databaseName(cfg.dbUrl)} ${row.exists ? 'present' : 'missing'}` };
  } catch (err) {
    return { ...base, health: 'down', detail: `${u.hostname}:${u.port || 5432}: ${(err as Error).message}` };
  }
}

function postgresLog(): string {
  const dir = '/var/log/postgresql';
  try {
    const f = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort().pop();
    return f ? `${dir}/${f}` : dir;
  } catch {
    return '(server log not on this machine)';
  }
}

/** A local server that is down is started with pg_ctlcluster (Debian); a remote one is only checked. */
export async function postgresUp(cfg: Config): Promise<{ status: ComponentStatus; startedServer: boolean; createdDatabase: boolean }> {
  let status = await postgresStatus(cfg);
  let startedServer = false;
  const host = new URL(cfg.dbUrl).hostname;
  if (status.health === 'down' && ['127.0.0.1', 'localhost', '::1'].includes(host)) {
    const versions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql') : [];
    for (const v of versions) spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start'], { stdio: 'ignore' });
    startedServer = versions.length > 0;
    await waitFor('postgresql', async () => (await postgresStatus(cfg)).health !== 'down', { timeoutMs: 30_000 }).catch(() => 0);
    status = await postgresStatus(cfg);
  }
  if (status.health === 'down') {
    throw new ProteaError('DB_UNAVAILABLE', `PostgreSQL is not reachable at ${redact(cfg.dbUrl)}: ${status.detail}`, {
      component: 'postgresql',
      hint: 'Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point PROTEA_DB_URL at a running server.',
    });
  }
  const createdDatabase = await ensureDatabase(cfg.dbUrl, databaseName(cfg.dbUrl));
  return { status: await postgresStatus(cfg), startedServer, createdDatabase };
}
