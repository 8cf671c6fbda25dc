// The HTTP API's jobs, health and metrics routes and its error handling, on a
// fresh migrated database with job rows seeded by SQL (fastify.inject), and the
// real `protea api` process over HTTP, stopped by SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { buildApi } from '../../api/server.js';
import { PROJECT_ROOT } from '../../lib/config.js';
import { adminQuery, createQueryPool, databaseName, sql, withDatabase, type DatabasePool } from '../../lib/db.js';
import { freePort } from '../../lib/free-port.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { until } from '../helpers/poll.js';

/** A pino logger whose JSON lines the test can read. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function setup(t: Test): Promise<{ url: string; db: DatabasePool; app: FastifyInstance; lines: Array<Record<string, unknown>> }> {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 2 });
  const { log, lines } = capturingLogger();
  const app = await buildApi({ db, logger: log });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  return { url, db, app, lines };
}

interface SeedJob {
  id: string;
  operation: string;
  status: string;
  created: string;
  error_code?: string;
  events: Array<{ event: string; level: string; stage: string | null; message: string; error_code: string | null; fields: Record<string, unknown>; ts: string }>;
}

const JOBS: SeedJob[] = [
  {
    id: randomUUID(), operation: 'produce.fasta', status: 'succeeded', created: '2026-01-01T10:00:00.000Z',
    events: [
      { event: 'started', level: 'info', stage: 'ingest', message: 'reading demo.fasta', error_code: null, fields: { file: 'demo.fasta' }, ts: '2026-01-01T10:00:01.000Z' },
      { event: 'dead_letter', level: 'warn', stage: 'dedup', message: 'internal stop codon at position 4', error_code: 'PROTEA_ERR_SEQUENCE_INVALID', fields: { line: 12 }, ts: '2026-01-01T10:00:02.000Z' },
      { event: 'succeeded', level: 'info', stage: null, message: 'all records landed', error_code: null, fields: { records: 41 }, ts: '2026-01-01T10:00:03.000Z' },
    ],
  },
  { id: randomUUID(), operation: 'produce.gaf', status: 'failed', created: '2026-01-02T10:00:00.000Z', error_code: 'PROTEA_ERR_INPUT_UNREADABLE', events: [] },
  { id: randomUUID(), operation: 'produce.obo', status: 'running', created: '2026-01-03T10:00:00.000Z', events: [] },
];
/** listJobs leaves placeholder jobs (operation 'pending') out. */
const PENDING_ID = randomUUID();

async function seedJobs(db: DatabasePool): Promise<void> {
  for (const j of JOBS) {
    await db.query(sql.unsafe`
      INSERT INTO job (id, operation, queue_name, status, payload, progress_current, progress_total, error_code, error_message, created_at, started_at, finished_at)
      VALUES (${j.id}, ${j.operation}, 'protea.ingest', ${j.status}, ${sql.jsonb({ file: `${j.operation}.input` })}, 41, 42,
              ${j.error_code ?? null}, ${j.error_code ? 'truncated gzip' : null}, ${j.created}, ${j.created}, ${j.status === 'running' ? null : j.created})`);
    for (const e of j.events) {
      await db.query(sql.unsafe`
        INSERT INTO job_event (job_id, event, level, stage, message, error_code, fields, ts)
        VALUES (${j.id}, ${e.event}, ${e.level}, ${e.stage}, ${e.message}, ${e.error_code}, ${sql.jsonb(e.fields as never)}, ${e.ts})`);
    }
  }
  await db.query(sql.unsafe`INSERT INTO job (id, operation, queue_name, created_at) VALUES (${PENDING_ID}, 'pending', 'protea.jobs', '2026-01-04T00:00:00Z')`);
}

const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown> & { [k: string]: any };

