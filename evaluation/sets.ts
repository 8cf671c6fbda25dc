// Evaluation sets: the CAFA-style temporal holdout between two annotation
// sets (temporal-holdout.ts has the rules) built from PostgreSQL and stored as
// an evaluation_set with its ground truth and known terms; looking one up and
// reading its ground truth back. Shared by `protea evaluate set`, the demo,
// the API and the tests; the CLI only parses arguments and prints.
import { buildOntology } from './ontology.js';
import { DEFAULT_EVIDENCE_CODES, obsoleteIds, TemporalHoldoutBuilder, type EvaluationSetStats, type HoldoutAnnotation, type HoldoutSetStats } from './temporal-holdout.js';
import { CATEGORIES, type Category } from './types.js';
import type { DatabasePool } from '../lib/db.js';
import { ProteaError, classify } from '../lib/errors.js';
import { BestEffortJob } from '../lib/best-effort-job.js';
import type { JobReporter } from '../lib/jobs.js';
import { logger } from '../lib/log.js';
import { Progress } from '../lib/progress.js';
import { loadEvidenceRows, resolveAnnotationSet, type AnnotationSetRow } from '../lib/queries/annotation-sets.js';
import { getEvaluationSet, groundTruthRows, insertEvaluationSet, knownRows, type EvaluationSetRow } from '../lib/queries/evaluation-sets.js';
import { goTermIds, loadOntologyTerms, resolveOntologySnapshot } from '../lib/queries/ontology-terms.js';

export interface EvaluationSetRequest {
  /** older annotation set: id or source@source_version */
  old: string;
  /** newer annotation set: id or source@source_version */
  new: string;
  /** ontology snapshot (id or obo_version) both sets are mapped onto; default: the new set's */
  ontology?: string;
  /** evidence codes of positive annotations; default DEFAULT_EVIDENCE_CODES */
  evidenceCodes?: readonly string[];
}

export interface EvaluationSetRunOptions {
  db: DatabasePool;
  /** reports the build as a job (operation 'evaluation_set'); null or absent: no job */
  job?: BestEffortJob | JobReporter | null;
  /** where progress bars go (stderr by default); null for none */
  progress?: NodeJS.WriteStream | null;
}

export interface EvaluationSetReport {
  id: string;
  jobId: string | null;
  stats: EvaluationSetStats;
  targets: number;
  known: number;
  ms: number;
}

const log = () => logger('evaluate-set');

const STEPS = 5;

/** Evidence codes from a comma- or space-separated list; USAGE for anything that is not a GO evidence code. */
export function parseEvidenceCodes(value: string): string[] {
  const codes = [...new Set(value.split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase()))];
  if (codes.length === 0) throw new ProteaError('USAGE', '--evidence: no evidence code given', { field: '--evidence' });
  for (const c of codes) {
    if (!/^[A-Z]{2,4}$/.test(c)) throw new ProteaError('USAGE', `--evidence: "${c}" is not a GO evidence code (2 to 4 letters, e.g. EXP, IDA, HTP)`, { field: '--evidence' });
  }
  return codes;
}

const NAMESPACE_ALIASES: Record<string, string> = {
  BPO: 'biological_process',
  BP: 'biological_process',
  P: 'biological_process',
  MFO: 'molecular_function',
  MF: 'molecular_function',
  F: 'molecular_function',
  CCO: 'cellular_component',
  CC: 'cellular_component',
  C: 'cellular_component',
};

/** BPO/MFO/CCO (or BP, P, ...) to the GO namespace name; anything else verbatim. */
export function parseNamespace(value: string): string {
  return NAMESPACE_ALIASES[value.toUpperCase()] ?? value;
}

/** NK, LK or PK (any case); USAGE otherwise. */
export function parseCategory(value: string): Category {
  const c = value.toUpperCase();
  if (!(CATEGORIES as readonly string[]).includes(c)) throw new ProteaError('USAGE', `--category ${value}: expected NK, LK or PK`, { field: '--category' });
  return c as Category;
}

/** source@source_version of an annotation set. */
export function annotationSetLabel(set: AnnotationSetRow): string {
  return `${set.source}@${set.source_version ?? ''}`;
}

