// sink_offsets as a reader sees them: how far a sink has landed a topic.
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

/** next_offset per partition stored by a sink for a topic (partitions it never committed are absent). */
export async function sinkOffsets(db: CommonQueryMethods, sink: string, topic: string): Promise<Map<number, bigint>> {
  const rows = await db.any(sql.type(z.object({ partition: z.number(), next_offset: z.string() }))`
    SELECT partition, next_offset::text AS next_offset FROM sink_offsets WHERE sink = ${sink} AND topic = ${topic}`);
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}
