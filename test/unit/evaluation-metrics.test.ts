// The metric core on small examples computed by hand from the definitions
// (evaluation/metrics.ts header). The running example, namespace bp:
//
//        R            p1: ground truth C  -> {C, A, B, R}   predicted C 0.6, D 0.3
//       / \           p2: ground truth D  -> {D, A, R}      predicted B 0.8
//      A   B          p3: ground truth B  -> {B, R}         no prediction
//     / \ :           (C is_a A, C part_of B; D is_a A)
//    D   C
//
// With thStep 0.25 the thresholds are 0.25, 0.5, 0.75. Propagated (max):
// p1 C .6 A .6 B .6 R .6 D .3; p2 B .8 R .8.
import t, { type Test } from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { Evaluator, evaluate, thresholdBin, thresholds, validateOptions } from '../../evaluation/metrics.js';
import { buildOntology } from '../../evaluation/ontology.js';
import type { Annotation, CurveRow, EvaluationOptions, NamespaceResult, OntologyTermInput, ScoredPrediction } from '../../evaluation/types.js';

const BP = 'bp';
const MF = 'mf';
const TERMS: OntologyTermInput[] = [
  { id: 'R', namespace: BP },
  { id: 'A', namespace: BP, isA: ['R'] },
  { id: 'B', namespace: BP, isA: ['R'] },
  { id: 'C', namespace: BP, isA: ['A'], partOf: ['B'], altIds: ['C_ALT'] },
  { id: 'D', namespace: BP, isA: ['A'] },
  { id: 'OLD', namespace: BP, obsolete: true },
  { id: 'M', namespace: MF },
  { id: 'N', namespace: MF, isA: ['M'], partOf: ['A'] },
];
const ONT = buildOntology(TERMS);
const GT: Annotation[] = [
  { target: 'p1', term: 'C' },
  { target: 'p2', term: 'D' },
  { target: 'p3', term: 'B' },
];
const PRED: ScoredPrediction[] = [
  { target: 'p1', term: 'C', score: 0.6 },
  { target: 'p1', term: 'D', score: 0.3 },
  { target: 'p2', term: 'B', score: 0.8 },
];

const opts = (o: Partial<EvaluationOptions> = {}): EvaluationOptions => ({ prop: 'max', norm: 'cafa', thStep: 0.25, noRoots: false, ...o });
const ns = (res: NamespaceResult[], name: string) => {
  const r = res.find((x) => x.namespace === name);
  if (!r) throw new Error(`no result for ${name}`);
  return r;
};
const at = (res: NamespaceResult[], name: string, tau: number) => {
  const row = ns(res, name).curve.find((c) => c.tau === tau);
  if (!row) throw new Error(`no row at ${tau}`);
  return row;
};
const f = (pr: number, rc: number) => (pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0);

type Want = Pick<CurveRow, 'n' | 'tp' | 'fp' | 'fn' | 'pr' | 'rc' | 'cov'>;

/** Checks a row against hand-computed n, tp, fp, fn, pr, rc, cov and what follows from them. */
function expectRow(t: Test, got: CurveRow, w: Want, suffix = '', label = ''): void {
  const g = got as unknown as Record<string, number>;
  const all: Record<string, number> = {
    ...w,
    mi: w.fp,
    ru: w.fn,
    f: f(w.pr, w.rc),
    s: Math.sqrt(w.fp ** 2 + w.fn ** 2),
    pr_micro: w.tp + w.fp > 0 ? w.tp / (w.tp + w.fp) : 0,
    rc_micro: w.tp + w.fn > 0 ? w.tp / (w.tp + w.fn) : 0,
  };
  all.f_micro = f(all.pr_micro!, all.rc_micro!);
  const bad = Object.entries(all).filter(([k, v]) => !(Math.abs((g[`${k}${suffix}`] ?? NaN) - v) < 1e-12)).map(([k, v]) => `${k}${suffix}: got ${g[`${k}${suffix}`]}, want ${v}`);
  t.same(bad, [], `${label}row at tau ${got.tau}${suffix ? ` (${suffix})` : ''}`);
}

