// protea evaluate run: a prediction set (and the baselines) scored against an
// evaluation set, per category (NK, LK, PK) and namespace, stored as one
// evaluation_result per method; also lists and shows stored results and lists
// prediction sets.
//
// What is scored: the evaluation set's ontology snapshot (alt_ids mapped,
// obsolete terms dropped), its ground truth per category, and for PK its known
// terms (removed, propagated, from ground truth and predictions); the
// prediction set's go_prediction rows of target proteins, one per (protein,
// term) with the maximum score. The metrics are evaluation/metrics.ts's
// (CAFA-evaluator definitions); baselines are evaluation/baselines.ts's,
// computed from the evaluation set's OLD annotation set.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { BASELINES, DEFAULT_MAX_TERMS_PER_NAMESPACE, parseBaselines, referenceEvidenceCodes, type Baseline, type ReferenceAnnotation, type ReferenceAnnotations } from '../../evaluation/baselines.js';
import { readIaTsv } from '../../evaluation/files.js';
import { Evaluator, validateOptions, type EvaluationStats } from '../../evaluation/metrics.js';
import { buildOntology } from '../../evaluation/ontology.js';
import { curvesTsv, formatResultsTable, resultPlots, resultsTsv, toStored } from '../../evaluation/report.js';
import { CATEGORIES, type Annotation, type Category, type EvaluationOptions, type EvaluationResultDocument, type Normalization, type Propagation, type StoredNamespaceResult } from '../../evaluation/types.js';
import { BestEffortJob } from '../../lib/best-effort-job.js';
import { withQueryPool, type CommonQueryMethods, type DatabasePool } from '../../lib/db.js';
import { ProteaError, classify } from '../../lib/errors.js';
import { Progress } from '../../lib/progress.js';
import { loadEvidenceRows } from '../../lib/queries/annotation-sets.js';
import { getEvaluationResult, insertEvaluationResult, listEvaluationResults } from '../../lib/queries/evaluation-results.js';
import { getEvaluationSet, groundTruthRows, knownRows, type EvaluationSetRow } from '../../lib/queries/evaluation-sets.js';
import { loadOntologyTerms } from '../../lib/queries/ontology-terms.js';
import { countPredictions, ensureBaselinePredictionSet, listPredictionSets, resolvePredictionSet, streamPredictions, type PredictionSetRow } from '../../lib/queries/prediction-sets.js';

export interface RunRequest {
  /** evaluation set id */
  set: string;
  /** prediction set id or name; absent: baselines only */
  predictions?: string;
  /** information accretion file (term<TAB>ia) */
  ia?: string;
  prop: Propagation;
  norm: Normalization;
  thStep: number;
  noRoots: boolean;
  baselines: readonly Baseline[];
  /** the naive baseline's cap on terms per namespace */
  maxBaselineTerms?: number;
}

export interface StoredResult {
  id: string;
  predictionSetId: string;
  document: EvaluationResultDocument;
}

export interface RunReport {
  evaluationSet: EvaluationSetRow;
  jobId: string | null;
  /** the prediction set's first (when given), then the baselines' in the order asked */
  results: StoredResult[];
  /** what was left out on the way in, one line each */
  warnings: string[];
  ms: number;
}

function setLabel(s: EvaluationSetRow): string {
  return `${s.old_source}@${s.old_source_version ?? ''} -> ${s.new_source}@${s.new_source_version ?? ''}`;
}

/** Stats moved between two snapshots of an evaluator's counters (they accumulate over its runs). */
function ignoredSince(before: EvaluationStats, after: EvaluationStats): string[] {
  const d = (k: keyof EvaluationStats) => (after[k] as number) - (before[k] as number);
  return [
    d('predictionsUnknownTerm') ? `${d('predictionsUnknownTerm')} on terms not in the evaluation set's ontology or obsolete there` : '',
    d('predictionsOtherNamespace') ? `${d('predictionsOtherNamespace')} in a namespace where the protein is no target of the category` : '',
  ].filter(Boolean);
}

