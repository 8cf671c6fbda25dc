// The embedder stage on the local stack: sequences/s through Kafka (consume,
// skip look-up in PostgreSQL, embed, Avro-encode, produce, acknowledge)
// against a bare InferenceSession.run loop on the same batches (target >=
// 0.9): the groups of sequences the stage handed its backend, recorded, each
// planned into model calls as the backend does (so both pay the same padding),
// with the feeds built beforehand; the weight-free default backend's sequences/s, and
// the stage's peak memory over a large replay of the sequences topic.
//
//   node dist/bench/embedder-stage.js                                  # 3,000 seq on a 6x320 model, 20,000 k-mer, replay of 200,000
//   node dist/bench/embedder-stage.js --replay-sequences 0             # without the memory part
//
// Times run from the stage's first embed() call (group join and model load
// excluded, as for the bare loop) to the moment the embeddings topic holds
// every output; the sink is not running (no vector is stored, so every
// round embeds everything again).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { config } from '../lib/config.js';
import type { EmbeddingBackend, EmbeddingRecipe } from '../processors/embedder/backend.js';
import { recipeFromInput } from '../processors/embedder/recipe.js';
import type { SequenceRecord } from '../schemas/generated/types.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { freshDatabase, freshNamespace, logEndTotal, logEndWith, machineLine, sleep } from './common.js';
import { bareLoop } from './embed-onnx.js';
import { drawLength, md5, randomSequence, Rng } from './generate.js';

interface Opts {
  sequences: number;
  kmerSequences: number;
  replaySequences: number;
  model: string;
  rounds: number;
  seed: number;
  atOnce?: number;
}

const program = benchProgram('embedder-stage', 'the embedder stage through Kafka against a bare session.run loop; k-mer stage throughput; peak memory of a large replay')
  .option('--sequences <n>', 'sequences of the ONNX comparison', positiveInt, 3000)
  .option('--model <LxH>', 'generated ONNX model, layers x hidden', '6x320')
  .option('--rounds <n>', 'rounds of the ONNX comparison (best of)', positiveInt, 2)
  .option('--kmer-sequences <n>', 'sequences of the k-mer stage run', nonNegativeInt, 20_000)
  .option('--replay-sequences <n>', 'sequences of the memory run (0 = skip)', nonNegativeInt, 200_000)
  .option('--seed <n>', 'seed of lengths and residues', nonNegativeInt, 42)
  .option('--at-once <n>', 'partitions the stage works on at once (default: the stage\'s own, PROTEA_EMBED_PARTITIONS_AT_ONCE)', positiveInt);

/** Distinct generated sequences as the dedup stage would send them. */
function sequences(rng: Rng, n: number): SequenceRecord[] {
  const out = new Map<string, SequenceRecord>();
  while (out.size < n) {
    const s = randomSequence(rng, drawLength(rng));
    out.set(md5(s), { md5: md5(s), sequence: s, length: s.length, first_seen_job_id: null });
  }
  return [...out.values()];
}

async function produceSequences(topic: string, records: readonly SequenceRecord[]): Promise<void> {
  const { TopicProducer } = await import('../lib/topic-producer.js');
  const producer = new TopicProducer();
  try {
    for (let i = 0; i < records.length; i += 5000) await producer.send(topic, records.slice(i, i + 5000).map((value) => ({ key: value.md5, value })));
  } finally {
    await producer.disconnect();
  }
}

/**
 * Runs the stage under one config over the whole sequences topic with a fresh
 * group until the embeddings topic holds `expected` more messages; seconds
 * from the first embed() call, and the peak RSS seen.
 */
