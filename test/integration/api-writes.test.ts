// The API's job routes and writes on the real stack: a FASTA uploaded to
// POST /query-sets goes through the real pipeline (dedup and the sinks, run in
// this process) into PostgreSQL; GET /jobs/:id/stream follows a job live over
// real HTTP and resumes with Last-Event-ID; cancel, the job list's filters and
// keyset pages, and every refused request's error body. One topic namespace
// for the file; a fresh database per test.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { buildApi, type ApiOptions } from '../../api/server.js';
import { createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { createKafkaClient, withAdmin } from '../../lib/kafka-client.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { uuidv7 } from '../../lib/ids.js';
import { startStages, type RunningStage } from '../../pipeline/stages.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';
import { logEndTotal } from '../helpers/read-topics.js';
import { openSse, type SseMessage } from '../helpers/sse.js';

const namespace = namespaceName();
t.before(async () => {
  await createNamespace(namespace);
});
t.teardown(() => dropNamespace(namespace).catch(() => undefined));

const SECRET = 'alice-secret-0123456789';
const TOKENS = `alice:${SECRET},bob:bob-secret-0123456789abc`;
const AUTH = { authorization: `Bearer ${SECRET}` };
const MAX_UPLOAD = 64 * 1024;
// the fixture's 7 entries (one gapped: dead-lettered by dedup) after a line the reader rejects
const FASTA = `not a header: text before the first record\n${readFileSync('test/fixtures/ingest/isoforms.fasta', 'utf8')}`;
const INGEST_STAGES = ['dedup', 'sink:sequences', 'sink:proteins', 'sink:query_sets'];

const quiet = pino({ level: 'silent' });

interface Api {
  db: DatabasePool;
  dbUrl: string;
  app: FastifyInstance;
  base: string;
}

async function api(t: Test, opts: { tokens?: string; maxStreams?: number; dbUrl?: string } & Partial<ApiOptions> = {}): Promise<Api> {
  const dbUrl = opts.dbUrl ?? (await freshDatabase(t, { migrate: true }));
  const db = await createQueryPool(dbUrl, { maximumPoolSize: 4 });
  const app = await buildApi({
    db,
    logger: quiet,
    settings: { apiTokens: opts.tokens ?? TOKENS, topicNamespace: namespace, apiUploadMaxBytes: MAX_UPLOAD, apiMaxStreams: opts.maxStreams ?? 10, apiWriteRateLimit: 1000 },
    streamPollMs: 100,
    streamHeartbeatMs: opts.streamHeartbeatMs ?? 15_000,
    ...(opts.producer ? { producer: opts.producer } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  return { db, dbUrl, app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

async function stages(t: Test, names: string[], dbUrl: string): Promise<RunningStage[]> {
  const running = await startStages(names, { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(running.map((s) => s.stop())));
  return running;
}

function form(content: string | Buffer, fields: Record<string, string> = {}, filename = 'my-proteins.fasta'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('file', new Blob([content]), filename);
  return f;
}

async function post(base: string, path: string, init: RequestInit): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', ...init });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

const rows = async <R>(db: DatabasePool, q: ReturnType<typeof sql.unsafe>) => (await db.any(q)) as readonly R[];

/** The error body's shape, with its code and status checked. */
function isError(t: Test, res: { status: number; body: any }, status: number, code: string, what: string): void {
  t.equal(res.status, status, `${what}: HTTP ${status}`);
  t.equal(res.body?.code, `PROTEA_ERR_${code}`, `${what}: ${code}`);
  t.type(res.body?.error, 'string', `${what}: a reason phrase`);
  t.ok(typeof res.body?.message === 'string' && res.body.message.length > 10, `${what}: a message (${res.body?.message})`);
  t.ok(typeof res.body?.hint === 'string' && res.body.hint.length > 10, `${what}: a hint`);
}

t.test('an uploaded FASTA becomes a query set whose proteins land in PostgreSQL; its job succeeds and the write is audited', async (t) => {
  const { db, dbUrl, base } = await api(t);
  await stages(t, [...INGEST_STAGES, 'sink:jobs'], dbUrl);
  const res = await post(base, '/query-sets', { headers: AUTH, body: form(FASTA, { name: 'my-upload' }) });
  t.equal(res.status, 202, JSON.stringify(res.body));
  const { query_set_id: querySetId, job_id: jobId } = res.body;
  t.match(res.body, { query_set_name: 'my-upload', records_sent: 7, records_rejected: 1, topic: topicName('ingest.fasta', namespace), bytes: Buffer.byteLength(FASTA) });
  t.match(querySetId, /^[0-9a-f-]{36}$/);
  t.equal(res.headers.get('location'), `/query-sets/${querySetId}`, 'Location names the query set');
  t.same(res.body.links, { query_set: `/query-sets/${querySetId}`, job: `/jobs/${jobId}`, stream: `/jobs/${jobId}/stream` });

  const job = await until('the upload job to end', async () => (await fetch(`${base}/jobs/${jobId}`)).json() as Promise<any>, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status), { timeoutMs: 90_000, intervalMs: 300 });
  t.match(job, { status: 'succeeded', operation: 'produce.fasta', progress_current: 7, progress_total: 7, payload: { query_set: 'my-upload', query_set_id: querySetId, file: 'my-proteins.fasta', source: 'upload', token: 'alice' } });
  const entries = await until('the query set entries to land', () => rows<{ accession: string }>(db, sql.unsafe`
      SELECT e.accession FROM query_set q JOIN query_set_entry e ON e.query_set_id = q.id WHERE q.id = ${querySetId} AND q.name = 'my-upload' ORDER BY 1`), (r) => r.length >= 6, { timeoutMs: 60_000 });
  t.same(entries.map((e) => e.accession), ['P11111', 'P11111-2', 'P11111-3', 'P33333', 'Q22222', 'myprotein'].sort(), 'every good entry is in the query set');
  const proteins = await rows<{ n: number }>(db, sql.unsafe`SELECT count(*)::int AS n FROM protein p JOIN sequence s ON s.id = p.sequence_id`);
  t.equal(proteins[0]!.n, 6, 'six proteins landed with their sequences');
  const dead = await rows<{ stage: string; message: string }>(db, sql.unsafe`SELECT stage, message FROM job_event WHERE job_id = ${jobId} AND event = 'dead_letter' ORDER BY id`);
  t.match(dead, [{ stage: 'ingest', message: /before the first|header/i }, { stage: 'dedup', message: /alignment gaps/ }], 'the rejected line and the gapped sequence went to the dead-letter path with their reasons');

  const audit = await until('the audit row', () => rows<Record<string, unknown>>(db, sql.unsafe`SELECT token_name, method, route, target, job_id, status_code, error_code FROM api_audit ORDER BY id`), (r) => r.length >= 1, { timeoutMs: 5000, intervalMs: 50 });
  t.same(audit, [{ token_name: 'alice', method: 'POST', route: '/query-sets', target: `query_set:${querySetId}`, job_id: jobId, status_code: 202, error_code: null }]);
});

t.test('refused uploads: too large, malformed multipart, wrong content type, no or wrong token, writes off; each with its error body and audit row', async (t) => {
  const { db, base } = await api(t);
  const big = `>P1\n${'A'.repeat(MAX_UPLOAD + 10)}\n`;
  isError(t, await post(base, '/query-sets', { headers: AUTH, body: form(big) }), 413, 'PAYLOAD_TOO_LARGE', 'a file over the limit');
  const tooLarge = await post(base, '/query-sets', { headers: AUTH, body: form(big) });
  t.equal(tooLarge.body.parameter, 'file');
  t.match(tooLarge.body.message, new RegExp(`${MAX_UPLOAD} bytes`));

  const boundary = '----protea-test-boundary';
  const malformed = await post(base, '/query-sets', {
    headers: { ...AUTH, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.fasta"\r\nContent-Type: text/plain\r\n\r\n>P1\nMKV\n`, // never closed
  });
  isError(t, malformed, 400, 'USAGE', 'a multipart body cut short');
  t.match(malformed.body.message, /multipart body could not be read/);
  const noBoundary = await post(base, '/query-sets', { headers: { ...AUTH, 'content-type': 'multipart/form-data' }, body: 'x' });
  isError(t, noBoundary, 400, 'USAGE', 'multipart without a boundary');
  const noFile = new FormData();
  noFile.append('name', 'nothing');
  const missing = await post(base, '/query-sets', { headers: AUTH, body: noFile });
  isError(t, missing, 400, 'USAGE', 'a form without the file');
  t.equal(missing.body.parameter, 'file');
  const badName = await post(base, '/query-sets', { headers: AUTH, body: form('>P1\nMKV\n', { name: 'has spaces / and slashes' }) });
  isError(t, badName, 400, 'USAGE', 'a bad query set name');
  t.equal(badName.body.parameter, 'name');

  const json = await post(base, '/query-sets', { headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"fasta": ">P1\\nMKV"}' });
  isError(t, json, 415, 'UNSUPPORTED_MEDIA_TYPE', 'JSON instead of multipart');
  t.match(json.body.message, /multipart\/form-data.*not "application\/json"/);
  t.equal(json.body.error, 'Unsupported Media Type');
  isError(t, await post(base, '/query-sets', { headers: { ...AUTH, 'content-type': 'text/plain' }, body: '>P1\nMKV\n' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'a plain-text body');
  isError(t, await post(base, '/query-sets', { headers: { ...AUTH, 'content-type': 'application/octet-stream' }, body: '>P1\nMKV\n' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'an octet stream');

  const anonymous = await post(base, '/query-sets', { body: form('>P1\nMKV\n') });
  isError(t, anonymous, 401, 'UNAUTHORIZED', 'no token');
  t.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="protea"');
  isError(t, await post(base, '/query-sets', { headers: { authorization: 'Bearer not-a-token-of-this-api' }, body: form('>P1\nMKV\n') }), 401, 'UNAUTHORIZED', 'a wrong token');

  const off = await api(t, { tokens: '' });
  const disabled = await post(off.base, '/query-sets', { headers: AUTH, body: form('>P1\nMKV\n') });
  isError(t, disabled, 403, 'WRITES_DISABLED', 'writes off');
  isError(t, await post(off.base, `/jobs/${randomUUID()}/cancel`, { headers: AUTH }), 403, 'WRITES_DISABLED', 'cancel with writes off');

  // (the rows are written after each answer has gone, so their order may differ from the requests')
  const audit = await until('eleven audit rows', () => rows<{ token_name: string | null; status_code: number; error_code: string | null }>(db, sql.unsafe`SELECT token_name, status_code, error_code FROM api_audit ORDER BY status_code, error_code, token_name`), (r) => r.length >= 11, { timeoutMs: 5000, intervalMs: 50 });
  t.same(audit.map((a) => [a.status_code, a.error_code, a.token_name]), [
    [400, 'PROTEA_ERR_USAGE', 'alice'], [400, 'PROTEA_ERR_USAGE', 'alice'], [400, 'PROTEA_ERR_USAGE', 'alice'], [400, 'PROTEA_ERR_USAGE', 'alice'],
    [401, 'PROTEA_ERR_UNAUTHORIZED', null], [401, 'PROTEA_ERR_UNAUTHORIZED', null],
    [413, 'PROTEA_ERR_PAYLOAD_TOO_LARGE', 'alice'], [413, 'PROTEA_ERR_PAYLOAD_TOO_LARGE', 'alice'],
    // the octet stream is refused by the body parser, before the token is checked
    [415, 'PROTEA_ERR_UNSUPPORTED_MEDIA_TYPE', 'alice'], [415, 'PROTEA_ERR_UNSUPPORTED_MEDIA_TYPE', 'alice'], [415, 'PROTEA_ERR_UNSUPPORTED_MEDIA_TYPE', null],
  ], 'every refused write has its audit row, with its code and token');
  t.same(await rows(db, sql.unsafe`SELECT id FROM job`), [], 'no refused upload started a job');
});

t.test('an upload while the broker is away is a 503 KAFKA_UNAVAILABLE, and its job is marked failed rather than left queued', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dead = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const producer = new TopicProducer({ kafka: createKafkaClient({ brokers: [dead], quick: true }) });
  const { db, base } = await api(t, { producer });
  const res = await post(base, '/query-sets', { headers: AUTH, body: form('>P1\nMKV\n', { name: 'no-broker' }) });
  isError(t, res, 503, 'KAFKA_UNAVAILABLE', 'the broker away');
  const jobs = await rows<{ status: string; error_code: string; operation: string }>(db, sql.unsafe`SELECT status, error_code, operation FROM job`);
  t.same(jobs, [{ status: 'failed', error_code: 'PROTEA_ERR_KAFKA_UNAVAILABLE', operation: 'produce.fasta' }]);
});

const jobEvents = (ms: SseMessage[]) => ms.filter((m) => m.event === 'job_event').map((m) => ({ ...(JSON.parse(m.data) as { id: number; event: string; stage: string | null }), sseId: Number(m.id) }));
const states = (ms: SseMessage[]) => ms.filter((m) => m.event === 'job').map((m) => JSON.parse(m.data) as { status: string; progress_current: number | null; progress_total: number | null });

t.test('GET /jobs/:id/stream delivers a running job\'s events and progress in order, closes when it ends, and resumes with Last-Event-ID missing and repeating nothing', async (t) => {
  const { dbUrl, base } = await api(t, { streamHeartbeatMs: 150 });
  // the upload is on the topic before any stage runs: the job is queued, visible at once
  const up = await post(base, '/query-sets', { headers: AUTH, body: form(FASTA, { name: 'streamed' }) });
  t.equal(up.status, 202);
  const jobId: string = up.body.job_id;

  const first = await openSse(`${base}/jobs/${jobId}/stream`);
  t.equal(first.status, 200);
  t.match(first.headers['content-type'], /^text\/event-stream/);
  t.equal(first.headers['cache-control'], 'no-cache, no-transform');
  const queued = await first.next((m) => m.event === 'job');
  t.equal(JSON.parse(queued.data).status, 'queued', 'the first message is the job as it stands: queued, before any stage ran');
  t.equal(queued.id, '0', 'every message carries an id: the last event id sent (none yet)');

  // the jobs sink alone: the produce job's own events land, nothing of its records yet
  await stages(t, ['sink:jobs'], dbUrl);
  await first.next((m) => m.event === 'job_event' && JSON.parse(m.data).event === 'produced');
  await first.next((m) => m.event === 'job' && JSON.parse(m.data).status === 'running' && JSON.parse(m.data).progress_total === 7);
  await until('a heartbeat comment', () => first.comments, (c) => c.includes('heartbeat'), { timeoutMs: 5000, intervalMs: 50 });
  first.close();
  await first.closed;
  const seen = jobEvents(first.messages);
  t.same(seen.map((e) => e.event), ['created', 'started', 'dead_letter', 'produced'], 'created, started, the reader\'s dead letter and produced, in order');
  t.ok(seen.every((e) => e.id === e.sseId && e.id > 0), 'each event has its id in the SSE id and in the data');
  t.equal(first.lastEventId, String(seen.at(-1)!.id), 'the last id received is the last event\'s');
  t.equal(first.endedByServer, false, 'the job runs on: the server did not end the stream');

  // the pipeline lands the records while the client is away; it reconnects where it left off
  await stages(t, INGEST_STAGES, dbUrl);
  const second = await openSse(`${base}/jobs/${jobId}/stream`, { headers: { 'last-event-id': first.lastEventId } });
  t.equal(second.status, 200);
  const end = await second.next((m) => m.event === 'end', 90_000);
  await second.closed;
  t.equal(second.endedByServer, true, 'the server closes the stream once the job ended');
  t.equal(JSON.parse(end.data).status, 'succeeded');
  t.equal(second.messages.at(-1)!.event, 'end', 'nothing follows the end');
  const resumed = jobEvents(second.messages);
  t.ok(resumed.every((e) => e.id > Number(first.lastEventId)), 'the resumed stream repeats no event');
  t.same(resumed.map((e) => [e.event, e.stage]), [['dead_letter', 'dedup']], 'and misses none: the gapped sequence\'s dead letter came while the client was away');
  const progress = states(second.messages);
  t.ok(progress.length >= 1, 'progress states');
  t.ok(progress.every((s, i) => i === 0 || (s.progress_current ?? 0) >= (progress[i - 1]!.progress_current ?? 0)), `progress never goes back (${progress.map((s) => s.progress_current).join(' ')})`);
  t.match(progress.at(-1), { status: 'succeeded', progress_current: 7, progress_total: 7 });

  const all = (await (await fetch(`${base}/jobs/${jobId}/events?limit=2`)).json()) as { events: { id: number }[]; next: string };
  const rest = (await (await fetch(`${base}/jobs/${jobId}/events?limit=100&after=${all.next}`)).json()) as { events: { id: number }[]; next: null };
  t.same([...seen, ...resumed].map((e) => e.id), [...all.events, ...rest.events].map((e) => e.id), 'the two streams together are exactly the job\'s events, as GET /jobs/:id/events pages them');
  t.equal(rest.next, null);

  // a stream of an ended job: its state and the end at once (resuming after the last event: no events)
  const again = await openSse(`${base}/jobs/${jobId}/stream?last_event_id=${resumed.at(-1)!.id}`);
  await again.closed;
  t.same(again.messages.map((m) => m.event), ['job', 'end']);
});

t.test('job streams: a cap answered 503 TOO_MANY_STREAMS, a slot freed when the client goes away, 404 and 400 for bad ids', async (t) => {
  const { db, base } = await api(t, { maxStreams: 1 });
  const id = uuidv7();
  await db.query(sql.unsafe`INSERT INTO job (id, operation, queue_name, status) VALUES (${id}, 'produce.fasta', 'ingest', 'running')`);
  const one = await openSse(`${base}/jobs/${id}/stream`);
  await one.next((m) => m.event === 'job');
  const two = await openSse(`${base}/jobs/${id}/stream`);
  await two.closed;
  t.equal(two.status, 503);
  t.equal(two.headers['retry-after'], '5');
  t.match(JSON.parse(two.body), { code: 'PROTEA_ERR_TOO_MANY_STREAMS', error: 'Service Unavailable', message: /PROTEA_API_MAX_STREAMS=1/ });
  one.close();
  // the server notices the disconnect, stops that stream's poller and frees its slot
  const three = await until('a stream slot to be free again', async () => {
    const s = await openSse(`${base}/jobs/${id}/stream`);
    if (s.status !== 200) await s.closed;
    return s;
  }, (s) => s.status === 200, { timeoutMs: 5000, intervalMs: 100 });
  await three.next((m) => m.event === 'job');
  // the job ends: the open stream sends the end and closes
  await db.query(sql.unsafe`UPDATE job SET status = 'failed', error_code = 'PROTEA_ERR_INPUT_UNREADABLE', finished_at = now() WHERE id = ${id}`);
  const end = await three.next((m) => m.event === 'end', 5000);
  t.match(JSON.parse(end.data), { status: 'failed', error_code: 'PROTEA_ERR_INPUT_UNREADABLE' });
  await three.closed;

  const unknown = await openSse(`${base}/jobs/${randomUUID()}/stream`);
  await unknown.closed;
  t.equal(unknown.status, 404);
  t.equal(JSON.parse(unknown.body).code, 'PROTEA_ERR_NOT_FOUND');
  const bad = await openSse(`${base}/jobs/${id}/stream`, { headers: { 'last-event-id': 'yesterday' } });
  await bad.closed;
  t.equal(bad.status, 400);
  t.match(JSON.parse(bad.body), { code: 'PROTEA_ERR_USAGE', parameter: 'last-event-id' });
  const badQuery = await openSse(`${base}/jobs/${id}/stream?last_event_id=-1`);
  await badQuery.closed;
  t.equal(badQuery.status, 400);
  t.equal(JSON.parse(badQuery.body).parameter, 'last_event_id');
});

t.test('POST /jobs/:id/cancel: 200 and a durable cancelled status, the predictor\'s waiting queries dropped; again 409, unknown 404, malformed 400', async (t) => {
  const { db, base } = await api(t);
  const id = uuidv7();
  await db.query(sql.unsafe`INSERT INTO job (id, operation, queue_name, status, progress_current, progress_total) VALUES (${id}, 'predict', 'predictor', 'running', 1, 3)`);
  const snapshot = await db.oneFirst(sql.unsafe`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('t.obo', 'cancel-test') RETURNING id`);
  const set = await db.oneFirst(sql.unsafe`INSERT INTO prediction_set (kind, name, ontology_snapshot_id, meta) VALUES ('imported', 'cancel-test', ${snapshot as string}, '{}') RETURNING id`);
  for (const acc of ['P1', 'P2']) {
    await db.query(sql.unsafe`INSERT INTO prediction_pending (prediction_set_id, protein_accession, sequence_md5, job_id) VALUES (${set as string}, ${acc}, ${'0'.repeat(32)}, ${id})`);
  }
  const jobsTopic = topicName('jobs.events', namespace);
  const sentBefore = await logEndTotal(jobsTopic);
  const res = await post(base, `/jobs/${id.toUpperCase()}/cancel`, { headers: AUTH });
  t.equal(res.status, 200, JSON.stringify(res.body));
  t.match(res.body, { job: { id, status: 'cancelled', progress_current: 1, progress_total: 3, error_message: 'cancelled through the API by alice' }, dropped_pending_queries: 2 });
  t.ok(res.body.job.finished_at, 'it has its end time');
  t.same(await rows(db, sql.unsafe`SELECT protein_accession FROM prediction_pending`), [], "the predictor's waiting queries of the job are gone");
  t.equal(await logEndTotal(jobsTopic) - sentBefore, 1, 'the cancel event went to the jobs topic too (a replay of the topic cancels the job again)');

  // durable: a sink completing the job's progress does not revive it
  await db.query(sql.unsafe`UPDATE job SET progress_current = 3 WHERE id = ${id}`);
  const after = (await (await fetch(`${base}/jobs/${id}`)).json()) as any;
  t.equal(after.status, 'cancelled', 'still cancelled after its progress reached the total');
  t.match(after.events.at(-1), { event: 'finished', stage: 'api', fields: { status: 'cancelled', by: 'alice' } });

  const again = await post(base, `/jobs/${id}/cancel`, { headers: AUTH });
  isError(t, again, 409, 'JOB_ENDED', 'a second cancel');
  t.match(again.body.message, new RegExp(`job ${id} has already ended: it cancelled at 20`));
  t.equal(again.body.parameter, 'id');
  const done = uuidv7();
  await db.query(sql.unsafe`INSERT INTO job (id, operation, queue_name, status, finished_at) VALUES (${done}, 'produce.fasta', 'ingest', 'succeeded', now())`);
  isError(t, await post(base, `/jobs/${done}/cancel`, { headers: AUTH }), 409, 'JOB_ENDED', 'cancelling a succeeded job');
  t.equal((await (await fetch(`${base}/jobs/${done}`)).json() as any).status, 'succeeded', 'which stays succeeded');
  const unknown = randomUUID();
  const missing = await post(base, `/jobs/${unknown}/cancel`, { headers: AUTH });
  isError(t, missing, 404, 'NOT_FOUND', 'an unknown job');
  t.equal(missing.body.message, `no job has the id ${unknown}`);
  const malformed = await post(base, '/jobs/not-a-uuid/cancel', { headers: AUTH });
  isError(t, malformed, 400, 'USAGE', 'a malformed id');
  t.equal(malformed.body.parameter, 'id');
  isError(t, await post(base, `/jobs/${id}/cancel`, {}), 401, 'UNAUTHORIZED', 'no token');

  // audit rows are written once each answer has gone: wait for the last
  const audit = await until('six audit rows', () => rows<Record<string, unknown>>(db, sql.unsafe`SELECT route, target, job_id, status_code, error_code FROM api_audit ORDER BY id`), (r) => r.length >= 6, { timeoutMs: 5000, intervalMs: 50 });
  const byStatus = [...audit].sort((a, b) => (a.status_code as number) - (b.status_code as number) || String(a.target).localeCompare(String(b.target)));
  t.same(byStatus.map((a) => [a.status_code, a.error_code]), [[200, null], [400, 'PROTEA_ERR_USAGE'], [401, 'PROTEA_ERR_UNAUTHORIZED'], [404, 'PROTEA_ERR_NOT_FOUND'], [409, 'PROTEA_ERR_JOB_ENDED'], [409, 'PROTEA_ERR_JOB_ENDED']]);
  t.match(byStatus[0], { route: '/jobs/:id/cancel', target: `job:${id}`, job_id: id });
  t.match(byStatus[3], { target: `job:${unknown}`, job_id: null }, 'an unknown job is the target, not recorded as the job');
});

t.test('a prediction job started with POST /prediction-sets (the parameters of protea predict) is cancelled, and the body is validated', async (t) => {
  const { db, dbUrl, base } = await api(t);
  await stages(t, [...INGEST_STAGES, 'sink:jobs'], dbUrl);
  // gzip, named by its file name
  const up = await post(base, '/query-sets', { headers: AUTH, body: form(gzipSync(FASTA), {}, 'to-predict.fasta.gz') });
  t.equal(up.status, 202, JSON.stringify(up.body));
  t.match(up.body, { query_set_name: 'to-predict', records_sent: 7, records_rejected: 1 }, 'a gzip upload reads as the plain one; the name defaults to the file name without .fasta.gz');
  await until('the query set to land', () => rows<{ n: number }>(db, sql.unsafe`SELECT count(*)::int AS n FROM query_set_entry e JOIN query_set q ON q.id = e.query_set_id WHERE q.name = 'to-predict'`), (r) => r[0]!.n === 6, { timeoutMs: 90_000 });
  const snapshot = await db.oneFirst(sql.unsafe`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('t.obo', 'predict-test') RETURNING id`);
  await db.query(sql.unsafe`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('test', '1', ${snapshot as string})`);
  const requests = topicName('predictions.requests', namespace);
  const before = await logEndTotal(requests);

  const res = await post(base, '/prediction-sets', { headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ query_set: 'to-predict', annotation_set: 'test@1', method: 'identity', exclude_self: true, name: 'api-identity', max_identity: 0.5, features: ['alignment'] }) });
  t.equal(res.status, 202, JSON.stringify(res.body));
  const { prediction_set_id: setId, job_id: jobId } = res.body;
  t.equal(res.body.queries, 6);
  t.equal(res.headers.get('location'), `/prediction-sets/${setId}`);
  t.equal(await logEndTotal(requests) - before, 6, 'one request per query protein on the requests topic');
  const set = await db.one(sql.unsafe`SELECT kind, name, job_id, limit_per_entry, meta FROM prediction_set WHERE id = ${setId}`);
  t.match(set, { kind: 'identity', name: 'api-identity', job_id: jobId, limit_per_entry: 1, meta: { method: 'identity', exclude_self: true, max_identity: 0.5, features: ['alignment'] } });
  const job = (await (await fetch(`${base}/jobs/${jobId}`)).json()) as any;
  t.match(job, { id: jobId, operation: 'predict' }, 'the job is readable at once');
  t.ok(['queued', 'running'].includes(job.status));
  const cancelled = await post(base, `/jobs/${jobId}/cancel`, { headers: AUTH });
  t.equal(cancelled.status, 200);
  t.equal(cancelled.body.job.status, 'cancelled');

  // a second job, not cancelled; then the predictor runs: it drops the cancelled job's requests and predicts the other's
  const other = await post(base, '/prediction-sets', { headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ query_set: 'to-predict', annotation_set: 'test@1', method: 'identity' }) });
  t.equal(other.status, 202);
  const [predictor] = await stages(t, ['predictor', 'enricher', 'sink:predictions'], dbUrl);
  const otherJob = await until('the other prediction job to end', async () => (await fetch(`${base}/jobs/${other.body.job_id}`)).json() as Promise<any>, (j) => ['succeeded', 'failed'].includes(j.status), { timeoutMs: 90_000, intervalMs: 300 });
  t.match(otherJob, { status: 'succeeded', progress_current: 6, progress_total: 6 }, 'the job that was not cancelled is predicted');
  await until('the predictor to have read every request', async () => {
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: predictor!.groupId, topics: [requests] }));
    return committed[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  }, (n) => n === before + 12, { timeoutMs: 30_000 });
  const outcomes = await rows<{ prediction_set_id: string; n: number }>(db, sql.unsafe`SELECT prediction_set_id, count(*)::int AS n FROM prediction_query GROUP BY 1`);
  t.same(outcomes, [{ prediction_set_id: other.body.prediction_set_id, n: 6 }], 'no query of the cancelled job was predicted or reported: its requests were dropped');
  const after = (await (await fetch(`${base}/jobs/${jobId}`)).json()) as any;
  t.match(after, { status: 'cancelled', progress_current: null }, 'the cancelled job stays cancelled, its later events (landed by the jobs sink meanwhile) change nothing');

  const bad: Array<[unknown, string, number, string]> = [
    [{ annotation_set: 'test@1' }, 'query_set', 400, 'USAGE'],
    [{ query_set: 'to-predict', annotation_set: 'test@1', k: 0 }, 'k', 400, 'USAGE'],
    [{ query_set: 'to-predict', annotation_set: 'test@1', method: 'blast' }, 'method', 400, 'USAGE'],
    [{ query_set: 'to-predict', annotation_set: 'test@1', kk: 3 }, 'kk', 400, 'USAGE'],
    [{ query_set: 'to-predict', annotation_set: 'test@1', method: 'identity', k: 3 }, 'method', 400, 'USAGE'],
    [{ query_set: 'no-such-set', annotation_set: 'test@1' }, 'query_set', 404, 'NOT_FOUND'],
    [{ query_set: 'to-predict', annotation_set: 'none@0', method: 'identity' }, 'annotation_set', 404, 'NOT_FOUND'],
  ];
  for (const [body, parameter, status, code] of bad) {
    const r = await post(base, '/prediction-sets', { headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    isError(t, r, status, code, JSON.stringify(body));
    t.equal(r.body.parameter, parameter, `${JSON.stringify(body)} names ${parameter}`);
    t.notMatch(r.body.message, /--/, 'in the body\'s words, not the CLI\'s options');
  }
});

t.test('GET /jobs: filters, keyset pages to the microsecond, and 400s for bad parameters', async (t) => {
  const { db, base } = await api(t);
  // eight jobs: two share a created_at to the microsecond (ordered by id), two differ by one microsecond
  const seed: Array<[string, string, string]> = [
    ['2026-01-01T10:00:00.000001Z', 'produce.fasta', 'succeeded'],
    ['2026-01-01T10:00:00.000002Z', 'produce.fasta', 'failed'],
    ['2026-01-01T10:00:00.000002Z', 'produce.gaf', 'succeeded'],
    ['2026-01-02T00:00:00Z', 'predict', 'running'],
    ['2026-01-02T00:00:00.5Z', 'predict', 'cancelled'],
    ['2026-01-03T00:00:00Z', 'produce.obo', 'succeeded'],
    ['2026-01-04T00:00:00Z', 'produce.fasta', 'queued'],
    ['2026-01-04T00:00:00.999999Z', 'produce.fasta', 'succeeded'],
  ];
  const ids: string[] = [];
  for (const [created, operation, status] of seed) {
    const id = randomUUID();
    ids.push(id);
    await db.query(sql.unsafe`INSERT INTO job (id, operation, queue_name, status, created_at) VALUES (${id}, ${operation}, 'q', ${status}, ${created})`);
  }
  await db.query(sql.unsafe`INSERT INTO job (id, operation, queue_name, created_at) VALUES (${randomUUID()}, 'pending', 'pending', '2026-01-05T00:00:00Z')`);
  // newest first; jobs 1 and 2 share their created_at to the microsecond, so the larger id comes first
  const tie = ids[1]! > ids[2]! ? [1, 2] : [2, 1];
  const expected = [7, 6, 5, 4, 3, ...tie, 0].map((i) => ids[i]!);
  const get = async (q: string) => {
    const r = await fetch(`${base}/jobs${q}`);
    return { status: r.status, body: (await r.json()) as any };
  };
  const pages: string[][] = [];
  let next: string | null = '';
  while (next !== null) {
    const r = await get(`?limit=3${next ? `&after=${next}` : ''}`);
    t.equal(r.status, 200);
    pages.push(r.body.jobs.map((j: { id: string }) => j.id));
    next = r.body.next;
  }
  t.same(pages.map((p) => p.length), [3, 3, 2], 'three pages');
  t.same(pages.flat(), expected, 'newest first, ties by id, nothing skipped or repeated across pages (µs apart included)');
  t.same((await get('?limit=8')).body.next, null, 'no cursor when nothing follows');

  const f = async (q: string) => (await get(q)).body.jobs.map((j: { id: string }) => ids.indexOf(j.id)).sort();
  t.same(await f('?status=succeeded'), [0, 2, 5, 7]);
  t.same(await f('?operation=produce.fasta'), [0, 1, 6, 7]);
  t.same(await f('?operation=produce.fasta&status=succeeded'), [0, 7]);
  t.same(await f('?created_after=2026-01-01T10:00:00.000002Z&created_before=2026-01-02T00:00:00.5Z'), [1, 2, 3], 'created_after inclusive, created_before exclusive, to the microsecond');
  t.same(await f('?created_after=2026-01-04'), [6, 7], 'a date alone is midnight UTC');
  t.same(await f('?created_before=2026-01-01T11:00:01%2B01:00'), [0, 1, 2], 'a zone offset');
  const filteredPages = await get('?status=succeeded&limit=2');
  const rest = await get(`?status=succeeded&limit=2&after=${filteredPages.body.next}`);
  t.same([...filteredPages.body.jobs, ...rest.body.jobs].map((j: { id: string }) => ids.indexOf(j.id)), [7, 5, 2, 0], 'filters and pages together');

  const cases: Array<[string, string, RegExp]> = [
    ['?created_after=yesterday', 'created_after', /"created_after" = "yesterday" is not an ISO 8601 timestamp/],
    ['?created_after=2026-02-30', 'created_after', /not an ISO 8601 timestamp/],
    ['?created_before=2026-01-01T25:00:00Z', 'created_before', /not an ISO 8601 timestamp/],
    ['?created_before=2026-01-01T10:00:00', 'created_before', /with a zone/],
    ['?after=not*base64', 'after', /has the wrong format/],
    ['?after=bm90LWpzb24', 'after', /not a cursor of this list/],
    [`?after=${Buffer.from(JSON.stringify([1, 2])).toString('base64url')}`, 'after', /not a cursor/],
    [`?after=${Buffer.from(JSON.stringify(['123', 'not-a-uuid'])).toString('base64url')}`, 'after', /not a cursor/],
    ['?limit=0', 'limit', /must be >= 1/],
    ['?status=done', 'status', /allowed values/],
    ['?created=2026', 'created', /unknown query parameter/],
  ];
  for (const [q, parameter, message] of cases) {
    const r = await get(q);
    t.equal(r.status, 400, q);
    t.equal(r.body.code, 'PROTEA_ERR_USAGE', q);
    t.equal(r.body.parameter, parameter, `${q} names ${parameter}`);
    t.match(r.body.message, message, q);
  }

  // events: ids, order, pages, 404
  const jobId = ids[0]!;
  for (const e of ['created', 'started', 'produced', 'finished']) {
    await db.query(sql.unsafe`INSERT INTO job_event (job_id, event, ts) VALUES (${jobId}, ${e}, '2026-01-01T10:00:00Z')`);
  }
  const p1 = (await (await fetch(`${base}/jobs/${jobId}/events?limit=3`)).json()) as any;
  const p2 = (await (await fetch(`${base}/jobs/${jobId}/events?limit=3&after=${p1.next}`)).json()) as any;
  t.same([...p1.events, ...p2.events].map((e: { event: string }) => e.event), ['created', 'started', 'produced', 'finished'], 'in the order they landed, equal timestamps included');
  t.ok(p1.events.every((e: { id: unknown }) => Number.isInteger(e.id)), 'each with its id');
  t.equal(p2.next, null);
  const none = await fetch(`${base}/jobs/${randomUUID()}/events`);
  t.equal(none.status, 404);
});
