// protea.predictions -> go_prediction (one row per query, GO term and
// reference protein of a prediction set, with the feature columns the enricher
// filled) and prediction_query (what happened to each query: predicted, or
// unpredictable with the reason).
//
// A message carries all the terms of one query (or one part of them: part
// index of part count, one key, so the parts arrive in order on one
// partition); the terms travel as one JSON array per message and are unnested
// by the merge. The predictor is deterministic for a prediction set, so a
// redelivered message writes the same rows (ON CONFLICT DO NOTHING). A query
// counts toward its job once, when its last part lands (or is dead-lettered).
// A term whose GO id is not in the set's ontology release cannot be stored: the
// message is dead-lettered naming it (the predictor transfers terms of the
// annotation set, which are in that release, so this flags a bug or a deleted
// release, never routine input).
import type { SqlStatement } from '../lib/copy.js';
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { PredictionFeatures, PredictionRecord } from '../schemas/generated/types.js';
import type { SinkMapping } from './runner.js';

const STAGE = 'sink_stage_prediction';

/** go_prediction's feature columns with their PostgreSQL types: a term's JSON carries them under these names. */
const FEATURE_COLUMNS = [
  ['identity_nw', 'float8'], ['similarity_nw', 'float8'], ['alignment_score_nw', 'float8'], ['gaps_pct_nw', 'float8'], ['alignment_length_nw', 'float8'],
  ['identity_sw', 'float8'], ['similarity_sw', 'float8'], ['alignment_score_sw', 'float8'], ['gaps_pct_sw', 'float8'], ['alignment_length_sw', 'float8'],
  ['length_query', 'int4'], ['length_ref', 'int4'],
  ['query_taxonomy_id', 'int4'], ['ref_taxonomy_id', 'int4'], ['taxonomic_lca', 'int4'], ['taxonomic_distance', 'int4'],
  ['taxonomic_common_ancestors', 'int4'], ['taxonomic_relation', 'text'],
  ['vote_count', 'int4'], ['go_term_frequency', 'float8'], ['ref_annotation_density', 'float8'], ['neighbor_distance_std', 'float8'],
  ['neighbor_vote_fraction', 'float8'], ['neighbor_min_distance', 'float8'], ['neighbor_mean_distance', 'float8'],
] as const satisfies readonly (readonly [keyof PredictionFeatures, string])[];
const FEATURE_NAMES = sql.join(FEATURE_COLUMNS.map(([c]) => sql.identifier([c])), sql.fragment`, `);
const FEATURE_RECORDSET = sql.join(FEATURE_COLUMNS.map(([c, type]) => sql.fragment`${sql.identifier([c])} ${sql.identifier([type])}`), sql.fragment`, `);
const FEATURE_SELECT = sql.join(FEATURE_COLUMNS.map(([c]) => sql.identifier(['t', c])), sql.fragment`, `);
const MD5 = /^[0-9a-f]{32}$/;

/** The identity of a query within its job, for progress. */
export const queryItem = (accession: string): string => `query:${accession}`;

// jobProgress (sinks/jobs.ts) restricted to the last part of a query: the
// query is complete only then.
const lastPartProgress: SqlStatement = sql.unsafe`
  WITH counted AS (
    INSERT INTO job_progress_item (job_id, item)
    SELECT DISTINCT job_id, progress_item FROM sink_stage_prediction
     WHERE job_id IS NOT NULL AND progress_item IS NOT NULL AND part_index = part_count - 1 ORDER BY 1, 2
    ON CONFLICT DO NOTHING
    RETURNING job_id)
  INSERT INTO job (id, operation, queue_name, progress_current)
  SELECT job_id, 'pending', 'pending', count(*)::int FROM counted GROUP BY job_id ORDER BY job_id
  ON CONFLICT (id) DO UPDATE SET progress_current = COALESCE(job.progress_current, 0) + EXCLUDED.progress_current`;

