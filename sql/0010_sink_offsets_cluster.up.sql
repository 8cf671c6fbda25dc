-- The Kafka cluster a stored offset belongs to. A fresh cluster (a deleted
-- .protea/, another broker) starts every log at 0 again: offsets stored for
-- another cluster point into a log that no longer exists, and a sink that
-- trusted them would skip the new cluster's records. The sink runner resets
-- those to 0 when it starts (the merges are idempotent); rows written before
-- this column existed (NULL) are adopted by the cluster that finds them.
ALTER TABLE sink_offsets ADD COLUMN cluster_id text;