/** Async or sync iterable: baselines may compute their predictions either way. */
async function forEachPrediction<T>(it: AsyncIterable<T> | Iterable<T>, fn: (v: T) => void): Promise<void> {
  if (Symbol.asyncIterator in it) for await (const v of it as AsyncIterable<T>) fn(v);
  else for (const v of it as Iterable<T>) fn(v);
}

/**
 * Evaluates a prediction set and the baselines on an evaluation set and
 * stores one evaluation_result per method. NOT_FOUND for an unknown set,
 * EVALUATION_EMPTY when the set has no ground truth on its ontology.
 */
export async function runEvaluation(req: RunRequest, opts: { db: DatabasePool; job?: BestEffortJob | null; progress?: NodeJS.WriteStream | null }): Promise<RunReport> {
  const t0 = Date.now();
  const { db } = opts;
  const job = opts.job ?? null;
  const options: EvaluationOptions = { prop: req.prop, norm: req.norm, thStep: req.thStep, noRoots: req.noRoots };
  validateOptions(options);
  if (!req.predictions && req.baselines.length === 0) throw new ProteaError('USAGE', 'nothing to evaluate: give --predictions, or a baseline with --baselines', { field: '--predictions' });
  await job?.emit('created', (j) => j.created(`evaluate ${req.predictions ?? '(baselines only)'} on evaluation set ${req.set}`));
  await job?.emit('started', (j) => j.started());
  try {
    const set = await getEvaluationSet(db, req.set);
    if (!set) throw new ProteaError('NOT_FOUND', `--set: no evaluation set has the id ${req.set}`, { field: '--set', hint: 'List the evaluation sets with `protea evaluate set --list`.' });
    const predictionSet: PredictionSetRow | null = req.predictions ? await resolvePredictionSet(db, req.predictions) : null;
    if (req.ia) options.ia = await readIaTsv(req.ia);

    const terms = await loadOntologyTerms(db, set.ontology_snapshot_id);
    const ontology = buildOntology(terms);
    const groundTruth = new Map<Category, Annotation[]>();
    const targets = new Map<Category, Map<string, Set<string>>>();
    for (const r of await groundTruthRows(db, set.id)) {
      let list = groundTruth.get(r.category);
      if (!list) groundTruth.set(r.category, (list = []));
      list.push({ target: r.protein_accession, term: r.go_id });
      let byNs = targets.get(r.category);
      if (!byNs) targets.set(r.category, (byNs = new Map()));
      let proteins = byNs.get(r.namespace);
      if (!proteins) byNs.set(r.namespace, (proteins = new Set()));
      proteins.add(r.protein_accession);
    }
    const known: Annotation[] = (await knownRows(db, set.id)).map((r) => ({ target: r.protein_accession, term: r.go_id }));
    const categories = CATEGORIES.filter((c) => groundTruth.has(c));
    const evaluators = new Map<Category, Evaluator>();
    for (const c of categories) evaluators.set(c, new Evaluator(ontology, groundTruth.get(c)!, options, c === 'PK' ? known : undefined));
    for (const [c, ev] of [...evaluators]) if (ev.namespaces().length === 0) evaluators.delete(c);
    if (evaluators.size === 0) {
      throw new ProteaError('EVALUATION_EMPTY', `evaluation set ${set.id} has no ground truth on the terms of its ontology ${set.obo_version}`, { field: '--set' });
    }
    // progress: the loading, then one step per category of each method
    const steps = 1 + evaluators.size * ((predictionSet ? 1 : 0) + req.baselines.length);
    let step = 1;
    await job?.emit('progress', (j) => j.progress(step, steps, `evaluation set ${set.id}: ${[...evaluators.keys()].join(', ')} loaded`));

    const warnings: string[] = [];
    const docOptions: EvaluationResultDocument['options'] = { prop: req.prop, norm: req.norm, thStep: req.thStep, noRoots: req.noRoots, ia: req.ia ? path.resolve(req.ia) : null };
    const document = (method: string, baseline: string | null, results: Map<Category, Record<string, StoredNamespaceResult>>): EvaluationResultDocument => ({
      method,
      baseline,
      options: docOptions,
      categories: Object.fromEntries([...results]),
    });
    const pending: Array<{ predictionSetId: (tx: CommonQueryMethods) => Promise<string>; document: EvaluationResultDocument }> = [];

    if (predictionSet) {
      const before = new Map([...evaluators].map(([c, ev]) => [c, { ...ev.stats }]));
      const runs = [...evaluators].map(([c, ev]) => [c, ev.start()] as const);
      const bar = opts.progress === null ? undefined : new Progress({ label: `predictions ${predictionSet.name ?? predictionSet.id}`, total: 0, ...(opts.progress ? { stream: opts.progress } : {}) });
      let n = 0;
      const streamed = await streamPredictions(
        db,
        predictionSet.id,
        (protein, goId, score) => {
          for (const [, run] of runs) run.add(protein, goId, score);
          n += 1;
          if ((n & 0xffff) === 0) bar?.update(0, n);
        },
        { targetsOf: set.id },
      );
      bar?.finish(n);
      if (streamed.withoutScore > 0) warnings.push(`${predictionSet.name ?? predictionSet.id}: ${streamed.withoutScore} (protein, term) pairs have no score and were left out`);
      const results = new Map<Category, Record<string, StoredNamespaceResult>>();
      for (const [c, run] of runs) {
        results.set(c, Object.fromEntries(run.finish().map((r) => [r.namespace, toStored(r)])));
        const ignored = ignoredSince(before.get(c)!, evaluators.get(c)!.stats);
        if (ignored.length) warnings.push(`${predictionSet.name ?? predictionSet.id} ${c}: ignored ${ignored.join(', ')}`);
        await job?.emit('progress', (j) => j.progress(++step, steps, `${predictionSet.name ?? predictionSet.id}: ${c} scored`));
      }
      if (streamed.predictions === 0) warnings.push(`${predictionSet.name ?? predictionSet.id}: no prediction for a target of the evaluation set`);
      pending.push({ predictionSetId: async () => predictionSet.id, document: document(predictionSet.name ?? predictionSet.id, null, results) });
    }

    if (req.baselines.length > 0) {
      const codes = referenceEvidenceCodes(set.stats);
      const rows: ReferenceAnnotation[] = [];
      await loadEvidenceRows(db, set.old_annotation_set_id, codes, (r) => rows.push(r));
      const reference: ReferenceAnnotations = { annotationSetId: set.old_annotation_set_id, evidenceCodes: codes, rows };
      for (const baseline of req.baselines) {
        const results = new Map<Category, Record<string, StoredNamespaceResult>>();
        for (const [c, ev] of evaluators) {
          const run = ev.start();
          for (const namespace of ev.namespaces()) {
            const proteins = targets.get(c)?.get(namespace) ?? new Set<string>();
            const predictions = baseline.predict({ ontology, namespace, targets: proteins, reference, minScore: ev.taus[0] ?? req.thStep, maxTermsPerNamespace: req.maxBaselineTerms ?? DEFAULT_MAX_TERMS_PER_NAMESPACE });
            let n = 0;
            await forEachPrediction(predictions, (p) => {
              run.add(p.target, p.term, p.score);
              n += 1;
            });
            if (n === 0) warnings.push(`${baseline.name} ${c} ${namespace}: no prediction (the reference annotation set has nothing it can use in this namespace)`);
          }
          results.set(c, Object.fromEntries(run.finish().map((r) => [r.namespace, toStored(r)])));
          await job?.emit('progress', (j) => j.progress(++step, steps, `baseline ${baseline.name}: ${c} scored`));
        }
        pending.push({
          predictionSetId: (tx) =>
            ensureBaselinePredictionSet(tx, {
              name: baseline.name,
              evaluationSetId: set.id,
              referenceAnnotationSetId: set.old_annotation_set_id,
              ontologySnapshotId: set.ontology_snapshot_id,
              meta: { description: baseline.description, evidence_codes: codes, max_terms_per_namespace: req.maxBaselineTerms ?? DEFAULT_MAX_TERMS_PER_NAMESPACE },
              jobId: job?.id ?? null,
            }),
          document: document(baseline.name, baseline.name, results),
        });
      }
    }

    // stored together at the end: a failure while scoring leaves no partial results behind
    // (one transaction: all of this run's results, or none of them)
    const stored = await db.transaction(async (tx) => {
      const out: StoredResult[] = [];
      for (const p of pending) {
        const predictionSetId = await p.predictionSetId(tx);
        const id = await insertEvaluationResult(tx, { evaluationSetId: set.id, predictionSetId, results: p.document, jobId: job?.id ?? null });
        out.push({ id, predictionSetId, document: p.document });
      }
      return out;
    });
    await job?.emit('finished', (j) =>
      j.finished('succeeded', { current: steps, total: steps, message: `${stored.length} evaluation results stored: ${stored.map((s) => `${s.document.method} ${s.id}`).join(', ')}` }),
    );
    return { evaluationSet: set, jobId: job?.id ?? null, results: stored, warnings, ms: Date.now() - t0 };
  } catch (err) {
    const e = classify(err);
    await job?.emit('finished', (j) => j.finished('failed', { message: e.message, errorCode: e.code }));
    throw e;
  }
}