t.test('thresholds are the floats of numpy.arange(step, 1, step): from step, below 1', async (t) => {
  t.same(Array.from(thresholds(0.25)), [0.25, 0.5, 0.75]);
  t.same(Array.from(thresholds(0.5)), [0.5]);
  const three = thresholds(0.3);
  t.equal(three.length, 3);
  t.equal(three[2], 0.3 + 2 * (0.3 + 0.3 - 0.3), 'formed as start + i*delta');
  const hundred = thresholds(0.01);
  t.equal(hundred.length, 99, '0.01 .. 0.99');
  t.equal(hundred[0], 0.01);
  t.equal(hundred[98], 0.99);
  t.ok(hundred[83]! > 0.84, `the "0.84" threshold is ${hundred[83]}, above the double 0.84`);
  t.equal(thresholds(0.05).length, 19);
  // the bin of a score is the number of thresholds <= score, whatever the step
  for (const step of [0.01, 0.05, 0.1, 0.25, 0.3, 0.07, 0.0001]) {
    const taus = thresholds(step);
    const scores = [0, 1e-9, step, 0.5, 0.84, 0.999999, 1, 1.5, ...Array.from(taus.slice(0, 50)), ...Array.from({ length: 200 }, (_, i) => ((i * 7919) % 1000) / 1000)];
    const bad = scores.filter((s) => thresholdBin(taus, s) !== taus.filter((x) => x <= s).length);
    t.same(bad, [], `thresholdBin agrees with counting for step ${step}`);
  }
});

t.test('the running example, prop max, norm cafa: every column at every threshold, best rows', async (t) => {
  const res = evaluate(ONT, GT, PRED, opts());
  t.same(res.map((r) => r.namespace), [BP], 'only bp has ground truth');
  const r = ns(res, BP);
  t.equal(r.groundTruthTargets, 3);
  t.equal(r.predictedTargets, 2);
  t.same(r.curve.map((c) => c.tau), [0.25, 0.5, 0.75]);
  // 0.25: p1 predicts {C,A,B,R,D}: tp 4 fp 1 fn 0; p2 {B,R} vs {D,A,R}: tp 1 fp 1 fn 2; p3 nothing, fn 2
  expectRow(t, at(res, BP, 0.25), { n: 2, tp: 5 / 3, fp: 2 / 3, fn: 4 / 3, pr: (4 / 5 + 1 / 2) / 2, rc: (1 + 1 / 3 + 0) / 3, cov: 2 / 3 });
  // 0.5: D drops out of p1: tp 4 fp 0
  expectRow(t, at(res, BP, 0.5), { n: 2, tp: 5 / 3, fp: 1 / 3, fn: 4 / 3, pr: (1 + 1 / 2) / 2, rc: (1 + 1 / 3) / 3, cov: 2 / 3 });
  // 0.75: only p2 (0.8) is left
  expectRow(t, at(res, BP, 0.75), { n: 1, tp: 1 / 3, fp: 1 / 3, fn: (4 + 2 + 2) / 3, pr: 1 / 2, rc: 1 / 3 / 3, cov: 1 / 3 });
  t.equal(r.bestF?.tau, 0.5, 'F: 0.528 at 0.25, 0.558 at 0.5, 0.182 at 0.75');
  t.equal(r.bestS?.tau, 0.5, 'S: sqrt(20)/3 at 0.25, sqrt(17)/3 at 0.5, sqrt(65)/3 at 0.75');
  t.equal(r.bestF, at(res, BP, 0.5), 'the best row is the curve row itself');
  t.equal(r.bestFW, undefined, 'no weighted best rows without IA');
  t.equal(at(res, BP, 0.5).f_w, undefined, 'no weighted columns without IA');
});

