// --max-identity (leakage control): the identity it compares, the option's
// validation and its record on the prediction set, the neighbour scan that
// drops refused references before k applies, and the best alignment hit
// among the admitted references (by hand, and the worker pool against a brute
// force over alignLocal on the demo CAFA3 sequences).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { PredictionSetRow } from '../../lib/queries/prediction-sets.js';
import { selectBestHits } from '../../processors/alignment/best-hits.js';
import { AlignmentPool, alignLocal, identityOverShorter, type BestHit } from '../../processors/alignment/index.js';
import { admitted } from '../../processors/predictor/knn-method.js';
import { scanEntries, type ScanInput } from '../../processors/predictor/neighbour-scan.js';
import { paramsMeta, paramsOf, parseMaxIdentity, type PredictionParams } from '../../processors/predictor/params.js';
import { selectNeighbours } from '../../processors/predictor/transfer.js';

t.test('identityOverShorter: identical aligned residues over the shorter sequence', async (t) => {
  t.equal(identityOverShorter({ matches: 9, queryLength: 300, refLength: 40 }), 9 / 40, '9 identical residues, shorter sequence 40: 0.225');
  t.equal(identityOverShorter({ matches: 0, queryLength: 0, refLength: 40 }), 0, 'an empty sequence: 0');
  // the query is the ref's first 10 residues: 10 identical of the shorter 10
  t.equal(identityOverShorter(alignLocal('MKTAYIAKQR', 'MKTAYIAKQRQISFVKSHFSRQ')), 1);
  // a short exact local match between otherwise different sequences: SW identity 1, but 5 of 20 residues
  const r = alignLocal('WWWWWCCCCCHHHHHMMMMM', 'PPPPPPPPPPWWWWWPPPPPPPPPP');
  t.same([r.matches, r.length, r.identity], [5, 5, 1], 'Smith-Waterman: WWWWW against WWWWW, identity 1');
  t.equal(identityOverShorter(r), 5 / 20, 'over the shorter (20): 0.25');
  t.equal(admitted(0.3, 0.3), true, 'at the limit: admitted');
  t.equal(admitted(0.3000001, 0.3), false, 'above it: refused');
});

t.test('--max-identity takes a fraction in (0, 1]; anything else is a USAGE error naming the option', async (t) => {
  t.equal(parseMaxIdentity('0.3'), 0.3);
  t.equal(parseMaxIdentity('1'), 1);
  for (const bad of ['0', '-0.1', '1.01', '30', 'abc', '', 'NaN', 'Infinity']) {
    try {
      parseMaxIdentity(bad);
      t.fail(`${JSON.stringify(bad)} accepted`);
    } catch (err) {
      t.ok(err instanceof ProteaError && err.key === 'USAGE' && err.context.field === '--max-identity' && err.message.includes('--max-identity'), `${JSON.stringify(bad)}: ${(err as Error).message}`);
    }
  }
});

t.test('meta.max_identity is recorded on the prediction set and read back; absent or null means no filter', async (t) => {
  const params: PredictionParams = {
    method: 'knn', embeddingConfigId: 'c0000000-0000-7000-8000-000000000000', annotationSetId: 'a0000000-0000-7000-8000-000000000000', k: 5, threshold: null,
    metric: 'cosine', aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: true, aggregation: 'mean', scoreMap: 'one-minus-d', index: 'flat', features: [], maxIdentity: 0.3,
  };
  const row = (meta: Record<string, unknown>): PredictionSetRow => ({
    id: 'p0000000-0000-7000-8000-000000000000', kind: 'knn', name: null, ontology_snapshot_id: 's', obo_version: 'v', annotation_set_id: params.annotationSetId,
    embedding_config_id: params.embeddingConfigId, query_set_id: null, limit_per_entry: 5, distance_threshold: null, meta, job_id: null, created_at: 0,
  });
  t.equal(paramsMeta(params).max_identity, 0.3, 'recorded as meta.max_identity');
  t.equal(paramsOf(row(paramsMeta(params))).maxIdentity, 0.3, 'read back');
  t.equal(paramsMeta({ ...params, maxIdentity: null }).max_identity, null, 'no filter: null');
  const { max_identity: _, ...older } = paramsMeta(params);
  t.equal(paramsOf(row(older)).maxIdentity, null, 'a set recorded before the option: no filter');
  for (const bad of [0, 1.5, '0.3', -1]) {
    try {
      paramsOf(row({ ...paramsMeta(params), max_identity: bad }));
      t.fail(`${JSON.stringify(bad)} accepted`);
    } catch (err) {
      t.ok(err instanceof ProteaError && err.key === 'PREDICTION_SET_INVALID' && err.context.field === 'meta.max_identity', `${JSON.stringify(bad)} refused`);
    }
  }
});

// entries 0..4 at these distances; entry 1 carries two accessions
const ROW = { labels: [0, 1, 2, 3, 4], distances: [0.1, 0.2, 0.3, 0.4, 0.5] };
const ACC = [['A'], ['B1', 'B2'], ['C'], ['D'], ['E']];
const scanOf = (over: Partial<ScanInput>) => scanEntries({
  ...ROW, offset: 0, count: 5, whole: false, k: 2, threshold: null, exclude: -1, admitted: () => true, minUndecided: 0,
  accessionsOf: (e) => ACC[e]!, md5Of: (e) => `m${e}`, ...over,
});
const accs = (r: { hits: { accession: string }[] }) => r.hits.map((h) => h.accession);

