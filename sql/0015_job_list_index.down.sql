DROP INDEX job_created_at_id_idx;
