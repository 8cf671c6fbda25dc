// The embedder stage's own logic, without Kafka: which (sequence, config)
// pairs it embeds, the messages it makes of a backend's vectors, recipe
// options and replay progress.
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddingBackend, EmbeddingRecipe } from '../../processors/embedder/backend.js';
import { embedRecords, vectorBytes, type OpenConfig } from '../../processors/embedder/processor.js';
import { DEFAULT_KMER_MAX_LENGTH, DEFAULT_KMER_MODEL, recipeFromInput } from '../../processors/embedder/recipe.js';
import { rangeProgress } from '../../processors/embedder/replay.js';
import type { SequenceRecord } from '../../schemas/generated/types.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

/** A backend that embeds a sequence as [length, first char code] and logs what it was asked. */
function lengthBackend(id: string, calls: string[][], chunk?: number): OpenConfig {
  const backend: EmbeddingBackend = {
    backend: 'kmer',
    device: 'cpu',
    dim: 2,
    async embed(seqs) {
      calls.push([...seqs]);
      return seqs.map((s) => {
        if (chunk === undefined) return { chunks: [{ start: 0, end: null, vector: new Float32Array([s.length, s.charCodeAt(0)]) }], truncatedAt: null };
        const chunks = [];
        for (let i = 0; i < s.length; i += chunk) chunks.push({ start: i, end: Math.min(s.length, i + chunk), vector: new Float32Array([Math.min(s.length, i + chunk) - i, s.charCodeAt(i)]) });
        return { chunks, truncatedAt: null };
      });
    },
    async close() {},
  };
  return { recipe: { id } as EmbeddingRecipe, backend };
}

const seq = (md5: string, sequence: string, job: string | null = null): { value: SequenceRecord } => ({ value: { md5, sequence, length: sequence.length, first_seen_job_id: job } });

t.test('each sequence is embedded once per config it lacks, shortest first, and its messages go with its first record', async (t) => {
  const callsA: string[][] = [];
  const callsB: string[][] = [];
  const records = [seq('m1', 'MKVLAAG', 'job-1'), seq('m2', 'MA'), seq('m1', 'MKVLAAG'), seq('m3', 'MKKK')];
  const done = new Set([`m3|${B}`]);
  const out = await embedRecords(records, [lengthBackend(A, callsA), lengthBackend(B, callsB, 3)], done, { topic: 'emb' });
  t.same(callsA, [['MA', 'MKKK', 'MKVLAAG']], 'config A: the three distinct sequences, shortest first, in one call');
  t.same(callsB, [['MA', 'MKVLAAG']], 'config B: m3 is already stored under it');
  t.ok(Array.isArray(out[2]) && (out[2] as unknown[]).length === 0, 'the repeated m1 carries no messages: its first record does');
  const keys = (i: number) => (out[i] as { key: string }[]).map((o) => o.key);
  t.same(keys(0), [`m1|${A}`, `m1|${B}`, `m1|${B}`, `m1|${B}`], 'm1: one message under A, three chunks under B (7 residues in chunks of 3)');
  const m1b = (out[0] as { value: { chunk_index_s: number; chunk_index_e: number | null; job_id: string | null; dim: number; vector: Buffer } }[]).slice(1);
  t.same(m1b.map((m) => [m.value.chunk_index_s, m.value.chunk_index_e]), [[0, 3], [3, 6], [6, 7]], 'chunk bounds as the backend gave them');
  t.ok(m1b.every((m) => m.value.job_id === 'job-1' && m.value.dim === 2 && m.value.vector.length === 8), "the sequence's first job; 4 bytes per dimension");
  t.same(keys(3), [`m3|${A}`]);
});

t.test('a replay job id replaces the sequence job on every message', async (t) => {
  const out = await embedRecords([seq('m1', 'MKV', 'job-1')], [lengthBackend(A, [])], new Set(), { topic: 'emb', jobId: 'replay-9' });
  t.equal((out[0] as { value: { job_id: string } }[])[0]!.value.job_id, 'replay-9');
});

