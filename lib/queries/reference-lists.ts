// Keyset pages of the API's reference lists, newest first: prediction sets,
// embedding configs, scoring configs, annotation sets, ontology snapshots, query sets; and the
// details of one prediction set or query set. The cursor is (created time in
// epoch microseconds, id): microseconds because timestamptz keeps them, so two
// rows of the same millisecond are never skipped or repeated between pages
// (as float8: exact below 2^53 µs, i.e. until the year 2255, and a JSON number).
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';
import { AnnotationSet } from './annotation-sets.js';
import { EmbeddingConfig } from './embedding-configs.js';
import { Snapshot } from './ontology-terms.js';
import { PredictionSet } from './prediction-sets.js';

/** The keyset of these lists: (epoch microseconds of the row's time, id). */
export type TimeKey = readonly [us: number, id: string];

const micros = (column: ReturnType<typeof sql.identifier>) => sql.fragment`(extract(epoch FROM ${column}) * 1000000)::bigint::float8`;

/** `AND (time, id) < cursor` for a newest-first list (exact: microseconds are added as integers). */
function before(time: ReturnType<typeof sql.identifier>, id: ReturnType<typeof sql.identifier>, key: TimeKey | undefined) {
  return key ? sql.fragment`AND (${time}, ${id}) < (timestamptz 'epoch' + ${key[0]} * interval '1 microsecond', ${key[1]}::uuid)` : sql.fragment``;
}

// ---------------------------------------------------------------- prediction sets

// the set's row, what a scored set was made from, and its cursor time
const PredictionSetListRow = PredictionSet.extend({ scoring_config_id: z.string().nullable(), source_prediction_set_id: z.string().nullable(), cursor_us: z.number() });
export type PredictionSetListRow = z.infer<typeof PredictionSetListRow>;

const PS_COLUMNS = sql.fragment`
  p.id, p.kind, p.name, p.ontology_snapshot_id, s.obo_version, p.annotation_set_id, p.embedding_config_id, p.query_set_id,
  p.limit_per_entry, p.distance_threshold, p.meta, p.job_id, p.scoring_config_id, p.source_prediction_set_id, p.created_at, ${micros(sql.identifier(['p', 'created_at']))} AS cursor_us`;

export async function predictionSetsPage(db: DatabasePool, opts: { kind?: string; limit: number; after?: TimeKey }): Promise<readonly PredictionSetListRow[]> {
  const kind = opts.kind ? sql.fragment`AND p.kind = ${opts.kind}` : sql.fragment``;
  return db.any(sql.type(PredictionSetListRow)`
    SELECT ${PS_COLUMNS}
      FROM prediction_set p JOIN ontology_snapshot s ON s.id = p.ontology_snapshot_id
     WHERE TRUE ${kind} ${before(sql.identifier(['p', 'created_at']), sql.identifier(['p', 'id']), opts.after)}
     ORDER BY p.created_at DESC, p.id DESC LIMIT ${opts.limit}`);
}

export async function getPredictionSetDetail(db: DatabasePool, id: string): Promise<PredictionSetListRow | null> {
  return db.maybeOne(sql.type(PredictionSetListRow)`
    SELECT ${PS_COLUMNS} FROM prediction_set p JOIN ontology_snapshot s ON s.id = p.ontology_snapshot_id WHERE p.id = ${id}`);
}

const AspectCount = z.object({ aspect: z.string().nullable(), rows: z.number(), proteins: z.number(), terms: z.number() });
export type AspectCountRow = z.infer<typeof AspectCount>;

/** go_prediction rows, distinct proteins and distinct terms of a set, per aspect (null: a term outside the three GO namespaces). */
export async function predictionCountsByAspect(db: DatabasePool, setId: string): Promise<readonly AspectCountRow[]> {
  return db.any(sql.type(AspectCount)`
    SELECT g.aspect, count(*)::integer AS rows, count(DISTINCT p.protein_accession)::integer AS proteins, count(DISTINCT p.go_term_id)::integer AS terms
      FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
     WHERE p.prediction_set_id = ${setId}
     GROUP BY g.aspect ORDER BY g.aspect NULLS LAST`);
}

