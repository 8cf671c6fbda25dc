// OpenAPI-driven fuzzing of the whole HTTP API (test/helpers/openapi-fuzz.ts):
// every operation GET /openapi.json lists gets requests built from its schemas
// (valid, boundary, wrong-typed, hostile, malformed, with and without tokens),
// on a fresh database seeded with real rows so 2xx paths run too. No answer
// may be a 5xx; every 4xx is the project's error body with a catalogued code;
// every 2xx parses (and validates where a response schema is declared).
// Most requests go through fastify.inject, a slice over real HTTP (port 0).
// The seed is printed; PROTEA_FUZZ_SEED (or PROTEA_TEST_SEED) replays a run,
// PROTEA_FUZZ_REQUESTS changes the number of inject requests (default 2400).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t from 'tap';
import { buildApi } from '../../api/server.js';
import { createCopyPool, createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { insertAuditRow } from '../../lib/queries/api-audit.js';
import { importPredictionSet } from '../../lib/queries/prediction-sets.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import {
  Harvest, checkResponse, makeRequest, operationsOf, strayRequest,
  type FuzzOperation, type FuzzRequest, type FuzzResponse, type OpenApiDocument,
} from '../helpers/openapi-fuzz.js';
import { seededRandom, testSeed } from '../helpers/seeded-random.js';

const TOKENS = { write: 'fuzz-writer-secret-0123456789', admin: 'fuzz-admin-secret-0123456789' };
const INJECT_REQUESTS = Number(process.env.PROTEA_FUZZ_REQUESTS ?? 2400);
const HTTP_REQUESTS = Math.max(50, Math.round(INJECT_REQUESTS / 8));

function fuzzSeed(): number {
  const raw = process.env.PROTEA_FUZZ_SEED;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw.trim());
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`PROTEA_FUZZ_SEED must be an integer in 0..4294967295, got ${JSON.stringify(raw)}`);
    return n;
  }
  return testSeed();
}

const BP = 'biological_process';
const MF = 'molecular_function';
const TERMS: Array<[string, string]> = [['GO:0008150', BP], ['GO:0009987', BP], ['GO:0006412', BP], ['GO:0003674', MF], ['GO:0005488', MF], ['GO:0003824', MF]];
const PROTEINS = ['P12345', 'Q9Y6K9', 'A0A024RBG1', 'P69905', 'O15530', 'P12345-2'];

