-- 0006 sink support: a protein remembers the MD5 of its sequence, so the
-- proteins and sequences sinks can link protein.sequence_id whichever of the
-- two records lands first (protea.proteins carries the MD5, not the id).
ALTER TABLE protein ADD COLUMN sequence_md5 char(32);
ALTER TABLE protein ADD CONSTRAINT protein_sequence_md5_check CHECK (sequence_md5 IS NULL OR sequence_md5 ~ '^[0-9a-f]{32}$');
-- The sequences sink looks up the proteins still waiting for their sequence.
CREATE INDEX protein_sequence_md5_unlinked_idx ON protein (sequence_md5) WHERE sequence_id IS NULL;
