// evaluation/report.ts: the results table, the results and curves TSVs and
// the precision-recall plots of `protea evaluate run`, from documents built
// with the metric core on a tiny ontology.
import t from 'tap';
import { bestTableTsv, CURVE_COLUMNS, WEIGHTED_COLUMNS } from '../../evaluation/files.js';
import { evaluate } from '../../evaluation/metrics.js';
import { buildOntology } from '../../evaluation/ontology.js';
import { curvesTsv, formatResultsTable, isWeighted, resultEntries, resultPlots, resultsTsv, toStored } from '../../evaluation/report.js';
import type { Annotation, Category, EvaluationOptions, EvaluationResultDocument, ScoredPrediction, StoredNamespaceResult } from '../../evaluation/types.js';

const BP = 'biological_process';
const CC = 'cellular_component';
const ontology = buildOntology([
  { id: 'R', namespace: BP },
  { id: 'A', namespace: BP, isA: ['R'] },
  { id: 'B', namespace: BP, isA: ['R'] },
  { id: 'Rc', namespace: CC },
  { id: 'X', namespace: CC, isA: ['Rc'] },
]);
const NK: Annotation[] = [
  { target: 'P1', term: 'A' },
  { target: 'P2', term: 'B' },
  { target: 'P1', term: 'X' },
];
const PK: Annotation[] = [{ target: 'P3', term: 'A' }];
const MINE: ScoredPrediction[] = [
  { target: 'P1', term: 'A', score: 0.705 },
  { target: 'P2', term: 'A', score: 0.405 },
  { target: 'P3', term: 'B', score: 0.305 },
];
const NAIVE: ScoredPrediction[] = ['P1', 'P2', 'P3'].flatMap((p) => [
  { target: p, term: 'R', score: 1 },
  { target: p, term: 'A', score: 0.5 },
  { target: p, term: 'B', score: 0.5 },
  { target: p, term: 'Rc', score: 1 },
  { target: p, term: 'X', score: 1 },
]);

function doc(method: string, baseline: string | null, predictions: ScoredPrediction[], options: EvaluationOptions): EvaluationResultDocument {
  const categories: EvaluationResultDocument['categories'] = {};
  for (const [c, gt] of [['NK', NK], ['PK', PK]] as Array<[Category, Annotation[]]>) {
    categories[c] = Object.fromEntries(evaluate(ontology, gt, predictions, options).map((r) => [r.namespace, toStored(r)]));
  }
  return { method, baseline, options: { prop: options.prop, norm: options.norm, thStep: options.thStep, noRoots: options.noRoots, ia: options.ia ? 'ia.tsv' : null }, categories };
}

const PLAIN: EvaluationOptions = { prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false };
const mine = doc('model-1', null, MINE, PLAIN);
const naive = doc('naive', 'naive', NAIVE, PLAIN);

t.test('entries run over categories NK, LK, PK, namespaces in order, methods in the order given', async (t) => {
  t.same(
    resultEntries([mine, naive]).map((e) => `${e.category} ${e.namespace} ${e.method}`),
    [`NK ${BP} model-1`, `NK ${BP} naive`, `NK ${CC} model-1`, `NK ${CC} naive`, `PK ${BP} model-1`, `PK ${BP} naive`],
  );
  t.notOk(mine.categories.NK?.[CC]?.bestF, 'model-1 predicts nothing in CC');
  t.notOk(isWeighted(mine));
});

t.test('the results table: Fmax, tau, precision, recall, coverage at Fmax, S-min and n per category, namespace and method', async (t) => {
  const lines = formatResultsTable([mine, naive]).split('\n');
  t.match(lines[0], /^category\s+namespace\s+method\s+Fmax\s+tau\s+precision\s+recall\s+coverage\s+S-min\s+n$/);
  t.equal(lines.length, 7);
  const f = mine.categories.NK![BP]!.bestF!;
  const s = mine.categories.NK![BP]!.bestS!;
  const cells = lines[1]!.split(/\s{2,}/);
  t.same(cells, ['NK', BP, 'model-1', f.f.toFixed(3), String(Number(f.tau.toPrecision(12))), f.pr.toFixed(3), f.rc.toFixed(3), f.cov.toFixed(3), s.s.toFixed(3), '2'], 'the NK BP line of model-1');
  // P1 A .705 (A R), P2 A .405 (A R): at .41..70 only P1 (pr 1, rc 1/2 over 2 targets); at <= .40 both: P1 pr 1, P2 pr 1/2, rc (1 + 1/2)/2
  t.equal(cells[3], '0.750', 'Fmax (3/4 at tau <= .40: precision 3/4, recall 3/4)');
  t.match(lines[2], /^NK\s+biological_process\s+naive \(baseline\)\s/);
  t.match(lines[3], /^NK\s+cellular_component\s+model-1\s+-\s+-\s+-\s+-\s+0\.000\s+-\s+1$/, 'no prediction: dashes and coverage 0');
  const weighted = doc('model-1', null, MINE, { ...PLAIN, ia: new Map([['A', 1], ['B', 2], ['X', 0.5]]) });
  t.ok(isWeighted(weighted));
  const wl = formatResultsTable([weighted]).split('\n');
  t.match(wl[0], /S-min\s+wFmax\s+wS-min\s+n$/, 'IA adds the weighted Fmax and S-min');
  t.equal(wl[1]!.split(/\s{2,}/)[9], weighted.categories.NK![BP]!.bestFW!.f_w!.toFixed(3));
});

