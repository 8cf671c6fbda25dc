DROP TABLE evaluation_known;
DROP TABLE evaluation_target;
-- Rows that only this migration allows cannot survive its rollback.
DELETE FROM go_prediction WHERE ref_protein_accession IS NULL OR distance IS NULL;
DELETE FROM prediction_set WHERE kind <> 'knn';
ALTER TABLE go_prediction
  DROP CONSTRAINT go_prediction_natural_key,
  ADD CONSTRAINT go_prediction_natural_key UNIQUE (prediction_set_id, protein_accession, go_term_id, ref_protein_accession),
  ALTER COLUMN distance SET NOT NULL,
  ALTER COLUMN ref_protein_accession SET NOT NULL;
DROP INDEX prediction_set_kind_idx;
ALTER TABLE prediction_set
  DROP CONSTRAINT prediction_set_knn_recipe_check,
  DROP CONSTRAINT prediction_set_kind_check,
  ALTER COLUMN limit_per_entry SET NOT NULL,
  ALTER COLUMN annotation_set_id SET NOT NULL,
  ALTER COLUMN embedding_config_id SET NOT NULL,
  DROP COLUMN name,
  DROP COLUMN kind;
