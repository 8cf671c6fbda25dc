-- 0005 evaluation: CAFA-style temporal holdout sets and the results of
-- evaluating prediction sets against them.

-- The delta between an older and a newer annotation set (NK/LK/PK targets);
-- counts per category and namespace in stats. job_id: see annotation_set.
CREATE TABLE evaluation_set (
  id                    uuid        PRIMARY KEY DEFAULT protea_uuid_v7(),
  old_annotation_set_id uuid        NOT NULL REFERENCES annotation_set (id) ON DELETE RESTRICT,
  new_annotation_set_id uuid        NOT NULL REFERENCES annotation_set (id) ON DELETE RESTRICT,
  ontology_snapshot_id  uuid        NOT NULL REFERENCES ontology_snapshot (id) ON DELETE RESTRICT,
  stats                 jsonb       NOT NULL DEFAULT '{}'::jsonb,
  job_id                uuid,
  created_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT evaluation_set_distinct_sets_check CHECK (old_annotation_set_id <> new_annotation_set_id)
);
CREATE INDEX evaluation_set_old_annotation_set_id_idx ON evaluation_set (old_annotation_set_id);
CREATE INDEX evaluation_set_new_annotation_set_id_idx ON evaluation_set (new_annotation_set_id);

-- Metrics (Fmax, S-min, coverage ... per category and namespace) of one
-- prediction set on one evaluation set. scoring_config_id and
-- reranker_model_id have no table yet: plain uuids.
CREATE TABLE evaluation_result (
  id                uuid             PRIMARY KEY DEFAULT protea_uuid_v7(),
  evaluation_set_id uuid             NOT NULL REFERENCES evaluation_set (id) ON DELETE CASCADE,
  prediction_set_id uuid             NOT NULL REFERENCES prediction_set (id) ON DELETE CASCADE,
  scoring_config_id uuid,
  reranker_model_id uuid,
  results           jsonb            NOT NULL DEFAULT '{}'::jsonb,
  max_distance      double precision,
  job_id            uuid,
  created_at        timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX evaluation_result_evaluation_set_id_idx ON evaluation_result (evaluation_set_id);
CREATE INDEX evaluation_result_prediction_set_id_idx ON evaluation_result (prediction_set_id);
