ALTER TABLE sink_offsets DROP COLUMN cluster_id;
