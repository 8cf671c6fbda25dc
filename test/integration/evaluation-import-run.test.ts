// `protea evaluate import` and `protea evaluate run` on a fresh migrated
// database with a tiny ontology, annotation sets and an evaluation set seeded
// with SQL (this tests import and scoring, not ingest or the holdout builder),
// the expected metrics worked out by hand in the comments below.
//
// Ontology (one release): biological_process R=GO:1 <- A=GO:2 (alt_id GO:92)
// <- C=GO:4, R <- B=GO:3, GO:9 obsolete; cellular_component Rc=GO:10 <- X=GO:11.
// Ground truth: NK BP  P1 {C} (propagated C A R), P2 {B} (B R); NK CC  P1 {X};
// PK BP  P3 {C}, known {A} (A R removed: ground truth {C}). The identity
// baseline's test adds protein sequences (worked out there).
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { z } from 'zod';
import { importPredictions } from '../../evaluation/import.js';
import { runEvaluation, writeRunOutputs, type RunRequest } from '../../evaluation/run.js';
import { naiveBaseline, parseBaselines } from '../../evaluation/baselines.js';
import { formatResultsTable } from '../../evaluation/report.js';
import type { CurveRow, EvaluationResultDocument } from '../../evaluation/types.js';
import { createCopyPool, createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { getEvaluationResult, listEvaluationResults } from '../../lib/queries/evaluation-results.js';
import { getPredictionSet, listPredictionSets, resolvePredictionSet } from '../../lib/queries/prediction-sets.js';
import { alignLocal } from '../../processors/alignment/index.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { md5, randomSequence, withSubstitutions } from '../helpers/sequences.js';

const BP = 'biological_process';
const CC = 'cellular_component';
const go = (n: number) => `GO:${String(n).padStart(7, '0')}`;
const id = z.object({ id: z.string() });

interface Term {
  n: number;
  ns: string;
  isA?: number[];
  alt?: number[];
  obsolete?: boolean;
}
const TERMS: Term[] = [
  { n: 1, ns: BP },
  { n: 2, ns: BP, isA: [1], alt: [92] },
  { n: 3, ns: BP, isA: [1] },
  { n: 4, ns: BP, isA: [2] },
  { n: 9, ns: BP, obsolete: true },
  { n: 10, ns: CC },
  { n: 11, ns: CC, isA: [10] },
];

async function seed(db: DatabasePool) {
  const snapshot = await db.oneFirst(sql.type(id)`
    INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ('test://tiny', 'tiny-1', ${TERMS.length}) RETURNING id`);
  for (const x of TERMS) {
    await db.query(sql.unsafe`
      INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect, is_obsolete, alt_ids)
      VALUES (${snapshot}, ${go(x.n)}, ${`term ${x.n}`}, ${x.ns}, ${x.ns === BP ? 'P' : 'C'}, ${x.obsolete ?? false}, ${sql.array((x.alt ?? []).map(go), 'text')})`);
  }
  for (const x of TERMS) {
    for (const p of x.isA ?? []) {
      await db.query(sql.unsafe`
        INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type)
        SELECT ${snapshot}, c.id, p.id, 'is_a' FROM go_term c, go_term p
         WHERE c.ontology_snapshot_id = ${snapshot} AND c.go_id = ${go(x.n)} AND p.ontology_snapshot_id = ${snapshot} AND p.go_id = ${go(p)}`);
    }
  }
  const termId = async (n: number) => db.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM go_term WHERE ontology_snapshot_id = ${snapshot} AND go_id = ${go(n)}`);
  const annotationSet = (version: string) =>
    db.oneFirst(sql.type(id)`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('tiny', ${version}, ${snapshot}) RETURNING id`);
  const oldSet = await annotationSet('old');
  const newSet = await annotationSet('new');
  // The reference of the naive baseline: BP proteins Q1 (C: C A R), Q2 (B: B R), P3 (A: A R);
  // Q3 is not experimental, Q4's C is excluded by its NOT on A; CC: Q5 (X: X Rc).
  const rows: Array<[string, number, string, string]> = [
    ['Q1', 4, 'IDA', 'involved_in'],
    ['Q2', 3, 'IMP', 'involved_in'],
    ['Q3', 2, 'IEA', 'involved_in'],
    ['Q4', 4, 'IDA', 'involved_in'],
    ['Q4', 2, 'IDA', 'NOT|involved_in'],
    ['P3', 2, 'EXP', 'involved_in'],
    ['Q5', 11, 'IDA', 'located_in'],
  ];
  for (const [protein, n, evidence, qualifier] of rows) {
    await db.query(sql.unsafe`
      INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, qualifier, evidence_code, db)
      VALUES (${oldSet}, ${protein}, ${await termId(n)}, ${qualifier}, ${evidence}, 'UniProtKB')`);
  }
  const set = await db.oneFirst(sql.type(id)`
    INSERT INTO evaluation_set (old_annotation_set_id, new_annotation_set_id, ontology_snapshot_id, stats)
    VALUES (${oldSet}, ${newSet}, ${snapshot}, ${sql.jsonb({ version: 1, evidenceCodes: ['EXP', 'IDA', 'IPI', 'IMP', 'IGI', 'IEP'] })}) RETURNING id`);
  const targets: Array<[string, string, string, number]> = [
    ['NK', BP, 'P1', 4],
    ['NK', BP, 'P2', 3],
    ['NK', CC, 'P1', 11],
    ['PK', BP, 'P3', 4],
  ];
  for (const [category, ns, protein, n] of targets) {
    await db.query(sql.unsafe`
      INSERT INTO evaluation_target (evaluation_set_id, category, namespace, protein_accession, go_term_id) VALUES (${set}, ${category}, ${ns}, ${protein}, ${await termId(n)})`);
  }
  await db.query(sql.unsafe`INSERT INTO evaluation_known (evaluation_set_id, namespace, protein_accession, go_term_id) VALUES (${set}, ${BP}, 'P3', ${await termId(2)})`);
  return { snapshot, oldSet, newSet, set };
}

const PREDICTIONS = [
  'AUTHOR\ttiny-lab',
  'MODEL\t1',
  'KEYWORDS\thomology, machine learning.',
  `P1\t${go(4)}\t0.805`,
  `P1\t${go(3)}\t0.255`,
  `P2\t${go(92)}\t0.605`, // alt_id of GO:2
  `P2\t${go(3)}\t0.505`,
  `P2\t${go(3)}\t0.405`, // duplicate: the maximum, 0.505, is kept
  `P3\t${go(4)}\t0.705`,
  `P3\t${go(3)}\t0.905`,
  `P1\t${go(9)}\t0.9`, // obsolete
  `P1\t${go(9999999)}\t0.5`, // unknown
  `P9\t${go(4)}\t0.5`, // not a target: imported all the same
  'END',
  '',
].join('\n');

/** A fresh migrated database with a query pool and a COPY pool on it, closed at teardown. */
async function seededPools(t: Test): Promise<{ db: DatabasePool; copyPool: ReturnType<typeof createCopyPool> }> {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 2 });
  const copyPool = createCopyPool(url, 1);
  t.teardown(async () => {
    await copyPool.end();
    await db.end();
  });
  return { db, copyPool };
}

const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-12;

t.test('a CAFA file is imported with alt_ids mapped, duplicates merged, obsolete and unknown ids counted, and scored against the evaluation set with the naive baseline beside it', async (t) => {
  const { db, copyPool } = await seededPools(t);
  const s = await seed(db);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-eval-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'tiny-predictions.tsv');
  writeFileSync(file, PREDICTIONS);

  const imported = await importPredictions({ file, format: 'cafa' }, { db, copyPool, progress: null });
  t.match(imported, {
    name: 'tiny-predictions.tsv',
    jobId: null,
    ontology: { snapshotId: s.snapshot, oboVersion: 'tiny-1' },
    lines: 14,
    predictionLines: 10,
    predictions: 7,
    proteins: 4,
    duplicates: 1,
    altIdMapped: 1,
    obsolete: { lines: 1, terms: 1, examples: [go(9)] },
    unknown: { lines: 1, terms: 1, examples: [go(9999999)] },
    header: { author: 'tiny-lab', model: '1', keywords: 'homology, machine learning.' },
  });
  const rows = await db.any(sql.type(z.object({ protein_accession: z.string(), go_id: z.string(), score: z.number(), ref_protein_accession: z.string().nullable(), distance: z.number().nullable() }))`
    SELECT p.protein_accession, g.go_id, p.score, p.ref_protein_accession, p.distance FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
     WHERE p.prediction_set_id = ${imported.predictionSetId} ORDER BY 1, 2`);
  t.same(
    rows.map((r) => [r.protein_accession, r.go_id, r.score, r.ref_protein_accession, r.distance]),
    [
      ['P1', go(3), 0.255, null, null],
      ['P1', go(4), 0.805, null, null],
      ['P2', go(2), 0.605, null, null],
      ['P2', go(3), 0.505, null, null],
      ['P3', go(3), 0.905, null, null],
      ['P3', go(4), 0.705, null, null],
      ['P9', go(4), 0.5, null, null],
    ],
    'one row per (protein, term): the alt_id stored as its term, the duplicate at its maximum score, no reference protein or distance',
  );
  const set = await getPredictionSet(db, imported.predictionSetId);
  t.match(set, { kind: 'imported', name: 'tiny-predictions.tsv', ontology_snapshot_id: s.snapshot, meta: { format: 'cafa', unknown: { lines: 1 }, obsolete: { lines: 1 } } });
  t.equal((await resolvePredictionSet(db, 'tiny-predictions.tsv')).id, imported.predictionSetId, 'the set resolves by its name');

  // a row without a score (as a KNN row before scoring): left out of the evaluation and reported
  await db.query(sql.unsafe`
    INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, ref_protein_accession, distance)
    SELECT ${imported.predictionSetId}, 'P1', id, 'REF1', 0.2 FROM go_term WHERE go_id = ${go(11)}`);
  const request: RunRequest = { set: s.set, predictions: imported.predictionSetId, prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false, baselines: [naiveBaseline] };
  const report = await runEvaluation(request, { db, progress: null });
  t.equal(report.results.length, 2, 'one result for the imported set, one for the naive baseline');
  t.match(report.warnings, [/tiny-predictions\.tsv: 1 \(protein, term\) pairs have no score and were left out/], 'the unscored row is reported');
  const [mine, naive] = report.results.map((r) => r.document) as [EvaluationResultDocument, EvaluationResultDocument];
  t.match(mine, { method: 'tiny-predictions.tsv', baseline: null, options: { prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false, ia: null } });
  t.match(naive, { method: 'naive', baseline: 'naive' });

  // NK BP, imported. P1: C A R .805, B .255; P2: A R .605, B .505.
  //  tau <= .25: pr (3/4 + 2/3)/2, rc 1;  .26-.50: pr (1 + 2/3)/2 = 5/6, rc 1 -> F 10/11 (Fmax);
  //  .51-.60: pr .75, rc .75;  .61-.80: only P1, pr 1, rc 1/2. S-min: at .26, mi = 1 fp / 2 = .5, ru 0.
  const nkBp = mine.categories.NK?.[BP];
  t.equal(nkBp?.groundTruthTargets, 2);
  t.equal(nkBp?.predictedTargets, 2);
  const f = nkBp?.bestF as CurveRow;
  t.ok(close(f.f, 10 / 11) && close(f.pr, 5 / 6) && close(f.rc, 1) && close(f.cov, 1), `NK BP Fmax 10/11 with precision 5/6, recall 1, coverage 1 (got ${f.f}, ${f.pr}, ${f.rc}, ${f.cov})`);
  t.ok(close(f.tau, 0.26), `at the first threshold above the .255 prediction (got ${f.tau})`);
  t.ok(close(nkBp?.bestS?.s, 0.5) && close(nkBp?.bestS?.tau, 0.26), `NK BP S-min .5 at .26 (got ${nkBp?.bestS?.s} at ${nkBp?.bestS?.tau})`);
  const at = (tau: number) => nkBp!.curve.find((r) => close(r.tau, tau))!;
  t.ok(close(at(0.1).pr, (3 / 4 + 2 / 3) / 2) && close(at(0.55).pr, 0.75) && close(at(0.55).rc, 0.75) && close(at(0.7).rc, 0.5) && close(at(0.7).n, 1), 'the curve at .1, .55 and .7');
  t.equal(at(0.85).cov, 0, 'nothing is predicted above .805');
  t.equal(nkBp!.curve.length, 99, 'thresholds .01 .. .99');

  // PK BP: P3 predicted C .705 and B .905 (A and R are known): tau <= .70 pr 1/2 rc 1 -> Fmax 2/3 at .01
  const pk = mine.categories.PK?.[BP]?.bestF as CurveRow;
  t.ok(close(pk.f, 2 / 3) && close(pk.tau, 0.01) && close(pk.pr, 0.5) && close(pk.rc, 1), `PK BP Fmax 2/3 at .01 with the known terms left out (got ${pk.f} at ${pk.tau})`);
  t.equal(mine.categories.NK?.[CC]?.bestF, null, 'NK CC: no prediction of the imported set, no best row');
  t.equal(mine.categories.NK?.[CC]?.predictedTargets, 0);
  t.notOk(mine.categories.LK, 'a category without targets is absent');

  // naive: reference BP proteins Q1 Q2 P3 (Q3 is IEA, Q4's only term is NOT-excluded): R 1, A 2/3, B 1/3, C 1/3.
  //  NK BP, tau <= .33: P1 pr 3/4, P2 pr 2/4, rc 1 -> F = 2 * .625 / 1.625 = 10/13 (Fmax at .01)
  const n = naive.categories.NK?.[BP]?.bestF as CurveRow;
  t.ok(close(n.f, 10 / 13) && close(n.tau, 0.01) && close(n.pr, 0.625) && close(n.rc, 1), `naive NK BP Fmax 10/13 at .01 (got ${n.f} at ${n.tau})`);
  const nAt = (tau: number) => naive.categories.NK![BP]!.curve.find((r) => close(r.tau, tau))!;
  t.ok(close(nAt(0.5).pr, 0.75) && close(nAt(0.5).rc, (2 / 3 + 1 / 2) / 2), 'naive NK BP at .5: R and A (2/3) predicted');
  t.ok(close(nAt(0.7).pr, 1) && close(nAt(0.7).rc, (1 / 3 + 1 / 2) / 2), 'naive NK BP at .7: only the root');
  t.ok(close(naive.categories.NK?.[CC]?.bestF?.f, 1), 'naive NK CC: X and its root have frequency 1 (Q5 only)');
  t.ok(close(naive.categories.PK?.[BP]?.bestF?.f, 2 / 3) && close(naive.categories.PK?.[BP]?.bestF?.tau, 0.01), 'naive PK BP: C and B at 1/3 once A and R (known) are removed');

  // stored: two evaluation_result rows, the baseline's prediction_set with its provenance
  const stored = await listEvaluationResults(db, { evaluationSetId: s.set, limit: 10 });
  t.equal(stored.length, 2);
  t.same(new Set(stored.map((r) => r.method)), new Set(['tiny-predictions.tsv', 'naive']));
  const baselineRow = stored.find((r) => r.baseline === 'naive')!;
  t.equal(baselineRow.prediction_set_kind, 'baseline');
  const baselineSet = await getPredictionSet(db, baselineRow.prediction_set_id);
  t.match(baselineSet, { kind: 'baseline', name: 'naive', ontology_snapshot_id: s.snapshot, meta: { baseline: 'naive', reference_annotation_set_id: s.oldSet, evaluation_set_id: s.set } });
  t.equal(await db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM go_prediction WHERE prediction_set_id = ${baselineRow.prediction_set_id}`), 0, 'the baseline is not materialised as go_prediction rows');
  const full = await getEvaluationResult(db, report.results[0]!.id);
  t.same(full?.results, mine, 'the stored document reads back as computed');
  t.equal((await listEvaluationResults(db, { predictionSetId: imported.predictionSetId, limit: 10 })).length, 1);

  // the table and the files
  const table = formatResultsTable([mine, naive]).split('\n');
  t.match(table[0], /^category\s+namespace\s+method\s+Fmax\s+tau\s+precision\s+recall\s+coverage\s+S-min\s+n$/);
  t.match(table, [/./, /^NK\s+biological_process\s+tiny-predictions\.tsv\s+0\.909\s+0\.26\s+0\.833\s+1\.000\s+1\.000\s+0\.500\s+2$/, /^NK\s+biological_process\s+naive \(baseline\)\s+0\.769\s+0\.01\s+0\.625\s+1\.000\s+1\.000\s+/]);
  const written = await writeRunOutputs(path.join(dir, 'out'), [mine, naive]);
  t.same(written.map((w) => path.basename(w)).sort(), ['curves.tsv', 'pr_NK_biological_process.svg', 'pr_NK_cellular_component.svg', 'pr_PK_biological_process.svg', 'results.tsv', 'results_best_s.tsv']);

  // a second run points the baseline's result at the same prediction set
  const again = await runEvaluation({ ...request, predictions: 'tiny-predictions.tsv', noRoots: true }, { db, progress: null });
  t.equal(again.results[1]!.predictionSetId, baselineRow.prediction_set_id, 'the naive prediction set is reused');
  t.equal((await listPredictionSets(db, { kind: 'baseline' })).length, 1);
  // --no-roots: NK BP ground truth P1 {C A}, P2 {B}; .26-.50: P1 pr 1 rc 1, P2 {A B} pr 1/2 rc 1 -> F 2*.75/1.75 = 6/7
  t.ok(close(again.results[0]!.document.categories.NK?.[BP]?.bestF?.f, 6 / 7), `without roots NK BP Fmax 6/7 (got ${again.results[0]!.document.categories.NK?.[BP]?.bestF?.f})`);

  // information accretion: A 1, B 2, C 0.5 (roots 0). NK BP weighted, .26-.50: P1 predicts C A (all true), P2 A B (B true: 2 of 3) -> F_w 10/11
  const ia = path.join(dir, 'ia.tsv');
  writeFileSync(ia, `${go(1)}\t0\n${go(2)}\t1\n${go(3)}\t2\n${go(4)}\t0.5\n${go(10)}\t0\n${go(11)}\t1\n`);
  const weighted = await runEvaluation({ ...request, ia, baselines: [] }, { db, progress: null });
  t.equal(weighted.results.length, 1, 'baselines none: only the prediction set');
  const w = weighted.results[0]!.document;
  t.equal(w.options.ia, ia);
  const fw = w.categories.NK?.[BP]?.bestFW as CurveRow;
  t.ok(close(fw.f_w, 10 / 11) && close(fw.tau, 0.26) && close(fw.pr_w, 5 / 6), `weighted NK BP Fmax 10/11 at .26 (got ${fw.f_w} at ${fw.tau})`);
  t.ok(close(w.categories.NK?.[BP]?.curve.find((r) => close(r.tau, 0.1))?.pr_w, (1.5 / 3.5 + 2 / 3) / 2), 'weighted precision at .1: (1.5/3.5 + 2/3) / 2');
  t.match(formatResultsTable([w]).split('\n')[0], /S-min\s+wFmax\s+wS-min\s+n$/, 'the table gains the weighted columns');
});

