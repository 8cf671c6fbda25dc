// Behaviour tests for the faiss-node native binding built by stack/build-faiss.mjs
// against the system libfaiss. faiss-node is CommonJS with `module.exports =`,
// so Node cannot see named ESM exports; load it with require.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { FlatIndexWriter } from '../../processors/predictor/flat-index-file.js';

const require = createRequire(import.meta.url);
const faiss = require('faiss-node') as typeof import('faiss-node');

const EPS = 1e-5;

/** Element-wise approximate equality with a readable failure message. */
function closeTo(t: Test, actual: number[], expected: number[], msg: string): void {
  t.equal(actual.length, expected.length, `${msg}: length`);
  const worst = Math.max(0, ...expected.map((e, i) => Math.abs((actual[i] ?? Number.NaN) - e)));
  t.ok(worst < EPS, `${msg}: ${JSON.stringify(actual)} ≈ ${JSON.stringify(expected)}`);
}

const normalize = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

t.test('IndexFlatL2 returns nearest neighbours with squared L2 distances, in order', (t) => {
  const index = new faiss.IndexFlatL2(2);
  // labels 0..3
  index.add([0, 0, 1, 0, 0, 2, 3, 3]);
  t.equal(index.ntotal(), 4);
  t.equal(index.getDimension(), 2);

  // query (0.9, 0.1): d²→#1 = .01+.01, #0 = .81+.01, #2 = .81+3.61, #3 = 4.41+8.41
  const r = index.search([0.9, 0.1], 4);
  t.same(r.labels, [1, 0, 2, 3]);
  closeTo(t, r.distances, [0.02, 0.82, 4.42, 12.82], 'L2 distances');

  // two queries at once, k=2: results are concatenated per query
  const r2 = index.search([3, 2.5, 0, 1.5], 2);
  t.same(r2.labels, [3, 2, 2, 0]);
  // (3,2.5): #3 = 0+.25, #2 = 9+.25 ; (0,1.5): #2 = .25, #0 = 2.25
  closeTo(t, r2.distances, [0.25, 9.25, 0.25, 2.25], 'L2 batch distances');
  t.end();
});

t.test('IndexFlatIP over L2-normalised vectors returns cosine similarities', (t) => {
  const vecs = [
    [1, 0, 0],
    [1, 1, 0],
    [0, 1, 1],
    [-1, 0, 0],
  ].map(normalize);
  const index = new faiss.IndexFlatIP(3);
  index.add(vecs.flat());
  t.equal(index.ntotal(), 4);
  t.equal(index.getDimension(), 3);

  // q = x-axis: cos = 1, 1/√2, 0, -1 (descending inner product)
  const r = index.search([1, 0, 0], 4);
  t.same(r.labels, [0, 1, 2, 3]);
  closeTo(t, r.distances, [1, Math.SQRT1_2, 0, -1], 'cosines for x-axis');

  // q = (0,1,1)/√2: cos with #2 = 1, #1 = 1/2
  const r2 = index.search(normalize([0, 1, 1]), 2);
  t.same(r2.labels, [2, 1]);
  closeTo(t, r2.distances, [1, 0.5], 'cosines for (0,1,1)');
  t.end();
});

t.test('ntotal() and getDimension() track adds', (t) => {
  const index = new faiss.IndexFlatL2(5);
  t.equal(index.getDimension(), 5);
  t.equal(index.ntotal(), 0);
  index.add([1, 2, 3, 4, 5]);
  t.equal(index.ntotal(), 1);
  index.add(Array.from({ length: 15 }, (_, i) => i)); // three more
  t.equal(index.ntotal(), 4);
  t.equal(index.getDimension(), 5);
  t.end();
});

t.test('wrong dimensions and bad input throw', (t) => {
  const index = new faiss.IndexFlatL2(3);
  index.add([1, 2, 3]);
  t.throws(() => index.add([1, 2, 3, 4]), /Invalid the given array length/, 'add of a 4-d vector into a 3-d index');
  t.throws(() => index.add([1, 2]), /Invalid the given array length/, 'add of a 2-d vector into a 3-d index');
  t.equal(index.ntotal(), 1, 'failed adds leave the index unchanged');
  t.throws(() => index.search([1, 2], 1), /Invalid the given array length/, 'search with a wrong-dimension query');
  t.throws(() => index.search([1, 2, 3], 2), /Invalid the number of k/, 'k greater than ntotal');
  // a C++ faiss::FaissException must surface as a JS error (exceptions enabled, not an abort)
  t.throws(() => faiss.Index.fromFactory(3, 'NoSuchIndexType'), Error, 'bad factory descriptor');
  t.end();
});

t.test('a flat index written without faiss (flat-index-file.ts) is byte for byte what faiss writes, and faiss reads it back', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-flat-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const vectors = [0.5, -1, 2, 0.25, 3, -0.125, 7, 8, 9, 1e-3, 0, -4]; // four 3-d vectors
  for (const [metric, made] of [['inner_product', new faiss.IndexFlatIP(3)], ['l2', new faiss.IndexFlatL2(3)]] as const) {
    made.add(vectors);
    const writer = new FlatIndexWriter(dir, 3, metric);
    // in two appends, as a streamed build does
    writer.add(Float32Array.from(vectors.slice(0, 3)), 1);
    writer.add(Float32Array.from(vectors.slice(3)), 3);
    const file = path.join(dir, `${metric}.faiss`);
    writer.finish(file);
    t.same(readFileSync(file), made.toBuffer(), `${metric}: the same bytes as faiss's own serialisation`);
    const read = faiss.Index.read(file);
    t.equal(read.ntotal(), 4);
    const hit = read.search([7, 8, 9], 1);
    t.same(hit.labels, [2], `${metric}: faiss searches the file`);
  }
  t.same(readdirSync(dir).filter((f) => f.startsWith('.tmp-')), [], 'no temporary file left');
  const given = new FlatIndexWriter(dir, 3, 'l2');
  given.add(Float32Array.from([1, 2, 3]));
  given.abort();
  t.same(readdirSync(dir).filter((f) => f.startsWith('.tmp-')), [], 'an aborted build leaves no file');
  t.end();
});
