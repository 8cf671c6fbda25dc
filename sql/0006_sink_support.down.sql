DROP INDEX protein_sequence_md5_unlinked_idx;
ALTER TABLE protein DROP CONSTRAINT protein_sequence_md5_check;
ALTER TABLE protein DROP COLUMN sequence_md5;
