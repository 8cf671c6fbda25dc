-- Evaluation (issue 5): prediction sets that are not KNN output, the ground
-- truth of an evaluation set, and the terms its PK targets already had.

-- Imported files and baselines have no embedding recipe, reference set or k:
-- those stay required for KNN sets only.
ALTER TABLE prediction_set
  ADD COLUMN kind text NOT NULL DEFAULT 'knn',
  ADD COLUMN name text,
  ALTER COLUMN embedding_config_id DROP NOT NULL,
  ALTER COLUMN annotation_set_id DROP NOT NULL,
  ALTER COLUMN limit_per_entry DROP NOT NULL,
  ADD CONSTRAINT prediction_set_kind_check CHECK (kind IN ('knn', 'imported', 'baseline')),
  ADD CONSTRAINT prediction_set_knn_recipe_check CHECK (
    kind <> 'knn' OR (embedding_config_id IS NOT NULL AND annotation_set_id IS NOT NULL AND limit_per_entry IS NOT NULL));
CREATE INDEX prediction_set_kind_idx ON prediction_set (kind, created_at);

-- An imported prediction has no reference protein and no distance; NULLS NOT
-- DISTINCT keeps one row per (set, protein, term) for those.
ALTER TABLE go_prediction
  ALTER COLUMN ref_protein_accession DROP NOT NULL,
  ALTER COLUMN distance DROP NOT NULL,
  DROP CONSTRAINT go_prediction_natural_key,
  ADD CONSTRAINT go_prediction_natural_key UNIQUE NULLS NOT DISTINCT (prediction_set_id, protein_accession, go_term_id, ref_protein_accession);

-- Ground truth: the experimental terms (as annotated, not propagated) of each
-- target protein per category and namespace.
CREATE TABLE evaluation_target (
  evaluation_set_id uuid    NOT NULL REFERENCES evaluation_set (id) ON DELETE CASCADE,
  category          text    NOT NULL,
  namespace         text    NOT NULL,
  protein_accession text    NOT NULL,
  go_term_id        integer NOT NULL REFERENCES go_term (id) ON DELETE RESTRICT,
  CONSTRAINT evaluation_target_pkey PRIMARY KEY (evaluation_set_id, category, namespace, protein_accession, go_term_id),
  CONSTRAINT evaluation_target_category_check CHECK (category IN ('NK', 'LK', 'PK'))
);

-- What a PK target already had in that namespace in the old set: excluded
-- (with its ancestors) from ground truth and predictions when scoring PK.
CREATE TABLE evaluation_known (
  evaluation_set_id uuid    NOT NULL REFERENCES evaluation_set (id) ON DELETE CASCADE,
  namespace         text    NOT NULL,
  protein_accession text    NOT NULL,
  go_term_id        integer NOT NULL REFERENCES go_term (id) ON DELETE RESTRICT,
  CONSTRAINT evaluation_known_pkey PRIMARY KEY (evaluation_set_id, namespace, protein_accession, go_term_id)
);
