// Looking at topics from outside the code under test: their log end offsets,
// and their records read back from the start in a consumer group of the
// test's own (so the groups of the processors and sinks are never touched).
import { withAdmin } from '../../lib/kafka-client.js';
import { TopicConsumer, type IncomingRecord } from '../../lib/topic-consumer.js';

/** Log end offset (high watermark) of every partition of the topic. */
export async function logEnd(topic: string): Promise<Map<number, bigint>> {
  return withAdmin(async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])));
}

/** Records ever written to the topic: the sum of its partitions' log end offsets. */
export async function logEndTotal(topic: string): Promise<number> {
  return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0));
}

/** Log end offsets of the topics' partitions, keyed `topic/partition` (the `from` of readToEnd). */
export async function logEnds(topics: string[]): Promise<Map<string, string>> {
  const ends = new Map<string, string>();
  await withAdmin(async (admin) => {
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, p.high);
  });
  return ends;
}

export interface ConsumeOptions {
  /** a group of the test's own: a new one reads from the start */
  groupId: string;
  timeoutMs: number;
  /** what the timeout error says was still missing */
  progress: () => string;
}

/**
 * Reads the topics from the beginning, batch by batch, until onBatch returns
 * true; rejects when that takes longer than timeoutMs. The consumer is
 * disconnected once done.
 */
export async function consumeFromStart<T>(topics: string[], onBatch: (records: IncomingRecord<T>[]) => boolean, { groupId, timeoutMs, progress }: ConsumeOptions): Promise<void> {
  const consumer = new TopicConsumer<T>({ groupId });
  await consumer.connect(topics, true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; ${progress()}`)), timeoutMs);
    void consumer
      .run(async (records) => {
        if (onBatch(records)) {
          clearTimeout(timer);
          resolve();
        }
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

/**
 * Every record of the topics up to their current log end (from the given
 * `topic/partition` offsets on, else from the start), grouped by topic.
 * Reads in a fresh group named after groupPrefix.
 */
export async function readToEnd(topics: string[], { groupPrefix, timeoutMs, from = new Map() }: { groupPrefix: string; timeoutMs: number; from?: Map<string, string> }): Promise<Map<string, IncomingRecord<unknown>[]>> {
  let expected = 0;
  await withAdmin(async (admin) => {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) expected += Number(BigInt(p.high) - BigInt(from.get(`${topic}/${p.partition}`) ?? p.low));
    }
  });
  const seen = new Map<string, IncomingRecord<unknown>[]>(topics.map((x) => [x, []]));
  if (expected === 0) return seen;
  let count = 0;
  await consumeFromStart<unknown>(
    topics,
    (records) => {
      for (const r of records) {
        const start = from.get(`${r.topic}/${r.partition}`);
        if (start !== undefined && BigInt(r.offset) < BigInt(start)) continue;
        seen.get(r.topic)!.push(r);
        count++;
      }
      return count >= expected;
    },
    { groupId: `${groupPrefix}-read-${Math.random().toString(36).slice(2, 8)}`, timeoutMs, progress: () => `read ${count} of ${expected} records` },
  );
  return seen;
}
