-- 0013 predictions (issue 10): identity-method prediction sets, the queries a
-- prediction job still waits on, and the outcome of every query.

-- The identity method (best Smith-Waterman hit) needs no embedding recipe: like
-- imported sets it leaves embedding_config_id NULL; its k is 1.
ALTER TABLE prediction_set
  DROP CONSTRAINT prediction_set_kind_check,
  ADD CONSTRAINT prediction_set_kind_check CHECK (kind IN ('knn', 'identity', 'imported', 'baseline')),
  ADD CONSTRAINT prediction_set_identity_recipe_check CHECK (
    kind <> 'identity' OR (annotation_set_id IS NOT NULL AND limit_per_entry IS NOT NULL));

-- Queries of a prediction job whose embedding had not landed when the
-- predictor read the request: the predictor sweeps them and predicts each one
-- as soon as its embedding exists (or reports it unpredictable after a wait).
-- A row is claimed with FOR UPDATE SKIP LOCKED and deleted in the transaction
-- that sends its predictions, so a crash leaves it here to be retried.
CREATE TABLE prediction_pending (
  prediction_set_id uuid        NOT NULL REFERENCES prediction_set (id) ON DELETE CASCADE,
  protein_accession text        NOT NULL,
  sequence_md5      char(32)    NOT NULL,
  job_id            uuid        NOT NULL,
  requested_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prediction_pending_natural_key PRIMARY KEY (prediction_set_id, protein_accession),
  CONSTRAINT prediction_pending_sequence_md5_check CHECK (sequence_md5 ~ '^[0-9a-f]{32}$')
);
CREATE INDEX prediction_pending_requested_at_idx ON prediction_pending (requested_at);

-- One row per query protein of a prediction set once the predictor has dealt
-- with it: predicted (terms may be 0: no neighbour within the threshold) or
-- unpredictable, with the reason (no embedding after the wait, ...). What
-- `protea predict --wait`, the job and the API report per query.
CREATE TABLE prediction_query (
  prediction_set_id uuid        NOT NULL REFERENCES prediction_set (id) ON DELETE CASCADE,
  protein_accession text        NOT NULL,
  sequence_md5      char(32)    NOT NULL,
  status            text        NOT NULL,
  reason            text,
  neighbours        integer     NOT NULL DEFAULT 0,
  terms             integer     NOT NULL DEFAULT 0,
  predicted_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prediction_query_natural_key PRIMARY KEY (prediction_set_id, protein_accession),
  CONSTRAINT prediction_query_status_check CHECK (status IN ('predicted', 'unpredictable')),
  CONSTRAINT prediction_query_reason_check CHECK ((status = 'unpredictable') = (reason IS NOT NULL))
);
