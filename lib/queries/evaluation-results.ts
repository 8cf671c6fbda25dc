// Evaluation results: the metrics of one prediction set (or baseline) on one
// evaluation set, stored by `protea evaluate run` and read by the CLI and the API.
// `results` is an EvaluationResultDocument, defined here with its parts: the
// evaluator (evaluation/) builds it, and its layout is stored.
import { z } from 'zod';
import { sql, type CommonQueryMethods, type DatabasePool } from '../db.js';
import type { Category } from './evaluation-sets.js';

/** How predicted scores reach ancestors: every ancestor gets the maximum score
 * of its predicted descendants ('max'), or only ancestors without a score of
 * their own get it ('fill'). */
export type Propagation = 'max' | 'fill';

/** Which proteins precision is averaged over ('cafa': proteins with at least one
 * prediction at the threshold; 'pred': ... as the reference tool defines it;
 * 'gt': all ground-truth proteins). Recall is always over ground-truth proteins. */
export type Normalization = 'cafa' | 'pred' | 'gt';

/** One threshold of one namespace: the columns of the reference tool's output.
 * The *_w fields are present only when information accretion was given. */
export interface CurveRow {
  tau: number;
  /** proteins over which precision was averaged at this threshold */
  n: number;
  tp: number;
  fp: number;
  fn: number;
  pr: number;
  rc: number;
  /** coverage: share of ground-truth proteins with at least one prediction at tau */
  cov: number;
  /** misinformation and remaining uncertainty (term counts, or IA sums in _w) */
  mi: number;
  ru: number;
  f: number;
  s: number;
  pr_micro: number;
  rc_micro: number;
  f_micro: number;
  n_w?: number;
  tp_w?: number;
  fp_w?: number;
  fn_w?: number;
  pr_w?: number;
  rc_w?: number;
  cov_w?: number;
  mi_w?: number;
  ru_w?: number;
  f_w?: number;
  s_w?: number;
  pr_micro_w?: number;
  rc_micro_w?: number;
  f_micro_w?: number;
}

/** What one namespace of one category holds in an EvaluationResult. */
export interface StoredNamespaceResult {
  groundTruthTargets: number;
  predictedTargets: number;
  bestF: CurveRow | null;
  bestS: CurveRow | null;
  bestFW?: CurveRow | null;
  bestSW?: CurveRow | null;
  curve: CurveRow[];
}

/** evaluation_result.results (JSONB): everything needed to print the results
 * table, export TSV and draw the precision-recall plot without recomputing. */
export interface EvaluationResultDocument {
  /** display name of the method: the prediction set's name, or 'naive' etc. for a baseline */
  method: string;
  /** the baseline's name when this result is a baseline's, else null */
  baseline: string | null;
  options: { prop: Propagation; norm: Normalization; thStep: number; noRoots: boolean; ia: string | null };
  /** category -> namespace -> result; a category without targets is absent */
  categories: Partial<Record<Category, Record<string, StoredNamespaceResult>>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewEvaluationResult {
  evaluationSetId: string;
  predictionSetId: string;
  results: EvaluationResultDocument;
  jobId: string | null;
  maxDistance?: number | null;
}

/** Inserts one result (a scored set's result names its scoring config); resolves with its id. */
export async function insertEvaluationResult(db: CommonQueryMethods, r: NewEvaluationResult): Promise<string> {
  return db.oneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO evaluation_result (evaluation_set_id, prediction_set_id, scoring_config_id, results, max_distance, job_id)
    VALUES (${r.evaluationSetId}, ${r.predictionSetId},
            (SELECT scoring_config_id FROM prediction_set WHERE id = ${r.predictionSetId}),
            ${sql.jsonb(r.results as never)}, ${r.maxDistance ?? null}, ${r.jobId})
    RETURNING id`);
}

const Summary = z.object({
  id: z.string(),
  evaluation_set_id: z.string(),
  prediction_set_id: z.string(),
  prediction_set_kind: z.string(),
  prediction_set_name: z.string().nullable(),
  /** results.method: the display name of the method */
  method: z.string().nullable(),
  /** results.baseline: the baseline's name, null for a prediction set */
  baseline: z.string().nullable(),
  job_id: z.string().nullable(),
  created_at: z.number(),
});
/** A result without its (large) document: for lists. */
export type EvaluationResultSummary = z.infer<typeof Summary>;

const Full = Summary.extend({
  scoring_config_id: z.string().nullable(),
  reranker_model_id: z.string().nullable(),
  max_distance: z.number().nullable(),
  results: z.record(z.unknown()),
});
export type EvaluationResultRow = Omit<z.infer<typeof Full>, 'results'> & { results: EvaluationResultDocument };

const SUMMARY_COLUMNS = sql.fragment`
  r.id, r.evaluation_set_id, r.prediction_set_id, p.kind AS prediction_set_kind, p.name AS prediction_set_name,
  r.results->>'method' AS method, r.results->>'baseline' AS baseline, r.job_id, r.created_at`;

/** The most recent results first, optionally of one evaluation set and/or one prediction set. */
export async function listEvaluationResults(
  db: DatabasePool,
  opts: { evaluationSetId?: string; predictionSetId?: string; limit?: number } = {},
): Promise<readonly EvaluationResultSummary[]> {
  const where = [sql.fragment`TRUE`];
  if (opts.evaluationSetId !== undefined) {
    if (!UUID.test(opts.evaluationSetId)) return [];
    where.push(sql.fragment`r.evaluation_set_id = ${opts.evaluationSetId}`);
  }
  if (opts.predictionSetId !== undefined) {
    if (!UUID.test(opts.predictionSetId)) return [];
    where.push(sql.fragment`r.prediction_set_id = ${opts.predictionSetId}`);
  }
  return db.any(sql.type(Summary)`
    SELECT ${SUMMARY_COLUMNS}
      FROM evaluation_result r JOIN prediction_set p ON p.id = r.prediction_set_id
     WHERE ${sql.join(where, sql.fragment` AND `)}
     ORDER BY r.created_at DESC, r.id DESC LIMIT ${opts.limit ?? 50}`);
}

/** One result with its document, or null (also for a string that is not a UUID). */
export async function getEvaluationResult(db: DatabasePool, id: string): Promise<EvaluationResultRow | null> {
  if (!UUID.test(id)) return null;
  const row = await db.maybeOne(sql.type(Full)`
    SELECT ${SUMMARY_COLUMNS}, r.scoring_config_id, r.reranker_model_id, r.max_distance, r.results
      FROM evaluation_result r JOIN prediction_set p ON p.id = r.prediction_set_id
     WHERE r.id = ${id}`);
  return row as unknown as EvaluationResultRow | null;
}

/** Several results with their documents, in the order of the ids given (unknown ids left out). */
export async function getEvaluationResults(db: DatabasePool, ids: readonly string[]): Promise<EvaluationResultRow[]> {
  const valid = ids.filter((id) => UUID.test(id));
  if (valid.length === 0) return [];
  const rows = (await db.any(sql.type(Full)`
    SELECT ${SUMMARY_COLUMNS}, r.scoring_config_id, r.reranker_model_id, r.max_distance, r.results
      FROM evaluation_result r JOIN prediction_set p ON p.id = r.prediction_set_id
     WHERE r.id = ANY(${sql.array(valid, 'uuid')})`)) as unknown as readonly EvaluationResultRow[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return valid.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}
