// protea.ingest.gaf -> annotation_set + protein_go_annotation.
//
// Annotation set: one row per (source, source_version, ontology snapshot),
// the snapshot being the ontology_snapshot whose obo_version the record names.
// It is created by the first batch of its rows (job_id: the job of the first
// record seen; meta: {"files": [...], "gaf_versions": [...]}, the sorted
// union of the GAF files and versions that fed it). Producing the same file
// again changes nothing: the set exists and already lists the file.
//
// Annotation: one row per GAF line, every column verbatim (qualifier too, so
// 'NOT|located_in' stays 'NOT|located_in'; an absent column is ''), keyed by
// the table's natural key (set, accession, term, qualifier, evidence code,
// reference, with/from, assigned by, extension, form, db). Lines that share
// the key collapse to one row, the last line winning the other columns
// (symbol, name, synonyms, type, taxon, aspect, date); a redelivered line
// changes nothing (the update only runs when a column differs).
//
// GO id -> go_term_id, within the snapshot of the record's obo_version: the
// term whose go_id it is, else the term listing it among its alt_ids (the GIN
// index on alt_ids; a non-obsolete term first, then the lowest go_id, should a
// broken release list one alt_id twice). A GO id that is neither is the
// record's fault: the runner's rejects step dead-letters it to dlq.sinks
// (ONTOLOGY_TERM_UNKNOWN, "GO:xxxxxxx is neither a term nor an alt_id of
// ontology <obo_version>", field go_id) and the rows around it land.
//
// An obo_version whose release is not loaded (no ontology_snapshot row) or not
// completely (the ontology sink lands a release's terms from several
// partitions and its header, with term_count, last: sql/0008) is not the
// record's fault: an id not found there is rejected with the code
// ONTOLOGY_RELEASE_PENDING (disposition retry), so the runner
// rolls the transaction back and retries it with backoff, and the partition
// waits instead of dead-lettering rows whose term may still come (the whole
// batch waits, rows with known ids too; a batch whose ids are all found in
// a release still loading lands at once). The runner tries a transaction 10
// times (the PROTEA_RETRY_* defaults: backoff 200 ms doubling to 5 s, with jitter: about 13 to 26 s in
// all), then hands the batch back to kafkajs, which refetches and retries it
// (8 times, 200 ms to 5 s apart) and then restarts the consumer (rejoin, seek
// to the stored offsets) and it all starts over: the partition waits as long
// as the release is incomplete (logging each retry) and moves on once it is.
// A release that was never loaded at all (no snapshot row) is waited for only
// ONTOLOGY_WAIT_MINUTES after the record's produce run (its job id is a UUIDv7:
// its first 48 bits are the run's start in Unix ms); after that the record is
// dead-lettered, so a GAF pinned to a mistyped release cannot block its
// partition for ever.
//
// Records count toward their produce job: landed ones through jobProgress,
// dead-lettered ones through the runner (jobProgressOnDeadLetters).
import { sql } from '../lib/db.js';
import type { IngestGafRecord } from '../schemas/generated/types.js';
import { jobProgress, lineItem } from './jobs.js';
import type { SinkMapping } from './runner.js';

const STAGE = 'sink_stage_gaf';
const STAGE_TABLE = sql.identifier([STAGE]);

/**
 * The GO ids of the staged records resolved in their snapshot: obo_version,
 * go_id -> snapshot_id (NULL: release not loaded), go_term_id (NULL: unknown
 * id). Materialised: one lookup per distinct id, not per row, whatever the
 * planner thinks of the (never analysed) staging table.
 */
const RESOLVED = sql.fragment`
  ids AS MATERIALIZED (SELECT DISTINCT obo_version, go_id FROM ${STAGE_TABLE}),
  resolved AS MATERIALIZED (
    SELECT ids.obo_version, ids.go_id, os.id AS snapshot_id,
           COALESCE(
             (SELECT g.id FROM go_term g WHERE g.ontology_snapshot_id = os.id AND g.go_id = ids.go_id),
             -- "(..) IS TRUE": not an index condition, so the lookup goes through the GIN index on
             -- alt_ids, never a scan of the whole release by its snapshot id (ANALYZE or not)
             (SELECT g.id FROM go_term g WHERE g.alt_ids @> ARRAY[ids.go_id] AND (g.ontology_snapshot_id = os.id) IS TRUE
               ORDER BY g.is_obsolete, g.go_id LIMIT 1)) AS go_term_id
      FROM ids LEFT JOIN ontology_snapshot os ON os.obo_version = ids.obo_version)`;

/** How long a record waits for a release that has no snapshot at all before it is dead-lettered. */
export const ONTOLOGY_WAIT_MINUTES = 10;

const NOT_LOADED_HINT =
  'The ontology release the annotations are pinned to is not (completely) loaded: produce it first (protea produce obo FILE; again if its run was cut short) and keep the ontology sink running; the annotations sink retries the batch until the release is complete.';