t.test('GET /jobs lists the jobs newest first, filtered by status and limited', async (t) => {
  const { db, app } = await setup(t);
  await seedJobs(db);
  const all = await app.inject({ method: 'GET', url: '/jobs' });
  t.equal(all.statusCode, 200);
  t.match(all.headers['content-type'], /^application\/json/);
  const body = json(all);
  const newestFirst = [...JOBS].sort((a, b) => b.created.localeCompare(a.created));
  t.same(body.jobs.map((j: { id: string }) => j.id), newestFirst.map((j) => j.id), 'every job but the pending placeholder, newest first');
  t.equal(body.next, null, 'one page: no cursor (keyset pages and the other filters: api-writes.test.ts)');
  const failed = body.jobs.find((j: { id: string }) => j.id === JOBS[1]!.id);
  t.equal(failed.status, 'failed');
  t.equal(failed.operation, 'produce.gaf');
  t.equal(failed.error_code, 'PROTEA_ERR_INPUT_UNREADABLE');
  t.equal(failed.created_at, '2026-01-02T10:00:00.000Z', 'timestamps are ISO 8601');
  t.same(failed.payload, { file: 'produce.gaf.input' });
  t.equal(failed.progress_current, 41);

  const onlyFailed = json(await app.inject({ method: 'GET', url: '/jobs?status=failed' }));
  t.same(onlyFailed.jobs.map((j: { id: string }) => j.id), [JOBS[1]!.id]);
  const one = json(await app.inject({ method: 'GET', url: '/jobs?limit=1' }));
  t.same(one.jobs.map((j: { id: string }) => j.id), [JOBS[2]!.id]);
  const byOperation = json(await app.inject({ method: 'GET', url: '/jobs?operation=produce.fasta' }));
  t.same(byOperation.jobs.map((j: { id: string }) => j.id), [JOBS[0]!.id]);
});

t.test('GET /jobs/:id returns the job with its events in order; unknown ids are 404, malformed ones 400', async (t) => {
  const { db, app } = await setup(t);
  await seedJobs(db);
  const job = JOBS[0]!;
  const res = await app.inject({ method: 'GET', url: `/jobs/${job.id}` });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = json(res);
  t.equal(body.id, job.id);
  t.equal(body.status, 'succeeded');
  t.equal(body.finished_at, job.created);
  t.same(
    body.events,
    job.events.map((e) => ({ event: e.event, level: e.level, stage: e.stage, message: e.message, error_code: e.error_code, fields: e.fields, ts: e.ts })),
  );
  const upper = await app.inject({ method: 'GET', url: `/jobs/${job.id.toUpperCase()}` });
  t.equal(json(upper).id, job.id, 'an upper-case UUID names the same job');

  const unknown = randomUUID();
  const missing = await app.inject({ method: 'GET', url: `/jobs/${unknown}` });
  t.equal(missing.statusCode, 404);
  t.match(missing.headers['content-type'], /^application\/json/);
  t.same(json(missing), { error: 'Not Found', code: 'PROTEA_ERR_NOT_FOUND', message: `no job has the id ${unknown}`, hint: json(missing).hint, parameter: 'id' });
  t.match(json(missing).hint, /GET \/jobs/);

  const bad = await app.inject({ method: 'GET', url: '/jobs/not-a-uuid' });
  t.equal(bad.statusCode, 400);
  t.equal(json(bad).code, 'PROTEA_ERR_USAGE');
  t.equal(json(bad).parameter, 'id');
  t.match(json(bad).message, /path parameter "id" = "not-a-uuid" has the wrong format/);
  t.match(json(bad).hint, /UUID/);
});

