DROP TRIGGER job_complete ON job;
DROP FUNCTION protea_job_complete();
ALTER TABLE job_event DROP COLUMN error_code;
ALTER TABLE job_event DROP COLUMN stage;
ALTER TABLE job_event DROP CONSTRAINT job_event_event_id_key;
ALTER TABLE job_event DROP COLUMN event_id;
