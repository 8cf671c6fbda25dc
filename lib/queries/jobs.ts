// Reading jobs and their events (the CLI now, the API later).
import { z } from 'zod';
import { sql, type CommonQueryMethods, type DatabasePool } from '../db.js';

const Job = z.object({
  id: z.string(),
  operation: z.string(),
  queue_name: z.string(),
  status: z.string(),
  progress_current: z.number().nullable(),
  progress_total: z.number().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  payload: z.record(z.unknown()),
  created_at: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
});
export type JobRow = z.infer<typeof Job>;

const JobEvent = z.object({
  event: z.string(),
  level: z.string(),
  stage: z.string().nullable(),
  message: z.string().nullable(),
  error_code: z.string().nullable(),
  fields: z.record(z.unknown()),
  ts: z.number(),
});
export type JobEventRow = z.infer<typeof JobEvent>;

export async function listJobs(db: DatabasePool, opts: { limit?: number; status?: string; operation?: string } = {}): Promise<readonly JobRow[]> {
  const where = [sql.fragment`operation <> 'pending'`];
  if (opts.status) where.push(sql.fragment`status = ${opts.status}`);
  if (opts.operation) where.push(sql.fragment`operation = ${opts.operation}`);
  return db.any(sql.type(Job)`
    SELECT id, operation, queue_name, status, progress_current, progress_total, error_code, error_message, payload,
           created_at, started_at, finished_at
      FROM job WHERE ${sql.join(where, sql.fragment` AND `)}
     ORDER BY created_at DESC, id DESC LIMIT ${opts.limit ?? 20}`);
}

export async function getJob(db: DatabasePool, id: string): Promise<JobRow | null> {
  return db.maybeOne(sql.type(Job)`
    SELECT id, operation, queue_name, status, progress_current, progress_total, error_code, error_message, payload,
           created_at, started_at, finished_at
      FROM job WHERE id = ${id}`);
}

export async function jobEvents(db: DatabasePool, id: string, limit = 200): Promise<readonly JobEventRow[]> {
  return db.any(sql.type(JobEvent)`
    SELECT event, level, stage, message, error_code, fields, ts
      FROM job_event WHERE job_id = ${id} ORDER BY ts, id LIMIT ${limit}`);
}

// ── the API's job list, event pages, live stream and cancel ──

const JobPageRow = Job.extend({ created_us: z.string() });
export type JobPageRow = z.infer<typeof JobPageRow>;

export interface JobListFilter {
  status?: string;
  operation?: string;
  /** ISO 8601 timestamps (inclusive after, exclusive before); PostgreSQL parses them, to the microsecond */
  createdAfter?: string;
  createdBefore?: string;
  /** the keyset cursor: the last row's created_at in Unix microseconds (as text) and id */
  after?: { createdUs: string; id: string };
  limit: number;
}

/**
 * One page of jobs newest first, keyset-paginated on (created_at DESC, id
 * DESC) to the microsecond (index job_created_at_id_idx, sql/0015): `limit + 1`
 * rows, so the caller knows whether more follow. Placeholder rows (operation
 * 'pending': events of a job whose 'created' event has not landed) are left out.
 */
export async function listJobsPage(db: CommonQueryMethods, f: JobListFilter): Promise<readonly JobPageRow[]> {
  const where = [sql.fragment`operation <> 'pending'`];
  if (f.status) where.push(sql.fragment`status = ${f.status}`);
  if (f.operation) where.push(sql.fragment`operation = ${f.operation}`);
  if (f.createdAfter) where.push(sql.fragment`created_at >= ${f.createdAfter}::timestamptz`);
  if (f.createdBefore) where.push(sql.fragment`created_at < ${f.createdBefore}::timestamptz`);
  if (f.after) {
    where.push(sql.fragment`(created_at, id) < ('epoch'::timestamptz + ${f.after.createdUs}::bigint * interval '1 microsecond', ${f.after.id}::uuid)`);
  }
  return db.any(sql.type(JobPageRow)`
    SELECT id, operation, queue_name, status, progress_current, progress_total, error_code, error_message, payload,
           created_at, started_at, finished_at,
           (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us
      FROM job WHERE ${sql.join(where, sql.fragment` AND `)}
     ORDER BY created_at DESC, id DESC LIMIT ${f.limit + 1}`);
}

const JobEventWithId = JobEvent.extend({ id: z.number() });
export type JobEventWithIdRow = z.infer<typeof JobEventWithId>;

