// The ONNX backend end to end on generated models (no weights fetched). The
// "ladder" model has hidden size 2 and 2 layers; for a real token with id t
// its hidden state l is (t + 0.5 l, -t + 0.5 l), padding and masked tokens
// are 0, so every expected vector below is worked out by hand from ESM-2 ids
// (<cls>=0 <eos>=2 L=4 A=5 G=6 V=7 S=8 E=9 R=10 T=11 I=12 D=13 P=14).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddingRecipe } from '../../processors/embedder/backend.js';
import { openOnnxBackend } from '../../processors/embedder/onnx-backend.js';
import { openSessionCount } from '../../processors/embedder/onnx-session.js';
import { writeTestModel } from '../../processors/embedder/test-model.js';
import { testRecipe } from '../helpers/embedding-recipe.js';

let dir = '';
t.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'protea-onnx-'));
  await writeTestModel(dir, { layers: 2, hidden: 2, weights: 'ladder', name: 'ladder' });
  await writeTestModel(dir, { layers: 2, hidden: 2, weights: 'ladder', name: 'ladder-t5', tokenizer: 't5' });
  await writeTestModel(dir, { layers: 2, hidden: 2, weights: 'ladder', name: 'ladder-short', maxLength: 4 });
  await writeTestModel(dir, { layers: 3, hidden: 8, seed: 7, name: 'random' });
});
t.teardown(() => rm(dir, { recursive: true, force: true }));

const recipe = (r: Partial<EmbeddingRecipe> = {}): EmbeddingRecipe => testRecipe({ modelName: 'ladder', modelBackend: 'esm', ...r });

const near = (t: Test, got: Float32Array | undefined, want: number[], msg: string) =>
  t.ok(got !== undefined && got.length === want.length && want.every((w, i) => Math.abs(got[i]! - w) < 1e-5), `${msg}: got [${got ? Array.from(got).join(', ') : '-'}], want [${want.join(', ')}]`);

async function embedOne(r: Partial<EmbeddingRecipe>, seq: string) {
  const b = await openOnnxBackend(recipe(r), { modelsDir: dir, device: 'cpu', tokenBudget: 8192 });
  try {
    return { out: (await b.embed([seq]))[0]!, dim: b.dim, device: b.device, backend: b.backend };
  } finally {
    await b.close();
  }
}

async function configError(t: Test, r: Partial<EmbeddingRecipe>, opts: { device?: 'cpu' | 'cuda' } = {}): Promise<ProteaError> {
  try {
    const b = await openOnnxBackend(recipe(r), { modelsDir: dir, device: opts.device ?? 'cpu' });
    await b.close();
  } catch (err) {
    t.ok(err instanceof ProteaError, 'a ProteaError');
    return err as ProteaError;
  }
  t.fail('opened');
  return new ProteaError('USAGE', 'unreachable');
}

// "LAG", layer_indices [0, 2] = last state (+1.0) and embedding output (+0):
//   mean agg rows L (4.5,-3.5) A (5.5,-4.5) G (6.5,-5.5); CLS (0.5, 0.5)
//   concat rows   L (5,-3,4,-4) A (6,-4,5,-5) G (7,-5,6,-6); CLS (1,1,0,0)
const EVERY_COMBINATION: [EmbeddingRecipe['layerAgg'], EmbeddingRecipe['pooling'], number[]][] = [
  ['mean', 'mean', [5.5, -4.5]],
  ['mean', 'max', [6.5, -3.5]],
  ['mean', 'cls', [0.5, 0.5]],
  ['mean', 'mean_max', [5.5, -4.5, 6.5, -3.5]],
  ['concat', 'mean', [6, -4, 5, -5]],
  ['concat', 'max', [7, -3, 6, -4]],
  ['concat', 'cls', [1, 1, 0, 0]],
  ['concat', 'mean_max', [6, -4, 5, -5, 7, -3, 6, -4]],
];

t.test('every layer_agg x pooling combination gives the hand-computed vector', async (t) => {
  for (const [layerAgg, pooling, want] of EVERY_COMBINATION) {
    const { out, dim } = await embedOne({ layerIndices: [0, 2], layerAgg, pooling }, 'LAG');
    t.equal(dim, want.length, `${layerAgg} x ${pooling}: dim`);
    t.equal(out.chunks.length, 1);
    t.same([out.chunks[0]!.start, out.chunks[0]!.end, out.truncatedAt], [0, null, null], 'no chunking: start 0, end null, not cut');
    near(t, out.chunks[0]!.vector, want, `${layerAgg} x ${pooling}`);
  }
});