const SetTotals = z.object({ rows: z.number(), proteins: z.number(), queries_predicted: z.number(), queries_unpredictable: z.number(), queries_pending: z.number() });
export type SetTotalsRow = z.infer<typeof SetTotals>;

/** Rows and proteins of a set in all, and the state of its queries (prediction_query, prediction_pending). */
export async function predictionSetTotals(db: DatabasePool, setId: string): Promise<SetTotalsRow> {
  return db.one(sql.type(SetTotals)`
    SELECT t.rows, t.proteins,
           (SELECT count(*) FROM prediction_query q WHERE q.prediction_set_id = ${setId} AND q.status = 'predicted')::integer AS queries_predicted,
           (SELECT count(*) FROM prediction_query q WHERE q.prediction_set_id = ${setId} AND q.status = 'unpredictable')::integer AS queries_unpredictable,
           (SELECT count(*) FROM prediction_pending q WHERE q.prediction_set_id = ${setId})::integer AS queries_pending
      FROM (SELECT count(*)::integer AS rows, count(DISTINCT p.protein_accession)::integer AS proteins
              FROM go_prediction p WHERE p.prediction_set_id = ${setId}) t`); // one pass over the set's rows for both
}

// ---------------------------------------------------------------- embedding configs

const EmbeddingConfigListRow = EmbeddingConfig.extend({ cursor_us: z.number() });
export type EmbeddingConfigListRow = z.infer<typeof EmbeddingConfigListRow>;

export async function embeddingConfigsPage(db: DatabasePool, opts: { active?: boolean; limit: number; after?: TimeKey }): Promise<readonly EmbeddingConfigListRow[]> {
  const active = opts.active === undefined ? sql.fragment`` : sql.fragment`AND c.active = ${opts.active}`;
  return db.any(sql.type(EmbeddingConfigListRow)`
    SELECT c.id, c.model_name, c.model_backend, c.layer_indices, c.layer_agg, c.pooling, c.normalize, c.normalize_residues, c.max_length,
           c.use_chunking, c.chunk_size, c.chunk_overlap, c.description, c.active, c.created_at, ${micros(sql.identifier(['c', 'created_at']))} AS cursor_us
      FROM embedding_config c
     WHERE TRUE ${active} ${before(sql.identifier(['c', 'created_at']), sql.identifier(['c', 'id']), opts.after)}
     ORDER BY c.created_at DESC, c.id DESC LIMIT ${opts.limit}`);
}

// ---------------------------------------------------------------- scoring configs

const ScoringConfigListRow = z.object({
  id: z.string(),
  name: z.string(),
  formula: z.string(),
  weights: z.record(z.number()),
  evidence_weights: z.record(z.number()).nullable(),
  description: z.string().nullable(),
  created_at: z.number(),
  cursor_us: z.number(),
});
export type ScoringConfigListRow = z.infer<typeof ScoringConfigListRow>;

/** Scoring configs newest first (the migration's presets share one time: the id, a UUIDv7, orders them). */
export async function scoringConfigsPage(db: DatabasePool, opts: { limit: number; after?: TimeKey }): Promise<readonly ScoringConfigListRow[]> {
  return db.any(sql.type(ScoringConfigListRow)`
    SELECT c.id, c.name, c.formula, c.weights, c.evidence_weights, c.description, c.created_at, ${micros(sql.identifier(['c', 'created_at']))} AS cursor_us
      FROM scoring_config c
     WHERE TRUE ${before(sql.identifier(['c', 'created_at']), sql.identifier(['c', 'id']), opts.after)}
     ORDER BY c.created_at DESC, c.id DESC LIMIT ${opts.limit}`);
}

// ---------------------------------------------------------------- annotation sets

const AnnotationSetListRow = AnnotationSet.omit({ rows: true }).extend({ meta: z.record(z.unknown()), cursor_us: z.number() });
export type AnnotationSetListRow = z.infer<typeof AnnotationSetListRow>;

