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

/** Prefix of the progress identity of a record read from a file: `line:<line>@<file>`. */
export const ITEM_LINE_PREFIX = 'line:';

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
    // every job (and parent) named in the batch has a row, so events can point at it; in id
    // order: a parent's events are on another partition, whose transaction may be inserting
    // the same new rows (two partitions at once, or two replicas), and one order cannot deadlock
    sql.unsafe`
      INSERT INTO job (id, operation, queue_name)
      SELECT id, 'pending', 'pending' FROM (
        SELECT job_id AS id FROM sink_stage_job_event UNION SELECT parent_job_id FROM sink_stage_job_event WHERE parent_job_id IS NOT NULL
      ) ids
       ORDER BY id
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
    // a record a processor dead-lettered is handled: it counts once toward its job, by the
    // file and line it came from (the same identity its landed twin would have), whatever
    // the redeliveries of the dead letter or of its record
    sql.unsafe`
      WITH counted AS (
        INSERT INTO job_progress_item (job_id, item)
        SELECT DISTINCT job_id,
               CASE WHEN fields ? 'file' AND fields ? 'line' AND jsonb_typeof(fields->'line') = 'number'
                    THEN ${ITEM_LINE_PREFIX}::text || (fields->>'line') || '@' || (fields->>'file')
                    ELSE 'event:' || event_id::text END
          FROM sink_stage_job_event
         WHERE event = 'dead_letter' AND stage IS DISTINCT FROM 'ingest'
         ORDER BY 1, 2
        ON CONFLICT DO NOTHING
        RETURNING job_id)
      UPDATE job j SET progress_current = COALESCE(j.progress_current, 0) + d.n
        FROM (SELECT job_id, count(*)::int AS n FROM counted GROUP BY job_id) d
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
 * The identity of an input record within its job, for progress: its file and
 * line (every FASTA entry, GAF row and OBO stanza has them; a redelivered or
 * re-sent copy has the same), or null when the record carries neither.
 */
export function lineItem(file: string | null | undefined, line: number | null | undefined): string | null {
  return typeof file === 'string' && typeof line === 'number' && Number.isInteger(line) ? `${ITEM_LINE_PREFIX}${line}@${file}` : null;
}

/**
 * The merge statement a sink adds to count the records it landed toward their
 * jobs: its staging table needs `job_id uuid` and `progress_item text` (the
 * record's identity within its job, see SinkMapping.progressItem). Each
 * identity counts once per job (job_progress_item), so redelivered copies of a
 * record do not move the progress again. Runs in the sink's transaction, so
 * the count moves exactly once with the rows.
 */
export function jobProgress(stagingTable: string): SqlStatement {
  const table = sql.identifier([stagingTable]);
  return sql.unsafe`
    WITH counted AS (
      INSERT INTO job_progress_item (job_id, item)
      SELECT DISTINCT job_id, progress_item FROM ${table} WHERE job_id IS NOT NULL AND progress_item IS NOT NULL ORDER BY 1, 2
      ON CONFLICT DO NOTHING
      RETURNING job_id)
    INSERT INTO job (id, operation, queue_name, progress_current)
    SELECT job_id, 'pending', 'pending', count(*)::int FROM counted GROUP BY job_id ORDER BY job_id
    ON CONFLICT (id) DO UPDATE SET progress_current = COALESCE(job.progress_current, 0) + EXCLUDED.progress_current`;
}
