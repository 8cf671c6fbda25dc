// Database access for the whole project: slonik for queries, a plain pg pool
// for COPY (slonik has no COPY API). Nothing else imports pg or slonik's
// createPool, so connection settings live in one place.
import pg from 'pg';
import { createPool, sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { config } from './config.js';
import { classify } from './errors.js';
import { logger } from './log.js';

export { sql };
export type { CommonQueryMethods, DatabasePool };

export interface QueryPoolOptions {
  maximumPoolSize?: number;
  statementTimeoutMs?: number;
  /**
   * false: connections go back to the pool without slonik's `DISCARD ALL`, a
   * second round trip per query. Only for pools whose queries leave no session
   * state behind (no SET, no temp tables, no prepared statements by name): the API's.
   */
  resetOnRelease?: boolean;
}

export async function createQueryPool(url: string = config().dbUrl, options: QueryPoolOptions = {}): Promise<DatabasePool> {
  try {
    return await createPool(url, {
      maximumPoolSize: options.maximumPoolSize ?? 10,
      captureStackTrace: false,
      ...(options.statementTimeoutMs ? { statementTimeout: options.statementTimeoutMs } : {}),
      ...(options.resetOnRelease === false ? { resetConnection: async () => {} } : {}),
    });
  } catch (err) {
    throw classify(err, { component: 'postgresql', hint: `Could not connect to ${redact(url)}: start the stack (protea stack up) or fix PROTEA_DB_URL.` });
  }
}

/** Runs fn with a small query pool (a command's one unit of work) and ends the pool. */
export async function withQueryPool<T>(fn: (db: DatabasePool) => Promise<T>, url: string = config().dbUrl): Promise<T> {
  const db = await createQueryPool(url, { maximumPoolSize: 2 });
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/**
 * A pg pool whose clients run COPY streams (pg-copy-streams). An idle client
 * whose connection the server ends (a restart, a dropped database) makes the
 * pool emit 'error', and an EventEmitter without a listener throws: that would
 * crash the process, so every pool gets one (the pool opens a new connection
 * when it next needs one). pool.end() does not wait for the connections to
 * close, so this also covers a server that ends them just after.
 */
export function createCopyPool(url: string = config().dbUrl, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', (err) => logger('postgresql').warn({ err: err.message, database: databaseName(url) }, 'idle PostgreSQL connection lost'));
  return pool;
}

/** The URL with its password hidden, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The same server, another database (e.g. the maintenance db 'postgres'). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/**
 * One short-lived connection for administrative statements that slonik's pool
 * is not made for (CREATE DATABASE on the maintenance database, health probes).
 */
export async function adminQuery<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
