// SearchPool.search with refused references (--max-identity) on a real faiss
// index of known vectors: entry i lies at distance i from the query, so the
// expected neighbours are known by hand. Refused entries take no place (the
// search goes deeper than its first k + 8), each (query, entry) verdict is
// asked once, and the depth cap keeps what was found and says so.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ReferenceIndex } from '../../processors/predictor/reference-index.js';
import { SearchPool } from '../../processors/predictor/search-pool.js';

const N = 400;
const DIM = 4;

t.test('refused references are dropped before k: the k nearest admitted ones, searched for as deep as needed, up to the cap', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-admit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const vectors = new Float32Array(N * DIM);
  for (let i = 0; i < N; i++) vectors[i * DIM] = i; // entry i at (i, 0, 0, 0)
  const index = await ReferenceIndex.fromVectors({ batches: [vectors], entries: N, dim: DIM, metric: 'euclidean', kind: 'flat', cacheDir: dir });
  const pool = new SearchPool();
  t.teardown(() => pool.close());
  const query = new Float32Array(DIM); // the origin

  const asked: number[] = [];
  const below100 = async (pairs: readonly { query: number; entry: number }[]) => pairs.map((p) => (asked.push(p.entry), p.entry >= 100));
  const [got] = await pool.search(index, [query], { k: 3, threshold: null, admit: below100 });
  t.same(got!.map((h) => [h.accession, h.distance, h.kPosition]), [['e100', 100, 1], ['e101', 101, 2], ['e102', 102, 3]], 'the 3 nearest admitted: entries 100..102');
  t.equal(new Set(asked).size, asked.length, 'no verdict asked twice');
  t.ok(asked.length <= 2 * 103, `verdicts asked for ${asked.length} entries (103 had to be looked at; batches grow geometrically)`);

  const [excluded] = await pool.search(index, [query], { k: 2, threshold: null, excludeMd5: ['e100'], admit: below100 });
  t.same(excluded!.map((h) => h.accession), ['e101', 'e102'], 'with the excluded sequence too, both apply');

  const [within] = await pool.search(index, [query], { k: 3, threshold: 101.5, admit: below100 });
  t.same(within!.map((h) => h.accession), ['e100', 'e101'], 'the threshold applies to the admitted ones');

  const capped: number[] = [];
  const only7 = async (pairs: readonly { query: number; entry: number }[]) => pairs.map((p) => p.entry === 7);
  const [few] = await pool.search(index, [query], { k: 3, threshold: null, admit: only7, maxDepth: 50, onDepthCap: (q) => capped.push(q) });
  t.same(few!.map((h) => h.accession), ['e7'], 'at the depth cap: the admitted ones found, fewer than k');
  t.same(capped, [0], 'and the cap is reported for the query');

  const [all] = await pool.search(index, [query], { k: 3, threshold: null, admit: async (pairs) => pairs.map(() => true) });
  t.same(all!.map((h) => h.accession), ['e0', 'e1', 'e2'], 'everything admitted: the plain k nearest');
});