/** Streams one set's rows into the builder with a progress bar (total: the set's rows). */
async function readRows(db: DatabasePool, set: AnnotationSetRow, codes: readonly string[], add: (row: HoldoutAnnotation) => void, which: string, progress: NodeJS.WriteStream | null | undefined) {
  let n = 0;
  const bar = progress === null ? undefined : new Progress({ label: `${which} ${annotationSetLabel(set)}`, total: set.rows, ...(progress ? { stream: progress } : {}) });
  const report = await loadEvidenceRows(db, set.id, codes, (row) => {
    add(row);
    if ((++n & 0x3fff) === 0) bar?.update(n, n);
  });
  bar?.finish(n);
  return report;
}

/** What the sets held, for an EVALUATION_EMPTY message. */
function describeInput(which: string, set: AnnotationSetRow, s: HoldoutSetStats): string {
  const d = s.dropped;
  return (
    `${which} ${annotationSetLabel(set)}: ${s.rows} rows, ${s.annotations} experimental annotations, ${s.proteins} proteins with annotations left ` +
    `(dropped: ${d.otherEvidenceRows} rows with other evidence, ${d.obsoleteTermRows} on obsolete and ${d.unknownTermRows} on unknown terms, ` +
    `${d.notExcludedAnnotations} annotations excluded by NOT)`
  );
}

/**
 * Builds and stores the evaluation set of two annotation sets; throws
 * NOT_FOUND (unknown set or snapshot), USAGE (the same set twice),
 * EVALUATION_EMPTY (no target; the message says what was found).
 */
export async function createEvaluationSet(req: EvaluationSetRequest, opts: EvaluationSetRunOptions): Promise<EvaluationSetReport> {
  const t0 = Date.now();
  const { db } = opts;
  const job = opts.job instanceof BestEffortJob ? opts.job : BestEffortJob.of(opts.job ?? null);
  const evidenceCodes = [...(req.evidenceCodes ?? DEFAULT_EVIDENCE_CODES)];
  let last = t0;
  // each step: a log line with its duration, and a job progress event
  const step = async (n: number, message: string) => {
    log().info({ step: n, of: STEPS, ms: Date.now() - last }, message);
    last = Date.now();
    await job.emit('progress', (j) => j.progress(n, STEPS, message));
  };
  await job.emit('created', (j) => j.created(`evaluation set ${req.old} -> ${req.new}`));
  await job.emit('started', (j) => j.started(STEPS));
  try {
    const oldSet = await resolveAnnotationSet(db, req.old, '--old');
    const newSet = await resolveAnnotationSet(db, req.new, '--new');
    if (oldSet.id === newSet.id) {
      throw new ProteaError('USAGE', `--old and --new are the same annotation set (${oldSet.id}, ${annotationSetLabel(oldSet)}): a temporal holdout needs an older and a newer set`, { field: '--new' });
    }
    const snapshot = await resolveOntologySnapshot(db, req.ontology ?? newSet.ontology_snapshot_id, '--ontology');
    if (!snapshot.complete) log().warn({ snapshot: snapshot.id, terms: snapshot.terms_loaded, expected: snapshot.term_count }, 'the ontology snapshot is not completely loaded; terms it lacks are dropped');

    const terms = await loadOntologyTerms(db, snapshot.id);
    const ontology = buildOntology(terms);
    const obsolete = obsoleteIds(terms);
    await step(1, `ontology ${snapshot.obo_version}: ${terms.length} terms`);

    const builder = new TemporalHoldoutBuilder(ontology, { evidenceCodes, isObsolete: (id) => obsolete.has(id) });
    const before = await readRows(db, oldSet, evidenceCodes, (row) => builder.addOld(row), 'old', opts.progress);
    await step(2, `old set ${annotationSetLabel(oldSet)}: ${before.loaded} rows read`);
    const after = await readRows(db, newSet, evidenceCodes, (row) => builder.addNew(row), 'new', opts.progress);
    await step(3, `new set ${annotationSetLabel(newSet)}: ${after.loaded} rows read`);
    // rows the SQL filter left out: counted in, so the stats describe the whole sets
    builder.skipped('old', { rows: before.total - before.loaded, otherEvidenceRows: before.otherEvidence });
    builder.skipped('new', { rows: after.total - after.loaded, otherEvidenceRows: after.otherEvidence });
    const holdout = builder.finish();
    await step(4, `${holdout.targets.length} ground-truth annotations of ${holdout.stats.deltaProteins} proteins`);

    if (holdout.targets.length === 0) {
      throw new ProteaError(
        'EVALUATION_EMPTY',
        `no target between ${annotationSetLabel(oldSet)} and ${annotationSetLabel(newSet)} on ${snapshot.obo_version} with evidence ${evidenceCodes.join(',')}: ` +
          `${describeInput('old', oldSet, holdout.stats.input.old)}; ${describeInput('new', newSet, holdout.stats.input.new)}; ` +
          `${holdout.stats.impliedOnly} protein/namespace pairs had new annotations that the old ones already implied`,
        { field: '--new' },
      );
    }

    const stats: EvaluationSetStats = {
      ...holdout.stats,
      ontology: { snapshotId: snapshot.id, oboVersion: snapshot.obo_version },
      annotationSets: {
        old: { id: oldSet.id, source: oldSet.source, sourceVersion: oldSet.source_version, oboVersion: oldSet.obo_version },
        new: { id: newSet.id, source: newSet.source, sourceVersion: newSet.source_version, oboVersion: newSet.obo_version },
      },
    };
    const ids = await goTermIds(db, snapshot.id, [...holdout.targets.map((t) => t.term), ...holdout.known.map((k) => k.term)]);
    const termId = (goId: string): number => {
      const id = ids.get(goId);
      if (id === undefined) throw new ProteaError('INTERNAL', `term ${goId} of snapshot ${snapshot.id} has no go_term row`);
      return id;
    };
    const id = await insertEvaluationSet(db, {
      oldAnnotationSetId: oldSet.id,
      newAnnotationSetId: newSet.id,
      ontologySnapshotId: snapshot.id,
      stats,
      jobId: job.id,
      targets: holdout.targets.map((t) => ({ category: t.category, namespace: t.namespace, protein: t.protein, goTermId: termId(t.term) })),
      known: holdout.known.map((k) => ({ namespace: k.namespace, protein: k.protein, goTermId: termId(k.term) })),
    });
    log().info({ step: STEPS, of: STEPS, ms: Date.now() - last }, `stored evaluation set ${id}`);
    const ms = Date.now() - t0;
    await job.emit('finished', (j) =>
      j.finished('succeeded', { current: STEPS, total: STEPS, message: `evaluation set ${id}: ${holdout.targets.length} ground-truth annotations of ${stats.deltaProteins} proteins` }),
    );
    return { id, jobId: job.id, stats, targets: holdout.targets.length, known: holdout.known.length, ms };
  } catch (err) {
    const e = classify(err);
    await job.emit('finished', (j) => j.finished('failed', { message: e.message, errorCode: e.code }));
    throw e;
  }
}

