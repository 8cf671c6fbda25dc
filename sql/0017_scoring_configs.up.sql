-- 0017 scoring configs (issue 12): named, immutable recipes that turn the
-- feature columns of go_prediction into a score, and prediction sets of kind
-- 'scored': an existing set's rows with the score recomputed by one recipe.

-- formula: 'linear' = sum(w_i * s_i) / sum(w_i) over the signals with a
-- weight > 0 and a value; 'evidence_weighted' = that times the evidence weight
-- of the row's code. weights: signal -> weight >= 0 (lib/scoring.ts validates
-- the signal names). evidence_weights: evidence code -> weight in [0, 1] that
-- override the default table of lib/scoring.ts (NULL: the defaults).
CREATE TABLE scoring_config (
  id               uuid        PRIMARY KEY DEFAULT protea_uuid_v7(),
  name             text        NOT NULL,
  formula          text        NOT NULL,
  weights          jsonb       NOT NULL,
  evidence_weights jsonb,
  description      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT scoring_config_name_key UNIQUE (name),
  CONSTRAINT scoring_config_formula_check CHECK (formula IN ('linear', 'evidence_weighted')),
  CONSTRAINT scoring_config_weights_check CHECK (jsonb_typeof(weights) = 'object'),
  CONSTRAINT scoring_config_evidence_weights_check CHECK (evidence_weights IS NULL OR jsonb_typeof(evidence_weights) = 'object')
);

-- The reference system's presets (lib/scoring.ts PRESETS says the same).
INSERT INTO scoring_config (name, formula, weights, description) VALUES
  ('embedding', 'linear', '{"embedding_similarity": 1.0}',
   'embedding similarity only: 1 - distance/2'),
  ('alignment-weighted', 'linear', '{"embedding_similarity": 0.5, "identity_nw": 0.3, "identity_sw": 0.2}',
   'embedding similarity 0.5, Needleman-Wunsch identity 0.3, Smith-Waterman identity 0.2'),
  ('evidence-weighted', 'evidence_weighted', '{"embedding_similarity": 1.0}',
   'embedding similarity times the evidence weight of the transferred annotation''s code');

-- A scored set names its recipe and the set whose rows it rescored (and
-- copies that set's embedding config, annotation set, snapshot, query set, k,
-- threshold and meta). Deleting the source deletes what was derived from it;
-- a recipe in use cannot be deleted.
ALTER TABLE prediction_set
  ADD COLUMN scoring_config_id uuid REFERENCES scoring_config (id) ON DELETE RESTRICT,
  ADD COLUMN source_prediction_set_id uuid REFERENCES prediction_set (id) ON DELETE CASCADE,
  DROP CONSTRAINT prediction_set_kind_check,
  ADD CONSTRAINT prediction_set_kind_check CHECK (kind IN ('knn', 'identity', 'imported', 'baseline', 'scored')),
  ADD CONSTRAINT prediction_set_scored_check CHECK (
    CASE WHEN kind = 'scored' THEN scoring_config_id IS NOT NULL AND source_prediction_set_id IS NOT NULL
         ELSE scoring_config_id IS NULL AND source_prediction_set_id IS NULL END),
  -- one scored set per (source, recipe): scoring again returns it
  ADD CONSTRAINT prediction_set_scored_key UNIQUE (source_prediction_set_id, scoring_config_id);

-- Evaluation results already had the column (0005); it now points at a recipe.
ALTER TABLE evaluation_result
  ADD CONSTRAINT evaluation_result_scoring_config_id_fkey FOREIGN KEY (scoring_config_id) REFERENCES scoring_config (id) ON DELETE RESTRICT;
