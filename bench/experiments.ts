// What-if experiments for the benchmarks: changes to shared modules the lead
// may want, tried at run time without editing them, to measure what they
// would buy. Never used outside bench/.
//
//   chunked-send  TopicProducer.send hands kafkajs at most 1,000 records per
//                 producer.send() call (PROTEA_BENCH_SEND_CHUNK), one call
//                 after the other. kafkajs 2.2.4 groups a send's messages per
//                 partition in O(n^2) (groupMessagesPerPartition copies the
//                 partition's array for every message), and the dedup stage
//                 sends a whole fetched batch (thousands of records) at once.
//   no-gzip       producer sends without compression (CompressionTypes.None)
//                 instead of GZIP: no compression on send, no decompression
//                 on fetch (bigger log on disk).
//
// In this process: await applyExperiments(names). In a child stage: node
// --import <dist/bench/experiments.js> with PROTEA_BENCH_EXPERIMENTS=a,b in its
// environment (the module applies them when it is loaded).
import type { OutgoingRecord, TopicProducer } from '../lib/topic-producer.js';

export const EXPERIMENTS = ['chunked-send', 'no-gzip'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

const applied = new Set<Experiment>();

export function parseExperiments(raw: string | undefined): Experiment[] {
  if (!raw) return [];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(EXPERIMENTS as readonly string[]).includes(n)) throw new Error(`unknown experiment ${JSON.stringify(n)}; known: ${EXPERIMENTS.join(', ')}`);
  return names as Experiment[];
}

export async function applyExperiments(names: readonly Experiment[]): Promise<void> {
  if (names.length === 0) return;
  // imported here: the ingest benchmarks load this module to define their options (see bench/cli.ts)
  const { TopicProducer } = await import('../lib/topic-producer.js');
  for (const name of names) {
    if (applied.has(name)) continue;
    applied.add(name);
    if (name === 'chunked-send') {
      const chunk = Number(process.env.PROTEA_BENCH_SEND_CHUNK ?? 1000);
      const send = TopicProducer.prototype.send;
      TopicProducer.prototype.send = async function <T>(this: TopicProducer, topic: string, records: readonly OutgoingRecord<T>[]): Promise<void> {
        for (let i = 0; i < records.length; i += chunk) await send.call(this, topic, records.slice(i, i + chunk));
      };
    } else if (name === 'no-gzip') {
      const connect = TopicProducer.prototype.connect;
      TopicProducer.prototype.connect = async function (this: TopicProducer): Promise<void> {
        const inner = (this as unknown as { producer: { send: (r: Record<string, unknown>) => Promise<unknown>; benchPatched?: boolean } }).producer;
        if (!inner.benchPatched) {
          const original = inner.send.bind(inner);
          inner.send = (r) => original({ ...r, compression: 0 }); // the client's code for no compression (kafkajs stays behind lib/)
          inner.benchPatched = true;
        }
        await connect.call(this);
      };
    }
  }
}

/** node --import arguments that make a child stage apply the experiments. */
export function childImportArgs(): string[] {
  return ['--import', new URL(import.meta.url).href];
}

await applyExperiments(parseExperiments(process.env.PROTEA_BENCH_EXPERIMENTS));