t.test('bad query parameters are 400s naming the parameter, never 500s', async (t) => {
  const { app } = await setup(t);
  const cases: Array<[string, string, RegExp]> = [
    ['/jobs?limit=0', 'limit', /query parameter "limit" = "0" must be >= 1/],
    ['/jobs?limit=abc', 'limit', /query parameter "limit" = "abc" must be integer/],
    ['/jobs?limit=2.5', 'limit', /"limit" = "2.5" must be integer/],
    ['/jobs?limit=100000', 'limit', /must be <= 1000/],
    ['/jobs?status=done', 'status', /query parameter "status" = "done" must be equal to one of the allowed values/],
    ['/jobs?statsu=failed', 'statsu', /unknown query parameter "statsu"/],
  ];
  for (const [url, parameter, message] of cases) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 400, url);
    const body = json(res);
    t.equal(body.code, 'PROTEA_ERR_USAGE', url);
    t.equal(body.parameter, parameter, `${url} names ${parameter}`);
    t.match(body.message, message, url);
    t.ok(typeof body.hint === 'string' && body.hint.length > 10, `${url} has a hint`);
  }
  const limitHint = json(await app.inject({ method: 'GET', url: '/jobs?limit=-3' })).hint;
  t.match(limitHint, /positive integer up to 1000/);
  const noRoute = await app.inject({ method: 'GET', url: '/no/such/route' });
  t.equal(noRoute.statusCode, 404);
  t.equal(json(noRoute).code, 'PROTEA_ERR_NOT_FOUND');
  t.match(json(noRoute).message, /no route GET \/no\/such\/route/);
});

t.test('GET /ready names each component and is 503 once the database is gone; GET /health (liveness) stays 200', async (t) => {
  const { url, app } = await setup(t);
  const ok = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ok.statusCode, 200);
  t.match(ok.headers['content-type'], /^application\/json/);
  t.match(json(ok), { status: 'ready', components: { database: { state: 'reachable' }, kafka: { state: 'reachable' }, registry: { state: 'reachable' } } });
  // the database disappears under the running API (its connections are terminated)
  await adminQuery(withDatabase(url, 'postgres'), `DROP DATABASE "${databaseName(url)}" WITH (FORCE)`);
  const down = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(down.statusCode, 503);
  t.match(json(down), { status: 'unavailable', error: 'Service Unavailable', code: 'PROTEA_ERR_DB_UNAVAILABLE', components: { database: { state: 'unreachable' }, kafka: { state: 'reachable' } } });
  t.match(json(down).message, /database unreachable/);
  t.match(json(down).hint, /PROTEA_DB_URL/);
  const live = await app.inject({ method: 'GET', url: '/health' });
  t.equal(live.statusCode, 200, 'liveness does not depend on the database');
  t.match(json(live), { status: 'ok' });
});

t.test('GET /ready is 503 naming Kafka and the registry when they do not answer', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 1 });
  const dead = { hostPort: `127.0.0.1:${await freePort()}` }; // nothing listens there
  const app = await buildApi({ db, logger: capturingLogger().log, settings: { kafkaBrokers: [dead.hostPort], registryUrl: `http://${dead.hostPort}/apis/ccompat/v7` } });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  const res = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 503);
  const body = json(res);
  t.match(body, { status: 'unavailable', components: { database: { state: 'reachable' }, kafka: { state: 'unreachable', code: 'PROTEA_ERR_KAFKA_UNAVAILABLE' }, registry: { state: 'unreachable', code: 'PROTEA_ERR_REGISTRY_UNAVAILABLE' } } });
  t.match(body.message, /kafka unreachable.*registry unreachable/);
});

t.test('an unexpected error is a 500 PROTEA_ERR_INTERNAL, logged with its stack, its text kept from the client', async (t) => {
  const { app, lines } = await setup(t);
  // a route of the test's own, on the real instance: the API's error handler answers for it
  app.get('/test-only/boom', async () => {
    throw new TypeError('secret internal detail');
  });
  const res = await app.inject({ method: 'GET', url: '/test-only/boom' });
  t.equal(res.statusCode, 500);
  const body = json(res);
  t.equal(body.code, 'PROTEA_ERR_INTERNAL');
  t.notMatch(body.message, /secret/);
  t.match(body.message, /internal error while serving GET \/test-only\/boom \(request req-\w+\)/);
  const logged = lines.find((l) => l.level === 50 && String(l.msg).includes('/test-only/boom'));
  t.ok(logged, 'the failure is logged at error level');
  t.match((logged?.err as { message?: string; stack?: string } | undefined)?.message, 'secret internal detail');
  t.match((logged?.err as { stack?: string } | undefined)?.stack, /TypeError: secret internal detail/);
});

