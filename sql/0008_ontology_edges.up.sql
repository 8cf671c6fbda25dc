-- 0008 ontology edges and query-set entries that wait for their other end.
--
-- The sinks land records of one release (or one query set) from several
-- partitions in independent transactions, so one end of a link may land after
-- the other: a term before its parent, a query-set entry before its sequence.
-- Links that cannot be made yet wait in a pending table and are made by
-- whichever transaction lands the missing end (sinks/ontology.ts,
-- sinks/query-sets.ts).

-- The release header's term count (NULL until the HEADER record landed): with
-- the go_term rows it tells a complete release from one still loading.
ALTER TABLE ontology_snapshot ADD COLUMN term_count integer;
ALTER TABLE ontology_snapshot ADD CONSTRAINT ontology_snapshot_term_count_check CHECK (term_count IS NULL OR term_count >= 0);

-- Edges read from the OBO file whose child or parent term is not (yet) a
-- go_term row of the snapshot. Edges to terms the file never defines (other
-- ontologies such as BFO or CHEBI in GO extracts, or targets outside a slim)
-- stay here for good: they are the release's unresolved edges.
CREATE TABLE go_term_edge_pending (
  ontology_snapshot_id uuid NOT NULL REFERENCES ontology_snapshot (id) ON DELETE CASCADE,
  child_go_id          text NOT NULL,
  parent_go_id         text NOT NULL,
  relation_type        text NOT NULL,
  CONSTRAINT go_term_edge_pending_natural_key UNIQUE (ontology_snapshot_id, child_go_id, parent_go_id, relation_type)
);

-- Query-set entries whose sequence (by MD5) has not landed yet; the sequences
-- sink moves them into query_set_entry when it lands the sequence.
CREATE TABLE query_set_entry_pending (
  query_set_id uuid        NOT NULL REFERENCES query_set (id) ON DELETE CASCADE,
  accession    text        NOT NULL,
  sequence_md5 char(32)    NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT query_set_entry_pending_natural_key PRIMARY KEY (query_set_id, accession),
  CONSTRAINT query_set_entry_pending_sequence_md5_check CHECK (sequence_md5 ~ '^[0-9a-f]{32}$')
);
CREATE INDEX query_set_entry_pending_sequence_md5_idx ON query_set_entry_pending (sequence_md5);

-- Load state of every release: terms landed against the header's count,
-- edges made and edges still waiting for an end.
CREATE VIEW ontology_snapshot_status AS
SELECT s.id AS ontology_snapshot_id,
       s.obo_version,
       s.obo_url,
       s.loaded_at,
       s.term_count,
       (SELECT count(*) FROM go_term t WHERE t.ontology_snapshot_id = s.id)::integer              AS terms_loaded,
       (SELECT count(*) FROM go_term_relationship r WHERE r.ontology_snapshot_id = s.id)::integer AS relationships,
       (SELECT count(*) FROM go_term_edge_pending p WHERE p.ontology_snapshot_id = s.id)::integer AS pending_edges,
       s.term_count IS NOT NULL
         AND (SELECT count(*) FROM go_term t WHERE t.ontology_snapshot_id = s.id) >= s.term_count  AS complete
  FROM ontology_snapshot s;
