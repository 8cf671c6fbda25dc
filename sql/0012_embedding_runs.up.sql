-- 0012 embeddings as the embedder stage writes them.
-- A config is immutable (its recipe is its natural key) but can be switched
-- on and off: the embedder embeds every new sequence under each ACTIVE config.
-- Every vector records what computed it (backend, device: the execution
-- provider that ran), whether the sequence was cut at max_length (truncated_at:
-- residues embedded, NULL when the whole sequence was), and the job it was
-- computed for (a replay), so a row says how to reproduce it.
ALTER TABLE embedding_config ADD COLUMN active boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN embedding_config.active IS 'The embedder embeds new sequences under every active config; activate/deactivate change only this.';

ALTER TABLE sequence_embedding
  ADD COLUMN backend text,
  ADD COLUMN device text,
  ADD COLUMN truncated_at integer,
  ADD COLUMN job_id uuid,
  ADD CONSTRAINT sequence_embedding_device_check CHECK (device IN ('cpu', 'cuda')),
  ADD CONSTRAINT sequence_embedding_truncated_check CHECK (truncated_at IS NULL OR truncated_at > 0);
COMMENT ON COLUMN sequence_embedding.truncated_at IS 'Residues embedded when the sequence was cut at max_length; NULL when the vector covers the whole sequence (or chunk).';