/** Annotation sets newest first (no row counts: counting a GOA set's rows is a scan of millions). */
export async function annotationSetsPage(db: DatabasePool, opts: { source?: string; limit: number; after?: TimeKey }): Promise<readonly AnnotationSetListRow[]> {
  const source = opts.source ? sql.fragment`AND a.source = ${opts.source}` : sql.fragment``;
  return db.any(sql.type(AnnotationSetListRow)`
    SELECT a.id, a.source, a.source_version, a.ontology_snapshot_id, s.obo_version, a.job_id, a.meta, a.created_at,
           ${micros(sql.identifier(['a', 'created_at']))} AS cursor_us
      FROM annotation_set a JOIN ontology_snapshot s ON s.id = a.ontology_snapshot_id
     WHERE TRUE ${source} ${before(sql.identifier(['a', 'created_at']), sql.identifier(['a', 'id']), opts.after)}
     ORDER BY a.created_at DESC, a.id DESC LIMIT ${opts.limit}`);
}

// ---------------------------------------------------------------- ontology snapshots

const SnapshotListRow = Snapshot.extend({ pending_edges: z.number(), cursor_us: z.number() });
export type SnapshotListRow = z.infer<typeof SnapshotListRow>;

export async function ontologySnapshotsPage(db: DatabasePool, opts: { limit: number; after?: TimeKey }): Promise<readonly SnapshotListRow[]> {
  return db.any(sql.type(SnapshotListRow)`
    SELECT v.ontology_snapshot_id AS id, v.obo_version, v.obo_url, v.loaded_at, v.term_count, v.terms_loaded, v.relationships, v.pending_edges, v.complete,
           ${micros(sql.identifier(['v', 'loaded_at']))} AS cursor_us
      FROM ontology_snapshot_status v
     WHERE TRUE ${before(sql.identifier(['v', 'loaded_at']), sql.identifier(['v', 'ontology_snapshot_id']), opts.after)}
     ORDER BY v.loaded_at DESC, v.ontology_snapshot_id DESC LIMIT ${opts.limit}`);
}

// ---------------------------------------------------------------- query sets

const QuerySetListRow = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  created_at: z.number(),
  entries: z.number(),
  pending: z.number(),
  cursor_us: z.number(),
});
export type QuerySetListRow = z.infer<typeof QuerySetListRow>;

const QS_COLUMNS = sql.fragment`
  q.id, q.name, q.description, q.created_at,
  (SELECT count(*) FROM query_set_entry e WHERE e.query_set_id = q.id)::integer AS entries,
  (SELECT count(*) FROM query_set_entry_pending e WHERE e.query_set_id = q.id)::integer AS pending,
  ${micros(sql.identifier(['q', 'created_at']))} AS cursor_us`;

export async function querySetsPage(db: DatabasePool, opts: { limit: number; after?: TimeKey }): Promise<readonly QuerySetListRow[]> {
  return db.any(sql.type(QuerySetListRow)`
    SELECT ${QS_COLUMNS} FROM query_set q
     WHERE TRUE ${before(sql.identifier(['q', 'created_at']), sql.identifier(['q', 'id']), opts.after)}
     ORDER BY q.created_at DESC, q.id DESC LIMIT ${opts.limit}`);
}

export async function getQuerySetDetail(db: DatabasePool, id: string): Promise<QuerySetListRow | null> {
  return db.maybeOne(sql.type(QuerySetListRow)`SELECT ${QS_COLUMNS} FROM query_set q WHERE q.id = ${id}`);
}

const PredictionSetRef = z.object({ id: z.string(), kind: z.string(), name: z.string().nullable(), created_at: z.number() });

/** The prediction sets made for a query set, newest first (at most `limit`). */
export async function predictionSetsOfQuerySet(db: DatabasePool, querySetId: string, limit = 100): Promise<readonly z.infer<typeof PredictionSetRef>[]> {
  return db.any(sql.type(PredictionSetRef)`
    SELECT p.id, p.kind, p.name, p.created_at FROM prediction_set p WHERE p.query_set_id = ${querySetId}
     ORDER BY p.created_at DESC, p.id DESC LIMIT ${limit}`);
}