t.test('the neighbour scan without refusals: the k nearest proteins, stopping past the k-th distance', async (t) => {
  const r = scanOf({});
  t.same(r.undecided, []);
  t.same(accs(r), ['A', 'B1', 'B2'], 'A, then B1 and B2 (one sequence) fill k = 2; C lies beyond: stop');
  t.ok(r.complete);
  const ex = scanOf({ exclude: 0 });
  t.same(accs(ex), ['B1', 'B2'], 'the excluded sequence takes no place');
  const th = scanOf({ k: 5, threshold: 0.25 });
  t.same([accs(th), th.complete], [['A', 'B1', 'B2'], true], 'the threshold ends the scan');
  const short = scanOf({ k: 10 });
  t.same([accs(short).length, short.complete], [6, false], 'k beyond the row: incomplete (search deeper)');
  t.ok(scanOf({ k: 10, whole: true }).complete, 'unless the row is the whole index');
  t.ok(scanOf({ k: 10, labels: [0, 1, -1, -1, -1] }).complete, 'or an ANN index found no more');
});

t.test('the neighbour scan asks only for the verdicts that can change the selection, and drops refused references before k', async (t) => {
  const verdicts = new Map<number, boolean>();
  // k = 1: the first sequence alone could fill k (optimistically), C beyond it stops the scan
  let r = scanOf({ k: 1, admitted: (e) => verdicts.get(e) });
  t.same(r.undecided, [0], 'only the nearest is asked about');
  verdicts.set(0, false);
  r = scanOf({ k: 1, admitted: (e) => verdicts.get(e), minUndecided: 2 });
  t.same(r.undecided, [1, 2], 'A refused: the next ones, at least twice as many as last time');
  verdicts.set(1, false).set(2, true);
  r = scanOf({ k: 1, admitted: (e) => verdicts.get(e), minUndecided: 4 });
  t.same([r.undecided, accs(r), r.complete], [[], ['C'], true], 'A and B refused: C is the one nearest admitted');
  t.same(selectNeighbours(r.hits, 1, null).map((h) => [h.accession, h.distance]), [['C', 0.3]]);
  // every reference refused: nothing, and not complete unless the row was the whole index
  const none = scanOf({ k: 2, admitted: () => false });
  t.same([none.hits, none.complete], [[], false]);
});

const hit = (refIndex: number, score: number, matches: number, length: number, queryLength: number, refLength: number): BestHit =>
  ({ refIndex, score, matches, positives: matches, gaps: 0, length, identity: matches / length, similarity: matches / length, gapsPct: 0, queryLength, refLength });

t.test('the best alignment hit among the admitted references, by hand', async (t) => {
  // ref 1 and 2 tie on the top score 80; ref 1 is 90/100 identical, ref 2 25/100; ref 3 (group 2 only) 10/100
  const hits = [hit(0, 50, 20, 100, 100, 100), hit(1, 80, 90, 100, 100, 100), hit(2, 80, 25, 100, 100, 100), hit(3, 30, 10, 100, 100, 100)];
  const scores = [50, 80, 80, 30, 0];
  const groups = Uint8Array.from([1, 1, 1, 2, 1]);
  const visited: number[] = [];
  const hitOf = (j: number) => (visited.push(j), hits[j]!);
  t.same(selectBestHits(scores, 5, groups, 2, hitOf, null).map((h) => h?.refIndex ?? null), [1, 3], 'no limit: the top score, ties by higher identity (ref 1)');
  visited.length = 0;
  t.same(selectBestHits(scores, 5, groups, 2, hitOf, 0.3).map((h) => h?.refIndex ?? null), [2, 3], 'limit 0.3: ref 1 (0.9) refused, ref 2 (0.25) is the best admitted');
  t.notOk(visited.includes(0), 'a reference below the first admitted score level is never traced back');
  t.same(selectBestHits(scores, 5, groups, 2, hitOf, 0.2).map((h) => h?.refIndex ?? null), [0, 3], 'limit 0.2: ref 0 (score 50, 0.2) is');
  t.same(selectBestHits(scores, 5, groups, 2, hitOf, 0.05).map((h) => h?.refIndex ?? null), [null, null], 'limit 0.05: none admitted');
});

function fasta(file: string): string[] {
  return readFileSync(path.join(PROJECT_ROOT, file), 'utf8').split('>').filter(Boolean).map((b) => b.split('\n').slice(1).join(''));
}

t.test('AlignmentPool.bestHits with maxIdentity equals a brute force over alignLocal', async (t) => {
  const refs = fasta('demo/predict/references.fasta');
  const queries = fasta('demo/predict/queries.fasta');
  const pool = new AlignmentPool({ threads: 2 });
  t.teardown(() => pool.close());
  const handle = await pool.loadReferences(refs);
  const max = 0.3;
  const got = await pool.bestHits(queries, handle, { maxIdentity: max });
  let refusedTop = 0;
  queries.forEach((q, i) => {
    const all = refs.map((r, j) => ({ j, r: alignLocal(q, r) }));
    const top = [...all].sort((a, b) => b.r.score - a.r.score || b.r.identity - a.r.identity || a.j - b.j)[0]!;
    if (identityOverShorter(top.r) > max) refusedTop++;
    const ok = all.filter((a) => a.r.score > 0 && identityOverShorter(a.r) <= max).sort((a, b) => b.r.score - a.r.score || b.r.identity - a.r.identity || a.j - b.j);
    const h = got[i]![0];
    t.same(h && [h.refIndex, h.score, h.matches], ok[0] ? [ok[0].j, ok[0].r.score, ok[0].r.matches] : null, `query ${i}: best admitted hit`);
    if (h) t.ok(identityOverShorter(h) <= max, `query ${i}: at most ${max} identical`);
  });
  t.ok(refusedTop > 0, `the limit changed the hit of ${refusedTop} queries (their top hit is a homologue above it)`);
});
