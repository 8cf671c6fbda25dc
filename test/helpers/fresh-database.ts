// A throw-away database per test: created on the server of PROTEA_DB_URL
// through the maintenance database `postgres`, dropped (WITH (FORCE), so open
// pools do not block it) when the test ends.
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { config } from '../../lib/config.js';
import { adminQuery, sql, withDatabase } from '../../lib/db.js';
import { migrate } from '../../lib/migrate.js';

export interface FreshDatabaseOptions {
  /** Apply the migrations of sql/ (true: all; { to }: up to a version). */
  migrate?: boolean | { to: number };
}

async function admin(url: string, token: { sql: string; values: readonly unknown[] }): Promise<void> {
  await adminQuery(url, token.sql.replaceAll('$slonik_', '$'), [...token.values]); // slonik's placeholder spelling, as slonik executes it
}

/** Creates `protea_t_<hex>`, registers its removal on t.teardown, returns its URL. */
export async function freshDatabase(t: Test, options: FreshDatabaseOptions = {}): Promise<string> {
  const server = config().dbUrl;
  const maintenance = withDatabase(server, 'postgres');
  const name = `protea_t_${randomBytes(6).toString('hex')}`;
  // CREATE DATABASE copies template1 and fails (55006) while another session
  // is connected to it: retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin(maintenance, sql.unsafe`CREATE DATABASE ${sql.identifier([name])}`);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  t.teardown(async () => {
    await admin(maintenance, sql.unsafe`DROP DATABASE IF EXISTS ${sql.identifier([name])} WITH (FORCE)`);
  });
  const url = withDatabase(server, name);
  if (options.migrate) await migrate(url, { ...(typeof options.migrate === 'object' ? { to: options.migrate.to } : {}), onStep: () => {} });
  return url;
}
