// What a sink test file shares across its subtests: a fresh topic namespace
// and a fresh migrated database, a pool on that database and a producer. The
// namespace name is there at module level (for topic names and group ids);
// the topics and the database are made in t.before (a top-level await would
// let tap's root test end meanwhile), and everything is closed or dropped
// when the file ends.
import type pg from 'pg';
import type { Test } from 'tap';
import { createCopyPool } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { freshDatabase } from './fresh-database.js';
import { createNamespace, dropNamespace, namespaceName } from './fresh-namespace.js';

export interface SinkStack {
  readonly namespace: string;
  /** the database's URL, set in t.before */
  url: string;
  readonly producer: TopicProducer;
  /** the rows of one statement, on the pool */
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** ends the pool now rather than at teardown (a second call does nothing) */
  endPool(): Promise<void>;
}

/**
 * Tap runs teardowns last-registered first: a teardown the file registers
 * after this call (stopping its sink runners) runs before this one closes the
 * producer and pool and drops the namespace. The database (registered in
 * t.before) is dropped first of all, hence the pool's ignored errors.
 */
export function freshSinkStack(t: Test, { poolSize }: { poolSize: number }): SinkStack {
  let pool: pg.Pool | undefined;
  const stack: SinkStack = {
    namespace: namespaceName(),
    url: '',
    producer: new TopicProducer(),
    query: async <R>(text: string, values: unknown[] = []) => (await pool!.query(text, values)).rows as R[],
    endPool: async () => {
      const p = pool;
      pool = undefined;
      await p?.end();
    },
  };
  t.before(async () => {
    await createNamespace(stack.namespace);
    stack.url = await freshDatabase(t, { migrate: true });
    pool = createCopyPool(stack.url, poolSize);
    pool.on('error', () => undefined); // idle connections cut when the database is dropped at the end
  });
  t.teardown(async () => {
    await stack.producer.disconnect();
    await stack.endPool();
    await dropNamespace(stack.namespace);
  });
  return stack;
}
