DROP TABLE job_progress_item;