/** Real rows for the read routes: an ontology with edges, proteins with sequences, jobs with events, prediction sets with predictions, an evaluation set and result, a query set, audit rows. */
async function seedRows(db: DatabasePool, url: string): Promise<void> {
  const snapshot = (await db.oneFirst(sql.unsafe`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('file:go.obo', 'releases/2024-01-01') RETURNING id`)) as string;
  const termIds = new Map<string, number>();
  for (const [go, ns] of TERMS) {
    termIds.set(go, (await db.oneFirst(sql.unsafe`
      INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES (${snapshot}, ${go}, ${`term ${go} <é> "q"`}, ${ns}, ${ns === BP ? 'P' : 'F'}) RETURNING id`)) as number);
  }
  for (const [child, parent] of [['GO:0009987', 'GO:0008150'], ['GO:0006412', 'GO:0009987'], ['GO:0005488', 'GO:0003674'], ['GO:0003824', 'GO:0003674']] as const) {
    await db.query(sql.unsafe`INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type) VALUES (${snapshot}, ${termIds.get(child)!}, ${termIds.get(parent)!}, 'is_a')`);
  }
  const querySet = (await db.oneFirst(sql.unsafe`INSERT INTO query_set (name, description) VALUES ('fuzz queries', 'seeded') RETURNING id`)) as string;
  for (const [i, acc] of PROTEINS.entries()) {
    const seq = `MKV${'LAG'.repeat(i + 3)}`;
    const md5 = (await db.oneFirst(sql.unsafe`SELECT md5(${seq})`)) as string;
    const seqId = (await db.oneFirst(sql.unsafe`INSERT INTO sequence (sequence, sequence_hash, length) VALUES (${seq}, ${md5}, ${seq.length}) RETURNING id`)) as number;
    await db.query(sql.unsafe`
      INSERT INTO protein (accession, canonical_accession, is_canonical, entry_name, reviewed, taxonomy_id, organism, gene_name, length, sequence_id)
      VALUES (${acc}, ${acc.split('-')[0]!}, ${!acc.includes('-')}, ${`E${i}_HUMAN`}, true, 9606, 'Homo sapiens', ${`G${i}`}, ${seq.length}, ${seqId})`);
    await db.query(sql.unsafe`INSERT INTO query_set_entry (query_set_id, accession, sequence_id) VALUES (${querySet}, ${acc}, ${seqId})`);
  }
  const jobIds: string[] = [];
  for (const [i, status] of ['succeeded', 'failed', 'running', 'queued', 'cancelled'].entries()) {
    const id = randomUUID();
    jobIds.push(id);
    await db.query(sql.unsafe`
      INSERT INTO job (id, operation, queue_name, status, payload, progress_current, progress_total, error_code, error_message, created_at, started_at, finished_at)
      VALUES (${id}, ${['produce.fasta', 'produce.gaf', 'predict', 'produce.obo', 'evaluate.run'][i]!}, 'protea.ingest', ${status}, ${sql.jsonb({ file: `in${i}.txt` })}, ${i}, 10,
              ${status === 'failed' ? 'PROTEA_ERR_INPUT_UNREADABLE' : null}, ${status === 'failed' ? 'truncated gzip' : null}, ${`2026-01-0${i + 1}T10:00:00Z`}, ${`2026-01-0${i + 1}T10:00:01Z`}, ${status === 'running' || status === 'queued' ? null : `2026-01-0${i + 1}T10:00:09Z`})`);
    for (let e = 0; e < 3; e++) {
      await db.query(sql.unsafe`
        INSERT INTO job_event (job_id, event, level, stage, message, error_code, fields, ts)
        VALUES (${id}, ${e === 0 ? 'started' : 'progress'}, 'info', 'ingest', ${`step ${e} ✓`}, null, ${sql.jsonb({ n: e })}, ${`2026-01-0${i + 1}T10:00:0${e + 2}Z`})`);
    }
  }
  // predictions through the import path (COPY into a temporary table, then merged)
  const copyPool = createCopyPool(url, 1);
  const predictionSets: string[] = [];
  try {
    for (const name of ['fuzz imported A', 'fuzz imported B']) {
      const rows = PROTEINS.flatMap((p, i) => TERMS.map(([go], j) => [p, termIds.get(go)!, Math.round(((i * 7 + j * 3) % 10) * 10 + 5) / 100] as const));
      const report = await importPredictionSet(copyPool, { kind: 'imported', name, ontologySnapshotId: snapshot, meta: { source: 'fuzz' }, jobId: jobIds[0]! }, (async function* () {
        yield rows;
      })());
      predictionSets.push(report.id);
    }
  } finally {
    await copyPool.end();
  }
  const oldSet = (await db.oneFirst(sql.unsafe`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', '2023-01', ${snapshot}) RETURNING id`)) as string;
  const newSet = (await db.oneFirst(sql.unsafe`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', '2024-01', ${snapshot}) RETURNING id`)) as string;
  const stats = { version: 1, categories: { NK: { proteins: 1, annotations: 1, namespaces: { [BP]: { proteins: 1, annotations: 1 } } } } };
  const evalSet = (await db.oneFirst(sql.unsafe`
    INSERT INTO evaluation_set (old_annotation_set_id, new_annotation_set_id, ontology_snapshot_id, stats) VALUES (${oldSet}, ${newSet}, ${snapshot}, ${sql.jsonb(stats)}) RETURNING id`)) as string;
  await db.query(sql.unsafe`INSERT INTO evaluation_target (evaluation_set_id, category, namespace, protein_accession, go_term_id) VALUES (${evalSet}, 'NK', ${BP}, 'P12345', ${termIds.get('GO:0006412')!})`);
  const curve = [0, 0.5, 1].map((tau) => ({ tau, n: tau < 1 ? 1 : 0, tp: 1, fp: 1, fn: 0, pr: 0.5, rc: 1 - tau / 2, cov: 1, mi: 1, ru: 1, f: 0.6, s: 1.4, pr_micro: 0.5, rc_micro: 0.5, f_micro: 0.5 }));
  const doc = { method: 'fuzz', baseline: null, options: { prop: 'max', norm: 'cafa', thStep: 0.5, noRoots: false, ia: null }, categories: { NK: { [BP]: { groundTruthTargets: 1, predictedTargets: 1, curve, bestF: curve[0], bestS: curve[0] } } } };
  await db.query(sql.unsafe`INSERT INTO evaluation_result (evaluation_set_id, prediction_set_id, results) VALUES (${evalSet}, ${predictionSets[0]!}, ${sql.jsonb(doc as never)})`);
  for (let i = 0; i < 5; i++) {
    await insertAuditRow(db, { tokenName: 'fuzz-writer', method: 'POST', route: '/query-sets', target: null, jobId: jobIds[i]!, statusCode: 202, errorCode: null, clientAddress: '127.0.0.1' });
  }
}

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  byKind: Map<string, number>;
  perOperation: Map<string, number>;
  dependency: number;
  failures: string[];
}