t.test('a score equal to a threshold counts (score >= tau); 0.84 does not reach the float threshold 0.8400000000000001', async (t) => {
  const exact = evaluate(ONT, [{ target: 'p1', term: 'D' }], [{ target: 'p1', term: 'D', score: 0.5 }], opts());
  t.equal(at(exact, BP, 0.5).n, 1, '0.5 >= 0.5');
  t.equal(at(exact, BP, 0.75).n, 0);
  const taus = thresholds(0.01);
  const res = evaluate(ONT, [{ target: 'p1', term: 'D' }], [{ target: 'p1', term: 'D', score: 0.84 }], opts({ thStep: 0.01 }));
  t.equal(at(res, BP, taus[82]!).n, 1, 'counted at 0.83');
  t.equal(at(res, BP, taus[83]!).n, 0, 'not at the threshold printed as 0.84');
  t.equal(ns(res, BP).bestF?.tau, taus[0], 'rows 0.01 .. 0.83 are identical: the first is the best');
});

t.test('ties: identical rows at several thresholds give the lowest of them as best F and best S', async (t) => {
  const res = evaluate(ONT, GT, [{ target: 'p1', term: 'C', score: 0.9 }, { target: 'p2', term: 'D', score: 0.9 }], opts());
  const r = ns(res, BP);
  t.same(r.curve.map((c) => c.f), [r.curve[0]!.f, r.curve[0]!.f, r.curve[0]!.f], 'the same F at the three thresholds');
  t.equal(r.bestF?.tau, 0.25);
  t.equal(r.bestS?.tau, 0.25);
});

t.test('proteins without predictions count in recall and coverage (ne), not in precision (n)', async (t) => {
  const res = evaluate(ONT, GT, PRED, opts());
  const row = at(res, BP, 0.5);
  t.equal(row.n, 2, 'p3 has no prediction');
  t.equal(row.cov, 2 / 3);
  t.equal(row.pr, (1 + 1 / 2) / 2, 'precision over the two predicted proteins');
  t.equal(row.rc, (1 + 1 / 3 + 0) / 3, 'recall over the three ground-truth proteins');
});

t.test('predictions for proteins outside the ground truth, unknown or obsolete terms, or another namespace of the protein are ignored and counted', async (t) => {
  const base = evaluate(ONT, GT, PRED, opts());
  const ev = new Evaluator(ONT, GT, opts());
  const noisy = ev.score([
    ...PRED,
    { target: 'x9', term: 'A', score: 0.9 },
    { target: 'p1', term: 'NOPE', score: 0.9 },
    { target: 'p3', term: 'OLD', score: 0.9 },
    { target: 'p2', term: 'N', score: 0.9 },
    { target: 'p3', term: 'A', score: 0 },
  ]);
  t.same(noisy, base, 'same results as without the extra lines');
  t.equal(ev.stats.predictionsOtherTarget, 1);
  t.equal(ev.stats.predictionsUnknownTerm, 2);
  t.equal(ev.stats.predictionsOtherNamespace, 1, 'p2 has no mf ground truth');
  t.equal(ev.stats.predictionsZeroScore, 1);
});

t.test('roots: kept by default; noRoots drops them from scoring, and a root-only protein stays a target with nothing to recall', async (t) => {
  const gt = [...GT, { target: 'p4', term: 'R' }];
  const pred = [...PRED, { target: 'p4', term: 'R', score: 0.7 }];
  const kept = evaluate(ONT, gt, pred, opts());
  // p1 tp 4/pred 5; p2 {B,R}: tp 1 (R) / 2; p3 none; p4 {R}: tp 1/1, recall 1
  expectRow(t, at(kept, BP, 0.25), { n: 3, tp: (4 + 1 + 0 + 1) / 4, fp: (1 + 1) / 4, fn: (0 + 2 + 2 + 0) / 4, pr: (4 / 5 + 1 / 2 + 1) / 3, rc: (1 + 1 / 3 + 0 + 1) / 4, cov: 3 / 4 }, '', 'roots kept: ');
  const dropped = evaluate(ONT, gt, pred, opts({ noRoots: true }));
  t.equal(ns(dropped, BP).groundTruthTargets, 4, 'p4 still counts in ne');
  // ground truth {C,A,B} {D,A} {B} {}; p1 predicts {C,A,B,D}: tp 3/4; p2 {B}: tp 0/1; p4 predicts only the root: not in n
  expectRow(t, at(dropped, BP, 0.25), { n: 2, tp: 3 / 4, fp: (1 + 1) / 4, fn: (0 + 2 + 1 + 0) / 4, pr: (3 / 4 + 0) / 2, rc: (1 + 0 + 0 + 0) / 4, cov: 2 / 4 }, '', 'no roots: ');
});

