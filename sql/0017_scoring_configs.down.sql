ALTER TABLE evaluation_result DROP CONSTRAINT evaluation_result_scoring_config_id_fkey;
-- Scored sets (and their rows, by cascade) cannot survive this rollback.
DELETE FROM prediction_set WHERE kind = 'scored';
ALTER TABLE prediction_set
  DROP CONSTRAINT prediction_set_scored_key,
  DROP CONSTRAINT prediction_set_scored_check,
  DROP CONSTRAINT prediction_set_kind_check,
  ADD CONSTRAINT prediction_set_kind_check CHECK (kind IN ('knn', 'identity', 'imported', 'baseline')),
  DROP COLUMN source_prediction_set_id,
  DROP COLUMN scoring_config_id;
DROP TABLE scoring_config;
