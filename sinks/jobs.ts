// protea.jobs.events -> job + job_event. Events of one job share a key, so
// they arrive in order on one partition; the runner's exactly-once batches
// make the progress increments below safe (a batch is applied once).
//
// Status machine (reference documents): queued -> running -> succeeded |
// failed, or cancelled. 'created' fills the job, 'started' runs it, 'produced'
// sets progress_total (the records the job sent), 'dead_letter' events of a
// stage after ingest count as handled records, 'finished' ends it. Sinks add
// the records they land to progress_current in their own transactions
// (jobProgress below); the job_complete trigger (sql/0007) then moves the job
// to succeeded once progress_current reaches progress_total.
import type { SqlStatement } from '../lib/copy.js';
import { sql } from '../lib/db.js';
import type { JobEventRecord } from '../schemas/generated/types.js';
import type { SinkMapping } from './runner.js';

const STAGE = 'sink_stage_job_event';

export const jobsSink: SinkMapping<JobEventRecord> = {
  name: 'jobs',
  topic: 'jobs.events',
  staging: {
    table: STAGE,
    columns: `event_id uuid, job_id uuid, event text, status text, operation text, stage text, progress_current integer,
              progress_total integer, level text, message text, error_code text, fields jsonb, ts timestamptz,
              parent_job_id uuid, payload jsonb`,
  },
  columns: ['event_id', 'job_id', 'event', 'status', 'operation', 'stage', 'progress_current', 'progress_total', 'level', 'message', 'error_code', 'fields', 'ts', 'parent_job_id', 'payload'],
  toRow: (r) => [
    r.event_id, r.job_id, r.event, r.status, r.operation, r.stage, r.progress_current, r.progress_total, r.level, r.message, r.error_code,
    r.fields_json ?? '{}', new Date(r.ts).toISOString(), r.parent_job_id, r.payload_json ?? '{}',
  ],
  merge: [
    // every job (and parent) named in the batch has a row, so events can point at it
    sql.unsafe`
      INSERT INTO job (id, operation, queue_name)
      SELECT id, 'pending', 'pending' FROM (
        SELECT job_id AS id FROM sink_stage_job_event UNION SELECT parent_job_id FROM sink_stage_job_event WHERE parent_job_id IS NOT NULL
      ) ids
      ON CONFLICT (id) DO NOTHING`,
    sql.unsafe`
      UPDATE job j SET operation = c.operation, queue_name = COALESCE(c.stage, j.queue_name), payload = c.payload,
                       parent_job_id = c.parent_job_id, created_at = c.ts
        FROM (SELECT DISTINCT ON (job_id) * FROM sink_stage_job_event WHERE event = 'created' ORDER BY job_id, kafka_offset) c
       WHERE j.id = c.job_id`,
    sql.unsafe`
      INSERT INTO job_event (event_id, job_id, event, message, fields, level, ts, stage, error_code)
      SELECT event_id, job_id, event, message, fields, level, ts, stage, error_code
        FROM sink_stage_job_event ORDER BY kafka_offset
      ON CONFLICT (event_id) DO NOTHING`,
    sql.unsafe`
      UPDATE job j SET status = 'running', started_at = COALESCE(j.started_at, s.ts)
        FROM (SELECT DISTINCT ON (job_id) job_id, ts FROM sink_stage_job_event WHERE event = 'started' ORDER BY job_id, kafka_offset) s
       WHERE j.id = s.job_id AND j.status = 'queued'`,
    sql.unsafe`
      UPDATE job j SET progress_total = p.progress_total
        FROM (SELECT DISTINCT ON (job_id) job_id, progress_total FROM sink_stage_job_event
               WHERE event = 'produced' ORDER BY job_id, kafka_offset DESC) p
       WHERE j.id = p.job_id`,
    sql.unsafe`
      UPDATE job j SET progress_current = COALESCE(j.progress_current, 0) + d.n
        FROM (SELECT job_id, count(*)::int AS n FROM sink_stage_job_event
               WHERE event = 'dead_letter' AND stage IS DISTINCT FROM 'ingest' GROUP BY job_id) d
       WHERE j.id = d.job_id`,
    sql.unsafe`
      UPDATE job j SET status = f.status, finished_at = f.ts, error_code = f.error_code, error_message = f.message
        FROM (SELECT DISTINCT ON (job_id) job_id, status, ts, error_code, message FROM sink_stage_job_event
               WHERE event = 'finished' AND status IN ('succeeded', 'failed', 'cancelled') ORDER BY job_id, kafka_offset DESC) f
       WHERE j.id = f.job_id AND j.status IN ('queued', 'running')`,
  ],
  jobId: (r) => r.job_id,
};

/**
 * The merge statement a sink adds to count the records it landed toward their
 * jobs: its staging table needs a `job_id uuid` column. Runs in the sink's
 * transaction, so the count moves exactly once with the rows.
 */
export function jobProgress(stagingTable: string): SqlStatement {
  const table = sql.identifier([stagingTable]);
  return sql.unsafe`
    INSERT INTO job (id, operation, queue_name, progress_current)
    SELECT job_id, 'pending', 'pending', count(*)::int FROM ${table} WHERE job_id IS NOT NULL GROUP BY job_id
    ON CONFLICT (id) DO UPDATE SET progress_current = COALESCE(job.progress_current, 0) + EXCLUDED.progress_current`;
}