/** An evaluation set by id; NOT_FOUND (naming `option`) when there is none. */
export async function requireEvaluationSet(db: DatabasePool, id: string, option: string): Promise<EvaluationSetRow> {
  const row = await getEvaluationSet(db, id);
  if (!row) throw new ProteaError('NOT_FOUND', `${option}: no evaluation set has the id ${id}`, { field: option, hint: 'List the evaluation sets with `protea evaluate set --list`.' });
  return row;
}

export interface EvaluationSetPairsFilter {
  /** the PK targets' known terms (evaluation_known) instead of the ground truth */
  known?: boolean;
  /** ground truth only: one category */
  category?: Category;
  namespace?: string;
}

/** (protein accession, GO id) pairs of an evaluation set's ground truth, or of its known terms: what CAFA-evaluator TSV holds. */
export async function evaluationSetPairs(db: DatabasePool, id: string, filter: EvaluationSetPairsFilter = {}): Promise<Array<readonly [string, string]>> {
  const namespace = filter.namespace ? { namespace: filter.namespace } : {};
  if (filter.known) {
    if (filter.category !== undefined) throw new ProteaError('USAGE', '--category does not go with --known (known terms are PK only)', { field: '--category' });
    return (await knownRows(db, id, namespace)).map((r) => [r.protein_accession, r.go_id] as const);
  }
  const rows = await groundTruthRows(db, id, { ...(filter.category ? { category: filter.category } : {}), ...namespace });
  return rows.map((r) => [r.protein_accession, r.go_id] as const);
}