async function stageRun(ns: string, dbUrl: string, recipe: EmbeddingRecipe, expected: number, outTopic: string, partitionsAtOnce: number | undefined): Promise<{ seconds: number; cpuSeconds: number; embedSeconds: number; peakRss: number; rssBefore: number; groups: string[][] }> {
  const [{ openBackend }, { runEmbedder }, { withAdmin }] = await Promise.all([import('../processors/embedder/backends.js'), import('../processors/embedder/processor.js'), import('../lib/kafka-client.js')]);
  const base = await logEndTotal(outTopic);
  let first = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  const groups: string[][] = [];
  let inEmbed = 0;
  const opener = async (r: EmbeddingRecipe): Promise<EmbeddingBackend> => {
    const b = await openBackend(r);
    return {
      backend: b.backend, device: b.device, dim: b.dim, close: () => b.close(),
      embed: (seqs, signal) => {
        first ||= performance.now();
        cpuAtFirst ??= process.cpuUsage();
        groups.push([...seqs]);
        const t = performance.now();
        return b.embed(seqs, signal).finally(() => (inEmbed += performance.now() - t));
      },
    };
  };
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  // Sequences the stage has transformed, counted by its own callback: the bench
  // waits on it and asks the broker for the topic's log end only once they are
  // all through (asking every 50 ms opened an admin connection each time, CPU
  // in this process that was the bench's, not the stage's).
  let transformed = 0;
  let allTransformed!: () => void;
  const through = new Promise<void>((resolve) => (allTransformed = resolve));
  const onRecords = (records: readonly unknown[]) => {
    transformed += records.length;
    if (transformed >= expected) allTransformed();
  };
  const progress = setInterval(() => process.stderr.write(`  ${transformed}/${expected} sequences through the stage, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`), 5000);
  const handle = await runEmbedder({ namespace: ns, dbUrl, groupId: `${ns}.bench.${Date.now()}`, configIds: [recipe.id], openBackend: opener, onRecords, ...(partitionsAtOnce ? { partitionsAtOnce } : {}), handleSignals: false });
  try {
    // then until the topic holds every output (the stage sends after its transform), on an
    // admin client connected beforehand (a connection per look-up would be timed too)
    await withAdmin(async (admin) => {
      await logEndWith(admin, outTopic);
      await Promise.race([through, handle.done]);
      while ((await logEndWith(admin, outTopic)) - base < expected) await sleep(10);
    });
    return { seconds: (performance.now() - first) / 1000, cpuSeconds: cpuSecondsSince(cpuAtFirst), embedSeconds: inEmbed / 1000, peakRss, rssBefore, groups };
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    await handle.stop('bench round done');
  }
}

/**
 * CPU seconds of this process (main thread, ONNX Runtime's threads, workers)
 * since `from`: on a machine shared with other work the wall clock mostly
 * measures the neighbours, the CPU a side used does not.
 */
