// The weight-free k-mer backend: vectors of short sequences computed by hand
// (standard alphabet order ACDEFGHIKLMNPQRSTVWY: A=0, C=1, D=2, E=3, F=4, ...,
// W=18; a 2-mer xy has index 20*x + y), the closed-form IDF, hashing, L2
// normalisation, chunk bounds, truncation at max_length, sequences shorter
// than k, and the recipe fields it refuses.
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddingRecipe } from '../../processors/embedder/backend.js';
import { chunkSpans } from '../../processors/embedder/chunking.js';
import { KMER_DEFAULT_MODEL_NAME, KMER_DEFAULT_RECIPE, KmerBackend, openKmerBackend } from '../../processors/embedder/kmer-backend.js';
import { fmix32, parseKmerModelName } from '../../processors/embedder/kmer-representation.js';
import { testRecipe } from '../helpers/embedding-recipe.js';

const recipe = (over: Partial<EmbeddingRecipe> = {}): EmbeddingRecipe => testRecipe({ modelName: 'kmer-2', modelBackend: 'kmer', ...over });

/** index -> value of the nonzero entries */
function nonzero(v: Float32Array): Record<number, number> {
  const out: Record<number, number> = {};
  v.forEach((x, i) => {
    if (x !== 0) out[i] = x;
  });
  return out;
}

const one = (b: KmerBackend, seq: string) => b.embedOne(seq);

t.test('a 2-mer vector counts each overlapping pair at 20*first + second', async (t) => {
  const b = await openKmerBackend(recipe());
  t.equal(b.dim, 400);
  t.equal(b.backend, 'kmer');
  t.equal(b.device, 'cpu');
  const e = one(b, 'ACAC');
  // AC (1), CA (20), AC (1)
  t.same(nonzero(e.chunks[0]!.vector), { 1: 2, 20: 1 });
  t.same({ start: e.chunks[0]!.start, end: e.chunks[0]!.end, truncatedAt: e.truncatedAt }, { start: 0, end: null, truncatedAt: null });
});

t.test('a k-mer with a letter outside the alphabet is not counted', async (t) => {
  const b = new KmerBackend(recipe());
  // AX, XA skipped; AC counted; BZ skipped; CU, UO skipped
  t.same(nonzero(one(b, 'AXACBZCUO').chunks[0]!.vector), { 1: 1 });
});

t.test('blocks of several k are laid side by side, the shorter k first', async (t) => {
  const b = new KmerBackend(recipe({ modelName: 'kmer-1+2' }));
  t.equal(b.dim, 420);
  // 1-mers A (0), C (1); 2-mer AC at 20 + 1
  t.same(nonzero(one(b, 'AC').chunks[0]!.vector), { 0: 1, 1: 1, 21: 1 });
});

t.test('a reduced alphabet merges the residues of a group', async (t) => {
  const b = new KmerBackend(recipe({ modelName: 'kmer-2-murphy10' }));
  t.equal(b.dim, 100);
  // murphy10 groups: LVIM=0 C=1 A=2 G=3 ST=4 P=5 FYW=6 EDNQ=7 KR=8 H=9
  // LI -> 0*10+0; KR -> 8*10+8; IK -> 0*10+8 ... of "LIKR": LI, IK, KR
  t.same(nonzero(one(b, 'LIKR').chunks[0]!.vector), { 0: 1, 8: 1, 88: 1 });
  const d = new KmerBackend(recipe({ modelName: 'kmer-1-dayhoff6' }));
  t.equal(d.dim, 6);
  // dayhoff6: AGPST=0 C=1 DENQ=2 FWY=3 HKR=4 ILMV=5
  t.same(nonzero(one(d, 'GSWKL').chunks[0]!.vector), { 0: 2, 3: 1, 4: 1, 5: 1 });
});

t.test('normalize scales each vector to unit length', async (t) => {
  const b = new KmerBackend(recipe({ modelName: 'kmer-1', normalize: true }));
  const v = one(b, 'AAC').chunks[0]!.vector;
  // counts A 2, C 1: norm sqrt(5)
  t.ok(Math.abs(v[0]! - 2 / Math.sqrt(5)) < 1e-7);
  t.ok(Math.abs(v[1]! - 1 / Math.sqrt(5)) < 1e-7);
  t.same(Object.keys(nonzero(v)), ['0', '1']);
});

