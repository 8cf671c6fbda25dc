// The alignment module against reference values computed once with Debian's
// parasail (test/fixtures/alignment/make-parasail-reference.py), the
// TypeScript DP against the same values, and the worker pool's best hits
// against a brute force over alignLocal.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';
import { alignDp, scoreLocalDp } from '../../processors/alignment/dp.js';
import { AlignmentPool, alignerImplementation, alignGlobal, alignLocal, normalizeSequence, type AlignmentResult, type BestHit } from '../../processors/alignment/index.js';

interface Expected { score: number; matches: number; positives: number; gaps: number; length: number }
interface Pair { name: string; query: string; ref: string; local: Expected; global: Expected }
const fixture = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/alignment/parasail-reference.json'), 'utf8')) as { pairs: Pair[] };
const stats = (r: AlignmentResult | Expected): Expected => ({ score: r.score, matches: r.matches, positives: r.positives, gaps: r.gaps, length: r.length });

t.test('the parasail binding is built and used', async (t) => {
  t.same(alignerImplementation(), { name: 'parasail' }, 'run node stack/build-parasail.mjs (needs libparasail-dev)');
});

t.test('alignLocal and alignGlobal equal parasail reference values', async (t) => {
  t.ok(fixture.pairs.some((p) => p.query.length >= 10_000), 'fixture has a 10,000-residue pair');
  t.ok(fixture.pairs.some((p) => p.query.length === 0), 'fixture has an empty sequence');
  for (const p of fixture.pairs) {
    const local = alignLocal(p.query, p.ref);
    const global = alignGlobal(p.query, p.ref);
    t.same(stats(local), stats(p.local), `${p.name}: Smith-Waterman`);
    t.same(stats(global), stats(p.global), `${p.name}: Needleman-Wunsch`);
    for (const r of [local, global]) {
      t.equal(r.identity, r.length ? r.matches / r.length : 0, `${p.name}: identity`);
      t.equal(r.similarity, r.length ? r.positives / r.length : 0, `${p.name}: similarity`);
      t.equal(r.gapsPct, r.length ? (100 * r.gaps) / r.length : 0, `${p.name}: gapsPct`);
      t.equal(r.queryLength, p.query.length, `${p.name}: queryLength`);
      t.equal(r.refLength, p.ref.length, `${p.name}: refLength`);
    }
  }
});

t.test('the TypeScript DP scores equal parasail, and its statistics where the optimal path is unique', async (t) => {
  for (const p of fixture.pairs) {
    const a = normalizeSequence(p.query), b = normalizeSequence(p.ref);
    t.equal(scoreLocalDp(a, b), p.local.score, `${p.name}: score-only SW`);
    if (a.length * b.length > 2_000_000) continue; // the traceback of the 10k pair takes 100 MB
    const [ls, lm, lp, lg, ll] = alignDp(a, b, false);
    const [gs] = alignDp(a, b, true);
    t.equal(ls, p.local.score, `${p.name}: SW score`);
    t.equal(gs, p.global.score, `${p.name}: NW score`);
    t.same({ score: ls, matches: lm, positives: lp, gaps: lg, length: ll }, stats(p.local), `${p.name}: SW statistics`);
  }
});

t.test('an empty or unrelated pair aligns locally to nothing, without error', async (t) => {
  t.same(stats(alignLocal('', '')), { score: 0, matches: 0, positives: 0, gaps: 0, length: 0 });
  t.same(stats(alignLocal('CC', 'SS')), { score: 0, matches: 0, positives: 0, gaps: 0, length: 0 }, 'no positive cell: empty alignment (not -128)');
  t.equal(alignLocal('CC', 'SS').identity, 0);
});

// The best hit by the module's rule, from alignLocal over every reference.
function bruteBest(query: string, refs: string[], keep: (j: number) => boolean): BestHit | null {
  let best: BestHit | null = null;
  refs.forEach((ref, j) => {
    if (!keep(j)) return;
    const r = alignLocal(query, ref);
    if (r.score <= 0) return;
    if (!best || r.score > best.score || (r.score === best.score && r.identity > best.identity)) best = { refIndex: j, ...r };
  });
  return best;
}

t.test('AlignmentPool: pairs and best hits per group equal the synchronous functions', async (t) => {
  const pool = new AlignmentPool({ threads: 2 });
  t.teardown(() => pool.close());
  const real = fixture.pairs.filter((p) => p.query.length > 50 && p.query.length < 2000);
  const pairs = real.map((p) => ({ query: p.query, ref: p.ref }));
  t.same(await pool.alignPairs(pairs, 'local'), pairs.map((p) => alignLocal(p.query, p.ref)), 'local pairs');
  t.same(await pool.alignPairs(pairs, 'global'), pairs.map((p) => alignGlobal(p.query, p.ref)), 'global pairs');
  t.same(await pool.alignPairs([], 'local'), [], 'no pairs');

  const refs = [...new Set(real.flatMap((p) => [p.query, p.ref]))];
  refs.push(refs[0]!.slice(10), '', refs[1]!); // a fragment, an empty reference, a duplicate (score tie, same identity)
  const groups = Uint8Array.from(refs, (_, j) => (j % 2 === 0 ? 1 : 2) | (j % 3 === 0 ? 4 : 0));
  const queries = [refs[0]!, refs[1]!, refs[2]!.slice(5, 200), 'CCCC', ''];
  const handle = await pool.loadReferences(refs);
  t.equal(handle.size, refs.length);
  const excludeRefs = queries.map((_, k) => (k === 2 ? [2] : null));
  const hits = await pool.bestHits(queries, handle, { groups, nGroups: 3, excludeIdentical: true, excludeRefs });
  t.equal(hits.length, queries.length);
  queries.forEach((q, k) => {
    for (let g = 0; g < 3; g++) {
      const keep = (j: number) => !!(groups[j]! & (1 << g)) && refs[j] !== q && !(excludeRefs[k] ?? []).includes(j);
      t.same(hits[k]![g], bruteBest(q, refs, keep), `query ${k}, group ${g}`);
    }
  });
  t.equal(hits[4]!.every((h) => h === null), true, 'an empty query has no hit');
  const one = await pool.bestHits([refs[1]!], handle);
  t.equal(one[0]![0]!.refIndex, 1, 'without exclusion a sequence finds itself, the lower of two identical references');
  t.equal(one[0]![0]!.identity, 1);
  await pool.releaseReferences(handle);
  await t.rejects(pool.bestHits(queries, handle), { code: 'PROTEA_ERR_USAGE' }, 'released references cannot be searched');
});
