ALTER TABLE sequence_embedding
  DROP CONSTRAINT sequence_embedding_truncated_check,
  DROP CONSTRAINT sequence_embedding_device_check,
  DROP COLUMN job_id,
  DROP COLUMN truncated_at,
  DROP COLUMN device,
  DROP COLUMN backend;
ALTER TABLE embedding_config DROP COLUMN active;