/** Writes results.tsv (best-F rows), results_best_s.tsv, curves.tsv and the precision-recall plots into `dir`; resolves with the files. */
export async function writeRunOutputs(dir: string, docs: readonly EvaluationResultDocument[], label?: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['results.tsv', resultsTsv(docs, 'bestF')],
    ['results_best_s.tsv', resultsTsv(docs, 'bestS')],
    ['curves.tsv', curvesTsv(docs)],
    ...resultPlots(docs, label).map((p) => [p.file, p.svg] as [string, string]),
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const file = path.join(dir, name);
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

interface RunCliOptions {
  set?: string;
  predictions?: string;
  ia?: string;
  prop: Propagation;
  norm: Normalization;
  thStep: string;
  roots: boolean;
  baselines: string;
  baselineMaxTerms: string;
  out?: string;
  list?: boolean;
  listPredictions?: boolean;
  show?: string;
  json?: boolean;
  tsv?: boolean;
  limit: string;
}


function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ProteaError('USAGE', `${option} ${value}: expected a positive integer`, { field: option });
  return n;
}

export async function runEvaluateRun(opts: RunCliOptions): Promise<void> {
  const modes = [opts.show ? '--show' : null, opts.list ? '--list' : null, opts.listPredictions ? '--list-predictions' : null].filter((m): m is string => m !== null);
  if (modes.length > 1) throw new ProteaError('USAGE', `${modes.join(' and ')} cannot be combined`);
  if (opts.tsv && !opts.show) throw new ProteaError('USAGE', '--tsv goes with --show', { field: '--tsv' });
  const limit = positiveInt(opts.limit, '--limit');

  if (opts.show) {
    const id = opts.show;
    await withQueryPool(async (db) => {
      const row = await getEvaluationResult(db, id);
      if (!row) throw new ProteaError('NOT_FOUND', `--show: no evaluation result has the id ${id}`, { field: '--show', hint: 'List the results with `protea evaluate run --list`.' });
      if (opts.json) console.log(JSON.stringify(row, null, 2));
      else if (opts.tsv) process.stdout.write(resultsTsv([row.results]));
      else {
        console.log(`evaluation result ${row.id}  ${when(row.created_at)}${row.job_id ? `  job ${row.job_id}` : ''}`);
        console.log(`  evaluation set ${row.evaluation_set_id}, prediction set ${row.prediction_set_id} (${row.prediction_set_kind}${row.baseline ? ` ${row.baseline}` : ''})`);
        const o = row.results.options;
        console.log(`  options: prop ${o.prop}, norm ${o.norm}, th-step ${o.thStep}${o.noRoots ? ', no roots' : ''}${o.ia ? `, ia ${o.ia}` : ''}\n`);
        console.log(formatResultsTable([row.results]));
      }
    });
    return;
  }
  if (opts.list) {
    await withQueryPool(async (db) => {
      const predictionSetId = opts.predictions ? (await resolvePredictionSet(db, opts.predictions)).id : undefined;
      const rows = await listEvaluationResults(db, { ...(opts.set ? { evaluationSetId: opts.set } : {}), ...(predictionSetId ? { predictionSetId } : {}), limit });
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return void console.log('no evaluation results yet (protea evaluate run --set E --predictions P computes some)');
      for (const r of rows) {
        console.log(`${r.id}  ${when(r.created_at)}  set ${r.evaluation_set_id}  ${r.baseline ? `baseline ${r.baseline}` : `${r.prediction_set_kind} ${r.method ?? r.prediction_set_id}`}  (prediction set ${r.prediction_set_id})`);
      }
    });
    return;
  }
  if (opts.listPredictions) {
    await withQueryPool(async (db) => {
      const rows = await listPredictionSets(db, { limit });
      const withCounts = await Promise.all(rows.map(async (r) => ({ ...r, predictions: await countPredictions(db, r.id) })));
      if (opts.json) return void console.log(JSON.stringify(withCounts, null, 2));
      if (rows.length === 0) return void console.log('no prediction sets yet (protea evaluate import --format cafa FILE stores one)');
      for (const r of withCounts) console.log(`${r.id}  ${when(r.created_at)}  ${r.kind.padEnd(8)}  ${(r.name ?? '-').padEnd(24)}  ${r.obo_version}  ${r.predictions} predictions`);
    });
    return;
  }

  if (!opts.set) throw new ProteaError('USAGE', 'give --set (and --predictions), or --list, --list-predictions or --show ID', { field: '--set' });
  const thStep = Number(opts.thStep);
  if (opts.thStep.trim() === '' || Number.isNaN(thStep)) throw new ProteaError('USAGE', `--th-step must be a number, got ${JSON.stringify(opts.thStep)}`, { field: '--th-step' });
  const req: RunRequest = {
    set: opts.set,
    ...(opts.predictions ? { predictions: opts.predictions } : {}),
    ...(opts.ia ? { ia: opts.ia } : {}),
    prop: opts.prop,
    norm: opts.norm,
    thStep,
    noRoots: opts.roots === false,
    baselines: parseBaselines(opts.baselines),
    maxBaselineTerms: positiveInt(opts.baselineMaxTerms, '--baseline-max-terms'),
  };
  await withQueryPool(async (db) => {
    const job = await BestEffortJob.start('evaluation_run', { set: req.set, predictions: req.predictions ?? null, ia: req.ia ?? null, prop: req.prop, norm: req.norm, th_step: req.thStep, no_roots: req.noRoots, baselines: req.baselines.map((b) => b.name) });
    try {
      const report = await runEvaluation(req, { db, job });
      const docs = report.results.map((r) => r.document);
      const written = opts.out ? await writeRunOutputs(opts.out, docs, setLabel(report.evaluationSet)) : [];
      if (opts.json) {
        console.log(JSON.stringify({ evaluationSetId: report.evaluationSet.id, jobId: report.jobId, results: report.results, warnings: report.warnings, written, ms: report.ms }, null, 2));
        return;
      }
      console.log(`evaluation set ${report.evaluationSet.id} (${setLabel(report.evaluationSet)}, ontology ${report.evaluationSet.obo_version})${report.jobId ? `  job ${report.jobId}` : ''}\n`);
      console.log(formatResultsTable(docs));
      console.log('');
      for (const r of report.results) console.log(`stored evaluation result ${r.id}: ${r.document.method}${r.document.baseline ? ' (baseline)' : ''} (prediction set ${r.predictionSetId})`);
      for (const w of report.warnings) console.log(`note: ${w}`);
      if (written.length > 0) console.log(`written: ${written.join(', ')}`);
    } finally {
      await job.close();
    }
  });
}