t.test('reverse layer indices pick the last, the one before, and the embedding output; concat keeps their order', async (t) => {
  near(t, (await embedOne({ layerIndices: [0] }, 'LAG')).out.chunks[0]!.vector, [6, -4], '0 = last');
  near(t, (await embedOne({ layerIndices: [1] }, 'LAG')).out.chunks[0]!.vector, [5.5, -4.5], '1 = penultimate');
  near(t, (await embedOne({ layerIndices: [2] }, 'LAG')).out.chunks[0]!.vector, [5, -5], '2 = embedding output');
  near(t, (await embedOne({ layerIndices: [2, 0], layerAgg: 'concat' }, 'LAG')).out.chunks[0]!.vector, [5, -5, 6, -4], 'concat [2, 0]');
  const err = await configError(t, { layerIndices: [0, 3] });
  t.equal(err.key, 'EMBEDDING_CONFIG_INVALID');
  t.equal(err.context.field, 'layer_indices');
  t.match(err.message, /3/);
});

t.test('normalize_residues: each residue L2-normalised after layer aggregation, before pooling', async (t) => {
  // last layer rows L (5,-3) A (6,-4) G (7,-5)
  const [l, a, g] = [Math.sqrt(34), Math.sqrt(52), Math.sqrt(74)];
  near(t, (await embedOne({ normalizeResidues: true }, 'LAG')).out.chunks[0]!.vector, [(5 / l + 6 / a + 7 / g) / 3, (-3 / l - 4 / a - 5 / g) / 3], 'mean');
  near(t, (await embedOne({ normalizeResidues: true, pooling: 'max' }, 'LAG')).out.chunks[0]!.vector, [5 / l, -3 / l], 'max: L has the largest of both normalised components');
  // mean of layers 0 and 2 first: L (4.5,-3.5) -> not (5,-3)/|.| averaged with (4,-4)/|.|
  const la = Math.hypot(4.5, 3.5);
  near(t, (await embedOne({ normalizeResidues: true, layerIndices: [0, 2] }, 'L')).out.chunks[0]!.vector, [4.5 / la, -3.5 / la], 'after aggregation');
});

t.test('normalize: the final vector has unit length (mean_max normalised as a whole)', async (t) => {
  const n = Math.hypot(5.5, 4.5, 6.5, 3.5);
  const { out } = await embedOne({ layerIndices: [0, 2], pooling: 'mean_max', normalize: true }, 'LAG');
  near(t, out.chunks[0]!.vector, [5.5 / n, -4.5 / n, 6.5 / n, -3.5 / n], 'mean_max');
  const both = (await embedOne({ normalize: true, normalizeResidues: true }, 'LAG')).out.chunks[0]!.vector;
  t.ok(Math.abs(Math.hypot(...both) - 1) < 1e-6, 'unit length with both flags');
});

t.test('chunks over residue positions with overlap; the last chunk ends at the sequence length', async (t) => {
  // last layer, residue with id t -> (t+1, -t+1); chunk mean = (mean id + 1, -mean id + 1)
  const ten = await embedOne({ useChunking: true, chunkSize: 4, chunkOverlap: 1 }, 'LAGVSERTID');
  t.same(ten.out.chunks.map((c) => [c.start, c.end]), [[0, 4], [3, 7], [6, 10]]);
  near(t, ten.out.chunks[0]!.vector, [6.5, -4.5], 'ids 4..7');
  near(t, ten.out.chunks[1]!.vector, [9.5, -7.5], 'ids 7..10');
  near(t, ten.out.chunks[2]!.vector, [12.5, -10.5], 'ids 10..13');
  const eleven = await embedOne({ useChunking: true, chunkSize: 4, chunkOverlap: 1 }, 'LAGVSERTIDP');
  t.same(eleven.out.chunks.map((c) => [c.start, c.end]), [[0, 4], [3, 7], [6, 10], [9, 11]]);
  near(t, eleven.out.chunks[3]!.vector, [14.5, -12.5], 'last chunk: ids 13, 14');
  t.equal(eleven.out.truncatedAt, null);
});

t.test('a sequence shorter than one chunk is one chunk [0, L)', async (t) => {
  const { out } = await embedOne({ useChunking: true, chunkSize: 4, chunkOverlap: 1 }, 'LAG');
  t.same(out.chunks.map((c) => [c.start, c.end]), [[0, 3]]);
  near(t, out.chunks[0]!.vector, [6, -4], 'whole sequence');
});

