// Reading jobs and their events (the CLI now, the API later).
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';

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