/**
 * A job's events after the event id `afterId` (0: from the first), in the
 * order they landed (their id: one job's events come from one partition of
 * the jobs topic, committed in offset order), at most `limit`.
 */
export async function jobEventsAfter(db: CommonQueryMethods, jobId: string, afterId: number, limit: number): Promise<readonly JobEventWithIdRow[]> {
  // id as float8: pg gives int8 as a BigInt, which JSON cannot carry; an identity is exact in a double up to 2^53
  return db.any(sql.type(JobEventWithId)`
    SELECT id::float8 AS id, event, level, stage, message, error_code, fields, ts
      FROM job_event WHERE job_id = ${jobId} AND id > ${afterId} ORDER BY id LIMIT ${limit}`);
}

export const ENDED_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

export type CancelOutcome = { outcome: 'cancelled'; job: JobRow; droppedPending: number } | { outcome: 'ended'; job: JobRow } | { outcome: 'missing' };

/**
 * Cancels a queued or running job, durably, in one transaction: its status
 * becomes cancelled (terminal: neither the sinks' progress nor a later
 * 'finished' event moves it again), its 'finished' event (fields.status cancelled) is recorded under
 * `eventId` (the same id as the event sent on the jobs topic, so the jobs sink
 * does not store it twice), and the predictor's waiting queries of the job
 * (prediction_pending) are dropped.
 */
export async function cancelJob(db: DatabasePool, jobId: string, opts: { eventId: string; message: string; by: string | null }): Promise<CancelOutcome> {
  return db.transaction(async (tx) => {
    const updated = await tx.maybeOne(sql.type(Job)`
      UPDATE job SET status = 'cancelled', finished_at = now(), error_code = NULL, error_message = ${opts.message}
       WHERE id = ${jobId} AND status IN ('queued', 'running') AND operation <> 'pending'
      RETURNING id, operation, queue_name, status, progress_current, progress_total, error_code, error_message, payload,
                created_at, started_at, finished_at`);
    if (!updated) {
      const job = await tx.maybeOne(sql.type(Job)`
        SELECT id, operation, queue_name, status, progress_current, progress_total, error_code, error_message, payload,
               created_at, started_at, finished_at
          FROM job WHERE id = ${jobId} AND operation <> 'pending'`);
      return job ? { outcome: 'ended', job } : { outcome: 'missing' };
    }
    await tx.query(sql.unsafe`
      INSERT INTO job_event (event_id, job_id, event, message, fields, level, stage)
      VALUES (${opts.eventId}, ${jobId}, 'finished', ${opts.message}, ${sql.jsonb({ status: 'cancelled', by: opts.by })}, 'info', 'api')
      ON CONFLICT (event_id) DO NOTHING`);
    const dropped = await tx.query(sql.unsafe`DELETE FROM prediction_pending WHERE job_id = ${jobId}`);
    return { outcome: 'cancelled', job: updated, droppedPending: dropped.rowCount };
  });
}

/** The ids among `jobIds` that were cancelled (stages drop such jobs' work). */
export async function cancelledJobs(db: CommonQueryMethods, jobIds: readonly string[]): Promise<Set<string>> {
  if (jobIds.length === 0) return new Set();
  const rows = await db.anyFirst(sql.type(z.object({ id: z.string() }))`
    SELECT id FROM job WHERE id = ANY(${sql.array([...new Set(jobIds)], 'uuid')}) AND status = 'cancelled'`);
  return new Set(rows);
}

/**
 * Makes a job visible (status queued) before its first event has gone
 * through the jobs sink, so a client that started it through the API can read
 * and stream it at once; the sink's 'created' merge fills in the rest.
 */
export async function ensureJobRow(db: CommonQueryMethods, job: { id: string; operation: string; queueName: string; payload: Record<string, unknown> }): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO job (id, operation, queue_name, payload) VALUES (${job.id}, ${job.operation}, ${job.queueName}, ${sql.jsonb(job.payload as never)})
    ON CONFLICT (id) DO NOTHING`);
}

/**
 * Marks a job the API made visible (ensureJobRow) failed when starting it
 * failed before its events could be sent (the broker away, say), so it does
 * not stay queued forever; a job whose events have moved it on is left alone.
 */
export async function failQueuedJob(db: CommonQueryMethods, jobId: string, error: { code: string; message: string }): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE job SET status = 'failed', finished_at = now(), error_code = ${error.code}, error_message = ${error.message}
     WHERE id = ${jobId} AND status = 'queued'`);
}
