-- 0007 job tracking from the jobs.events topic.
-- job_event.event_id: the event's own UUIDv7, so a redelivered event lands once.
ALTER TABLE job_event ADD COLUMN event_id uuid;
ALTER TABLE job_event ADD CONSTRAINT job_event_event_id_key UNIQUE (event_id);
ALTER TABLE job_event ADD COLUMN stage text;
ALTER TABLE job_event ADD COLUMN error_code text;

-- A job is complete when every record it sent has landed (sinks add to
-- progress_current in the transaction that writes the rows) or was
-- dead-lettered: the trigger moves it to succeeded whoever writes last.
CREATE FUNCTION protea_job_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IN ('queued', 'running')
     AND NEW.progress_total IS NOT NULL
     AND COALESCE(NEW.progress_current, 0) >= NEW.progress_total THEN
    NEW.status := 'succeeded';
    NEW.finished_at := COALESCE(NEW.finished_at, now());
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER job_complete
  BEFORE INSERT OR UPDATE OF progress_current, progress_total, status ON job
  FOR EACH ROW EXECUTE FUNCTION protea_job_complete();
