// JSON schemas of the job and write routes (api/routes/jobs.ts,
// query-set-upload.ts, prediction-set-writes.ts): their query strings and
// bodies (validated; a bad one is a 400 naming the field) and their answers
// (what /openapi.json documents). The read routes have theirs in
// api/read-schemas.ts; the parameters every route shares are in params.ts.
import { AGGREGATIONS, FEATURE_FAMILIES, INDEX_KINDS, METHODS, METRICS, SCORE_MAP_NAMES } from '../processors/predictor/params.js';
import { PARAMETERS, UUID_PATTERN, nullable } from './params.js';


/** An ISO 8601 timestamp as a query parameter: a date, or a date and time with a zone (Z or ±hh:mm), to the microsecond. */
export const ISO_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?([Zz]|[+-]\\d{2}:?\\d{2}))?$';

export const JOB_PARAMETERS = {
  created_after: { type: 'string', maxLength: 40, description: 'created_after: an ISO 8601 timestamp with its zone, e.g. 2026-01-31T12:00:00Z or 2026-01-31 (jobs created at or after it)' },
  created_before: { type: 'string', maxLength: 40, description: 'created_before: an ISO 8601 timestamp with its zone, e.g. 2026-02-01T00:00:00.000001Z (jobs created before it)' },
  last_event_id: { type: 'integer', minimum: 0, description: 'last_event_id: the id of the last event already received (what the Last-Event-ID header carries); the stream resumes after it' },
} as const;

export const JOB_LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: PARAMETERS.status,
    operation: PARAMETERS.operation,
    created_after: JOB_PARAMETERS.created_after,
    created_before: JOB_PARAMETERS.created_before,
    limit: PARAMETERS.limit,
    after: PARAMETERS.after,
  },
} as const;

export const EVENT_PAGE_QUERY = { type: 'object', additionalProperties: false, properties: { limit: PARAMETERS.limit, after: PARAMETERS.after } } as const;
export const STREAM_QUERY = { type: 'object', additionalProperties: false, properties: { last_event_id: JOB_PARAMETERS.last_event_id } } as const;

export const JOB = {
  type: 'object',
  required: ['id', 'operation', 'status', 'created_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    operation: { type: 'string', description: 'produce.fasta, produce.gaf, predict, replay_embeddings, ...' },
    queue_name: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
    progress_current: nullable('integer'),
    progress_total: nullable('integer'),
    error_code: nullable('string'),
    error_message: nullable('string'),
    payload: { type: 'object', additionalProperties: true },
    created_at: { type: 'string', format: 'date-time' },
    started_at: nullable('string', { format: 'date-time' }),
    finished_at: nullable('string', { format: 'date-time' }),
  },
} as const;

export const JOB_EVENT = {
  type: 'object',
  required: ['id', 'event', 'level', 'ts'],
  properties: {
    id: { type: 'integer', description: 'the event id: events are ordered by it, and the stream sends it as the SSE id' },
    event: { type: 'string', description: 'created, started, progress, produced, dead_letter, finished, cancelled, ...' },
    level: { type: 'string', enum: ['info', 'warn', 'error'] },
    stage: nullable('string'),
    message: nullable('string'),
    error_code: nullable('string'),
    fields: { type: 'object', additionalProperties: true },
    ts: { type: 'string', format: 'date-time' },
  },
} as const;

const NEXT = { ...nullable('string'), description: 'the cursor of the next page (send it as ?after=), null on the last page' };

export const JOB_PAGE = { type: 'object', required: ['jobs', 'next'], properties: { jobs: { type: 'array', items: JOB }, next: NEXT } } as const;
export const EVENT_PAGE = { type: 'object', required: ['events', 'next'], properties: { events: { type: 'array', items: JOB_EVENT }, next: NEXT } } as const;

export const CANCELLED = {
  type: 'object',
  required: ['job'],
  properties: {
    job: JOB,
    dropped_pending_queries: { type: 'integer', description: "the predictor's waiting queries of the job that were dropped" },
  },
} as const;

