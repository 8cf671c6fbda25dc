// protea.ingest.obo -> ontology_snapshot, go_term, go_term_relationship.
//
// One OBO release is one snapshot, named by obo_version (the data-version):
// - every record makes sure its snapshot row exists (INSERT .. ON CONFLICT DO
//   NOTHING, obo_url of the first record to land); the HEADER record, sent
//   last by the producer, sets obo_url and term_count, and sets loaded_at the
//   first time a header lands (a re-produced header changes nothing). The
//   ontology_snapshot_status view (sql/0008) compares term_count with the terms
//   landed: `complete` once every term of the header's count is in.
// - TERM records upsert go_term by (snapshot, go_id), the last record of a key
//   winning: name, namespace, aspect (aspectOf: F/P/C, NULL for other
//   namespaces such as BFO or CHEBI terms of GO extracts), definition,
//   is_obsolete, alt_ids, replaced_by, consider. A term whose fields did not
//   change is not touched (no new row version, id kept).
// - edges: every relation type the reader keeps is stored by name (is_a,
//   part_of, regulates, positively_regulates, negatively_regulates, and
//   has_part, occurs_in, in_taxon, ... too: consumers pick, see
//   GO_DAG_RELATIONS in parsers/obo.ts).
//
// Pending edges. Terms of one release are keyed release|go_id and so spread
// over all partitions: a term's parent may land later, in another
// transaction. Each transaction therefore stages the edges of its terms in
// go_term_edge_pending (child and parent by GO id), then resolves ALL pending
// edges of the snapshots it touched whose two ends exist as go_term rows:
// moves them into go_term_relationship (skipping edges already there) and
// deletes them from pending, in one statement. Whichever partition lands the
// last end completes the DAG. Re-producing a release re-stages its edges and
// resolves them at once: nothing changes. A release whose relationships are
// missing (loaded by an older sink, or deleted) gets them backfilled when it
// is produced again. Edges whose parent the file never defines (a slim's
// target outside the slim, BFO/CHEBI parents in an extract) stay pending for
// good: ontology_snapshot_status.pending_edges counts them.
//
// Why the advisory lock: under READ COMMITTED two transactions of one release
// can each miss the other's uncommitted rows: A lands the child and its
// pending edge while B lands the parent; A's resolve does not see B's parent,
// B's does not see A's pending edge, both commit, and the edge waits forever.
// So before resolving, a transaction takes an exclusive transaction-level
// advisory lock per touched snapshot (ONTOLOGY_EDGE_LOCK, hashtext of the
// snapshot id), after its own rows are written: the second of two such
// transactions waits for the first to commit, and its resolve statement,
// which starts after it got the lock, sees the first one's rows. Only the
// tail of a transaction (resolve, job progress, commit) is serialised per
// release; the COPY and the term upserts run in parallel. Locks are taken in
// snapshot id order (no deadlock between batches touching several releases),
// and before the job's row lock (jobProgress), in the same order everywhere.
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { IngestOboRecord } from '../schemas/generated/types.js';
import { aspectOf } from '../parsers/obo.js';
import { jobProgress, lineItem } from './jobs.js';
import type { SinkMapping } from './runner.js';

/** classid of the per-snapshot advisory lock (two-int4 key space): 'GOED'. */
export const ONTOLOGY_EDGE_LOCK = 0x474f4544;

const STAGE = 'sink_stage_obo';

/** A PostgreSQL array literal of text values (COPY text then escapes it once more). */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

function fail(message: string, field: string): never {
  throw new ProteaError('SINK_WRITE_FAILED', message, { field });
}

// The latest TERM record of each (release, go_id) in the staging table, with its snapshot id.
const LATEST_TERMS = sql.fragment`
  SELECT DISTINCT ON (st.obo_version, st.go_id)
         s.id AS snapshot_id, st.go_id, st.name, st.namespace, st.aspect, st.definition, st.is_obsolete,
         st.alt_ids, st.replaced_by, st.consider, st.edge_relations, st.edge_parents
    FROM ${sql.identifier([STAGE])} st
    JOIN ontology_snapshot s ON s.obo_version = st.obo_version
   WHERE st.kind = 'TERM'
   ORDER BY st.obo_version, st.go_id, st.kafka_offset DESC`;