t.test('tfidf weighs a k-mer by 1 + ln(1/q), q its expected document frequency under the Swiss-Prot composition', async (t) => {
  const b = new KmerBackend(recipe({ modelName: 'kmer-3-tfidf' }));
  // the composition table sums to 99.91 (%); W is 1.10; WWW is 18*400 + 18*20 + 18 = 7578
  const p = (1.1 / 99.91) ** 3;
  const q = 1 - (1 - p) ** (360 - 3 + 1);
  const v = one(b, 'WWWW').chunks[0]!.vector;
  t.same(Object.keys(nonzero(v)), ['7578']);
  t.ok(Math.abs(v[7578]! - 2 * (1 + Math.log(1 / q))) < 1e-4, `${v[7578]} vs ${2 * (1 + Math.log(1 / q))}`);
  // a common 1-mer is weighted just above 1: A is 8.25%, q = 1 - (1-p)^360 is 1 - 4e-14
  const a = one(new KmerBackend(recipe({ modelName: 'kmer-1-tfidf' })), 'A').chunks[0]!.vector;
  t.ok(a[0]! >= 1 && a[0]! < 1 + 1e-6);
});

t.test('hashing folds k-mer i into (fmix32(i) >>> 1) mod D with the sign of fmix32(i)', async (t) => {
  // MurmurHash3 fmix32: 0 -> 0; 1 -> 0x514e28b7 (odd: minus, bucket 11 of 16); 2 -> 0x30f4c306 (even: plus, bucket 3)
  t.equal(fmix32(0), 0);
  t.equal(fmix32(1), 0x514e28b7);
  t.equal(fmix32(2), 0x30f4c306);
  const b = new KmerBackend(recipe({ modelName: 'kmer-1-h16' }));
  t.equal(b.dim, 16);
  t.same(nonzero(one(b, 'ACD').chunks[0]!.vector), { 0: 1, 11: -1, 3: 1 });
});

t.test('a sequence shorter than k gives a zero vector, also normalised (never NaN)', async (t) => {
  const b = new KmerBackend(recipe({ modelName: 'kmer-3-tfidf', normalize: true }));
  for (const seq of ['', 'A', 'AC', 'AXC']) {
    const v = one(b, seq).chunks[0]!.vector;
    t.equal(v.length, 8000);
    t.ok(v.every((x) => x === 0), `${JSON.stringify(seq)} gives zeros`);
  }
});

t.test('chunk windows step chunk_size - overlap and the last ends at the sequence length', async (t) => {
  t.same(chunkSpans(10, 4, 1), [{ start: 0, end: 4 }, { start: 3, end: 7 }, { start: 6, end: 10 }]);
  t.same(chunkSpans(11, 4, 1), [{ start: 0, end: 4 }, { start: 3, end: 7 }, { start: 6, end: 10 }, { start: 9, end: 11 }]);
  t.same(chunkSpans(8, 4, 0), [{ start: 0, end: 4 }, { start: 4, end: 8 }]);
  t.same(chunkSpans(4, 4, 2), [{ start: 0, end: 4 }]);
  t.same(chunkSpans(3, 4, 1), [{ start: 0, end: 3 }]);
  t.same(chunkSpans(0, 4, 1), [{ start: 0, end: 0 }]);
});

t.test('with chunking each chunk counts only the k-mers inside it; max_length still cuts', async (t) => {
  const b = new KmerBackend(recipe({ useChunking: true, chunkSize: 3, chunkOverlap: 1 }));
  const e = one(b, 'ACDEF');
  t.equal(e.truncatedAt, null);
  // [0,3) ACD: AC 1, CD 22; [2,5) DEF: DE 43, EF 64 (CD and DE straddle no boundary twice)
  t.same(
    e.chunks.map((c) => ({ start: c.start, end: c.end, v: nonzero(c.vector) })),
    [
      { start: 0, end: 3, v: { 1: 1, 22: 1 } },
      { start: 2, end: 5, v: { 43: 1, 64: 1 } },
    ],
  );
  // a last chunk shorter than k: "ACDE" with size 3 overlap 0 -> [0,3) ACD, [3,4) E: zero vector
  const short = new KmerBackend(recipe({ useChunking: true, chunkSize: 3, chunkOverlap: 0, normalize: true })).embedOne('ACDE');
  t.same(short.chunks.map((c) => [c.start, c.end]), [[0, 3], [3, 4]]);
  t.ok(short.chunks[1]!.vector.every((x) => x === 0));
  // cut at 4 residues, then chunked: ACD | DE; F is not embedded
  const cut = one(new KmerBackend(recipe({ useChunking: true, chunkSize: 3, chunkOverlap: 1, maxLength: 4 })), 'ACDEF');
  t.equal(cut.truncatedAt, 4);
  t.same(cut.chunks.map((c) => ({ start: c.start, end: c.end, v: nonzero(c.vector) })), [{ start: 0, end: 3, v: { 1: 1, 22: 1 } }, { start: 2, end: 4, v: { 43: 1 } }]);
});