t.test('prop fill keeps an explicit lower score on an ancestor where max overrides it', async (t) => {
  const pred = [
    { target: 'p1', term: 'C', score: 0.9 },
    { target: 'p1', term: 'A', score: 0.3 },
  ];
  const gt = [{ target: 'p1', term: 'C' }];
  const max = evaluate(ONT, gt, pred, opts({ prop: 'max' }));
  const fill = evaluate(ONT, gt, pred, opts({ prop: 'fill' }));
  // max: A, B, R all 0.9; fill: A keeps 0.3, B 0.9 (from C), R = max(A 0.3, B 0.9) = 0.9
  expectRow(t, at(max, BP, 0.5), { n: 1, tp: 4, fp: 0, fn: 0, pr: 1, rc: 1, cov: 1 }, '', 'max: ');
  expectRow(t, at(fill, BP, 0.5), { n: 1, tp: 3, fp: 0, fn: 1, pr: 1, rc: 3 / 4, cov: 1 }, '', 'fill: ');
  expectRow(t, at(fill, BP, 0.25), { n: 1, tp: 4, fp: 0, fn: 0, pr: 1, rc: 1, cov: 1 }, '', 'fill: ');

  // a chain Z -> Y -> X: fill stops the child's score at a scored ancestor and passes the ancestor's on
  const chain = buildOntology([
    { id: 'X', namespace: BP },
    { id: 'Y', namespace: BP, isA: ['X'] },
    { id: 'Z', namespace: BP, isA: ['Y'] },
  ]);
  const cgt = [{ target: 'q', term: 'Z' }];
  const cpred = [
    { target: 'q', term: 'Z', score: 0.9 },
    { target: 'q', term: 'Y', score: 0.3 },
  ];
  expectRow(t, at(evaluate(chain, cgt, cpred, opts({ prop: 'fill' })), BP, 0.5), { n: 1, tp: 1, fp: 0, fn: 2, pr: 1, rc: 1 / 3, cov: 1 }, '', 'chain fill: X gets Y\'s 0.3: ');
  expectRow(t, at(evaluate(chain, cgt, cpred, opts({ prop: 'max' })), BP, 0.5), { n: 1, tp: 3, fp: 0, fn: 0, pr: 1, rc: 1, cov: 1 }, '', 'chain max: ');
});

t.test('normalisations cafa, pred and gt differ only in their denominators', async (t) => {
  // at 0.25: n 2, ne 3; sums tp 5, fp 2, fn 4, precision 0.8 + 0.5, recall 1 + 1/3
  const want = (other: number, prDen: number): Want => ({ n: 2, tp: 5 / other, fp: 2 / other, fn: 4 / other, pr: 1.3 / prDen, rc: (4 / 3) / other, cov: 2 / 3 });
  expectRow(t, at(evaluate(ONT, GT, PRED, opts({ norm: 'cafa' })), BP, 0.25), want(3, 2), '', 'cafa: ');
  expectRow(t, at(evaluate(ONT, GT, PRED, opts({ norm: 'pred' })), BP, 0.25), want(2, 2), '', 'pred: ');
  expectRow(t, at(evaluate(ONT, GT, PRED, opts({ norm: 'gt' })), BP, 0.25), want(3, 3), '', 'gt: ');
});