t.test('a sequence longer than max_length: the model sees max_length residues and the cut is recorded', async (t) => {
  const off = await embedOne({ maxLength: 5 }, 'LAGVSERTID');
  t.equal(off.out.truncatedAt, 5);
  near(t, off.out.chunks[0]!.vector, [7, -5], 'LAGVS only: mean id 6');
  const on = await embedOne({ maxLength: 5, useChunking: true, chunkSize: 2, chunkOverlap: 0 }, 'LAGVSERTID');
  t.equal(on.out.truncatedAt, 5);
  t.same(on.out.chunks.map((c) => [c.start, c.end]), [[0, 2], [2, 4], [4, 5]], 'chunks end at the residues embedded');
  const card = await embedOne({ modelName: 'ladder-short' }, 'LAGVSERTID');
  t.equal(card.out.truncatedAt, 4, 'the model card\'s max_length caps the recipe\'s');
});

t.test('t5 models: residues then </s>, no CLS; U Z O B read as X; cls pooling refused', async (t) => {
  // ProtT5 ids A=3 X=23; </s> = 1 is stripped: embedding output mean of (3,-3) and (23,-23)
  const { out, backend } = await embedOne({ modelName: 'ladder-t5', modelBackend: 't5', layerIndices: [2] }, 'AU');
  t.equal(backend, 't5');
  near(t, out.chunks[0]!.vector, [13, -13], 'A and X');
  const err = await configError(t, { modelName: 'ladder-t5', modelBackend: 'ankh', pooling: 'cls' });
  t.equal(err.key, 'EMBEDDING_CONFIG_INVALID');
  t.equal(err.context.field, 'pooling');
});

t.test('results come back in input order and do not depend on batching or padding', async (t) => {
  const seqs = ['MKTAYIAKQRQISFVKSHFSRQ', 'LAG', 'WCWCWCWCWCWCWCWCWCWCWCWCWCWCWCW', 'A', 'PEPTIDE'];
  const r = { modelName: 'random', layerIndices: [0, 1, 3], layerAgg: 'concat' as const, pooling: 'mean_max' as const };
  const one = await openOnnxBackend(recipe(r), { modelsDir: dir, device: 'cpu', tokenBudget: 1 });
  const big = await openOnnxBackend(recipe(r), { modelsDir: dir, device: 'cpu', tokenBudget: 100_000 });
  const arrival = await openOnnxBackend(recipe(r), { modelsDir: dir, device: 'cpu', tokenBudget: 40, sortByLength: false });
  t.teardown(async () => Promise.all([one.close(), big.close(), arrival.close()]));
  const [a, b, c] = [await one.embed(seqs), await big.embed(seqs), await arrival.embed(seqs)];
  t.equal(one.stats.modelCalls, 5, 'a budget of 1 token: one sequence per call');
  t.equal(big.stats.modelCalls, 1, 'everything fits one call');
  t.equal(big.stats.paddedTokens, 5 * 33, '5 rows padded to the longest (31 residues + 2)');
  t.equal(arrival.stats.modelCalls, 4, 'arrival order, 40 tokens (rows of 24, 5, 33, 3, 9 tokens): [24] [5] [33] [3, 9]');
  for (let i = 0; i < seqs.length; i++) {
    const want = Array.from(b[i]!.chunks[0]!.vector);
    t.equal(want.length, 8 * 3 * 2);
    near(t, a[i]!.chunks[0]!.vector, want, `seq ${i} alone vs in one batch`);
    near(t, c[i]!.chunks[0]!.vector, want, `seq ${i} in arrival-order batches`);
  }
  t.not(a[0]!.chunks[0]!.vector[0], a[1]!.chunks[0]!.vector[0], 'different sequences, different vectors');
});

t.test('embed() stops between model calls once the signal aborts, with the signal\'s reason', async (t) => {
  const b = await openOnnxBackend(recipe(), { modelsDir: dir, device: 'cpu', tokenBudget: 1 });
  t.teardown(() => b.close());
  const before = new AbortController();
  before.abort(new Error('stop now'));
  await t.rejects(b.embed(['LAG', 'LAG'], before.signal), { message: 'stop now' });
  t.equal(b.stats.modelCalls, 0, 'nothing ran');
  const during = new AbortController();
  const running = b.embed(['LAG', 'LAGV', 'LAGVS'], during.signal);
  during.abort(new Error('rebalance'));
  await t.rejects(running, { message: 'rebalance' });
  t.equal(b.stats.modelCalls, 1, 'the call in flight finished, no other started');
});

