// Several partitions' sink transactions at once, on the real stack: records
// produced at known partitions and offsets, a meeting point for transactions
// at the runner's fault points (so a test knows two are in flight together),
// and the checks that no transaction landed half.
import { adminQuery } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { SequenceRecord } from '../../schemas/generated/types.js';
import type { FaultPoint } from '../../sinks/runner.js';
import { until } from './poll.js';
import { logEnd } from './read-topics.js';
import type { SeededRandom } from './seeded-random.js';
import { randomSequence, sequenceRecord } from './sequences.js';

/** Where a transaction is, as the runner's fault hook reports it. */
export interface At {
  point: FaultPoint;
  topic: string;
  partition: number;
  expected: string;
  next: string;
}

/**
 * `perPartition` new sequences (all distinct) on every partition of a fresh
 * sequences topic, one send per partition: record i of partition p sits at
 * offset i. Returns them by partition.
 */
export async function produceSequencesByPartition(topic: string, perPartition: number, random: SeededRandom): Promise<SequenceRecord[][]> {
  const partitions = (await logEnd(topic)).size;
  const seen = new Set<string>();
  const byPartition: SequenceRecord[][] = [];
  for (let p = 0; p < partitions; p++) {
    const records: SequenceRecord[] = [];
    while (records.length < perPartition) {
      const r = sequenceRecord(randomSequence(30, 329, random));
      if (seen.has(r.md5)) continue;
      seen.add(r.md5);
      records.push(r);
    }
    byPartition.push(records);
  }
  const producer = new TopicProducer();
  try {
    for (const [p, records] of byPartition.entries()) await producer.send(topic, records.map((value) => ({ key: value.md5, value, partition: p })));
  } finally {
    await producer.disconnect();
  }
  return byPartition;
}

/**
 * A meeting point for `count` transactions of distinct partitions: arrive()
 * waits until that many have arrived (then everyone goes on, and later
 * arrivals pass at once), or until timeoutMs passed (then `met` holds what
 * arrived, fewer than count: the test's assertion says so).
 */
export function rendezvous(count: number, timeoutMs = 30_000): { arrive(at: At): Promise<void>; met: Promise<At[]> } {
  const arrived: At[] = [];
  let open!: (ats: At[]) => void;
  const met = new Promise<At[]>((resolve) => (open = resolve));
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    open([...arrived]);
  };
  return {
    met,
    async arrive(at) {
      if (done || arrived.some((a) => a.partition === at.partition)) return;
      arrived.push(at);
      if (arrived.length === 1) timer = setTimeout(finish, timeoutMs);
      if (arrived.length >= count) finish();
      await met;
    },
  };
}

/** The stored offsets of a sink on a topic (partitions never committed are absent). */
export async function storedOffsets(url: string, sink: string, topic: string): Promise<Map<number, bigint>> {
  const rows = await adminQuery<{ partition: number; next: string }>(url, 'SELECT partition, next_offset::text AS next FROM sink_offsets WHERE sink = $1 AND topic = $2', [sink, topic]);
  return new Map(rows.map((r) => [r.partition, BigInt(r.next)]));
}

/**
 * The sequence rows against the stored offsets of the sequences sink: a
 * record below its partition's stored offset without its row is `missing`,
 * a row of a record at or above it is `extra`. Both empty: every transaction
 * landed whole or not at all (rows and offset move together).
 */
export async function rowsAgainstOffsets(url: string, topic: string, byPartition: readonly SequenceRecord[][]): Promise<{ stored: Map<number, bigint>; rows: number; missing: string[]; extra: string[] }> {
  const stored = await storedOffsets(url, 'sequences', topic);
  const rows = new Set((await adminQuery<{ h: string }>(url, 'SELECT sequence_hash AS h FROM sequence')).map((r) => r.h));
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [p, records] of byPartition.entries()) {
    const below = Number(stored.get(p) ?? 0n);
    for (const [offset, r] of records.entries()) {
      if (offset < below && !rows.has(r.md5)) missing.push(`${p}:${offset}`);
      if (offset >= below && rows.has(r.md5)) extra.push(`${p}:${offset}`);
    }
  }
  return { stored, rows: rows.size, missing, extra };
}

/** Waits until no other session of the database is inside a transaction (a cut connection's backend has ended). */
export async function noOpenTransactions(url: string, timeoutMs = 15_000): Promise<number> {
  const open = () => adminQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL').then((r) => r[0]!.n);
  return until('no open transaction in the database', open, (n) => n === 0, { timeoutMs, intervalMs: 100 });
}