t.test('information accretion: terms weigh their IA, IA 0 (or missing, NaN, infinite, negative) terms drop out, n_w counts proteins with a weighted prediction', async (t) => {
  const gt = [
    { target: 'p1', term: 'C' },
    { target: 'p2', term: 'D' },
  ];
  const pred = [
    { target: 'p1', term: 'C', score: 0.6 },
    { target: 'p1', term: 'D', score: 0.3 },
    { target: 'p2', term: 'R', score: 0.8 },
  ];
  const ia = new Map([
    ['R', 0],
    ['A', 1],
    ['B', 2],
    ['C', 0.5],
    ['D', 3],
    ['C_ALT', 100], // IA is looked up by the main id only
    ['OLD', 5],
  ]);
  const res = evaluate(ONT, gt, pred, opts({ ia }));
  const row = at(res, BP, 0.25);
  // plain: p1 tp 4/5, p2 {R}: tp 1/1
  expectRow(t, row, { n: 2, tp: 5 / 2, fp: 1 / 2, fn: (0 + 2) / 2, pr: (4 / 5 + 1) / 2, rc: (1 + 1 / 3) / 2, cov: 1 }, '', 'plain: ');
  // weighted: p1 predicts C .5 A 1 B 2 D 3 (R 0): 6.5, of which true 3.5 = its whole ground truth;
  // p2 predicts only R (IA 0): not in n_w; its ground truth weighs D 3 + A 1 = 4
  expectRow(t, row, { n: 1, tp: 3.5 / 2, fp: 3 / 2, fn: (0 + 4) / 2, pr: 3.5 / 6.5, rc: (1 + 0) / 2, cov: 1 / 2 }, '_w', 'weighted: ');
  t.ok(ns(res, BP).bestFW && ns(res, BP).bestSW, 'weighted best rows present');

  for (const bad of [Number.NaN, Infinity, -1, 0]) {
    const r2 = at(evaluate(ONT, gt, pred, opts({ ia: new Map([...ia, ['D', bad]]) })), BP, 0.25);
    // without D: p1 predicts 3.5, all true; p2's ground truth weighs A 1
    expectRow(t, r2, { n: 1, tp: 3.5 / 2, fp: 0, fn: (0 + 1) / 2, pr: 1, rc: 1 / 2, cov: 1 / 2 }, '_w', `IA of D = ${bad}: `);
  }
  const missing = at(evaluate(ONT, gt, pred, opts({ ia: new Map([...ia].filter(([k]) => k !== 'D')) })), BP, 0.25);
  t.equal(missing.pr_w, 1, 'a term missing from the IA weighs 0');
});

t.test('alt_ids map to their term in ground truth and predictions; obsolete terms are ignored and counted', async (t) => {
  const base = evaluate(ONT, GT, PRED, opts());
  const ev = new Evaluator(ONT, [{ target: 'p1', term: 'C_ALT' }, { target: 'p1', term: 'OLD' }, ...GT.slice(1)], opts());
  const res = ev.score([{ target: 'p1', term: 'C_ALT', score: 0.6 }, { target: 'p1', term: 'C', score: 0.2 }, ...PRED.slice(1)]);
  t.same(res, base.map((r) => ({ ...r, predictedTargets: r.predictedTargets })), 'same as with the main id');
  t.equal(ev.stats.groundTruthUnknownTerms, 1, 'the obsolete line');
  t.same(ev.stats.unknownTermExamples, ['OLD']);
});

t.test('duplicate predictions: the highest score counts', async (t) => {
  const dup = evaluate(ONT, GT, [{ target: 'p1', term: 'C', score: 0.2 }, ...PRED, { target: 'p1', term: 'C', score: 0.1 }], opts());
  t.same(dup, evaluate(ONT, GT, PRED, opts()));
});