t.test('an empty call embeds nothing and makes no model call', async (t) => {
  const b = await openOnnxBackend(recipe(), { modelsDir: dir, device: 'cpu' });
  t.teardown(() => b.close());
  t.same(await b.embed([]), []);
  t.equal(b.stats.modelCalls, 0);
});

t.test('configs over the same model share one session, released with the last close', async (t) => {
  const base = openSessionCount();
  const a = await openOnnxBackend(recipe({ id: 'a' }), { modelsDir: dir, device: 'cpu' });
  const b = await openOnnxBackend(recipe({ id: 'b', pooling: 'max' }), { modelsDir: dir, device: 'cpu' });
  t.equal(openSessionCount(), base + 1);
  await a.close();
  t.equal(openSessionCount(), base + 1, 'still held by b');
  near(t, (await b.embed(['LAG']))[0]!.chunks[0]!.vector, [7, -3], 'b still embeds');
  await b.close();
  t.equal(openSessionCount(), base);
});

t.test('missing or broken model files are EMBEDDING_MODEL_UNAVAILABLE naming the file and field', async (t) => {
  const missing = await configError(t, { modelName: 'nope' });
  t.equal(missing.key, 'EMBEDDING_MODEL_UNAVAILABLE');
  t.equal(missing.context.file, path.join(dir, 'nope.onnx'));
  const card = JSON.parse(await readFile(path.join(dir, 'ladder.json'), 'utf8'));
  await writeTestModel(dir, { layers: 2, hidden: 2, weights: 'ladder', name: 'bad-card' });
  await writeFile(path.join(dir, 'bad-card.json'), JSON.stringify({ ...card, hidden_size: -2 }));
  const bad = await configError(t, { modelName: 'bad-card' });
  t.equal(bad.key, 'EMBEDDING_MODEL_UNAVAILABLE');
  t.equal(bad.context.field, 'hidden_size');
  t.equal(bad.context.file, path.join(dir, 'bad-card.json'));
  await writeFile(path.join(dir, 'bad-card.json'), JSON.stringify({ ...card, output_names: ['hidden_states_0', 'h1', 'h2'] }));
  const names = await configError(t, { modelName: 'bad-card' });
  t.equal(names.context.field, 'output_names');
  t.match(names.message, /h1, h2/);
  await writeFile(path.join(dir, 'bad-card.json'), JSON.stringify({ ...card, hidden_size: 3 }));
  const b = await openOnnxBackend(recipe({ modelName: 'bad-card' }), { modelsDir: dir, device: 'cpu' });
  t.teardown(() => b.close());
  const lie = await b.embed(['LAG']).then(() => null, (e: ProteaError) => e);
  t.equal(lie?.key, 'EMBEDDING_MODEL_UNAVAILABLE', 'a card that lies about the hidden size fails on the first batch');
  t.equal(lie?.context.field, 'output_names');
});

t.test('a model_backend that does not match the card\'s tokenizer is EMBEDDING_CONFIG_INVALID', async (t) => {
  const err = await configError(t, { modelBackend: 't5' });
  t.equal(err.key, 'EMBEDDING_CONFIG_INVALID');
  t.equal(err.context.field, 'model_backend');
  t.equal((await configError(t, { modelBackend: 'kmer' })).context.field, 'model_backend');
  t.equal((await configError(t, { maxLength: 0 })).context.field, 'max_length');
  t.equal((await configError(t, { useChunking: true, chunkSize: 4, chunkOverlap: 4 })).context.field, 'chunk_overlap');
});

t.test('device cpu runs on CPU; device cuda without the CUDA provider fails with a hint; auto falls back to CPU', async (t) => {
  t.equal((await embedOne({}, 'LAG')).device, 'cpu');
  const err = await configError(t, {}, { device: 'cuda' });
  t.equal(err.key, 'EMBEDDING_MODEL_UNAVAILABLE');
  t.match(err.hint, /libonnxruntime_providers_cuda\.so/);
  const b = await openOnnxBackend(recipe(), { modelsDir: dir, device: 'auto' });
  t.teardown(() => b.close());
  t.equal(b.device, 'cpu', 'no CUDA provider on this machine');
});
