// Jobs: the list (filters, keyset pages), one job, its events (pages), its
// live progress as Server-Sent Events, and cancelling one (a write).
//
// GET /jobs/:id/stream sends, as SSE messages:
//   event: job        the job's state (status, progress) at connect and whenever it changes
//   event: job_event  each event of the job, in order, once; `id:` is the event's id
//   event: end        the job ended (its final state); the server then closes the stream
// and a `: heartbeat` comment every heartbeat interval. Every message carries
// an `id:`: the id of the last event sent so far, so a client that reconnects
// with that Last-Event-ID header (browsers do it themselves) or
// ?last_event_id= gets every later event once, none twice; `job` states are
// snapshots and are sent again on connect. The server polls PostgreSQL every
// poll interval per stream and stops when the client goes away.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JobReporter } from '../../lib/jobs.js';
import { ProteaError } from '../../lib/errors.js';
import { uuidv7 } from '../../lib/ids.js';
import { sleep } from '../../lib/runtime/retry.js';
import { ENDED_STATUSES, cancelJob, getJob, jobEvents, jobEventsAfter, listJobsPage, type JobEventRow, type JobEventWithIdRow, type JobRow } from '../../lib/queries/jobs.js';
import { badParameter, errorBody, notFound } from '../errors.js';
import { CANCELLED, EVENT_PAGE, EVENT_PAGE_QUERY, ISO_TIMESTAMP_PATTERN, JOB_LIST_QUERY, JOB_PAGE, STREAM_QUERY } from '../job-schemas.js';
import { badCursor, decodeCursor, page } from '../pagination.js';
import { UUID_PATTERN, idParams } from '../params.js';
import type { ApiDependencies } from '../server.js';
import { iso } from './shared.js';

export function jobJson(j: JobRow) {
  return {
    id: j.id, operation: j.operation, queue_name: j.queue_name, status: j.status, progress_current: j.progress_current, progress_total: j.progress_total,
    error_code: j.error_code, error_message: j.error_message, payload: j.payload,
    created_at: iso(j.created_at), started_at: iso(j.started_at), finished_at: iso(j.finished_at),
  };
}

function eventJson(e: JobEventRow) {
  return { ...e, ts: iso(e.ts) };
}

const LIST_HINT = 'List the jobs with GET /jobs (or `protea jobs`); a job appears once the jobs sink has stored its first event (at once for jobs started through the API).';
const EVENTS_PER_POLL = 500;

/** An ISO 8601 timestamp parameter, checked to be a real calendar instant (PostgreSQL then reads it to the microsecond). */
function timestampParameter(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const bad = () => badParameter(name, `query parameter "${name}" = ${JSON.stringify(raw.slice(0, 60))} is not an ISO 8601 timestamp with a zone`);
  if (!new RegExp(ISO_TIMESTAMP_PATTERN).test(raw)) throw bad();
  const [y, m, d] = raw.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d || y < 1) throw bad();
  const time = /[Tt ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(raw);
  if (time && (Number(time[1]) > 23 || Number(time[2]) > 59 || Number(time[3] ?? 0) > 59)) throw bad();
  const zone = /([+-])(\d{2}):?(\d{2})$/.exec(raw.length > 10 ? raw : '');
  if (zone && (Number(zone[2]) > 15 || Number(zone[3]) > 59)) throw bad();
  return raw;
}

/** The SSE `Last-Event-ID` header, else ?last_event_id; 0 = from the first event. */
function lastEventId(request: FastifyRequest<{ Querystring: { last_event_id?: number } }>): number {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    if (!/^\d{1,15}$/.test(header.trim())) throw new ProteaError('USAGE', `header "Last-Event-ID" = ${JSON.stringify(header.slice(0, 40))} is not an event id of this stream`, { field: 'last-event-id', hint: 'Send back the `id:` of the last message received, unchanged.' });
    return Number(header.trim());
  }
  return request.query.last_event_id ?? 0;
}

