DROP VIEW ontology_snapshot_status;
DROP TABLE query_set_entry_pending;
DROP TABLE go_term_edge_pending;
ALTER TABLE ontology_snapshot DROP CONSTRAINT ontology_snapshot_term_count_check;
ALTER TABLE ontology_snapshot DROP COLUMN term_count;