export const QUERY_SET_ACCEPTED = {
  type: 'object',
  required: ['query_set_id', 'query_set_name', 'job_id', 'records_sent', 'records_rejected'],
  properties: {
    query_set_id: { type: 'string', format: 'uuid' },
    query_set_name: { type: 'string' },
    job_id: { type: 'string', format: 'uuid' },
    topic: { type: 'string' },
    records_sent: { type: 'integer', description: 'FASTA entries sent to the ingest topic (the pipeline lands them, or dead-letters bad sequences)' },
    records_rejected: { type: 'integer', description: 'entries the reader rejected (dead-lettered with file, line and reason)' },
    bytes: { type: 'integer' },
    links: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

/** POST /prediction-sets: the parameters of `protea predict`, snake_case. */
export const PREDICTION_SET_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['query_set', 'annotation_set'],
  properties: {
    query_set: { type: 'string', minLength: 1, maxLength: 200, description: 'query_set: a query set id or name (POST /query-sets makes one)' },
    annotation_set: { type: 'string', minLength: 1, maxLength: 400, description: 'annotation_set: an annotation set id or source@version whose proteins pass on their GO terms' },
    method: { type: 'string', enum: [...METHODS], default: 'knn', description: `method: ${METHODS.join(' or ')} (default knn)` },
    embedding_config: { type: 'string', pattern: UUID_PATTERN, description: 'embedding_config: an embedding config id (default: the active one, else the built-in k-mer default)' },
    k: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'k: neighbours per query and aspect, 1 to 1000 (default 5)' },
    distance_threshold: { type: 'number', minimum: 0, description: 'distance_threshold: only neighbours at most this far (a number >= 0)' },
    metric: { type: 'string', enum: [...METRICS], default: 'cosine', description: `metric: ${METRICS.join(' or ')} (default cosine)` },
    aspect_separated: { type: 'boolean', default: true, description: 'aspect_separated: true (default: one index per GO aspect) or false' },
    evidence_codes: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: { type: 'string', pattern: '^[A-Za-z]{2,4}$' },
      description: 'evidence_codes: GO evidence codes of the reference annotations that transfer, e.g. ["EXP","IDA"] (default: the experimental ones)',
    },
    exclude_self: { type: 'boolean', default: false, description: "exclude_self: true drops references with the query's own sequence (benchmark mode)" },
    aggregate: { type: 'string', enum: [...AGGREGATIONS], default: 'mean', description: `aggregate: ${AGGREGATIONS.join(', ')} (default mean)` },
    score_map: { type: 'string', enum: [...SCORE_MAP_NAMES], description: `score_map: ${SCORE_MAP_NAMES.join(', ')} (default by metric)` },
    index: { type: 'string', enum: [...INDEX_KINDS], default: 'flat', description: `index: ${INDEX_KINDS.join(', ')} (default flat, exact)` },
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'name: a name for the prediction set' },
    max_identity: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      description: 'max_identity: leakage control for benchmarks: references whose Smith-Waterman identical residues exceed this fraction of the shorter sequence are never neighbours (0 < x <= 1; default none)',
    },
    features: {
      type: 'array',
      maxItems: FEATURE_FAMILIES.length,
      uniqueItems: true,
      items: { type: 'string', enum: [...FEATURE_FAMILIES] },
      default: [...FEATURE_FAMILIES],
      description: `features: the feature families the enricher adds to every row, any of ${FEATURE_FAMILIES.join(', ')} (default all; [] for none)`,
    },
  },
} as const;

export interface PredictionSetBody {
  query_set: string;
  annotation_set: string;
  method: (typeof METHODS)[number];
  embedding_config?: string;
  k: number;
  distance_threshold?: number;
  metric: (typeof METRICS)[number];
  aspect_separated: boolean;
  evidence_codes?: string[];
  exclude_self: boolean;
  aggregate: (typeof AGGREGATIONS)[number];
  score_map?: (typeof SCORE_MAP_NAMES)[number];
  index: (typeof INDEX_KINDS)[number];
  name?: string;
  features: (typeof FEATURE_FAMILIES)[number][];
  max_identity?: number;
}

export const PREDICTION_SET_ACCEPTED = {
  type: 'object',
  required: ['prediction_set_id', 'job_id', 'queries'],
  properties: {
    prediction_set_id: { type: 'string', format: 'uuid' },
    job_id: { type: 'string', format: 'uuid' },
    queries: { type: 'integer', description: 'query proteins requested (the job total)' },
    embedding_config_id: nullable('string'),
    annotation_set_id: { type: 'string' },
    links: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;
