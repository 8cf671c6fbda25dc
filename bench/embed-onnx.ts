// The ONNX embedder on CPU: sequences/s and residues/s of generated
// ESM-shaped models on a realistic length distribution (bench/generate.ts's
// log-normal, median 300), length-bucketed against arrival-order batching,
// and the backend against a bare InferenceSession.run loop on the same
// batches (what tokenising, padding and pooling cost). No stack needed.
//
//   node dist/bench/embed-onnx.js                       # tiny (2 x 8) and mid (6 x 320, ESM-2 8M-shaped)
//   node dist/bench/embed-onnx.js --model 33x1280       # ESM-2 650M-shaped (216 MB of weights, slow on CPU)
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { config } from '../lib/config.js';
import type { EmbeddingRecipe } from '../processors/embedder/backend.js';
import type { OnnxBackend } from '../processors/embedder/onnx-backend.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { drawLength, randomSequence, Rng } from './generate.js';

type T = { wall: number; cpu: number };

interface Opts {
  sequences: number;
  seed: number;
  model: string[];
  budget: number;
  threads: number;
  rounds: number;
  maxLength: number;
}

const program = benchProgram('embed-onnx', 'ONNX embedder throughput on generated models (CPU): bucketed vs arrival order, backend vs bare session.run')
  .option('--sequences <n>', 'sequences per round', positiveInt, 200)
  .option('--seed <n>', 'seed of the lengths and residues', nonNegativeInt, 42)
  .addOption(new Option('--model <LxH...>', 'models as layers x hidden').default(['2x8', '6x320']))
  .option('--budget <n>', 'padded tokens per model call', positiveInt, config().embedTokenBudget)
  .option('--threads <n>', 'intra-op threads (0 = ORT decides)', nonNegativeInt, config().embedThreads)
  .option('--rounds <n>', 'timed rounds per variant (median reported)', positiveInt, 3)
  .option('--max-length <n>', 'residues the model sees', positiveInt, 1022);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median wall ms and process CPU ms of each variant; rounds interleave the
 * variants so a busy neighbour slows them alike (CPU time is the steadier
 * figure on a shared machine).
 */
async function timedInterleaved(rounds: number, variants: (() => Promise<unknown>)[]): Promise<{ wall: number; cpu: number }[]> {
  for (const v of variants) await v(); // warm-up: first-run allocations and kernel choice
  const wall: number[][] = variants.map(() => []);
  const cpu: number[][] = variants.map(() => []);
  for (let i = 0; i < rounds; i++) {
    for (const [k, v] of variants.entries()) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await v();
      const c = process.cpuUsage(c0);
      wall[k]!.push(performance.now() - t0);
      cpu[k]!.push((c.user + c.system) / 1000);
    }
  }
  return variants.map((_, k) => ({ wall: median(wall[k]!), cpu: median(cpu[k]!) }));
}

export async function bareLoop(backend: OnnxBackend, seqs: string[], maxLength: number): Promise<() => Promise<void>> {
  const plan = backend.planBatches(seqs);
  const feeds = plan.map((b) => backend.feeds(b.indices.map((i) => backend.tokenizer.encode(seqs[i]!.slice(0, maxLength)).ids)));
  const session = backend.session;
  const fetch = [...backend.fetchedOutputs];
  return async () => {
    for (const f of feeds) await session.run(f, fetch);
  };
}

benchMain<Opts>(import.meta.url, program, async (opts) => {
  const [{ openOnnxBackend }, { writeTestModel }] = await Promise.all([import('../processors/embedder/onnx-backend.js'), import('../processors/embedder/test-model.js')]);
  const rng = new Rng(opts.seed);
  const seqs = Array.from({ length: opts.sequences }, () => randomSequence(rng, drawLength(rng)));
  const lengths = seqs.map((s) => Math.min(s.length, opts.maxLength)).sort((a, b) => a - b);
  const residues = lengths.reduce((a, b) => a + b, 0);
  console.log(`${opts.sequences} sequences, residues embedded: median ${lengths[lengths.length >> 1]}, mean ${(residues / lengths.length).toFixed(0)}, max ${lengths.at(-1)} (cut at ${opts.maxLength}); budget ${opts.budget} padded tokens, threads ${opts.threads || 'ORT default'}, ${os.cpus().length} CPUs`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-onnx-'));
  try {
    for (const spec of opts.model) {
      const [layers, hidden] = spec.split('x').map(Number) as [number, number];
      const written = await writeTestModel(dir, { layers, hidden, seed: 1 });
      const recipe: EmbeddingRecipe = {
        id: 'bench', modelName: written.name, modelBackend: 'esm', layerIndices: [0], layerAgg: 'mean', pooling: 'mean',
        normalize: true, normalizeResidues: false, maxLength: opts.maxLength, useChunking: false, chunkSize: 512, chunkOverlap: 0,
      };
      const common = { modelsDir: dir, device: 'cpu' as const, tokenBudget: opts.budget, threads: opts.threads };
      const bucketed = await openOnnxBackend(recipe, common);
      const arrival = await openOnnxBackend(recipe, { ...common, sortByLength: false });
      try {
        const before = [{ ...bucketed.stats }, { ...arrival.stats }];
        const [tb, ta, bare] = (await timedInterleaved(opts.rounds, [
          () => bucketed.embed(seqs),
          () => arrival.embed(seqs),
          await bareLoop(bucketed, seqs, opts.maxLength),
        ])) as [T, T, T];
        const line = (name: string, m: T, note: string) =>
          console.log(`  ${name.padEnd(22)} ${(opts.sequences / (m.wall / 1000)).toFixed(1).padStart(8)} seq/s ${((residues / m.wall) * 1000).toFixed(0).padStart(9)} res/s  ${m.wall.toFixed(0).padStart(7)} ms wall ${m.cpu.toFixed(0).padStart(7)} ms CPU  ${note}`);
        const note = (b: OnnxBackend, k: number) => {
          const calls = (b.stats.modelCalls - before[k]!.modelCalls) / (opts.rounds + 1);
          const pad = (b.stats.paddedTokens - before[k]!.paddedTokens) / (b.stats.tokens - before[k]!.tokens);
          return `${calls.toFixed(0)} calls, padded/real tokens ${pad.toFixed(2)}`;
        };
        console.log(`model ${layers} layers x hidden ${hidden} (${(written.bytes / 1e6).toFixed(1)} MB)`);
        line('length-bucketed', tb, note(bucketed, 0));
        line('arrival order', ta, note(arrival, 1));
        line('bare session.run loop', bare, '(the length-bucketed batches, pre-built)');
        console.log(`  bucketed / arrival: ${(ta.wall / tb.wall).toFixed(2)}x wall, ${(ta.cpu / tb.cpu).toFixed(2)}x CPU (target >= 1.5x); backend / bare loop: ${(bare.wall / tb.wall).toFixed(2)} wall, ${(bare.cpu / tb.cpu).toFixed(2)} CPU (target >= 0.9)`);
      } finally {
        await bucketed.close();
        await arrival.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
