DROP TABLE sink_offsets;
DROP TABLE job_event;
DROP TABLE job;
DROP FUNCTION protea_uuid_v7();
