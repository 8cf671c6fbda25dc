// KNN transfer semantics, against values computed by hand: neighbour
// selection (k with ties, threshold, both), the three distance->score maps and
// the three aggregations, one row per (term, reference), row order.
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import {
  SCORE_MAPS,
  TIE_TOLERANCE,
  defaultScoreMap,
  kPositions,
  selectNeighbours,
  transferTerms,
  type Neighbour,
  type RefAnnotation,
} from '../../processors/predictor/transfer.js';

const hits = (...ds: number[]) => ds.map((distance, refIndex) => ({ refIndex, distance }));
const idx = (hs: { refIndex: number }[]) => hs.map((h) => h.refIndex);

t.test('k nearest keeps every hit tied with the k-th within the documented tolerance', async (t) => {
  const hs = hits(0.1, 0.2, 0.3, 0.3 + TIE_TOLERANCE / 2, 0.3 + 1e-5, 0.5);
  t.same(idx(selectNeighbours(hs, 1, null)), [0]);
  t.same(idx(selectNeighbours(hs, 2, null)), [0, 1]);
  t.same(idx(selectNeighbours(hs, 3, null)), [0, 1, 2, 3], 'the hit 5e-7 further ties with the 3rd; the one 1e-5 further does not');
  t.same(idx(selectNeighbours(hs, 10, null)), [0, 1, 2, 3, 4, 5], 'k beyond the hits: all of them');
  t.same(idx(selectNeighbours(hits(0.2, 0.2, 0.2), 1, null)), [0, 1, 2], 'three identical distances at k = 1');
});

t.test('a threshold keeps d <= threshold; with k, the k nearest of those', async (t) => {
  const hs = hits(0.1, 0.2, 0.2, 0.35, 0.4);
  t.same(idx(selectNeighbours(hs, null, 0.2)), [0, 1, 2], 'the threshold itself is included');
  t.same(idx(selectNeighbours(hs, null, 0.05)), []);
  t.same(idx(selectNeighbours(hs, 2, 0.35)), [0, 1, 2], 'k = 2 keeps the tie at the 2nd');
  t.same(idx(selectNeighbours(hs, 4, 0.3)), [0, 1, 2], 'fewer than k within the threshold');
  t.same(idx(selectNeighbours(hs, null, null)), [0, 1, 2, 3, 4], 'neither: all');
  t.throws(() => selectNeighbours(hs, 0, null), ProteaError);
  t.throws(() => selectNeighbours(hs, null, -1), ProteaError);
});

t.test('kPosition is a competition rank: ties share it, the next rank skips', async (t) => {
  t.same(kPositions([0.1, 0.2, 0.2, 0.3, 0.3 + 1e-7, 0.9]), [1, 2, 2, 4, 4, 6]);
  t.same(kPositions([]), []);
});

t.test('score maps: 1 - d, 0.5 / (0.5 + d), 1 - d/2, clamped to [0, 1]', async (t) => {
  const close = (a: number, b: number, m: string) => t.ok(Math.abs(a - b) < 1e-12, `${m}: ${a} ≈ ${b}`);
  close(SCORE_MAPS['one-minus-d'](0.25), 0.75, '1-d at 0.25');
  close(SCORE_MAPS['one-minus-d'](1.4), 0, '1-d at 1.4 clamps to 0');
  close(SCORE_MAPS['one-minus-d'](-1e-7), 1, '1-d at a negative rounding error clamps to 1');
  close(SCORE_MAPS['half-over-half-plus-d'](0), 1, '0.5/(0.5+d) at 0');
  close(SCORE_MAPS['half-over-half-plus-d'](0.5), 0.5, '0.5/(0.5+d) at 0.5');
  close(SCORE_MAPS['half-over-half-plus-d'](1.5), 0.25, '0.5/(0.5+d) at 1.5');
  close(SCORE_MAPS['one-minus-half-d'](0.5), 0.75, '1-d/2 at 0.5');
  close(SCORE_MAPS['one-minus-half-d'](2), 0, '1-d/2 at 2');
  close(SCORE_MAPS['one-minus-half-d'](3), 0, '1-d/2 at 3 clamps');
  t.equal(defaultScoreMap('cosine'), 'one-minus-d');
  t.equal(defaultScoreMap('euclidean'), 'half-over-half-plus-d');
});

// Three neighbours; n = 3.
//   A d=0.1: GO:1 (IDA, then a second line IMP: one row, IDA wins), GO:2
//   B d=0.3: GO:1, GO:3
//   C d=0.3: GO:2
const ann = (goId: string, evidenceCode: string, aspect: 'F' | 'P' | 'C' = 'F', qualifier: string | null = 'enables'): RefAnnotation => ({ goId, aspect, qualifier, evidenceCode });
const ANNOTATIONS: Record<string, RefAnnotation[]> = {
  A: [ann('GO:1', 'IDA'), ann('GO:2', 'EXP', 'P', 'involved_in'), ann('GO:1', 'IMP')],
  B: [ann('GO:3', 'IPI'), ann('GO:1', 'IMP')],
  C: [ann('GO:2', 'IGI', 'P', 'involved_in')],
};
const NEIGHBOURS: Neighbour[] = [
  { accession: 'A', md5: 'a'.repeat(32), distance: 0.1, kPosition: 1 },
  { accession: 'B', md5: 'b'.repeat(32), distance: 0.3, kPosition: 2 },
  { accession: 'C', md5: 'c'.repeat(32), distance: 0.3, kPosition: 2 },
];
const of = (acc: string) => ANNOTATIONS[acc] ?? [];