const newTally = (): Tally => ({ requests: 0, byStatus: new Map(), byKind: new Map(), perOperation: new Map(), dependency: 0, failures: [] });
const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
const opKey = (op: FuzzOperation | null) => (op ? `${op.method} ${op.path}` : 'stray');
const shown = (s: string) => (s.length > 240 ? `${s.slice(0, 240)}…(${s.length} chars)` : s);

function record(tally: Tally, req: FuzzRequest, res: FuzzResponse, harvest: Harvest, seed: number, via: string): void {
  tally.requests++;
  bump(tally.byStatus, res.statusCode);
  bump(tally.byKind, req.kind);
  bump(tally.perOperation, opKey(req.op));
  const verdict = checkResponse(req, res);
  if (verdict.dependency) tally.dependency++;
  if (verdict.problems.length > 0 && tally.failures.length < 25) {
    tally.failures.push(`[${via}, seed ${seed}] ${req.method} ${shown(req.url)} (${req.kind}) -> ${res.statusCode}: ${verdict.problems.join('; ')}`);
  }
  if (res.statusCode >= 200 && res.statusCode < 300 && req.op && String(res.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      harvest.add(req.url.split('?')[0]!, JSON.parse(res.body));
    } catch {
      /* a parse failure is reported by checkResponse */
    }
  }
}

/** One request over a real socket; resolves with the answer (or the client-side failure as a pseudo-answer). */
function overHttp(port: number, req: FuzzRequest): Promise<FuzzResponse | { error: string }> {
  const peekMs = 300;
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: FuzzResponse | { error: string }) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    let r: http.ClientRequest;
    try {
      r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, connection: 'close' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        const answer = () => done({ statusCode: res.statusCode ?? 0, headers: res.headers as FuzzResponse['headers'], body: Buffer.concat(chunks).toString('utf8') });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', answer);
        // a live event stream of a job that has not ended stays open: what came in the first moments is the answer
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          setTimeout(() => {
            answer();
            r.destroy();
          }, peekMs).unref();
        }
        res.on('error', (e) => done({ error: e.message }));
      });
    } catch (e) {
      // Node's client refuses some URLs and header values outright (control characters): nothing was sent
      return done({ error: `not sent: ${(e as Error).message}` });
    }
    r.setTimeout(10_000, () => r.destroy(new Error('timeout')));
    r.on('error', (e) => done({ error: e.message }));
    r.end(req.payload);
  });
}

/** An operation that may answer a Server-Sent Events stream: inject would wait for its end, so it goes over HTTP. */
const streams = (op: FuzzOperation | null): boolean =>
  op !== null && Object.values(op.responses).some((content) => Object.keys(content).some((type) => type.startsWith('text/event-stream')));