export const predictionsSink: SinkMapping<PredictionRecord> = {
  name: 'predictions',
  topic: 'predictions',
  staging: {
    table: STAGE,
    columns: `prediction_set_id uuid, job_id uuid, query_accession text, query_md5 text, reason text, neighbours integer,
              part_index integer, part_count integer, terms jsonb, progress_item text`,
  },
  columns: ['prediction_set_id', 'job_id', 'query_accession', 'query_md5', 'reason', 'neighbours', 'part_index', 'part_count', 'terms', 'progress_item'],
  toRow(r) {
    const bad = (field: string, why: string) => new ProteaError('SINK_WRITE_FAILED', `${field}: ${why}`, { field });
    if (!MD5.test(r.query_md5)) throw bad('query_md5', `${JSON.stringify(r.query_md5)} is not an MD5 (32 lower-case hex digits)`);
    if (r.query_accession === '') throw bad('query_accession', 'is empty');
    if (!(r.part_count >= 1 && r.part_index >= 0 && r.part_index < r.part_count)) throw bad('part_index', `part ${r.part_index} of ${r.part_count}`);
    if (r.reason !== null && r.terms.length > 0) throw bad('reason', 'an unpredictable query cannot carry terms');
    const terms = r.terms.map((t) => {
      if (!Number.isFinite(t.distance)) throw bad('terms.distance', `${t.distance} for ${t.go_id} from ${t.ref_accession} is not a finite number`);
      return { g: t.go_id, r: t.ref_accession, d: t.distance, s: t.score, q: t.qualifier, e: t.evidence_code, k: t.k_position, ...t.features };
    });
    // progress_item is appended by the runner (progressItem below)
    return [r.prediction_set_id, r.job_id, r.query_accession, r.query_md5, r.reason, r.neighbours, r.part_index, r.part_count, JSON.stringify(terms)];
  },
  // set-based (one join over every staged term), so the planner can hash-join go_term
  // instead of probing it term by term from a correlated subquery
  rejects: sql.unsafe`
    WITH staged_terms AS (
      SELECT st.kafka_offset, st.prediction_set_id, e->>'g' AS go_id
        FROM sink_stage_prediction st CROSS JOIN LATERAL jsonb_array_elements(st.terms) AS e),
    missing AS (
      SELECT t.kafka_offset, min(t.go_id) AS go_id
        FROM staged_terms t
        JOIN prediction_set ps ON ps.id = t.prediction_set_id
        LEFT JOIN go_term g ON g.ontology_snapshot_id = ps.ontology_snapshot_id AND g.go_id = t.go_id
       WHERE g.id IS NULL
       GROUP BY t.kafka_offset)
    SELECT st.kafka_offset,
           CASE WHEN ps.id IS NULL THEN 'prediction set ' || st.prediction_set_id || ' does not exist'
                ELSE 'GO term ' || m.go_id || ' is not in the prediction set''s ontology release' END AS reason,
           CASE WHEN ps.id IS NULL THEN 'prediction_set_id' ELSE 'terms.go_id' END AS field
      FROM sink_stage_prediction st
      LEFT JOIN prediction_set ps ON ps.id = st.prediction_set_id
      LEFT JOIN missing m ON m.kafka_offset = st.kafka_offset
     WHERE ps.id IS NULL OR m.go_id IS NOT NULL`,
  merge: [
    sql.unsafe`
      INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, ref_protein_accession, distance, score, qualifier, evidence_code, k_position, ${FEATURE_NAMES})
      SELECT DISTINCT ON (st.prediction_set_id, st.query_accession, g.id, t.r)
             st.prediction_set_id, st.query_accession, g.id, t.r, t.d, t.s, t.q, t.e, t.k, ${FEATURE_SELECT}
        FROM sink_stage_prediction st
        JOIN prediction_set ps ON ps.id = st.prediction_set_id
        CROSS JOIN LATERAL jsonb_to_recordset(st.terms) AS t(g text, r text, d float8, s float8, q text, e text, k integer, ${FEATURE_RECORDSET})
        JOIN go_term g ON g.ontology_snapshot_id = ps.ontology_snapshot_id AND g.go_id = t.g
       ORDER BY st.prediction_set_id, st.query_accession, g.id, t.r, st.kafka_offset DESC
      ON CONFLICT ON CONSTRAINT go_prediction_natural_key DO NOTHING`,
    sql.unsafe`
      INSERT INTO prediction_query AS q (prediction_set_id, protein_accession, sequence_md5, status, reason, neighbours, terms)
      SELECT DISTINCT ON (st.prediction_set_id, st.query_accession)
             st.prediction_set_id, st.query_accession, st.query_md5,
             CASE WHEN st.reason IS NULL THEN 'predicted' ELSE 'unpredictable' END, st.reason, st.neighbours,
             (SELECT count(DISTINCT p.go_term_id)::integer FROM go_prediction p
               WHERE p.prediction_set_id = st.prediction_set_id AND p.protein_accession = st.query_accession)
        FROM sink_stage_prediction st
       WHERE st.part_index = st.part_count - 1
       ORDER BY st.prediction_set_id, st.query_accession, st.kafka_offset DESC
      ON CONFLICT ON CONSTRAINT prediction_query_natural_key DO UPDATE SET
             status = EXCLUDED.status, reason = EXCLUDED.reason, neighbours = EXCLUDED.neighbours, terms = EXCLUDED.terms,
             predicted_at = now()`,
    lastPartProgress,
  ],
  jobProgressOnDeadLetters: true,
  jobId: (r) => r.job_id,
  progressItem: (r) => (r.value ? queryItem(r.value.query_accession) : null),
};
