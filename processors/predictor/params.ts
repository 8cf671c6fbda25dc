// The parameters of a prediction set, as `protea predict` records them on the
// prediction_set row (columns and meta) and the predictor reads them back.
// The row is the one source: a redelivered request or a restarted predictor
// predicts with exactly what the set says.
import { ProteaError } from '../../lib/errors.js';
import type { PredictionSetRow } from '../../lib/queries/prediction-sets.js';
import { AGGREGATIONS, METRICS, SCORE_MAP_NAMES, type Aggregation, type Metric, type ScoreMap } from './transfer.js';
import type { IndexKind } from './reference-index.js';

export const METHODS = ['knn', 'identity'] as const;
/** Feature families the enricher can add to every prediction row (processors/enricher/). */
export const FEATURE_FAMILIES = ['alignment', 'taxonomy', 'neighbours'] as const;
export type FeatureFamily = (typeof FEATURE_FAMILIES)[number];
export type Method = (typeof METHODS)[number];
export const INDEX_KINDS: readonly IndexKind[] = ['flat', 'hnsw', 'ivf'];
export { AGGREGATIONS, METRICS, SCORE_MAP_NAMES, type IndexKind };

export interface PredictionParams {
  method: Method;
  /** KNN only */
  embeddingConfigId: string | null;
  annotationSetId: string;
  /** neighbours per query (ties at the k-th distance kept); 1 for the identity method */
  k: number;
  /** KNN: only neighbours at most this far */
  threshold: number | null;
  metric: Metric;
  /** one index per GO aspect, so every query gets candidates in all three */
  aspectSeparated: boolean;
  /** reference annotations with these evidence codes transfer (NOT-qualified ones never) */
  evidenceCodes: readonly string[];
  /** drop references with the query's own sequence (benchmark mode) */
  excludeSelf: boolean;
  aggregation: Aggregation;
  scoreMap: ScoreMap;
  index: IndexKind;
  /** the enricher's feature families for every row (none: the rows keep their feature columns null) */
  features: readonly FeatureFamily[];
  /** leakage control: drop references whose identityOverShorter to the query exceeds this (0 < x <= 1); null: no filter */
  maxIdentity: number | null;
}

/** A valid --max-identity: a fraction in (0, 1]. */
export function isMaxIdentity(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 && x <= 1;
}

/** --max-identity from the command line; USAGE naming the option unless a fraction in (0, 1]. */
export function parseMaxIdentity(text: string): number {
  const x = text.trim() === '' ? NaN : Number(text);
  if (!isMaxIdentity(x)) throw new ProteaError('USAGE', `--max-identity ${text}: expected a fraction greater than 0 and at most 1 (e.g. 0.3 for 30 %)`, { field: '--max-identity' });
  return x;
}

/** What goes into prediction_set.meta (the columns carry k, threshold, config and annotation set). */
export function paramsMeta(p: PredictionParams): Record<string, unknown> {
  return {
    method: p.method,
    metric: p.metric,
    aspect_separated: p.aspectSeparated,
    evidence_codes: [...p.evidenceCodes],
    exclude_self: p.excludeSelf,
    aggregation: p.aggregation,
    score_map: p.scoreMap,
    index: p.index,
    features: [...p.features],
    max_identity: p.maxIdentity,
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, setId: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${setId}: meta.${field} is ${JSON.stringify(value)}, expected one of ${allowed.join(', ')}`, { field: `meta.${field}` });
}

/** The parameters of a KNN or identity prediction set; PREDICTION_SET_INVALID when it is not one. */
export function paramsOf(row: PredictionSetRow): PredictionParams {
  const m = row.meta;
  if (row.kind !== 'knn' && row.kind !== 'identity') {
    throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${row.id} is of kind ${row.kind}: only knn and identity sets are predicted by the pipeline`, { field: 'kind' });
  }
  if (!row.annotation_set_id || !row.limit_per_entry) {
    throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${row.id} has no annotation set or k`, { field: 'annotation_set_id' });
  }
  const method = oneOf(m.method ?? row.kind, METHODS, 'method', row.id);
  if (method === 'knn' && !row.embedding_config_id) {
    throw new ProteaError('PREDICTION_SET_INVALID', `KNN prediction set ${row.id} has no embedding config`, { field: 'embedding_config_id' });
  }
  const codes = m.evidence_codes;
  if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string')) {
    throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${row.id}: meta.evidence_codes is not a list of codes`, { field: 'meta.evidence_codes' });
  }
  const maxIdentity = m.max_identity ?? null;
  if (maxIdentity !== null && !isMaxIdentity(maxIdentity)) {
    throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${row.id}: meta.max_identity is ${JSON.stringify(maxIdentity)}, expected a fraction in (0, 1] or null`, { field: 'meta.max_identity' });
  }
  return {
    method,
    embeddingConfigId: row.embedding_config_id,
    annotationSetId: row.annotation_set_id,
    k: row.limit_per_entry,
    threshold: row.distance_threshold,
    metric: oneOf(m.metric ?? 'cosine', METRICS, 'metric', row.id),
    aspectSeparated: m.aspect_separated !== false,
    evidenceCodes: codes as string[],
    excludeSelf: m.exclude_self === true,
    aggregation: oneOf(m.aggregation ?? 'mean', AGGREGATIONS, 'aggregation', row.id),
    scoreMap: oneOf(m.score_map ?? 'one-minus-d', SCORE_MAP_NAMES, 'score_map', row.id),
    index: oneOf(m.index ?? 'flat', INDEX_KINDS, 'index', row.id),
    features: featuresOf(row),
    maxIdentity,
  };
}

/** The feature families a prediction set asks for (none for a set recorded before the enricher, or of another kind). */
export function featuresOf(row: Pick<PredictionSetRow, 'id' | 'meta'>): FeatureFamily[] {
  const f = row.meta.features;
  if (f === undefined || f === null) return [];
  if (!Array.isArray(f)) throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${row.id}: meta.features is not a list of feature families`, { field: 'meta.features' });
  return f.map((x) => oneOf(x, FEATURE_FAMILIES, 'features', row.id));
}

/** '--features' / the API's features: a comma list of families, 'all' or 'none'. */
export function parseFeatureFamilies(value: string, field: string): FeatureFamily[] {
  const v = value.trim().toLowerCase();
  if (v === 'all') return [...FEATURE_FAMILIES];
  if (v === 'none' || v === '') return [];
  const out: FeatureFamily[] = [];
  for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(FEATURE_FAMILIES as readonly string[]).includes(part)) {
      throw new ProteaError('USAGE', `${field} ${value}: unknown feature family ${JSON.stringify(part)}; expected a comma list of ${FEATURE_FAMILIES.join(', ')}, or all, or none`, { field });
    }
    if (!out.includes(part as FeatureFamily)) out.push(part as FeatureFamily);
  }
  return out;
}