t.test('every operation of /openapi.json keeps the error contract under fuzzed input (inject and real HTTP)', async (t) => {
  const seed = fuzzSeed();
  t.comment(`fuzz seed ${seed} (replay with PROTEA_FUZZ_SEED=${seed})`);
  t.teardown(() => {
    if (!t.passing()) t.comment(`FAILED with fuzz seed ${seed}: replay with PROTEA_TEST_SEED=${seed} (or PROTEA_FUZZ_SEED=${seed})`);
  });
  const r = seededRandom(seed);
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 4, statementTimeoutMs: 10_000 });
  const app: FastifyInstance = await buildApi({
    db,
    logger: pino({ level: 'silent' }),
    settings: { apiTokens: `fuzz-writer:${TOKENS.write},fuzz-admin:${TOKENS.admin}:admin`, apiWriteRateLimit: 1_000_000, apiUploadMaxBytes: 64 * 1024 },
    probeKafka: async () => {},
    probeRegistry: async () => {},
  });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  await seedRows(db, url);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  /** inject, or a real request for a stream (a client-side failure is a failure of the request) */
  const send = async (req: FuzzRequest): Promise<FuzzResponse> => {
    if (!streams(req.op)) return app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
    const res = await overHttp(port, req);
    if ('error' in res) throw new Error(res.error);
    return res;
  };

  const specRes = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(specRes.statusCode, 200, 'GET /openapi.json answers');
  const doc = JSON.parse(specRes.body) as OpenApiDocument;
  const ops = operationsOf(doc);
  t.ok(ops.length >= 10, `the document lists ${ops.length} operations`);
  const harvest = new Harvest();
  const tally = newTally();
  const t0 = Date.now();

  // first the list routes (no path parameter), valid, to learn ids, accessions and cursors
  for (let round = 0; round < 2; round++) {
    for (const op of ops.filter((o) => !o.params.some((p) => p.in === 'path'))) {
      const req: FuzzRequest = { method: op.method, url: op.path, headers: op.secured ? { authorization: `Bearer ${TOKENS.admin}` } : {}, op, kind: 'harvest' };
      if (op.method !== 'GET') continue;
      const res = await app.inject({ method: 'GET', url: req.url, headers: req.headers });
      record(tally, req, res, harvest, seed, 'inject');
    }
    // then one valid request per operation, to learn what hangs below the lists
    for (const op of ops) {
      const req = makeRequest(seededRandom(r.derive()), op, harvest, TOKENS);
      const res = await send(req);
      record(tally, req, res, harvest, seed, 'inject');
    }
  }

  // the fuzz: operations in turn (each gets its share), then strays outside the document
  while (tally.requests < INJECT_REQUESTS) {
    const req = r.next() < 0.05 ? strayRequest(r, ops) : makeRequest(r, ops[tally.requests % ops.length]!, harvest, TOKENS);
    let res: FuzzResponse;
    try {
      res = await send(req);
    } catch (e) {
      tally.requests++;
      if (tally.failures.length < 25) tally.failures.push(`[inject, seed ${seed}] ${req.method} ${shown(req.url)} (${req.kind}) threw: ${(e as Error).message}`);
      continue;
    }
    record(tally, req, res, harvest, seed, 'inject');
  }
  const injectMs = Date.now() - t0;

  // a slice over real HTTP: the same generator, through Node's parser and the socket
  const httpTally = newTally();
  let notSent = 0;
  const t1 = Date.now();
  while (httpTally.requests + notSent < HTTP_REQUESTS) {
    const req = r.next() < 0.05 ? strayRequest(r, ops) : makeRequest(r, r.pick(ops), harvest, TOKENS);
    const res = await overHttp(port, req);
    if ('error' in res) {
      if (res.error.startsWith('not sent')) notSent++;
      else {
        httpTally.requests++;
        if (httpTally.failures.length < 25) httpTally.failures.push(`[http, seed ${seed}] ${req.method} ${shown(req.url)} (${req.kind}): ${res.error}`);
      }
      continue;
    }
    record(httpTally, req, res, harvest, seed, 'http');
  }
  const httpMs = Date.now() - t1;

  const fmt = (m: Map<string | number, number>) => [...m.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([k, v]) => `${k}:${v}`).join(' ');
  t.comment(`inject: ${tally.requests} requests in ${injectMs} ms; statuses ${fmt(tally.byStatus)}; kinds ${fmt(tally.byKind)}`);
  t.comment(`http: ${httpTally.requests} requests in ${httpMs} ms (${notSent} refused by Node's client before sending); statuses ${fmt(httpTally.byStatus)}`);
  t.comment(`per operation: ${fmt(tally.perOperation)}`);
  if (tally.dependency + httpTally.dependency > 0) t.comment(`${tally.dependency + httpTally.dependency} answers were 503 of a dependency the test does not run (Kafka, registry): not counted as failures`);

  t.ok(tally.requests + httpTally.requests >= 2000, `at least 2,000 requests in all (${tally.requests + httpTally.requests})`);
  for (const op of ops) t.ok((tally.perOperation.get(opKey(op)) ?? 0) >= 20, `${opKey(op)} got at least 20 requests (${tally.perOperation.get(opKey(op)) ?? 0})`);
  const twoXX = [...tally.byStatus.entries()].filter(([s]) => s >= 200 && s < 300).reduce((a, [, n]) => a + n, 0);
  t.ok(twoXX >= 200, `2xx paths are exercised too (${twoXX} answers 2xx)`);
  t.same(tally.failures, [], 'inject: no 5xx, every 4xx in the project body, every 2xx as declared');
  t.same(httpTally.failures, [], 'http: no 5xx, every 4xx in the project body, every 2xx as declared');
});