t.test('the identity baseline beside naive: each target\'s best Smith-Waterman hit among the stored sequences passes on its terms at its identity; a target without a sequence is reported', async (t) => {
  const { db } = await seededPools(t);
  const s = await seed(db);
  // Sequences: P1 is S, its BP reference Q1 and its CC reference Q5 are copies of S with 15 and 30
  // substitutions; P3 (a PK target, itself a BP reference with A: left out) is U, Q6 (BP C, added
  // here) U with 10 substitutions, Q2 (BP B) U with 5 but no stored sequence; P2 has none either.
  const S = randomSequence(160, 160, seededRandom(11));
  const U = randomSequence(140, 140, seededRandom(12));
  const stored: Record<string, string> = { P1: S, Q1: withSubstitutions(S, 15), Q5: withSubstitutions(S, 30), P3: U, Q6: withSubstitutions(U, 10) };
  for (const [accession, sequence] of Object.entries(stored)) {
    const sequenceId = await db.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO sequence (sequence, sequence_hash, length) VALUES (${sequence}, ${md5(sequence)}, ${sequence.length})
      ON CONFLICT (sequence_hash) DO UPDATE SET length = EXCLUDED.length RETURNING id`);
    await db.query(sql.unsafe`INSERT INTO protein (accession, canonical_accession, length, sequence_id) VALUES (${accession}, ${accession}, ${sequence.length}, ${sequenceId})`);
  }
  await db.query(sql.unsafe`INSERT INTO protein (accession, canonical_accession) VALUES ('Q2', 'Q2')`);
  await db.query(sql.unsafe`
    INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, qualifier, evidence_code, db)
    SELECT ${s.oldSet}, 'Q6', id, 'involved_in', 'IDA', 'UniProtKB' FROM go_term WHERE ontology_snapshot_id = ${s.snapshot} AND go_id = ${go(4)}`);

  const report = await runEvaluation({ set: s.set, prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false, baselines: parseBaselines('naive,identity') }, { db, progress: null });
  t.same(report.results.map((r) => [r.document.method, r.document.baseline]), [['naive', 'naive'], ['identity', 'identity']], 'a result per baseline, in the order asked');
  t.match(report.warnings, [/^identity: 1 of 3 targets have no stored sequence and get no prediction \(P2\)$/, /^identity: 1 annotated reference proteins have no stored sequence/], 'P2 (target) and Q2 (reference) are reported');
  const id = report.results[1]!.document;
  const i1 = alignLocal(S, stored.Q1!).identity;
  const i5 = alignLocal(S, stored.Q5!).identity;
  const i6 = alignLocal(U, stored.Q6!).identity;
  t.ok(i1 > i5 && i6 < 1, `identities by alignLocal: P1-Q1 ${i1.toFixed(3)}, P1-Q5 ${i5.toFixed(3)}, P3-Q6 ${i6.toFixed(3)}`);

  // NK BP: P1 gets Q1's C (C A R) at i1, P2 nothing: precision 1, recall (1 + 0)/2 -> F 2/3, coverage 1/2, up to i1
  const bp = id.categories.NK?.[BP];
  t.ok(close(bp?.bestF?.f, 2 / 3) && close(bp?.bestF?.pr, 1) && close(bp?.bestF?.rc, 0.5) && close(bp?.bestF?.cov, 0.5) && close(bp?.bestF?.tau, 0.01), `identity NK BP: Fmax 2/3 at .01 with coverage 1/2 (got ${bp?.bestF?.f} at ${bp?.bestF?.tau})`);
  const last = (curve: readonly CurveRow[], upTo: number) => curve.filter((r) => r.tau <= upTo + 1e-9).at(-1)!;
  const after = (curve: readonly CurveRow[], above: number) => curve.find((r) => r.tau > above + 1e-9)!;
  t.ok(close(last(bp!.curve, i1).cov, 0.5) && after(bp!.curve, i1).cov === 0, `P1 is predicted up to tau = its identity ${i1.toFixed(4)} and not above: score = identity`);
  // NK CC: P1 gets Q5's X (X Rc) at i5: F 1
  const cc = id.categories.NK?.[CC];
  t.ok(close(cc?.bestF?.f, 1) && after(cc!.curve, i5).cov === 0 && close(last(cc!.curve, i5).cov, 1), `identity NK CC: F 1 up to tau = ${i5.toFixed(4)}`);
  // PK BP: P3 is not its own hit (it would pass on A); Q6 passes on C A R at i6, A and R are known: C, F 1
  const pk = id.categories.PK?.[BP];
  t.ok(close(pk?.bestF?.f, 1) && after(pk!.curve, i6).cov === 0, `identity PK BP: Q6's C (not P3's own A), F 1 up to tau = ${i6.toFixed(4)} (got ${pk?.bestF?.f})`);

  const listed = await listPredictionSets(db, { kind: 'baseline' });
  t.same(listed.map((p) => p.name).sort(), ['identity', 'naive'], 'each baseline has its prediction set');
  t.match(await getPredictionSet(db, report.results[1]!.predictionSetId), { kind: 'baseline', name: 'identity', meta: { baseline: 'identity', reference_annotation_set_id: s.oldSet, description: /Smith-Waterman/ } });
});

t.test('a malformed prediction line stops the import naming file and line, and nothing is stored', async (t) => {
  const { db, copyPool } = await seededPools(t);
  await seed(db);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-eval-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'bad.tsv');
  writeFileSync(bad, `AUTHOR\tx\nP1\t${go(4)}\t0.5\nP2\t${go(3)}\t1.5\n`);
  await t.rejects(importPredictions({ file: bad, format: 'cafa' }, { db, copyPool, progress: null }), { key: 'EVALUATION_INPUT_INVALID', context: { file: bad, line: 3, field: 'score' }, message: /bad\.tsv:3: score 1\.5 is outside \[0, 1\]/ });
  const none = path.join(dir, 'unknown-only.tsv');
  writeFileSync(none, `P1\t${go(9999999)}\t0.5\nP1\t${go(9)}\t0.5\n`);
  const err = await importPredictions({ file: none, format: 'cafa' }, { db, copyPool, progress: null }).catch((e: unknown) => e);
  t.ok(err instanceof ProteaError && err.key === 'EVALUATION_EMPTY', 'a file with no term of the snapshot is refused');
  t.match((err as Error).message, /1 on obsolete terms, 1 on unknown ids/);
  t.equal(await db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM prediction_set`), 0, 'no prediction set was stored');
  t.equal(await db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM go_prediction`), 0, 'and no prediction');
  const missing = await runEvaluation({ set: '01890000-0000-7000-8000-000000000000', prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false, baselines: [naiveBaseline] }, { db, progress: null }).catch((e: unknown) => e);
  t.ok(missing instanceof ProteaError && missing.key === 'NOT_FOUND', 'an unknown evaluation set is NOT_FOUND');
});