export const ontologySink: SinkMapping<IngestOboRecord> = {
  name: 'ontology',
  topic: 'ingest.obo',
  staging: {
    table: STAGE,
    columns: `kind text, obo_version text, obo_url text, go_id text, name text, namespace text, aspect char(1), definition text,
              is_obsolete boolean, alt_ids text[], replaced_by text[], consider text[], edge_relations text[], edge_parents text[],
              term_count integer, job_id uuid, progress_item text`,
  },
  columns: [
    'kind', 'obo_version', 'obo_url', 'go_id', 'name', 'namespace', 'aspect', 'definition', 'is_obsolete', 'alt_ids', 'replaced_by',
    'consider', 'edge_relations', 'edge_parents', 'term_count', 'job_id', 'progress_item',
  ],
  toRow(r) {
    if (r.kind !== 'TERM' && r.kind !== 'HEADER') fail(`kind ${JSON.stringify(r.kind)} is neither TERM nor HEADER`, 'kind');
    if (!r.obo_version) fail('obo_version is empty', 'obo_version');
    if (!r.obo_url) fail('obo_url is empty', 'obo_url');
    if (r.kind === 'HEADER') {
      if (r.term_count !== null && !(Number.isInteger(r.term_count) && r.term_count >= 0)) fail(`term_count ${r.term_count} is not a count`, 'term_count');
      return ['HEADER', r.obo_version, r.obo_url, null, null, null, null, null, false, '{}', '{}', '{}', '{}', '{}', r.term_count, r.job_id];
    }
    if (!r.go_id || /\s/.test(r.go_id)) fail(`go_id ${JSON.stringify(r.go_id)} is not a term id`, 'go_id');
    for (const e of r.edges) {
      if (!e.relation || /\s/.test(e.relation)) fail(`edge relation ${JSON.stringify(e.relation)} of ${r.go_id} is not a relation name`, 'edges');
      if (!e.parent_go_id || /\s/.test(e.parent_go_id)) fail(`edge parent ${JSON.stringify(e.parent_go_id)} of ${r.go_id} is not a term id`, 'edges');
    }
    return [
      'TERM', r.obo_version, r.obo_url, r.go_id, r.name, r.namespace, aspectOf(r.namespace), r.definition, r.is_obsolete,
      textArrayLiteral(r.alt_ids), textArrayLiteral(r.replaced_by), textArrayLiteral(r.consider),
      textArrayLiteral(r.edges.map((e) => e.relation)), textArrayLiteral(r.edges.map((e) => e.parent_go_id)), null, r.job_id,
    ];
  },
  merge: [
    // the snapshot of every release in the batch (concurrent partitions: the second waits, then does nothing)
    sql.unsafe`
      INSERT INTO ontology_snapshot (obo_url, obo_version)
      SELECT DISTINCT ON (obo_version) obo_url, obo_version FROM sink_stage_obo
       ORDER BY obo_version, (kind = 'HEADER') DESC, kafka_offset DESC
      ON CONFLICT (obo_version) DO NOTHING`,
    // the header: provenance and term count; loaded_at when the first header lands
    sql.unsafe`
      UPDATE ontology_snapshot s
         SET obo_url = h.obo_url, term_count = h.term_count,
             loaded_at = CASE WHEN s.term_count IS NULL THEN now() ELSE s.loaded_at END
        FROM (SELECT DISTINCT ON (obo_version) obo_version, obo_url, term_count FROM sink_stage_obo
               WHERE kind = 'HEADER' ORDER BY obo_version, kafka_offset DESC) h
       WHERE s.obo_version = h.obo_version
         AND (s.obo_url, s.term_count) IS DISTINCT FROM (h.obo_url, h.term_count)`,
    // terms that changed (a term equal to the stored one is left alone)
    sql.unsafe`
      UPDATE go_term g
         SET name = t.name, namespace = t.namespace, aspect = t.aspect, definition = t.definition, is_obsolete = t.is_obsolete,
             alt_ids = t.alt_ids, replaced_by = t.replaced_by, consider = t.consider
        FROM (${LATEST_TERMS}) t
       WHERE g.ontology_snapshot_id = t.snapshot_id AND g.go_id = t.go_id
         AND (g.name, g.namespace, g.aspect, g.definition, g.is_obsolete, g.alt_ids, g.replaced_by, g.consider)
             IS DISTINCT FROM (t.name, t.namespace, t.aspect, t.definition, t.is_obsolete, t.alt_ids, t.replaced_by, t.consider)`,
    // new terms (filtered first, so a re-produced release draws no identity values; the
    // DO UPDATE only matters if another writer inserted the key meanwhile, which the
    // release|go_id message key rules out for records of one producer)
    sql.unsafe`
      INSERT INTO go_term AS g (ontology_snapshot_id, go_id, name, namespace, aspect, definition, is_obsolete, alt_ids, replaced_by, consider)
      SELECT t.snapshot_id, t.go_id, t.name, t.namespace, t.aspect, t.definition, t.is_obsolete, t.alt_ids, t.replaced_by, t.consider
        FROM (${LATEST_TERMS}) t
       WHERE NOT EXISTS (SELECT 1 FROM go_term x WHERE x.ontology_snapshot_id = t.snapshot_id AND x.go_id = t.go_id)
       ORDER BY t.snapshot_id, t.go_id
      ON CONFLICT (ontology_snapshot_id, go_id) DO UPDATE
         SET name = EXCLUDED.name, namespace = EXCLUDED.namespace, aspect = EXCLUDED.aspect, definition = EXCLUDED.definition,
             is_obsolete = EXCLUDED.is_obsolete, alt_ids = EXCLUDED.alt_ids, replaced_by = EXCLUDED.replaced_by, consider = EXCLUDED.consider
       WHERE (g.name, g.namespace, g.aspect, g.definition, g.is_obsolete, g.alt_ids, g.replaced_by, g.consider)
             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.namespace, EXCLUDED.aspect, EXCLUDED.definition, EXCLUDED.is_obsolete,
                               EXCLUDED.alt_ids, EXCLUDED.replaced_by, EXCLUDED.consider)`,
    // every edge of the batch's terms waits in pending until both its ends exist
    sql.unsafe`
      INSERT INTO go_term_edge_pending (ontology_snapshot_id, child_go_id, parent_go_id, relation_type)
      SELECT DISTINCT t.snapshot_id, t.go_id, e.parent_go_id, e.relation_type
        FROM (${LATEST_TERMS}) t, unnest(t.edge_parents, t.edge_relations) AS e(parent_go_id, relation_type)
      ON CONFLICT (ontology_snapshot_id, child_go_id, parent_go_id, relation_type) DO NOTHING`,
    // see the file comment: the second of two transactions of a release resolves after the first committed
    sql.unsafe`
      SELECT pg_advisory_xact_lock(${ONTOLOGY_EDGE_LOCK}, hashtext(x.id::text))
        FROM (SELECT DISTINCT s.id FROM ontology_snapshot s JOIN sink_stage_obo st ON st.obo_version = s.obo_version ORDER BY s.id) x`,
    // pending edges of the touched releases whose two ends exist become relationships
    sql.unsafe`
      WITH resolved AS (
        DELETE FROM go_term_edge_pending p
         USING go_term c, go_term pa
         WHERE p.ontology_snapshot_id IN (SELECT s.id FROM ontology_snapshot s JOIN sink_stage_obo st ON st.obo_version = s.obo_version)
           AND c.ontology_snapshot_id = p.ontology_snapshot_id AND c.go_id = p.child_go_id
           AND pa.ontology_snapshot_id = p.ontology_snapshot_id AND pa.go_id = p.parent_go_id
        RETURNING p.ontology_snapshot_id, c.id AS child_id, pa.id AS parent_id, p.relation_type)
      INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type)
      SELECT r.ontology_snapshot_id, r.child_id, r.parent_id, r.relation_type FROM resolved r
       WHERE NOT EXISTS (SELECT 1 FROM go_term_relationship x
                          WHERE x.ontology_snapshot_id = r.ontology_snapshot_id AND x.child_go_term_id = r.child_id
                            AND x.parent_go_term_id = r.parent_id AND x.relation_type = r.relation_type)
       ORDER BY r.ontology_snapshot_id, r.child_id, r.parent_id, r.relation_type
      ON CONFLICT (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type) DO NOTHING`,
    // every record (terms and the header) is one message its produce job sent
    jobProgress(STAGE),
  ],
  jobId: (r) => r.job_id,
  // a term or the header is one stanza of its job's file, at its line
  progressItem: (r) => lineItem(r.value?.source_file, r.value?.line),
};
