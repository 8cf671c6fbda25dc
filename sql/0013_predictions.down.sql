DROP TABLE prediction_query;
DROP TABLE prediction_pending;
DELETE FROM prediction_set WHERE kind = 'identity';
ALTER TABLE prediction_set
  DROP CONSTRAINT prediction_set_identity_recipe_check,
  DROP CONSTRAINT prediction_set_kind_check,
  ADD CONSTRAINT prediction_set_kind_check CHECK (kind IN ('knn', 'imported', 'baseline'));