t.test('results.tsv: `category method ns` and the best-F row in the columns and number format of evaluate files', async (t) => {
  const lines = resultsTsv([mine, naive]).trimEnd().split('\n');
  t.equal(lines[0], ['category', 'method', 'ns', ...CURVE_COLUMNS].join('\t'));
  t.equal(lines.length, 1 + 5, 'one row per category/namespace/method with a best row (model-1 has none in NK CC)');
  const reference = bestTableTsv([{ method: 'model-1', namespace: BP, row: mine.categories.NK![BP]!.bestF! }], false).trimEnd().split('\n')[1];
  t.equal(lines[1], `NK\t${reference}`, 'the same cells as best_f.tsv of evaluate files');
  const bestS = resultsTsv([mine], 'bestS').trimEnd().split('\n');
  t.equal(bestS[1], `NK\t${bestTableTsv([{ method: 'model-1', namespace: BP, row: mine.categories.NK![BP]!.bestS! }], false).trimEnd().split('\n')[1]}`, 'results_best_s.tsv holds the S-min rows');
  const weighted = doc('model-1', null, MINE, { ...PLAIN, ia: new Map([['A', 1], ['B', 2]]) });
  t.equal(resultsTsv([weighted]).split('\n')[0], ['category', 'method', 'ns', ...CURVE_COLUMNS, ...WEIGHTED_COLUMNS].join('\t'), 'IA adds the _w columns');
});

t.test('curves.tsv has every threshold of every category, namespace and method', async (t) => {
  const lines = curvesTsv([mine, naive]).trimEnd().split('\n');
  t.equal(lines.length, 1 + 6 * 99);
  t.match(lines[1], /^NK\tmodel-1\tbiological_process\t0\.01\t/);
  t.match(lines.at(-1), /^PK\tnaive\tbiological_process\t0\.99\t/);
});

t.test('one precision-recall plot per category and namespace, every method a series', async (t) => {
  const plots = resultPlots([mine, naive], 'old -> new');
  t.same(plots.map((p) => p.file), [`pr_NK_${BP}.svg`, `pr_NK_${CC}.svg`, `pr_PK_${BP}.svg`]);
  for (const p of plots) {
    t.same(p.methods, ['model-1', 'naive (baseline)']);
    t.equal(p.svg.match(/<g class="series"/g)?.length, 2, `${p.file}: two series`);
    t.match(p.svg, /<title>[A-Z]{2} [a-z_]+ · old -&gt; new<\/title>/, `${p.file}: titled with category, namespace and the set`);
  }
  t.equal(plots[0]!.svg.match(/class="pr-curve"/g)?.length, 2, 'NK BP: both methods have a curve');
  t.equal(plots[1]!.svg.match(/class="pr-curve"/g)?.length, 1, 'NK CC: only the baseline predicted there');
  t.match(plots[1]!.svg, /model-1 \(no predictions\)/);
  const weighted = resultPlots([doc('model-1', null, MINE, { ...PLAIN, ia: new Map([['A', 1]]) })]);
  t.same(weighted.map((p) => p.file), [`pr_NK_${BP}.svg`, `pr_w_NK_${BP}.svg`, `pr_NK_${CC}.svg`, `pr_w_NK_${CC}.svg`, `pr_PK_${BP}.svg`, `pr_w_PK_${BP}.svg`], 'IA adds the weighted plots');
});

t.test('toStored keeps what the document needs and drops the namespace key', async (t) => {
  const [r] = evaluate(ontology, NK.slice(0, 2), MINE, PLAIN);
  const stored: StoredNamespaceResult = toStored(r!);
  t.same(Object.keys(stored).sort(), ['bestF', 'bestS', 'curve', 'groundTruthTargets', 'predictedTargets']);
  t.equal(stored.curve, r!.curve);
});
