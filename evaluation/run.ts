// Evaluation runs: a prediction set (and the baselines) scored against an
// evaluation set, per category (NK, LK, PK) and namespace, stored as one
// evaluation_result per method, and the run's output files. Shared by
// `protea evaluate run`, the demo and the tests.
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
import { DEFAULT_MAX_TERMS_PER_NAMESPACE, referenceEvidenceCodes, type Baseline, type ReferenceAnnotation, type ReferenceAnnotations } from './baselines.js';
import { readIaTsv } from './files.js';
import { Evaluator, validateOptions, type EvaluationStats } from './metrics.js';
import { buildOntology } from './ontology.js';
import { curvesTsv, resultPlots, resultsTsv, toStored } from './report.js';
import { CATEGORIES, type Annotation, type Category, type EvaluationOptions, type EvaluationResultDocument, type Normalization, type Propagation, type StoredNamespaceResult } from './types.js';
import { BestEffortJob } from '../lib/best-effort-job.js';
import type { CommonQueryMethods, DatabasePool } from '../lib/db.js';
import { ProteaError, classify } from '../lib/errors.js';
import { Progress } from '../lib/progress.js';
import { loadEvidenceRows } from '../lib/queries/annotation-sets.js';
import { insertEvaluationResult } from '../lib/queries/evaluation-results.js';
import { getEvaluationSet, groundTruthRows, knownRows, type EvaluationSetRow } from '../lib/queries/evaluation-sets.js';
import { loadOntologyTerms } from '../lib/queries/ontology-terms.js';
import { proteinSequences } from '../lib/queries/sequences.js';
import { ensureBaselinePredictionSet, resolvePredictionSet, streamPredictions, type PredictionSetRow } from '../lib/queries/prediction-sets.js';

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

/** 'old@version -> new@version' of an evaluation set (plot titles, the CLI). */
export function evaluationSetLabel(s: EvaluationSetRow): string {
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
      // every target of the run per namespace, for the baselines that prepare once per run
      const runTargets = new Map<string, Set<string>>();
      for (const byNs of targets.values()) {
        for (const [ns, proteins] of byNs) {
          const all = runTargets.get(ns) ?? new Set<string>();
          if (all.size === 0) runTargets.set(ns, all);
          for (const p of proteins) all.add(p);
        }
      }
      const sequences = req.baselines.some((b) => b.needsSequences)
        ? await proteinSequences(db, [...[...runTargets.values()].flatMap((s) => [...s]), ...rows.map((r) => r.protein)])
        : undefined;
      for (const baseline of req.baselines) {
        const predictor = await baseline.prepare({ ontology, reference, targets: runTargets, ...(sequences ? { sequences } : {}) });
        if (baseline.needsSequences) await job?.emit('progress', (j) => j.progress(step, steps, `baseline ${baseline.name}: targets aligned`));
        const results = new Map<Category, Record<string, StoredNamespaceResult>>();
        try {
          for (const [c, ev] of evaluators) {
            const run = ev.start();
            for (const namespace of ev.namespaces()) {
              const proteins = targets.get(c)?.get(namespace) ?? new Set<string>();
              const predictions = predictor.predict({ ontology, namespace, targets: proteins, reference, minScore: ev.taus[0] ?? req.thStep, maxTermsPerNamespace: req.maxBaselineTerms ?? DEFAULT_MAX_TERMS_PER_NAMESPACE });
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
        } finally {
          await predictor.close?.();
        }
        warnings.push(...(predictor.notes ?? []));
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
