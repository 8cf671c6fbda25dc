// Search parameters of ANN indexes (HNSW efSearch and efConstruction, IVF
// nprobe) live in faiss's index file: they are read and set at their
// positions in the file, never by reading it whole (an index of 500k x 1280
// floats is 2.56 GB, past what Node reads into one Buffer). A built file holds
// the default search parameters; a search with others reads a patched copy and
// leaves the file as built.
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { mulberry32 } from '../../lib/seeded-random.js';
import { DEFAULT_SEARCH_PARAMS, paramsDiffer, patchParamsOfFile, readParams, readParamsOfFile } from '../../processors/predictor/faiss-params.js';
import { ReferenceIndex } from '../../processors/predictor/reference-index.js';
import { SearchPool } from '../../processors/predictor/search-pool.js';

const N = 3000;
const DIM = 16;
const K = 10;

t.test('ANN parameters are read and set in index files; a search with other values leaves the file as built', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-index-params-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pool = new SearchPool();
  t.teardown(() => pool.close());
  const rnd = mulberry32(11);
  const vectors = Float32Array.from({ length: N * DIM }, () => rnd() * 2 - 1);
  const queries = Float32Array.from({ length: 200 * DIM }, () => rnd() * 2 - 1);
  const build = (kind: 'flat' | 'hnsw' | 'ivf', efConstruction?: number) =>
    ReferenceIndex.fromVectors({ batches: [vectors], entries: N, dim: DIM, metric: 'cosine', kind, cacheDir: dir, ...(efConstruction ? { efConstruction } : {}) });

  const flat = await build('flat');
  const hnsw = await build('hnsw', 77);
  const ivf = await build('ivf');
  t.same(readParamsOfFile(flat.file), {}, 'a flat index has no parameter');
  t.same(readParamsOfFile(hnsw.file), { efConstruction: 77, efSearch: DEFAULT_SEARCH_PARAMS.efSearch }, 'HNSW: the efConstruction it was built with, the default efSearch');
  t.same(readParamsOfFile(ivf.file), { nprobe: DEFAULT_SEARCH_PARAMS.nprobe }, 'IVF: the default nprobe');
  for (const ix of [flat, hnsw, ivf]) t.same(readParams(await readFile(ix.file)), readParamsOfFile(ix.file), `${ix.spec.kind}: the file read piecemeal and the bytes read whole agree`);

  // patching a copy in place: only what differs is written
  const copy = path.join(dir, 'copy.faiss');
  await copyFile(hnsw.file, copy);
  t.equal(patchParamsOfFile(copy, { efSearch: 40, nprobe: 3 }), true, 'efSearch differed: written (nprobe is not an HNSW parameter)');
  t.same(readParamsOfFile(copy), { efConstruction: 77, efSearch: 40 });
  t.equal(patchParamsOfFile(copy, { efSearch: 40 }), false, 'the same value again: nothing written');
  t.equal(patchParamsOfFile(flat.file, { efSearch: 40, nprobe: 3 }), false, 'a flat file: nothing to write');
  t.equal(paramsDiffer({ efSearch: 128 }, { efSearch: 128, nprobe: 4 }), false, 'a parameter the kind lacks never differs');
  t.equal(paramsDiffer({ nprobe: 16 }, { efSearch: 1, nprobe: 4 }), true);

  // the searches: recall against exact rises with efSearch / nprobe, so the values took effect
  const recall = async (ix: ReferenceIndex, params: { efSearch?: number; nprobe?: number }) => {
    const exact = await pool.rawSearch(flat, queries, 200, K);
    const got = await pool.rawSearch(ix, queries, 200, K, params);
    let found = 0;
    for (let q = 0; q < 200; q++) {
      const truth = new Set(exact.labels.subarray(q * K, (q + 1) * K));
      for (let j = 0; j < K; j++) if (truth.has(got.labels[q * K + j]!)) found++;
    }
    return found / (200 * K);
  };
  const low = await recall(hnsw, { efSearch: 10 });
  const high = await recall(hnsw, { efSearch: 400 });
  t.ok(high > low, `HNSW recall@10: efSearch 10 -> ${low.toFixed(3)}, 400 -> ${high.toFixed(3)}`);
  t.ok(high >= 0.99, 'efSearch 400 over 3,000 entries is near exact');
  const one = await recall(ivf, { nprobe: 1 });
  const all = await recall(ivf, { nprobe: 1000 });
  t.ok(all > one, `IVF recall@10: nprobe 1 -> ${one.toFixed(3)}, every list -> ${all.toFixed(3)}`);
  t.equal(all, 1, 'every list visited: exact');
  t.same(readParamsOfFile(hnsw.file).efSearch, DEFAULT_SEARCH_PARAMS.efSearch, 'the file keeps its default after searches with others');
  t.same((await readdir(dir)).filter((f) => f.includes('.tmp-')), [], 'no patched copy is left behind');
});