export function registerJobRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  const { db } = deps;

  app.get<{ Querystring: { status?: string; operation?: string; created_after?: string; created_before?: string; limit: number; after?: string } }>(
    '/jobs',
    {
      schema: {
        summary: 'Jobs, newest first (filters; keyset pages: send `next` back as ?after=)',
        tags: ['jobs'],
        querystring: JOB_LIST_QUERY,
        response: { 200: JOB_PAGE },
      },
    },
    async (request) => {
      const { status, operation, limit } = request.query;
      const createdAfter = timestampParameter('created_after', request.query.created_after);
      const createdBefore = timestampParameter('created_before', request.query.created_before);
      const key = decodeCursor(request.query.after, ['string', 'string']);
      if (key && (!/^-?\d{1,19}$/.test(key[0] as string) || !new RegExp(UUID_PATTERN).test(key[1] as string))) {
        throw badCursor(request.query.after);
      }
      const rows = await listJobsPage(db, {
        limit,
        ...(status ? { status } : {}),
        ...(operation ? { operation } : {}),
        ...(createdAfter ? { createdAfter } : {}),
        ...(createdBefore ? { createdBefore } : {}),
        ...(key ? { after: { createdUs: key[0] as string, id: key[1] as string } } : {}),
      });
      const { items, next } = page(rows, limit, (r) => [r.created_us, r.id]);
      return { jobs: items.map(jobJson), next };
    },
  );

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: { summary: 'One job with its first 200 events', tags: ['jobs'], params: idParams } }, async (request) => {
    const id = request.params.id.toLowerCase();
    const job = await getJob(db, id);
    if (!job) throw notFound('job', id, LIST_HINT);
    const events = await jobEvents(db, id);
    return { ...jobJson(job), events: events.map(eventJson) };
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; after?: string } }>(
    '/jobs/:id/events',
    { schema: { summary: "A job's events in order, each with its id (keyset pages)", tags: ['jobs'], params: idParams, querystring: EVENT_PAGE_QUERY, response: { 200: EVENT_PAGE } } },
    async (request) => {
      const id = request.params.id.toLowerCase();
      const { limit } = request.query;
      const key = decodeCursor(request.query.after, ['number']);
      if (!(await getJob(db, id))) throw notFound('job', id, LIST_HINT);
      const rows = await jobEventsAfter(db, id, key ? (key[0] as number) : 0, limit + 1);
      const { items, next } = page(rows, limit, (e) => [e.id]);
      return { events: items.map(eventJson), next };
    },
  );

  registerJobStream(app, deps);

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/cancel',
    {
      config: { write: true },
      schema: { summary: 'Cancel a queued or running job (durable; the predictor drops its waiting queries)', tags: ['jobs'], params: idParams, response: { 200: CANCELLED } },
    },
    async (request) => {
      const id = request.params.id.toLowerCase();
      request.audit.target = `job:${id}`;
      request.audit.jobId = id;
      const by = request.apiToken?.name ?? null;
      const message = `cancelled through the API${by ? ` by ${by}` : ''}`;
      const eventId = uuidv7();
      const result = await cancelJob(db, id, { eventId, message, by });
      if (result.outcome === 'missing') {
        request.audit.jobId = undefined;
        throw notFound('job', id, LIST_HINT);
      }
      if (result.outcome === 'ended') {
        throw new ProteaError('JOB_ENDED', `job ${id} has already ended: it ${result.job.status}${result.job.finished_at ? ` at ${iso(result.job.finished_at)}` : ''}`, { field: 'id' });
      }
      // The status is durable in PostgreSQL already; the same event goes on the
      // jobs topic so the topic's history (a replay into a fresh database) has it too.
      try {
        const reporter = new JobReporter(deps.producer(), { id, operation: result.job.operation, stage: 'api', namespace: deps.namespace });
        await reporter.send([{ ...reporter.event('finished', { status: 'cancelled', message, fields_json: JSON.stringify({ status: 'cancelled', by }) }), event_id: eventId }]);
      } catch (err) {
        request.log.warn({ err, jobId: id }, 'the job is cancelled in PostgreSQL, but its cancel event could not be sent to the jobs topic');
      }
      return { job: jobJson(result.job), dropped_pending_queries: result.droppedPending };
    },
  );
}

