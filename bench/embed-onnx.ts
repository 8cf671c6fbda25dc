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
import { openOnnxBackend, type OnnxBackend } from '../processors/embedder/onnx-backend.js';
import { writeTestModel } from '../processors/embedder/test-model.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { drawLength, randomSequence, Rng } from './generate.js';

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

async function timed(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: first-run allocations and kernel choice
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function bareLoop(backend: OnnxBackend, seqs: string[], maxLength: number): Promise<() => Promise<void>> {
  const plan = backend.planBatches(seqs);
  const feeds = plan.map((b) => backend.feeds(b.indices.map((i) => backend.tokenizer.encode(seqs[i]!.slice(0, maxLength)).ids)));
  const session = backend.session;
  const fetch = [...backend.fetchedOutputs];
  return async () => {
    for (const f of feeds) await session.run(f, fetch);
  };
}

benchMain<Opts>(import.meta.url, program, async (opts) => {
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
        const row = async (name: string, b: OnnxBackend) => {
          const before = { ...b.stats };
          const ms = await timed(opts.rounds, () => b.embed(seqs));
          const calls = (b.stats.modelCalls - before.modelCalls) / (opts.rounds + 1);
          const pad = (b.stats.paddedTokens - before.paddedTokens) / (b.stats.tokens - before.tokens);
          console.log(`  ${name.padEnd(22)} ${(opts.sequences / (ms / 1000)).toFixed(1).padStart(8)} seq/s ${((residues / ms) * 1000).toFixed(0).padStart(9)} res/s  ${ms.toFixed(0).padStart(7)} ms  ${calls.toFixed(0)} calls, padded/real tokens ${pad.toFixed(2)}`);
          return ms;
        };
        console.log(`model ${layers} layers x hidden ${hidden} (${(written.bytes / 1e6).toFixed(1)} MB)`);
        const tb = await row('length-bucketed', bucketed);
        const ta = await row('arrival order', arrival);
        const bare = await timed(opts.rounds, await bareLoop(bucketed, seqs, opts.maxLength));
        console.log(`  ${'bare session.run loop'.padEnd(22)} ${(opts.sequences / (bare / 1000)).toFixed(1).padStart(8)} seq/s ${((residues / bare) * 1000).toFixed(0).padStart(9)} res/s  ${bare.toFixed(0).padStart(7)} ms  (same batches as length-bucketed)`);
        console.log(`  bucketed / arrival: ${(ta / tb).toFixed(2)}x (target >= 1.5x); backend / bare loop: ${(bare / tb).toFixed(2)} (target >= 0.9)`);
      } finally {
        await bucketed.close();
        await arrival.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