/** The natural key of protein_go_annotation, over the staging/resolved rows. */
const KEY = sql.fragment`a.id, st.db_object_id, r.go_term_id, st.qualifier, st.evidence_code, st.db_reference, st.with_from,
             st.assigned_by, st.annotation_extension, st.gene_product_form_id, st.db`;

/** Columns of a GAF line outside the natural key: the last line of a key wins them. */
const OTHER = ['db_object_symbol', 'aspect', 'db_object_name', 'synonym', 'db_object_type', 'taxon', 'annotation_date'] as const;

/** `c = EXCLUDED.c, ...` over OTHER. */
const SET_OTHER = sql.join(OTHER.map((c) => sql.fragment`${sql.identifier([c])} = EXCLUDED.${sql.identifier([c])}`), sql.fragment`, `);
/** The OTHER columns of the stored row (p) and of the proposed one (EXCLUDED), as lists. */
const OTHER_STORED = sql.join(OTHER.map((c) => sql.fragment`p.${sql.identifier([c])}`), sql.fragment`, `);
const OTHER_EXCLUDED = sql.join(OTHER.map((c) => sql.fragment`EXCLUDED.${sql.identifier([c])}`), sql.fragment`, `);

export const annotationsSink: SinkMapping<IngestGafRecord> = {
  name: 'annotations',
  topic: 'ingest.gaf',
  staging: {
    table: STAGE,
    columns: `source text, source_version text, obo_version text, job_id uuid, source_file text, line integer, gaf_version text,
              db text, db_object_id text, db_object_symbol text, qualifier text, go_id text, db_reference text, evidence_code text,
              with_from text, aspect text, db_object_name text, db_object_synonym text, db_object_type text, taxon text, date text,
              assigned_by text, annotation_extension text, gene_product_form_id text, progress_item text`,
  },
  columns: [
    'source', 'source_version', 'obo_version', 'job_id', 'source_file', 'line', 'gaf_version',
    'db', 'db_object_id', 'db_object_symbol', 'qualifier', 'go_id', 'db_reference', 'evidence_code',
    'with_from', 'aspect', 'db_object_name', 'db_object_synonym', 'db_object_type', 'taxon', 'date',
    'assigned_by', 'annotation_extension', 'gene_product_form_id', 'progress_item',
  ],
  toRow: (r) => [
    r.source, r.source_version, r.obo_version, r.job_id, r.source_file, r.line, r.gaf_version,
    r.db, r.db_object_id, r.db_object_symbol, r.qualifier, r.go_id, r.db_reference, r.evidence_code,
    r.with_from, r.aspect, r.db_object_name, r.db_object_synonym, r.db_object_type, r.taxon, r.date,
    r.assigned_by, r.annotation_extension, r.gene_product_form_id,
  ],
  // Unknown ids are judged only against a complete release (sql/0008: the header's term_count
  // landed and as many terms): while the release is missing or still loading, they wait.
  rejects: sql.unsafe`
    WITH ${RESOLVED},
    unresolved AS MATERIALIZED (SELECT * FROM resolved WHERE go_term_id IS NULL),
    loading AS MATERIALIZED (
      SELECT s.id, s.term_count, (SELECT count(*) FROM go_term t WHERE t.ontology_snapshot_id = s.id)::int AS terms
        FROM ontology_snapshot s
       WHERE s.id IN (SELECT snapshot_id FROM unresolved)),
    judged AS (
      SELECT u.obo_version, u.go_id,
             CASE WHEN u.snapshot_id IS NULL THEN 'missing'
                  WHEN l.term_count IS NULL OR l.terms < l.term_count THEN 'loading'
                  ELSE 'unknown' END AS state,
             l.term_count, l.terms
        FROM unresolved u LEFT JOIN loading l ON l.id = u.snapshot_id)
    SELECT st.kafka_offset,
           CASE WHEN j.state = 'unknown' THEN 'go_id' ELSE 'obo_version' END AS field,
           CASE WHEN j.state = 'missing' AND st.job_id IS NOT NULL AND clock_timestamp() - to_timestamp(
                       ('x' || substr(replace(st.job_id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0) > make_interval(mins => ${ONTOLOGY_WAIT_MINUTES}::int)
                THEN format('ontology release %s was not loaded within %s minutes of the produce run; %s of %s:%s gave up waiting', st.obo_version, ${ONTOLOGY_WAIT_MINUTES}::int, st.go_id, st.source_file, st.line)
           ELSE CASE j.state
                WHEN 'missing' THEN format('ontology release %s is not loaded (no ontology snapshot with that obo_version); %s of %s:%s waits for it', st.obo_version, st.go_id, st.source_file, st.line)
                WHEN 'loading' THEN format('ontology release %s is still loading (%s of %s terms landed); %s of %s:%s waits for it', st.obo_version, j.terms, COALESCE(j.term_count::text, 'an unknown number of'), st.go_id, st.source_file, st.line)
                ELSE format('%s is neither a term nor an alt_id of ontology %s', st.go_id, st.obo_version) END END AS reason,
           CASE WHEN j.state <> 'unknown' AND NOT (j.state = 'missing' AND st.job_id IS NOT NULL AND clock_timestamp() - to_timestamp(
                       ('x' || substr(replace(st.job_id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0) > make_interval(mins => ${ONTOLOGY_WAIT_MINUTES}::int))
                THEN 'ONTOLOGY_RELEASE_PENDING' ELSE 'ONTOLOGY_TERM_UNKNOWN' END AS code,
           CASE WHEN j.state <> 'unknown' THEN ${NOT_LOADED_HINT}::text END AS hint
      FROM ${STAGE_TABLE} st
      JOIN judged j ON j.obo_version = st.obo_version AND j.go_id = st.go_id
     ORDER BY j.state = 'unknown', st.kafka_offset`,
  merge: [
    // The sets of the batch, in key order (lock order between concurrent writers). Only
    // sets that are new or miss a file/version are proposed: an existing, complete set is
    // neither updated nor locked.
    sql.unsafe`
      INSERT INTO annotation_set AS a (source, source_version, ontology_snapshot_id, job_id, meta)
      SELECT n.source, n.source_version, n.snapshot_id, n.job_id, n.meta
        FROM (SELECT st.source, st.source_version, os.id AS snapshot_id,
                     (array_agg(st.job_id ORDER BY st.kafka_offset))[1] AS job_id,
                     jsonb_build_object('files', to_jsonb(array_agg(DISTINCT st.source_file ORDER BY st.source_file)),
                                        'gaf_versions', to_jsonb(array_agg(DISTINCT st.gaf_version ORDER BY st.gaf_version))) AS meta
                FROM ${STAGE_TABLE} st JOIN ontology_snapshot os ON os.obo_version = st.obo_version
               GROUP BY st.source, st.source_version, os.id) n
       WHERE NOT EXISTS (SELECT 1 FROM annotation_set x
                          WHERE x.source = n.source AND x.source_version = n.source_version AND x.ontology_snapshot_id = n.snapshot_id
                            AND COALESCE(x.meta->'files', '[]') @> (n.meta->'files')
                            AND COALESCE(x.meta->'gaf_versions', '[]') @> (n.meta->'gaf_versions'))
       ORDER BY n.source, n.source_version, n.snapshot_id
      ON CONFLICT ON CONSTRAINT annotation_set_natural_key DO UPDATE SET
             meta = a.meta || jsonb_build_object(
               'files', (SELECT jsonb_agg(DISTINCT v ORDER BY v) FROM jsonb_array_elements_text(COALESCE(a.meta->'files', '[]') || (EXCLUDED.meta->'files')) v),
               'gaf_versions', (SELECT jsonb_agg(DISTINCT v ORDER BY v) FROM jsonb_array_elements_text(COALESCE(a.meta->'gaf_versions', '[]') || (EXCLUDED.meta->'gaf_versions')) v))
       WHERE NOT (COALESCE(a.meta->'files', '[]') @> (EXCLUDED.meta->'files') AND COALESCE(a.meta->'gaf_versions', '[]') @> (EXCLUDED.meta->'gaf_versions'))`,
    sql.unsafe`
      WITH ${RESOLVED}
      INSERT INTO protein_go_annotation AS p (
             annotation_set_id, protein_accession, go_term_id, db, db_object_symbol, qualifier, db_reference, evidence_code, with_from,
             aspect, db_object_name, synonym, db_object_type, taxon, annotation_date, assigned_by, annotation_extension, gene_product_form_id)
      SELECT DISTINCT ON (${KEY})
             a.id, st.db_object_id, r.go_term_id, st.db, st.db_object_symbol, st.qualifier, st.db_reference, st.evidence_code, st.with_from,
             NULLIF(st.aspect, ''), st.db_object_name, st.db_object_synonym, st.db_object_type, st.taxon, st.date, st.assigned_by,
             st.annotation_extension, st.gene_product_form_id
        FROM ${STAGE_TABLE} st
        JOIN resolved r ON r.obo_version = st.obo_version AND r.go_id = st.go_id
        JOIN annotation_set a ON a.source = st.source AND a.source_version = st.source_version AND a.ontology_snapshot_id = r.snapshot_id
       ORDER BY ${KEY}, st.kafka_offset DESC
      ON CONFLICT ON CONSTRAINT protein_go_annotation_natural_key DO UPDATE SET
             ${SET_OTHER}
       WHERE (${OTHER_STORED}) IS DISTINCT FROM (${OTHER_EXCLUDED})`,
    // every GAF record is one line of its produce job: it has landed
    jobProgress(STAGE),
  ],
  jobProgressOnDeadLetters: true,
  jobId: (r) => r.job_id,
  // a GAF row is one line of its job's file
  progressItem: (r) => lineItem(r.value?.source_file, r.value?.line),
};
