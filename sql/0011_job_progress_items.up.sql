-- 0011 job progress counted once per input record.
-- Processors are at-least-once: a redelivered FASTA entry reaches the
-- proteins sink again (another offset, same content), and a producer retry
-- after a broker failure can write a GAF row twice. progress_current used to
-- count every landed or dead-lettered message, so a job could pass its total
-- and succeed before all its records had landed. Now a sink first records the
-- record's identity within its job (file and line of the entry, or another
-- natural identity) here, and only identities new to the job move
-- progress_current, in the same transaction as the rows.
CREATE TABLE job_progress_item (
  job_id uuid NOT NULL,
  item text NOT NULL,
  PRIMARY KEY (job_id, item)
);
COMMENT ON TABLE job_progress_item IS 'Input records of a job already counted in job.progress_current (landed or dead-lettered), one row each: progress counts each record once whatever is redelivered.';
