// Driving a sink's transaction directly, without Kafka: records shaped as the
// consumer hands them over, written by writeBatch on a client of a pool, so a
// test can order two writers or pause one (fault hooks) at will.
import type pg from 'pg';
import type { IncomingRecord } from '../../lib/topic-consumer.js';
import { writeBatch, type PartitionBatch, type SinkMapping, type WriteOptions, type WriteResult } from '../../sinks/runner.js';

/** Decoded records of one partition, at offsets first, first + 1, ... */
export function incoming<T>(topic: string, partition: number, first: number, values: { key: string; value: T }[]): IncomingRecord<T>[] {
  return values.map(({ key, value }, i) => ({ topic, partition, offset: String(first + i), key, value, raw: Buffer.from('x'), headers: {}, timestamp: String(Date.now()) }));
}

/** One writeBatch (one transaction of the sink) on a client taken from the pool and given back after. */
export async function writeOnPool<T>(pool: pg.Pool, mapping: SinkMapping<T>, batch: PartitionBatch<T>, opts: WriteOptions<T>): Promise<WriteResult> {
  const client = await pool.connect();
  try {
    return await writeBatch(client, mapping.name, mapping, batch, opts);
  } finally {
    client.release();
  }
}
