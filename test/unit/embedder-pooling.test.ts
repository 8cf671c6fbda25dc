import t, { type Test } from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { l2Normalize, pooledDim, poolSpans, selectLayers, type PoolingRecipe, type SequenceStates } from '../../processors/embedder/pooling.js';

const close = (t: Test, got: Float32Array, want: number[], msg: string) => {
  t.equal(got.length, want.length, `${msg}: length`);
  t.ok(want.every((w, i) => Math.abs(got[i]! - w) < 1e-6), `${msg}: got [${Array.from(got).join(', ')}], want [${want.join(', ')}]`);
};

// one sequence, 2 selected layers, hidden 2, tokens: CLS, r0, r1, r2, EOS
const A = Float32Array.from([9, 9, /* r */ 1, 0, 3, 4, 0, 0, /* eos */ 7, 7]);
const B = Float32Array.from([1, 3, /* r */ 3, 2, 1, 0, 0, 0, /* eos */ 5, 5]);
const states = (layers: Float32Array[] = [A, B]): SequenceStates => ({ layers, offset: 0, hidden: 2, residueStart: 1, residueCount: 3, clsPosition: 0 });
const recipe = (p: Partial<PoolingRecipe>): PoolingRecipe => ({ layerAgg: 'mean', pooling: 'mean', normalize: false, normalizeResidues: false, ...p });

t.test('reverse layer indices: 0 is the last hidden state, the highest is the embedding output', async (t) => {
  t.same(selectLayers([0], 3), [2]);
  t.same(selectLayers([0, 1, 2], 3), [2, 1, 0]);
  t.same(selectLayers([2, 0], 3), [0, 2], 'order kept');
});

t.test('a layer index past the model\'s hidden states is EMBEDDING_CONFIG_INVALID naming layer_indices', async (t) => {
  for (const bad of [[3], [-1], [0.5], []]) {
    try {
      selectLayers(bad, 3);
      t.fail(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      t.equal((err as ProteaError).key, 'EMBEDDING_CONFIG_INVALID');
      t.equal((err as ProteaError).context.field, 'layer_indices');
    }
  }
});

t.test('mean aggregation then mean / max / mean_max over residues only (CLS and EOS stripped)', async (t) => {
  // aggregated residue rows: r0 (2,1), r1 (2,2), r2 (0,0)
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({}))[0]!, [4 / 3, 1], 'mean');
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ pooling: 'max' }))[0]!, [2, 2], 'max');
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ pooling: 'mean_max' }))[0]!, [4 / 3, 1, 2, 2], 'mean_max');
});

t.test('concat aggregation puts the layers side by side in layer_indices order', async (t) => {
  // rows: r0 (1,0,3,2), r1 (3,4,1,0), r2 (0,0,0,0)
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ layerAgg: 'concat' }))[0]!, [4 / 3, 4 / 3, 4 / 3, 2 / 3], 'mean');
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ layerAgg: 'concat', pooling: 'max' }))[0]!, [3, 4, 3, 2], 'max');
  close(t, poolSpans(states([B, A]), [{ start: 0, end: 2 }], recipe({ layerAgg: 'concat' }))[0]!, [2, 1, 2, 2], 'swapped order, first two residues');
});

t.test('cls pooling reads position 0 of the raw states, aggregated like the residues', async (t) => {
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ pooling: 'cls' }))[0]!, [5, 6], 'mean of (9,9) and (1,3)');
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ pooling: 'cls', layerAgg: 'concat' }))[0]!, [9, 9, 1, 3], 'concat');
});

t.test('cls pooling on a model without a CLS token is EMBEDDING_CONFIG_INVALID naming pooling', async (t) => {
  try {
    poolSpans({ ...states(), clsPosition: null }, [{ start: 0, end: 3 }], recipe({ pooling: 'cls' }));
    t.fail('accepted');
  } catch (err) {
    t.equal((err as ProteaError).context.field, 'pooling');
  }
});