t.test('without chunking a sequence longer than max_length is cut there and says so', async (t) => {
  const b = new KmerBackend(recipe({ maxLength: 3 }));
  const e = one(b, 'ACDEF');
  t.equal(e.truncatedAt, 3);
  t.same(nonzero(e.chunks[0]!.vector), { 1: 1, 22: 1 });
  t.equal(one(b, 'ACD').truncatedAt, null);
});

t.test('embed returns one result per input, in order, and stops on an aborted signal', async (t) => {
  const b = new KmerBackend(recipe());
  const out = await b.embed(['AC', 'CA', 'AC']);
  t.same(out.map((e) => nonzero(e.chunks[0]!.vector)), [{ 1: 1 }, { 20: 1 }, { 1: 1 }]);
  // deterministic: the same input gives the same bytes
  t.same(Buffer.from(out[0]!.chunks[0]!.vector.buffer), Buffer.from(out[2]!.chunks[0]!.vector.buffer));
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await t.rejects(b.embed(['AC'], ac.signal), { message: 'stop' });
});

t.test('recipe fields a k-mer model cannot honour are EMBEDDING_CONFIG_INVALID naming the field', async (t) => {
  const cases: Array<[Partial<EmbeddingRecipe>, string]> = [
    [{ modelBackend: 'esm' }, 'model_backend'],
    [{ layerIndices: [1] }, 'layer_indices'],
    [{ layerIndices: [0, 1] }, 'layer_indices'],
    [{ layerAgg: 'concat' }, 'layer_agg'],
    [{ pooling: 'max' }, 'pooling'],
    [{ pooling: 'cls' }, 'pooling'],
    [{ normalizeResidues: true }, 'normalize_residues'],
    [{ maxLength: 0 }, 'max_length'],
    [{ chunkSize: 0 }, 'chunk_size'],
    [{ chunkSize: 4, chunkOverlap: 4 }, 'chunk_overlap'],
    [{ chunkOverlap: -1 }, 'chunk_overlap'],
    [{ modelName: 'esm2_t6_8M' }, 'model_name'],
    [{ modelName: 'kmer-6' }, 'model_name'],
    [{ modelName: 'kmer-0' }, 'model_name'],
    [{ modelName: 'kmer-3+2' }, 'model_name'],
    [{ modelName: 'kmer-2+2' }, 'model_name'],
    [{ modelName: 'kmer-3-foo' }, 'model_name'],
    [{ modelName: 'kmer-3-standard' }, 'model_name'],
    [{ modelName: 'kmer-3-tfidf-murphy10' }, 'model_name'],
    [{ modelName: 'kmer-3-h8' }, 'model_name'],
    [{ modelName: 'kmer-1-h20' }, 'model_name'],
  ];
  for (const [over, field] of cases) {
    try {
      new KmerBackend(recipe(over));
      t.fail(`${JSON.stringify(over)} was accepted`);
    } catch (err) {
      t.ok(err instanceof ProteaError && err.key === 'EMBEDDING_CONFIG_INVALID', `${JSON.stringify(over)}: EMBEDDING_CONFIG_INVALID`);
      t.equal((err as ProteaError).context.field, field, `${JSON.stringify(over)} names ${field}`);
    }
  }
  const opened = await openKmerBackend(recipe({ pooling: 'mean_max' })).then(
    () => null,
    (err: unknown) => err,
  );
  t.equal((opened as ProteaError | null)?.key, 'EMBEDDING_CONFIG_INVALID', 'openKmerBackend rejects too');
});

t.test('model names and their dimensions', async (t) => {
  const dims: Record<string, number> = {
    'kmer-1': 20,
    'kmer-3': 8000,
    'kmer-3-tfidf': 8000,
    'kmer-2+3-tfidf': 8400,
    'kmer-3-murphy10-tfidf': 1000,
    'kmer-5-dayhoff6': 7776,
    'kmer-3-tfidf-h2048': 2048,
    'kmer-4-murphy10-h1024': 1024,
  };
  for (const [name, dim] of Object.entries(dims)) t.equal(parseKmerModelName(name).dim, dim, name);
});

t.test('the default recipe opens, normalises, and cuts no UniProt-sized sequence', async (t) => {
  const b = await openKmerBackend({ ...KMER_DEFAULT_RECIPE, id: 'default' });
  t.equal(b.spec.modelName, KMER_DEFAULT_MODEL_NAME);
  const e = b.embedOne('M' + 'ACDEFGHIKLMNPQRSTVWY'.repeat(1800));
  t.equal(e.truncatedAt, null);
  const v = e.chunks[0]!.vector;
  t.equal(v.length, b.dim);
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  t.ok(Math.abs(norm - 1) < 1e-5, `unit length (${norm})`);
});
