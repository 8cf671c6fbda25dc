// The producer's partitioner per message: kafkajs 2.2.4's DefaultPartitioner
// (what lib/topic-producer.ts passed before) against lib/partitioner.ts, on
// the same keyed messages, in the same run. No stack needed.
//
//   npx tsc -p . && node dist/bench/partitioner.js [--keys N=200000] [--partitions N=6] [--rounds N=5]
//
// The keys are the producers' shapes: UniProt accessions (ingest.fasta,
// proteins), '<source>|<version>|<accession>' (ingest.gaf), MD5 hex
// (sequences) and a few non-ASCII ones; each is a message as kafkajs hands it
// to the partitioner ({ topic, partitionMetadata, message }). Rounds alternate
// kafkajs, ours, kafkajs, ours... after one untimed round of each (JIT),
// which also checks that both choose the same partition for every key.
// Reported: µs per message (median over the rounds), garbage collections
// and their pause time during the timed rounds, and the ratio.
//
// kafkajs is imported here to compare against it (test/unit/kafka-seam.test.ts
// lists this file among the reference comparisons allowed to).
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { benchMain, benchProgram, positiveInt } from './cli.js';
import { fmt, machineLine, table } from './common.js';

const program = benchProgram('partitioner', "Partition choice per keyed message: kafkajs's DefaultPartitioner vs lib/partitioner.ts")
  .option('--keys <n>', 'keyed messages per round', positiveInt, 200_000)
  .option('--partitions <n>', 'partitions of the topic', positiveInt, 6)
  .option('--rounds <n>', 'timed rounds per partitioner, alternating', positiveInt, 5);

interface Options {
  keys: number;
  partitions: number;
  rounds: number;
}

type Partition = (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key: string } }) => number;

/** Deterministic keys in the producers' shapes (xorshift, not crypto: only the shapes matter). */
function keys(n: number): string[] {
  let s = 0x2545f491;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const digit = () => String(next() % 10);
  const alnum = () => (next() % 2 === 0 ? upper[next() % 26]! : digit());
  const accession = () => (next() % 3 === 0 ? `A0A${alnum()}${alnum()}${alnum()}${digit()}${upper[next() % 26]}${alnum()}${digit()}` : `${'OPQ'[next() % 3]}${digit()}${alnum()}${alnum()}${alnum()}${digit()}`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    if (kind < 4) out.push(accession());
    else if (kind < 7) out.push(`goa|220|${accession()}`);
    else if (kind < 9) out.push(Array.from({ length: 4 }, () => next().toString(16).padStart(8, '0')).join(''));
    else out.push(`cafa|2024-01|${accession()}-é${next() % 2 === 0 ? 'α' : '😀'}`);
  }
  return out;
}

interface Timing {
  us: number;
  gcs: number;
  gcMs: number;
}

async function run(opts: Options): Promise<void> {
  const { Partitioners } = await import('kafkajs');
  const { createJavaCompatiblePartitioner } = await import('../lib/partitioner.js');
  const topic = 'protea.bench.partitioner';
  const partitionMetadata = Array.from({ length: opts.partitions }, (_, i) => ({ partitionId: i, leader: 1 }));
  const messages = keys(opts.keys).map((key) => ({ key }));
  const paths: { name: string; make: () => Partition }[] = [
    { name: 'kafkajs DefaultPartitioner', make: () => Partitioners.DefaultPartitioner() as unknown as Partition },
    { name: 'lib/partitioner.ts', make: () => createJavaCompatiblePartitioner() as unknown as Partition },
  ];

  // untimed warm-up round of each, which checks that they agree
  const chosen = paths.map((p) => {
    const partition = p.make();
    return messages.map((message) => partition({ topic, partitionMetadata, message }));
  });
  const differ = chosen[0]!.findIndex((c, i) => c !== chosen[1]![i]);
  if (differ >= 0) throw new Error(`the partitioners disagree on key ${JSON.stringify(messages[differ]!.key)}: ${chosen[0]![differ]} vs ${chosen[1]![differ]}`);
  process.stderr.write(`${messages.length} keys over ${opts.partitions} partitions: the same choice for every key\n`);

  let gcs = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs++;
      gcMs += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // the observer's entries arrive on a later turn of the event loop (a timer, not an immediate)
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const timings: Timing[][] = paths.map(() => []);
  let sink = 0;
  for (let r = 0; r < opts.rounds; r++) {
    for (let p = 0; p < paths.length; p++) {
      const partition = paths[p]!.make();
      await settle();
      const gc0 = gcs;
      const gcMs0 = gcMs;
      const t0 = performance.now();
      for (const message of messages) sink += partition({ topic, partitionMetadata, message });
      const ms = performance.now() - t0;
      await settle();
      timings[p]!.push({ us: (ms * 1000) / messages.length, gcs: gcs - gc0, gcMs: gcMs - gcMs0 });
    }
  }
  observer.disconnect();
  if (sink < 0) throw new Error('unreachable');

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = paths.map((p, i) => {
    const t = timings[i]!;
    return [p.name, fmt(median(t.map((x) => x.us)), 3), fmt(median(t.map((x) => x.gcs))), fmt(median(t.map((x) => x.gcMs)), 1)];
  });
  const ratio = median(timings[0]!.map((x) => x.us)) / median(timings[1]!.map((x) => x.us));
  process.stdout.write(`machine: ${machineLine()}\n`);
  process.stdout.write(`${messages.length} keyed messages per round, ${opts.partitions} partitions, ${opts.rounds} rounds each (median)\n\n`);
  process.stdout.write(`${table([['partitioner', 'µs/message', 'GCs/round', 'GC ms/round'], ...rows])}\n\n`);
  process.stdout.write(`kafkajs / ours: ${fmt(ratio, 1)}x\n`);
}

benchMain<Options>(import.meta.url, program, run);
