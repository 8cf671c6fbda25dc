// GET /jobs and GET /jobs/:id: what ran, how far it got, its events.
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { getJob, jobEvents, listJobs, type JobEventRow, type JobRow } from '../../lib/queries/jobs.js';
import { notFound } from '../errors.js';
import { PARAMETERS, idParams, objectSchema } from '../params.js';
import { iso } from './shared.js';

function jobJson(j: JobRow) {
  return { ...j, created_at: iso(j.created_at), started_at: iso(j.started_at), finished_at: iso(j.finished_at) };
}

function eventJson(e: JobEventRow) {
  return { ...e, ts: iso(e.ts) };
}

export function registerJobRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { status?: string; operation?: string; limit: number } }>(
    '/jobs',
    { schema: { querystring: objectSchema({ status: PARAMETERS.status, operation: PARAMETERS.operation, limit: PARAMETERS.limit }) } },
    async (request) => {
      const { status, operation, limit } = request.query;
      const jobs = await listJobs(db, { limit, ...(status ? { status } : {}), ...(operation ? { operation } : {}) });
      return { jobs: jobs.map(jobJson) };
    },
  );

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: { params: idParams } }, async (request) => {
    const id = request.params.id.toLowerCase();
    const job = await getJob(db, id);
    if (!job) throw notFound('job', id, 'List the jobs with GET /jobs (or `protea jobs`); a job appears once the jobs sink has stored its first event.');
    const events = await jobEvents(db, id);
    return { ...jobJson(job), events: events.map(eventJson) };
  });
}