t.test('normalize_residues L2-normalises each residue after aggregation, and a zero residue stays zero', async (t) => {
  // rows r0 (2,1)/sqrt5, r1 (2,2)/sqrt8, r2 (0,0)
  const s5 = Math.sqrt(5);
  const s8 = Math.sqrt(8);
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ normalizeResidues: true }))[0]!, [(2 / s5 + 2 / s8) / 3, (1 / s5 + 2 / s8) / 3], 'mean');
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ normalizeResidues: true, pooling: 'max' }))[0]!, [2 / s5, 2 / s8], 'max');
  close(t, poolSpans(states(), [{ start: 2, end: 3 }], recipe({ normalizeResidues: true }))[0]!, [0, 0], 'zero residue: no NaN');
});

t.test('normalize L2-normalises the final vector (mean_max as a whole); a zero vector stays zero', async (t) => {
  const n = Math.sqrt((16 / 9) + 1 + 4 + 4);
  close(t, poolSpans(states(), [{ start: 0, end: 3 }], recipe({ pooling: 'mean_max', normalize: true }))[0]!, [4 / 3 / n, 1 / n, 2 / n, 2 / n], 'mean_max');
  close(t, poolSpans(states(), [{ start: 2, end: 3 }], recipe({ normalize: true, normalizeResidues: true }))[0]!, [0, 0], 'zero');
  const v = new Float32Array(3);
  l2Normalize(v);
  t.same(Array.from(v), [0, 0, 0]);
});

t.test('one vector per span, from residue positions (0 = first residue)', async (t) => {
  const out = poolSpans(states(), [{ start: 0, end: 2 }, { start: 1, end: 3 }], recipe({}));
  close(t, out[0]!, [2, 1.5], 'r0..r1');
  close(t, out[1]!, [1, 1], 'r1..r2');
});

t.test('vector length: concat multiplies by the layers, mean_max by two', async (t) => {
  t.equal(pooledDim(320, 3, { layerAgg: 'mean', pooling: 'mean' }), 320);
  t.equal(pooledDim(320, 3, { layerAgg: 'concat', pooling: 'mean' }), 960);
  t.equal(pooledDim(320, 3, { layerAgg: 'concat', pooling: 'mean_max' }), 1920);
});

t.test('mean over spans longer than eight residues (the rows are summed eight at a time): every row counted once', async (t) => {
  // one layer, hidden 2, no CLS/EOS: residue i holds (i + 1, -(i + 1) / 2), 21 residues (8 + 8 + 5)
  const n = 21;
  const layer = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) [layer[2 * i], layer[2 * i + 1]] = [i + 1, -(i + 1) / 2];
  const s: SequenceStates = { layers: [layer], offset: 0, hidden: 2, residueStart: 0, residueCount: n, clsPosition: null };
  const [all, tail, eight, nine] = poolSpans(s, [{ start: 0, end: 21 }, { start: 3, end: 20 }, { start: 5, end: 13 }, { start: 12, end: 21 }], recipe({}));
  close(t, all!, [11, -5.5], 'residues 1..21: mean 11');
  close(t, tail!, [12, -6], 'residues 4..20 (8 + 8 + 1): mean 12');
  close(t, eight!, [9.5, -4.75], 'residues 6..13, exactly eight: mean 9.5');
  close(t, nine!, [17, -8.5], 'residues 13..21 (8 + 1): mean 17');
  // the same through two layers (mean aggregation copies the rows first) and the same origin offset in a batch
  const twice = new Float32Array(4 * n + 6);
  twice.set(layer, 6);
  const batch: SequenceStates = { layers: [twice, twice], offset: 6, hidden: 2, residueStart: 0, residueCount: n, clsPosition: null };
  close(t, poolSpans(batch, [{ start: 3, end: 20 }], recipe({}))[0]!, [12, -6], 'two layers, offset in a batch output');
});

t.test('a long mean keeps float64 accuracy: 1,000 residues of 0.1 plus one of 1e4', async (t) => {
  const n = 1001;
  const layer = new Float32Array(n).fill(0.1);
  layer[500] = 1e4;
  const s: SequenceStates = { layers: [layer], offset: 0, hidden: 1, residueStart: 0, residueCount: n, clsPosition: null };
  const got = poolSpans(s, [{ start: 0, end: n }], recipe({}))[0]![0]!;
  const want = Math.fround((1000 * Math.fround(0.1) + 1e4) / n);
  t.equal(got, want, `mean ${got}, want ${want} (the float32 of the exact mean)`);
});