t.test('a database without the migrations gives 503s that say to migrate, not 500s', async (t) => {
  const url = await freshDatabase(t); // created, never migrated
  const db = await createQueryPool(url, { maximumPoolSize: 1 });
  const app = await buildApi({ db, logger: capturingLogger().log });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  for (const route of ['/jobs', '/evaluation-sets', `/jobs/${randomUUID()}`]) {
    const res = await app.inject({ method: 'GET', url: route });
    t.equal(res.statusCode, 503, route);
    t.match(json(res), { code: 'PROTEA_ERR_DB_UNAVAILABLE', message: /the database schema is not up to date: relation "\w+" does not exist/, hint: /protea db migrate/ }, route);
  }
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, 'the database itself answers');
});

t.test('GET /metrics serves Prometheus text with the request counter and latency histogram', async (t) => {
  const { app } = await setup(t);
  const count = (text: string, route: string, status: number) => {
    const m = text.match(new RegExp(`^protea_http_requests_total\\{method="GET",route="${route.replace(/[/:]/g, (c) => `\\${c}`)}",status_code="${status}"\\} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  const before = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  await app.inject({ method: 'GET', url: '/health' });
  await app.inject({ method: 'GET', url: '/health' });
  await app.inject({ method: 'GET', url: `/jobs/${randomUUID()}` });
  await app.inject({ method: 'GET', url: '/nowhere' });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = res.body;
  t.match(text, /# TYPE protea_http_requests_total counter/);
  t.equal(count(text, '/health', 200) - count(before, '/health', 200), 2, 'two health requests counted');
  t.equal(count(text, '/jobs/:id', 404) - count(before, '/jobs/:id', 404), 1, 'labelled by route pattern, not by id');
  t.ok(count(text, 'unmatched', 404) >= 1, 'unknown paths share one series');
  t.match(text, /# TYPE protea_http_request_duration_seconds histogram/);
  t.match(text, /protea_http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} \d+/);
  t.match(text, /protea_process_cpu_user_seconds_total/, 'process metrics too');
});

const BIN = path.join(PROJECT_ROOT, 'bin/protea.js');

t.test('protea api --help describes its options and routes', async (t) => {
  const help = spawnSync(process.execPath, [BIN, 'api', '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /Usage: protea api/);
  t.match(help.stdout, /--host <address>.*PROTEA_API_HOST/s);
  t.match(help.stdout, /--port <n>.*PROTEA_API_PORT/s);
  t.match(help.stdout, /GET \/evaluation-sets\/ID\/plot\.svg/);
});

t.test('the real protea api process answers /ready over HTTP and exits 0 on SIGTERM', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 1 });
  await seedJobs(db);
  await db.end();
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'api'], {
    env: { ...process.env, PROTEA_DB_URL: url, PROTEA_API_HOST: '127.0.0.1', PROTEA_API_PORT: String(port), PROTEA_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await until('the API to listen', () => stdout, (s) => s.includes('api listening') || child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 100 });
  t.match(stdout, `api listening on http://127.0.0.1:${port}`, `listening (stderr: ${stderr.slice(-500)})`);

  const health = await fetch(`http://127.0.0.1:${port}/ready`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ready', components: { database: { state: 'reachable' } } });
  const job = await fetch(`http://127.0.0.1:${port}/jobs/${JOBS[0]!.id}`);
  t.equal(job.status, 200);
  t.equal(((await job.json()) as { events: unknown[] }).events.length, 3, 'the seeded job with its events over real HTTP');

  child.kill('SIGTERM');
  child.kill('SIGTERM'); // a repeated signal while stopping does not cut the shutdown short
  const { code, signal } = await exited;
  t.equal(code, 0, `exit code 0 after SIGTERM (stderr: ${stderr.slice(-500)})`);
  t.equal(signal, null);
  t.match(stdout, /api stopped/);
  t.match(stderr, /"msg":"stopping the API/, 'pino logs the shutdown on stderr');
  await t.rejects(fetch(`http://127.0.0.1:${port}/health`), 'nothing listens once it stopped');
});