t.test('mean aggregation (GOPredSim): sum of s(d) over the neighbours carrying the term / n', async (t) => {
  const rows = transferTerms(NEIGHBOURS, of, { aggregation: 'mean', scoreMap: 'one-minus-d' });
  // GO:1: (0.9 + 0.7)/3; GO:2: (0.9 + 0.7)/3; GO:3: 0.7/3
  const score = (go: string) => rows.find((r) => r.goId === go)!.score;
  t.ok(Math.abs(score('GO:1') - 1.6 / 3) < 1e-12, `GO:1 ${score('GO:1')}`);
  t.ok(Math.abs(score('GO:2') - 1.6 / 3) < 1e-12, `GO:2 ${score('GO:2')}`);
  t.ok(Math.abs(score('GO:3') - 0.7 / 3) < 1e-12, `GO:3 ${score('GO:3')}`);
  t.same(
    rows.map((r) => [r.distance, r.goId, r.refAccession, r.evidenceCode, r.kPosition, r.support]),
    [
      [0.1, 'GO:1', 'A', 'IDA', 1, 2],
      [0.1, 'GO:2', 'A', 'EXP', 1, 2],
      [0.3, 'GO:1', 'B', 'IMP', 2, 2],
      [0.3, 'GO:2', 'C', 'IGI', 2, 2],
      [0.3, 'GO:3', 'B', 'IPI', 2, 1],
    ],
    'one row per (term, reference), ordered by distance then GO id then accession; the first evidence line of a term wins',
  );
  for (const r of rows.filter((r) => r.goId === 'GO:1')) t.equal(r.score, score('GO:1'), 'every row of a term carries its score');
  t.equal(rows.find((r) => r.goId === 'GO:2')!.aspect, 'P');
  t.equal(rows.find((r) => r.goId === 'GO:2')!.qualifier, 'involved_in');
});

t.test('max aggregation: the best s(d) among the neighbours carrying the term', async (t) => {
  const rows = transferTerms(NEIGHBOURS, of, { aggregation: 'max', scoreMap: 'half-over-half-plus-d' });
  const score = (go: string) => rows.find((r) => r.goId === go)!.score;
  // s(0.1) = 0.5/0.6, s(0.3) = 0.5/0.8
  t.ok(Math.abs(score('GO:1') - 0.5 / 0.6) < 1e-12);
  t.ok(Math.abs(score('GO:2') - 0.5 / 0.6) < 1e-12);
  t.ok(Math.abs(score('GO:3') - 0.5 / 0.8) < 1e-12);
});

t.test('vote aggregation: the fraction of neighbours carrying the term, whatever the map', async (t) => {
  for (const scoreMap of ['one-minus-d', 'one-minus-half-d'] as const) {
    const rows = transferTerms(NEIGHBOURS, of, { aggregation: 'vote', scoreMap });
    const score = (go: string) => rows.find((r) => r.goId === go)!.score;
    t.ok(Math.abs(score('GO:1') - 2 / 3) < 1e-12);
    t.ok(Math.abs(score('GO:3') - 1 / 3) < 1e-12);
  }
});

t.test('mean with 1 - d/2: neighbours not carrying a term still count in n', async (t) => {
  // a fourth neighbour with no annotations makes n = 4
  const rows = transferTerms([...NEIGHBOURS, { accession: 'D', md5: 'd'.repeat(32), distance: 0.8, kPosition: 4 }], of, { aggregation: 'mean', scoreMap: 'one-minus-half-d' });
  const score = (go: string) => rows.find((r) => r.goId === go)!.score;
  // GO:1: (0.95 + 0.85)/4 = 0.45; GO:3: 0.85/4
  t.ok(Math.abs(score('GO:1') - 0.45) < 1e-12, `GO:1 ${score('GO:1')}`);
  t.ok(Math.abs(score('GO:3') - 0.2125) < 1e-12, `GO:3 ${score('GO:3')}`);
  t.equal(rows.filter((r) => r.refAccession === 'D').length, 0);
});

t.test('no neighbours: no rows; an unknown map or aggregation is a usage error', async (t) => {
  t.same(transferTerms([], of, { aggregation: 'mean', scoreMap: 'one-minus-d' }), []);
  t.throws(() => transferTerms(NEIGHBOURS, of, { aggregation: 'mean', scoreMap: 'nope' as never }), ProteaError);
  t.throws(() => transferTerms(NEIGHBOURS, of, { aggregation: 'median' as never, scoreMap: 'one-minus-d' }), ProteaError);
});