function cpuSecondsSince(from: NodeJS.CpuUsage | undefined): number {
  if (!from) return Number.NaN;
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

benchMain<Opts>(import.meta.url, program, async (opts) => {
  const [{ withQueryPool }, { createEmbeddingConfig, recipeOf }, { openOnnxBackend }, { writeTestModel }] = await Promise.all([
    import('../lib/db.js'),
    import('../lib/queries/embedding-configs.js'),
    import('../processors/embedder/onnx-backend.js'),
    import('../processors/embedder/test-model.js'),
  ]);
  console.log(machineLine());
  const ns = await freshNamespace();
  const db = await freshDatabase({ migrate: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-stage-'));
  try {
    const rng = new Rng(opts.seed);
    const total = Math.max(opts.sequences, opts.kmerSequences, opts.replaySequences);
    const all = sequences(rng, total);
    const outTopic = ns.topic('embeddings');
    const create = (input: Parameters<typeof recipeFromInput>[0], max?: number) =>
      withQueryPool(async (pool) => recipeOf((await createEmbeddingConfig(pool, recipeFromInput(input, max), { active: false })).row), db.url);

    // 1. ONNX: the stage against the bare loop, on the first `sequences` of the topic
    await produceSequences(ns.topic('sequences'), all.slice(0, opts.sequences));
    const [layers, hidden] = opts.model.split('x').map(Number) as [number, number];
    const model = await writeTestModel(dir, { layers, hidden, seed: 1 });
    const recipe = await create({ backend: 'esm', model: model.onnxPath }, model.card.maxLength);
    const seqs = all.slice(0, opts.sequences).map((r) => r.sequence);
    const residues = seqs.reduce((a, s) => a + Math.min(s.length, recipe.maxLength), 0);
    const bare = await openOnnxBackend(recipe);
    const bareTimes: number[] = [];
    const bareCpu: number[] = [];
    const stageCpu: number[] = [];
    const stageTimes: number[] = [];
    const embedTimes: number[] = [];
    const backendTimes: number[] = [];
    let groups = 0;
    for (let r = 0; r < opts.rounds; r++) {
      const run = await stageRun(ns.namespace, db.url, recipe, opts.sequences, outTopic, opts.atOnce);
      stageTimes.push(run.seconds);
      stageCpu.push(run.cpuSeconds);
      embedTimes.push(run.embedSeconds);
      groups = run.groups.length;
      // the same groups, planned into the same model calls, feeds built beforehand
      const loops = await Promise.all(run.groups.map((g) => bareLoop(bare, g, recipe.maxLength)));
      if (r === 0) for (const l of loops) await l(); // warm-up
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (const l of loops) await l();
      bareTimes.push((performance.now() - t0) / 1000);
      bareCpu.push(cpuSecondsSince(c0));
      // the backend itself (tokenise, run, pool) on the same groups, outside the stage
      const t1 = performance.now();
      for (const g of run.groups) await bare.embed(g);
      backendTimes.push((performance.now() - t1) / 1000);
    }
    await bare.close();
    const b = Math.min(...bareTimes);
    const s = Math.min(...stageTimes);
    console.log(`ONNX ${layers}x${hidden}, ${opts.sequences} sequences (${residues} residues), token budget ${config().embedTokenBudget}, best of ${opts.rounds}:`);
    console.log(`  bare session.run loop  ${(opts.sequences / b).toFixed(1)} seq/s  ${(residues / b).toFixed(0)} res/s  (${bareTimes.map((x) => x.toFixed(1)).join(', ')} s)`);
    console.log(`  embedder stage         ${(opts.sequences / s).toFixed(1)} seq/s  ${(residues / s).toFixed(0)} res/s  (${stageTimes.map((x) => x.toFixed(1)).join(', ')} s; inside the backend's embed(): ${embedTimes.map((x) => x.toFixed(1)).join(', ')} s)`);
    const e = Math.min(...backendTimes);
    console.log(`  backend embed() alone ${(opts.sequences / e).toFixed(1)} seq/s  ${(residues / e).toFixed(0)} res/s  (${backendTimes.map((x) => x.toFixed(1)).join(', ')} s: the same groups, outside the stage)`);
    console.log(`  stage / bare: ${(b / s).toFixed(2)} (target >= 0.9); the stage handed its backend ${groups} groups (one per partition batch), the bare loop ran the same`);
    const bc = Math.min(...bareCpu);
    const sc = Math.min(...stageCpu);
    console.log(`  per CPU second of this process: bare ${(opts.sequences / bc).toFixed(1)} seq/CPU s (${bareCpu.map((x) => x.toFixed(1)).join(', ')} CPU s), stage ${(opts.sequences / sc).toFixed(1)} seq/CPU s (${stageCpu.map((x) => x.toFixed(1)).join(', ')} CPU s): stage / bare ${(bc / sc).toFixed(2)}`);

    // 2. the weight-free default through the stage
    const kmer = await create({});
    if (opts.kmerSequences > 0) {
      await produceSequences(ns.topic('sequences'), all.slice(opts.sequences, opts.kmerSequences));
      const onTopic = Math.max(opts.sequences, opts.kmerSequences);
      const k = await stageRun(ns.namespace, db.url, kmer, onTopic, outTopic, opts.atOnce);
      const kres = all.slice(0, onTopic).reduce((a, r) => a + r.length, 0);
      console.log(`k-mer default ${kmer.modelName}: ${onTopic} sequences in ${k.seconds.toFixed(1)} s: ${(onTopic / k.seconds).toFixed(0)} seq/s, ${(kres / k.seconds).toFixed(0)} res/s`);
    }

    // 3. peak memory of a replay of the whole topic under the default
    if (opts.replaySequences > 0) {
      const have = Math.max(opts.sequences, opts.kmerSequences);
      if (opts.replaySequences > have) await produceSequences(ns.topic('sequences'), all.slice(have, opts.replaySequences));
      const onTopic = Math.max(have, opts.replaySequences);
      const m = await stageRun(ns.namespace, db.url, kmer, onTopic, outTopic, opts.atOnce);
      const mib = (x: number) => (x / 2 ** 20).toFixed(0);
      console.log(`replay of ${onTopic} sequences under ${kmer.modelName}: ${m.seconds.toFixed(1)} s (${(onTopic / m.seconds).toFixed(0)} seq/s); process RSS ${mib(m.rssBefore)} MiB before, peak ${mib(m.peakRss)} MiB (+${mib(m.peakRss - m.rssBefore)} MiB)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await ns.drop();
    await db.drop();
  }
});