/** GET /jobs/:id/stream: Server-Sent Events of one job until it ends. */
function registerJobStream(app: FastifyInstance, deps: ApiDependencies): void {
  const { db } = deps;
  let open = 0;
  const closing = new AbortController();
  app.addHook('preClose', async () => {
    closing.abort();
  });

  app.get<{ Params: { id: string }; Querystring: { last_event_id?: number } }>(
    '/jobs/:id/stream',
    {
      schema: {
        summary: "A job's progress and events live (text/event-stream) until it ends; resumable with Last-Event-ID",
        tags: ['jobs'],
        params: idParams,
        querystring: STREAM_QUERY,
        // documents the media type (the handler writes the stream itself, nothing is serialised)
        response: {
          200: {
            description: 'messages `job` (state) and `job_event` with `id:` lines, then `end` when the job has ended',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id.toLowerCase();
      let after = lastEventId(request);
      const first = await getJob(db, id);
      if (!first) throw notFound('job', id, LIST_HINT);
      if (open >= deps.maxStreams) {
        void reply.header('retry-after', '5');
        throw new ProteaError('TOO_MANY_STREAMS', `the API already serves ${open} live job streams (PROTEA_API_MAX_STREAMS=${deps.maxStreams})`);
      }
      open++;
      reply.hijack();
      const res = reply.raw;
      const headers: Record<string, string | number | string[]> = {};
      for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string | number | string[];
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const stop = new AbortController();
      const onClose = () => stop.abort();
      res.on('close', onClose);
      closing.signal.addEventListener('abort', onClose, { once: true });
      const write = (text: string) => {
        if (!stop.signal.aborted && !res.writableEnded) res.write(text);
      };
      const send = (event: string, data: unknown) => write(`id: ${after}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), deps.streamHeartbeatMs);
      write('retry: 2000\n\n');
      let lastState = '';
      try {
        let job: JobRow | null = first;
        while (!stop.signal.aborted) {
          if (!job) {
            send('end', { id, status: 'gone', message: 'the job no longer exists' });
            break;
          }
          const state = jobJson(job);
          const ended = ENDED_STATUSES.includes(job.status);
          // events committed before the state was read are all visible now
          for (;;) {
            const events: readonly JobEventWithIdRow[] = await jobEventsAfter(db, id, after, EVENTS_PER_POLL);
            for (const e of events) {
              after = e.id;
              send('job_event', eventJson(e));
            }
            if (events.length < EVENTS_PER_POLL || stop.signal.aborted) break;
          }
          const key = JSON.stringify([state.status, state.progress_current, state.progress_total, state.error_code]);
          if (key !== lastState) {
            lastState = key;
            send('job', state);
          }
          if (ended) {
            send('end', state);
            break;
          }
          await sleep(deps.streamPollMs, stop.signal).catch(() => undefined); // an abort ends the wait early
          if (stop.signal.aborted) break;
          job = await getJob(db, id);
        }
      } catch (err) {
        const e = err instanceof ProteaError ? err : new ProteaError('DB_UNAVAILABLE', `the job stream could not read the job: ${(err as Error).message}`, {}, { cause: err });
        request.log.warn({ err, jobId: id }, 'a job stream stopped on an error');
        write(`event: error\ndata: ${JSON.stringify(errorBody(e))}\n\n`);
      } finally {
        clearInterval(heartbeat);
        res.off('close', onClose);
        closing.signal.removeEventListener('abort', onClose);
        open--;
        if (!res.writableEnded) res.end();
      }
    },
  );
}