export function registerEvaluateRun(evaluate: Command): void {
  evaluate
    .command('run')
    .description(
      'score a prediction set and the baselines on an evaluation set per category (NK, LK, PK) and namespace: Fmax, S-min, coverage, ' +
        'weighted Fmax/S-min with --ia, the precision-recall curve; stored as evaluation results; also lists and shows stored results',
    )
    .option('--set <id>', 'the evaluation set (id; `protea evaluate set --list`); with --list: only its results')
    .option('--predictions <set>', 'the prediction set: id, or the name of an imported set (`--list-predictions`); absent: baselines only')
    .option('--ia <tsv>', 'information accretion `term<TAB>ia`: adds weighted Fmax and S-min (the _w columns)')
    .addOption(new Option('--prop <mode>', 'propagation of scores to ancestors: max = every ancestor gets the maximum of its descendants, fill = only ancestors without a score of their own').choices(['max', 'fill']).default('max'))
    .addOption(
      new Option('--norm <mode>', 'averaging: cafa = precision over proteins with a prediction at tau, the rest over all ground-truth proteins; pred = all over proteins with a prediction; gt = all over ground-truth proteins')
        .choices(['cafa', 'pred', 'gt'])
        .default('cafa'),
    )
    .option('--th-step <step>', 'threshold step in [0.0001, 1): thresholds step, 2*step, ... below 1', '0.01')
    .option('--no-roots', "leave each namespace's root terms out of the scoring (default: roots kept)")
    .option('--baselines <names>', `baselines scored beside the prediction set, comma-separated, or none (known: ${[...BASELINES.keys()].join(', ')})`, 'naive')
    .option('--baseline-max-terms <n>', 'the naive baseline keeps at most this many terms per namespace (the most frequent; terms below the lowest threshold never count)', String(DEFAULT_MAX_TERMS_PER_NAMESPACE))
    .option('--out <dir>', 'also write results.tsv (best-F row per category/namespace/method), results_best_s.tsv, curves.tsv and pr_<category>_<namespace>.svg plots (created when missing)')
    .option('--list', 'list stored evaluation results, most recent first (filter with --set and/or --predictions)')
    .option('--list-predictions', 'list prediction sets (imported, baseline, knn), most recent first')
    .option('--show <result>', 'show one stored evaluation result (the table; --json: the whole document; --tsv: results.tsv rows)')
    .option('--tsv', 'with --show: print the best-F rows as TSV')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'rows for --list and --list-predictions', '20')
    .addHelpText(
      'after',
      `
Definitions (CAFA-evaluator, Piovesan et al. 2024): thresholds step, 2*step, ... below 1; a term
is predicted at tau when its propagated score >= tau; precision is averaged over targets with a
prediction at tau, recall over all targets of the namespace; Fmax is the maximum F over
thresholds, S-min the minimum of sqrt(ru^2 + mi^2); PK targets are scored with the terms they
already had (propagated) removed from ground truth and predictions. Baseline naive: each term
scored by its frequency in the evaluation set's old annotation set (experimental, propagated),
the same terms for every target. Reported as a job when Kafka is reachable.

Examples:
  protea evaluate run --set SET_ID --predictions model1 --out results/
  protea evaluate run --set SET_ID --predictions model1 --ia IA.txt --baselines naive
  protea evaluate run --list --set SET_ID
  protea evaluate run --show RESULT_ID --tsv`,
    )
    .action(async (opts: RunCliOptions) => runEvaluateRun(opts));
}