t.test('part_of into another namespace does not propagate: ground truth and predictions stay in the term\'s namespace', async (t) => {
  const ev = new Evaluator(ONT, [{ target: 'p1', term: 'N' }], opts());
  t.same(ev.namespaces(), [MF], 'N part_of A does not make p1 a bp target');
  const res = ev.score([
    { target: 'p1', term: 'N', score: 0.7 },
    { target: 'p1', term: 'A', score: 0.9 },
  ]);
  expectRow(t, at(res, MF, 0.5), { n: 1, tp: 2, fp: 0, fn: 0, pr: 1, rc: 1, cov: 1 }, '', 'mf {N, M}: ');
  t.equal(ev.stats.predictionsOtherNamespace, 1);
});

t.test('PK: known terms, propagated, leave ground truth and predictions; a protein with nothing left is no target', async (t) => {
  const known = [
    { target: 'p1', term: 'A' },
    { target: 'p2', term: 'D' },
    { target: 'nobody', term: 'A' },
  ];
  const ev = new Evaluator(ONT, GT, opts(), known);
  const res = ev.score(PRED);
  const r = ns(res, BP);
  t.equal(r.groundTruthTargets, 2, 'p2 knew all of {D, A, R}');
  t.equal(ev.stats.targetsCoveredByKnown, 1);
  t.equal(ev.stats.knownIgnored, 1);
  // p1: ground truth {C,A,B,R} - {A,R} = {C,B}; predicted {C,B,D}: tp 2/3; p3 unchanged {B,R}, no prediction
  expectRow(t, at(res, BP, 0.25), { n: 1, tp: 2 / 2, fp: 1 / 2, fn: (0 + 2) / 2, pr: 2 / 3, rc: (1 + 0) / 2, cov: 1 / 2 });
  t.equal(r.predictedTargets, 1);
});

t.test('a namespace with ground truth but no prediction has a zero-coverage curve and no best rows', async (t) => {
  const res = evaluate(ONT, [...GT, { target: 'p1', term: 'N' }], PRED, opts());
  const mf = ns(res, MF);
  t.equal(mf.groundTruthTargets, 1);
  t.equal(mf.predictedTargets, 0);
  t.ok(mf.curve.every((c) => c.cov === 0 && c.n === 0 && c.pr === 0 && c.f === 0));
  t.equal(mf.curve[0]!.rc, 0);
  t.equal(mf.curve[0]!.fn, 2, 'the whole ground truth {N, M} is missed');
  t.equal(mf.bestF, null);
  t.equal(mf.bestS, null);
});

t.test('options are validated: thStep in [0.0001, 1), prop max|fill, norm cafa|pred|gt', async (t) => {
  for (const bad of [0, 1, -0.1, Number.NaN, 0.00001, 2]) {
    const err = t.throws(() => validateOptions(opts({ thStep: bad }))) as unknown as ProteaError;
    t.equal(err.key, 'USAGE', `thStep ${bad}`);
  }
  t.throws(() => validateOptions(opts({ prop: 'min' as never })));
  t.throws(() => validateOptions(opts({ norm: 'all' as never })));
  t.doesNotThrow(() => validateOptions(opts({ thStep: 0.0001 })));
  const err = t.throws(() => evaluate(ONT, GT, [{ target: 'p1', term: 'C', score: Number.NaN }], opts())) as unknown as ProteaError;
  t.equal(err.key, 'EVALUATION_INPUT_INVALID', 'a NaN score is refused');
});

t.test('one Evaluator scores several prediction sets independently', async (t) => {
  const ev = new Evaluator(ONT, GT, opts({ prop: 'fill' }));
  const first = ev.score(PRED);
  const other = ev.score([{ target: 'p3', term: 'B', score: 0.9 }]);
  const again = ev.score(PRED);
  t.same(again, first, 'no state leaks from one run into the next');
  t.same(other, evaluate(ONT, GT, [{ target: 'p3', term: 'B', score: 0.9 }], opts({ prop: 'fill' })));
});