t.test('a backend failure escapes: the runner bisects it to the sequence that fails', async (t) => {
  const broken: OpenConfig = {
    recipe: { id: A } as EmbeddingRecipe,
    backend: { backend: 'esm', device: 'cpu', dim: 1, embed: async () => { throw new ProteaError('EMBEDDING_FAILED', 'boom'); }, close: async () => {} },
  };
  await t.rejects(embedRecords([seq('m1', 'MKV')], [broken], new Set(), { topic: 'emb' }), { code: 'PROTEA_ERR_EMBEDDING_FAILED' });
});

t.test('vectors go on the wire as float32 little-endian', async (t) => {
  const b = vectorBytes(new Float32Array([1, -2.5, 0]));
  t.same([...b], [0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0, 0, 0, 0, 0]);
  // a vector that is a view into a larger buffer (as pooled outputs are): only its own bytes, copied
  const whole = new Float32Array([7, 1, -2.5, 9]);
  const view = vectorBytes(whole.subarray(1, 3));
  t.same([...view], [0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]);
  whole[1] = 0;
  t.equal(view.readFloatLE(0), 1, 'the bytes are a copy: later writes to the vector do not reach the message');
});

t.test('recipe options: defaults, allowed values and the rules between fields, each naming the option', async (t) => {
  const d = recipeFromInput({});
  t.same(d, {
    modelName: DEFAULT_KMER_MODEL, modelBackend: 'kmer', layerIndices: [0], layerAgg: 'mean', pooling: 'mean', normalize: true, normalizeResidues: false,
    maxLength: DEFAULT_KMER_MAX_LENGTH, useChunking: false, chunkSize: 512, chunkOverlap: 0, description: null,
  }, 'no options: the k-mer default');
  t.equal(recipeFromInput({ backend: 'auto', model: 'esm2' }, 1022).modelBackend, 'esm', 'auto is esm');
  t.equal(recipeFromInput({ backend: 'esm', model: 'esm2' }, 1022).maxLength, 1022, "an ONNX model's maximum length is the default");
  t.same(recipeFromInput({ layers: '0, 2,5' }).layerIndices, [0, 2, 5]);
  const bad: [Parameters<typeof recipeFromInput>[0], string, number?][] = [
    [{ backend: 'bert' }, '--backend'],
    [{ backend: 'esm' }, '--model'],
    [{ layers: '0,-1' }, '--layers'],
    [{ layers: '1,1' }, '--layers'],
    [{ pooling: 'sum' }, '--pooling'],
    [{ layerAgg: 'max' }, '--layer-agg'],
    [{ maxLength: '0' }, '--max-length'],
    [{ backend: 'esm', model: 'm', maxLength: '2000' }, '--max-length', 1022],
    [{ chunkSize: '10', chunkOverlap: '10' }, '--chunk-overlap'],
    [{ chunking: true, chunkSize: '600', maxLength: '500' }, '--chunk-size'],
  ];
  for (const [input, field, max] of bad) {
    t.throws(() => recipeFromInput(input, max), { code: 'PROTEA_ERR_EMBEDDING_CONFIG_INVALID', context: { field } }, `${JSON.stringify(input)} names ${field}`);
  }
});

t.test('replay progress: the share of each partition range read, compacted starts included', async (t) => {
  const ranges = [{ partition: 0, low: 10n, high: 20n }, { partition: 1, low: 0n, high: 0n }, { partition: 2, low: 0n, high: 30n }];
  t.same(rangeProgress(ranges, new Map()), { done: 0, total: 40 });
  t.same(rangeProgress(ranges, new Map([[0, 15n], [2, 30n]])), { done: 35, total: 40 });
  t.same(rangeProgress(ranges, new Map([[0, 25n], [2, 31n]])), { done: 40, total: 40 }, 'offsets past the snapshot count as done, not more');
});
