// The HTTP API's read routes on a fresh migrated database holding a small,
// fully known data set (test/helpers/prediction-data.ts: proteins, sequences
// and KNN predictions written through their sinks, an imported set through
// COPY) plus an imported set of 20,000 rows: every route's answer checked
// value by value through fastify.inject, its 4xx answers by their error code
// and parameter, and the streaming formats over real HTTP. API_TEST_LOG=error
// shows the server's log (silent by default).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { buildApi } from '../../api/server.js';
import { encodeCursor } from '../../api/pagination.js';
import { createCopyPool, createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { importPredictionSet } from '../../lib/queries/prediction-sets.js';
import { predictionRowsPageSql } from '../../lib/queries/predictions.js';
import { proteinsPageSql } from '../../lib/queries/proteins.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { IMPORTED_ROWS, KNN_ROWS, SEQ_A, SEQ_A2, seedReadData, type SeededReads } from '../helpers/prediction-data.js';
import { md5 } from '../helpers/sequences.js';

const BIG_PROTEINS = 5000;
const BIG_TERMS = ['GO:0005515', 'GO:0006915', 'GO:0005737', 'GO:0008150'] as const;
const bigScore = (i: number, j: number) => ((i * 7 + j * 13) % 97 + 1) / 100;
const bigProtein = (i: number) => `BIG${String(i).padStart(5, '0')}`;

interface Shared {
  app: FastifyInstance;
  url: string;
  db: DatabasePool;
  s: SeededReads;
  bigSetId: string;
}
let shared: Shared | undefined;

// One database and API for the whole file (the routes only read): seeded once.
t.before(async () => {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 4 });
  const copy = createCopyPool(url, 2);
  const app = await buildApi({ db, logger: pino({ level: process.env.API_TEST_LOG ?? 'silent' }), settings: { apiSubgraphMaxNodes: 2000 } });
  t.teardown(async () => {
    await app.close();
    await db.end();
    await copy.end();
  });
  const s = await seedReadData(db, copy);
  async function* batches() {
    for (let i = 0; i < BIG_PROTEINS; i += 1000) {
      const batch: Array<readonly [string, number, number]> = [];
      for (let k = i; k < i + 1000; k++) BIG_TERMS.forEach((go, j) => batch.push([bigProtein(k), s.termIds.get(go)!, bigScore(k, j)]));
      yield batch;
    }
  }
  const big = await importPredictionSet(copy, { kind: 'imported', name: 'big', ontologySnapshotId: s.snapshotId, meta: {}, jobId: null }, batches());
  shared = { app, url, db, s, bigSetId: big.id };
});
const ctx = (_t: Test) => shared!;

type Json = { [k: string]: any };
const json = (res: { body: string }) => JSON.parse(res.body) as Json;
const get = (app: FastifyInstance, url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

/** Asserts a 4xx error body: status, code and the parameter at fault. */
async function expectError(t: Test, app: FastifyInstance, url: string, status: number, code: string, parameter: string | undefined, headers: Record<string, string> = {}) {
  const res = await get(app, url, headers);
  t.equal(res.statusCode, status, `${url} answers ${status}`);
  const body = json(res);
  t.equal(body.code, `PROTEA_ERR_${code}`, `${url}: code`);
  t.equal(body.parameter, parameter, `${url}: parameter`);
  t.type(body.message, 'string');
  t.ok(String(body.hint).length > 0, `${url}: a hint`);
  return body;
}

/** Every page of a list, following `next`. */
async function allPages(app: FastifyInstance, url: string, key: string): Promise<{ rows: Json[]; pages: number }> {
  const rows: Json[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await get(app, after ? `${url}${sep}after=${after}` : url);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    const body = json(res);
    rows.push(...body[key]);
    after = body.next;
    pages++;
  } while (after !== null && pages < 1000);
  return { rows, pages };
}

/** The KNN rows of the seed as the set's JSON rows come: by protein, then term row id, then reference. */
function knnExpected(s: SeededReads, keep: (r: (typeof KNN_ROWS)[number]) => boolean = () => true) {
  return KNN_ROWS.filter(keep)
    .slice()
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) || s.termIds.get(a[1])! - s.termIds.get(b[1])! || (a[2] < b[2] ? -1 : 1))
    .map(([protein, go, ref, distance, score]) => ({ protein, go_id: go, ref_protein: ref, distance, score }));
}

const ASPECT: Record<string, string> = { 'GO:0005515': 'F', 'GO:0003674': 'F', 'GO:0006915': 'P', 'GO:0042981': 'P', 'GO:0005737': 'C', 'GO:0008150': 'P' };

t.test('GET /prediction-sets lists the sets newest first in keyset pages; kind filters', async (t) => {
  const { app, s, bigSetId } = ctx(t);
  const res = await get(app, '/prediction-sets');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = json(res);
  t.same(body.prediction_sets.map((p: Json) => p.id), [bigSetId, s.importedSetId, s.knnSetId]);
  t.equal(body.next, null);
  const knn = body.prediction_sets[2];
  t.same(knn, {
    id: s.knnSetId, kind: 'knn', name: 'knn-test', ontology_snapshot_id: s.snapshotId, obo_version: 'releases/2026-01-01', annotation_set_id: s.annotationSetId,
    embedding_config_id: s.embeddingConfigIds[0], query_set_id: s.querySetId, limit_per_entry: 3, distance_threshold: 0.8, meta: { aggregation: 'max' }, job_id: s.jobId,
    scoring_config_id: null, source_prediction_set_id: null, created_at: knn.created_at,
  });
  t.match(knn.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const paged = await allPages(app, '/prediction-sets?limit=1', 'prediction_sets');
  t.same(paged.rows.map((p) => p.id), [bigSetId, s.importedSetId, s.knnSetId], 'one set a page, none skipped or repeated');
  t.equal(paged.pages, 3);
  t.same(json(await get(app, '/prediction-sets?kind=knn')).prediction_sets.map((p: Json) => p.id), [s.knnSetId]);
  t.same(json(await get(app, '/prediction-sets?kind=baseline')).prediction_sets, []);
  await expectError(t, app, '/prediction-sets?kind=magic', 400, 'USAGE', 'kind');
  await expectError(t, app, '/prediction-sets?limit=1001', 400, 'USAGE', 'limit');
  await expectError(t, app, '/prediction-sets?limit=0', 400, 'USAGE', 'limit');
  await expectError(t, app, '/prediction-sets?after=bm90LWEtY3Vyc29y', 400, 'USAGE', 'after');
  await expectError(t, app, `/prediction-sets?after=${encodeCursor(['x', 'y'])}`, 400, 'USAGE', 'after');
  await expectError(t, app, `/prediction-sets?after=${encodeCursor([1, 'not-a-uuid'])}`, 400, 'USAGE', 'after');
  await expectError(t, app, `/prediction-sets?after=${encodeCursor([1e300, randomUUID()])}`, 400, 'USAGE', 'after');
  await expectError(t, app, `/annotation-sets?after=${encodeCursor([1.5, randomUUID()])}`, 400, 'USAGE', 'after');
  await expectError(t, app, '/prediction-sets?colour=red', 400, 'USAGE', 'colour');
});

t.test('GET /prediction-sets/:id gives the parameters and the rows, proteins and terms per aspect', async (t) => {
  const { app, s } = ctx(t);
  const res = await get(app, `/prediction-sets/${s.knnSetId}`);
  t.equal(res.statusCode, 200);
  const body = json(res);
  t.equal(body.id, s.knnSetId);
  t.equal(body.kind, 'knn');
  t.equal(body.limit_per_entry, 3);
  t.same(body.counts, {
    rows: 8,
    proteins: 3,
    by_aspect: [
      { aspect: 'C', rows: 1, proteins: 1, terms: 1 },
      { aspect: 'F', rows: 4, proteins: 2, terms: 2 },
      { aspect: 'P', rows: 3, proteins: 2, terms: 2 },
    ],
    queries: { predicted: 3, unpredictable: 1, pending: 0 },
  });
  const imported = json(await get(app, `/prediction-sets/${s.importedSetId.toUpperCase()}`));
  t.equal(imported.id, s.importedSetId, 'an upper-case id names the same set');
  t.same(imported.counts, { rows: 3, proteins: 2, by_aspect: [{ aspect: 'C', rows: 1, proteins: 1, terms: 1 }, { aspect: 'F', rows: 1, proteins: 1, terms: 1 }, { aspect: 'P', rows: 1, proteins: 1, terms: 1 }], queries: { predicted: 0, unpredictable: 0, pending: 0 } });
  const unknown = randomUUID();
  const missing = await expectError(t, app, `/prediction-sets/${unknown}`, 404, 'NOT_FOUND', 'id');
  t.equal(missing.message, `no prediction set has the id ${unknown}`);
  t.match(missing.hint, /GET \/prediction-sets/);
  await expectError(t, app, '/prediction-sets/not-a-uuid', 400, 'USAGE', 'id');
});

t.test('GET /prediction-sets/:id/predictions: every row by protein with the term name and aspect, in keyset pages', async (t) => {
  const { app, s } = ctx(t);
  const res = await get(app, `/prediction-sets/${s.knnSetId}/predictions?limit=1000`);
  t.equal(res.statusCode, 200);
  const body = json(res);
  t.equal(body.next, null);
  t.same(body.predictions.map((r: Json) => ({ protein: r.protein, go_id: r.go_id, ref_protein: r.ref_protein, distance: r.distance, score: r.score })), knnExpected(s));
  t.same(body.predictions[0], {
    prediction_set_id: s.knnSetId, protein: 'P68871', go_id: 'GO:0003674', go_name: 'molecular_function', aspect: 'F', score: 0.004,
    ref_protein: 'R2', distance: 0.4, evidence_code: 'IDA', qualifier: null,
  }, 'a whole row: term name and aspect, no rank without top');
  for (const r of body.predictions) t.equal(r.aspect, ASPECT[r.go_id], `${r.go_id} aspect`);
  const paged = await allPages(app, `/prediction-sets/${s.knnSetId}/predictions?limit=3`, 'predictions');
  t.equal(paged.pages, 3);
  t.same(paged.rows, body.predictions, 'pages of 3 are the same rows in the same order');
  const first = json(await get(app, `/prediction-sets/${s.knnSetId}/predictions`));
  t.equal(first.predictions.length, 8, 'default limit 20 holds them all');
  t.equal(first.next, null);
});

t.test('predictions filters: protein, aspect (P/F/C, BPO/MFO/CCO, namespace names), min_score, go_id, and top=N per protein', async (t) => {
  const { app, s } = ctx(t);
  const rows = async (query: string) => json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?limit=1000&${query}`)).predictions.map((r: Json) => ({ protein: r.protein, go_id: r.go_id, ref_protein: r.ref_protein, distance: r.distance, score: r.score }));
  t.same(await rows('protein=P69905'), knnExpected(s, (r) => r[0] === 'P69905'));
  const mf = knnExpected(s, (r) => ASPECT[r[1]] === 'F');
  t.equal(mf.length, 4);
  for (const a of ['F', 'f', 'MFO', 'MF', 'molecular_function']) t.same(await rows(`aspect=${a}`), mf, `aspect=${a}`);
  t.same(await rows('aspect=BPO'), knnExpected(s, (r) => ASPECT[r[1]] === 'P'));
  t.same(await rows('aspect=cellular_component'), knnExpected(s, (r) => ASPECT[r[1]] === 'C'));
  t.same(await rows('min_score=0.65'), knnExpected(s, (r) => r[4] !== null && r[4] >= 0.65));
  t.same((await rows('min_score=0.65')).length, 4);
  t.same(await rows('go_id=GO:0006915'), knnExpected(s, (r) => r[1] === 'GO:0006915'));
  t.same(await rows('go_id=GO:0006915&protein=QS_0001&aspect=P&min_score=0.9'), [{ protein: 'QS_0001', go_id: 'GO:0006915', ref_protein: 'R4', distance: 0.05, score: 0.95 }]);
  t.same(await rows('go_id=GO:0008150'), [], 'a term with no prediction: an empty page');

  const top1 = json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?top=1`)).predictions;
  t.same(top1.map((r: Json) => [r.protein, r.go_id, r.score, r.ref_protein, r.rank]), [
    ['P68871', 'GO:0005515', 0.7, 'R1', 1],
    ['P69905', 'GO:0005515', 0.9, 'R1', 1],
    ['QS_0001', 'GO:0006915', 0.95, 'R4', 1],
  ]);
  const top3 = json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?top=3&protein=P69905`)).predictions;
  t.same(top3.map((r: Json) => [r.go_id, r.score, r.rank]), [['GO:0005515', 0.9, 1], ['GO:0006915', 0.6, 2], ['GO:0005737', 0.4, 3]], 'one row per term (its best reference), by score');
  const top10 = json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?top=10&protein=P69905`)).predictions;
  t.same(top10.map((r: Json) => r.go_id), ['GO:0005515', 'GO:0006915', 'GO:0005737', 'GO:0042981'], 'a term without score ranks last');
  const topF = json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?top=1&aspect=C`)).predictions;
  t.same(topF.map((r: Json) => [r.protein, r.go_id]), [['P69905', 'GO:0005737']], 'filters apply before ranking');
  const pagedTop = await allPages(app, `/prediction-sets/${s.knnSetId}/predictions?top=2&limit=1`, 'predictions');
  t.same(pagedTop.rows.map((r: Json) => [r.protein, r.go_id, r.rank]), [['P68871', 'GO:0005515', 1], ['P68871', 'GO:0003674', 2], ['P69905', 'GO:0005515', 1], ['P69905', 'GO:0006915', 2], ['QS_0001', 'GO:0006915', 1]]);
  t.equal(pagedTop.pages, 5);
});

t.test('predictions: bad parameters are 400 naming the parameter, an unknown set 404', async (t) => {
  const { app, s } = ctx(t);
  const base = `/prediction-sets/${s.knnSetId}/predictions`;
  const aspect = await expectError(t, app, `${base}?aspect=X`, 400, 'USAGE', 'aspect');
  t.match(aspect.hint, /P, F or C/);
  await expectError(t, app, `${base}?min_score=1.5`, 400, 'USAGE', 'min_score');
  await expectError(t, app, `${base}?min_score=-0.1`, 400, 'USAGE', 'min_score');
  await expectError(t, app, `${base}?min_score=high`, 400, 'USAGE', 'min_score');
  await expectError(t, app, `${base}?go_id=0006915`, 400, 'USAGE', 'go_id');
  await expectError(t, app, `${base}?top=0`, 400, 'USAGE', 'top');
  await expectError(t, app, `${base}?limit=1001`, 400, 'USAGE', 'limit');
  await expectError(t, app, `${base}?protein=a%20b`, 400, 'USAGE', 'protein');
  await expectError(t, app, `${base}?after=!!`, 400, 'USAGE', 'after');
  await expectError(t, app, `${base}?after=${encodeCursor(['P69905', 1])}`, 400, 'USAGE', 'after', {});
  await expectError(t, app, `${base}?after=${encodeCursor(['P69905', 1e12, 1])}`, 400, 'USAGE', 'after');
  await expectError(t, app, `${base}?after=${encodeCursor(['P69905', 1, 0.5])}`, 400, 'USAGE', 'after');
  await expectError(t, app, `${base}?top=1&after=${encodeCursor(['P69905', 3e9])}`, 400, 'USAGE', 'after');
  const topCursor = json(await get(app, `${base}?top=2&limit=1`)).next;
  await expectError(t, app, `${base}?after=${topCursor}`, 400, 'USAGE', 'after');
  await expectError(t, app, `/proteins/P69905/predictions?after=${encodeCursor(['not-a-uuid', 1, 2])}`, 400, 'USAGE', 'after');
  await expectError(t, app, `/prediction-sets/${randomUUID()}/predictions`, 404, 'NOT_FOUND', 'id');
  await expectError(t, app, '/prediction-sets/12/predictions', 400, 'USAGE', 'id');
  // unknown in every format, and a known set whose filter matches nothing is an empty page, not a 404
  for (const rest of ['?top=2', '?format=tsv', '?format=arrow', '?protein=P69905']) {
    await expectError(t, app, `/prediction-sets/${randomUUID()}/predictions${rest}`, 404, 'NOT_FOUND', 'id');
  }
  const empty = await get(app, `${base}?protein=NOSUCH1`);
  t.equal(empty.statusCode, 200);
  t.same(json(empty), { predictions: [], next: null }, 'a known set with no row for the filter');
});

t.test('predictions formats: TSV is CAFA target/term/score, Arrow an IPC stream, chosen by ?format= or Accept', async (t) => {
  const { app, s } = ctx(t);
  const base = `/prediction-sets/${s.knnSetId}/predictions`;
  const cafa = 'P68871\tGO:0005515\t0.70\nP69905\tGO:0005515\t0.90\nP69905\tGO:0005737\t0.40\nP69905\tGO:0006915\t0.60\nQS_0001\tGO:0006915\t0.95\n';
  const tsv = await get(app, `${base}?format=tsv`);
  t.equal(tsv.statusCode, 200);
  t.match(tsv.headers['content-type'], /^text\/tab-separated-values/);
  t.equal(tsv.body, cafa, 'one line per (protein, term), best score, two decimals; no score or one rounding to 0: no line');
  const byAccept = await get(app, base, { accept: 'text/tab-separated-values' });
  t.equal(byAccept.body, cafa, 'Accept chooses TSV');
  t.equal((await get(app, base, { accept: 'text/html;q=0.9, text/tab-separated-values' })).body, cafa, 'the highest q-value wins');
  t.equal((await get(app, `${base}?format=tsv`, { accept: 'text/*' })).body, cafa);
  t.equal((await get(app, `${base}?format=tsv&top=1`)).body, 'P68871\tGO:0005515\t0.70\nP69905\tGO:0005515\t0.90\nQS_0001\tGO:0006915\t0.95\n');
  t.equal((await get(app, `${base}?format=tsv&aspect=P&min_score=0.7`)).body, 'QS_0001\tGO:0006915\t0.95\n');

  const arrowRes = await get(app, `${base}?format=arrow&protein=P69905`);
  t.equal(arrowRes.statusCode, 200);
  t.equal(arrowRes.headers['content-type'], 'application/vnd.apache.arrow.stream');
  const table = tableFromIPC(arrowRes.rawPayload);
  t.equal(table.numRows, 5);
  t.equal(table.schema.fields[0]!.name, 'prediction_set_id');
  t.equal(table.schema.metadata.get('prediction_set_id'), s.knnSetId);
  t.same(JSON.parse(table.schema.metadata.get('filters')!), { protein: 'P69905', aspect: null, min_score: null, go_id: null, top: null });
  const col = (name: string) => Array.from({ length: table.numRows }, (_, i) => table.getChild(name)!.get(i) as unknown);
  t.same(col('go_id'), ['GO:0006915', 'GO:0042981', 'GO:0005515', 'GO:0005515', 'GO:0005737']);
  t.same(col('go_name'), ['apoptotic process', 'regulation of apoptotic process', 'protein binding', 'protein binding', 'cytoplasm']);
  t.same(col('score'), [0.6, null, 0.9, 0.8, 0.4]);
  t.same(col('term_score'), [0.6, null, 0.9, 0.9, 0.4], "each row carries its term's best score");
  t.same(col('ref_protein'), ['R1', 'R3', 'R1', 'R2', 'R2']);
  t.same(col('propagated'), [false, false, false, false, false]);
  const viaAccept = tableFromIPC((await get(app, `${base}?top=1`, { accept: 'application/vnd.apache.arrow.stream' })).rawPayload);
  t.same(Array.from({ length: viaAccept.numRows }, (_, i) => viaAccept.getChild('go_id')!.get(i)), ['GO:0005515', 'GO:0005515', 'GO:0006915']);
  const empty = tableFromIPC((await get(app, `${base}?format=arrow&go_id=GO:0008150`)).rawPayload);
  t.equal(empty.numRows, 0, 'no rows: still a readable stream with its schema');
  t.equal(empty.schema.fields.length, table.schema.fields.length);

  const json1 = await get(app, base, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
  t.match(json1.headers['content-type'], /^application\/json/, 'a browser gets JSON');
  t.match(json((await get(app, `${base}?format=json`, { accept: 'application/json' }))).predictions, []);

  const limit = await expectError(t, app, `${base}?format=tsv&limit=5`, 400, 'USAGE', 'limit');
  t.match(limit.message, /streams the whole filtered result/);
  await expectError(t, app, `${base}?format=arrow&after=abc`, 400, 'USAGE', 'after');
  await expectError(t, app, `${base}?limit=5`, 400, 'USAGE', 'limit', { accept: 'text/tab-separated-values' });
  const conflict = await expectError(t, app, `${base}?format=json`, 400, 'USAGE', 'format', { accept: 'application/vnd.apache.arrow.stream' });
  t.match(conflict.message, /conflicts with the Accept header/);
  await expectError(t, app, base, 400, 'USAGE', 'accept', { accept: 'image/png' });
  await expectError(t, app, `${base}?format=xml`, 400, 'USAGE', 'format');
});

t.test('GET /proteins/:accession/predictions: a protein across prediction sets, by set', async (t) => {
  const { app, s } = ctx(t);
  const res = await get(app, '/proteins/P69905/predictions');
  t.equal(res.statusCode, 200);
  const rows = json(res).predictions;
  const knn = knnExpected(s, (r) => r[0] === 'P69905').map((r) => [s.knnSetId, r.go_id, r.score]);
  const imported = IMPORTED_ROWS.filter((r) => r[0] === 'P69905').sort((a, b) => s.termIds.get(a[1])! - s.termIds.get(b[1])!).map((r) => [s.importedSetId, r[1], r[2]]);
  t.same(rows.map((r: Json) => [r.prediction_set_id, r.go_id, r.score]), [...knn, ...imported], 'the older (KNN) set first, then the imported one');
  for (const r of rows) t.equal(r.protein, 'P69905');
  t.same(rows.find((r: Json) => r.go_id === 'GO:0008150'), { prediction_set_id: s.importedSetId, protein: 'P69905', go_id: 'GO:0008150', go_name: 'biological_process', aspect: 'P', score: 0.3, ref_protein: null, distance: null, evidence_code: null, qualifier: null });
  const paged = await allPages(app, '/proteins/P69905/predictions?limit=2', 'predictions');
  t.same(paged.rows, rows);
  t.equal(paged.pages, 4);
  t.same(json(await get(app, `/proteins/P69905/predictions?prediction_set_id=${s.importedSetId}`)).predictions.map((r: Json) => r.go_id), ['GO:0008150', 'GO:0005515']);
  const top1 = json(await get(app, '/proteins/P69905/predictions?top=1')).predictions;
  t.same(top1.map((r: Json) => [r.prediction_set_id, r.go_id, r.score, r.rank]), [[s.knnSetId, 'GO:0005515', 0.9, 1], [s.importedSetId, 'GO:0005515', 0.55, 1]], 'top=N: per set');
  t.equal(
    (await get(app, '/proteins/P69905/predictions?format=tsv')).body,
    'P69905\tGO:0005515\t0.90\nP69905\tGO:0005737\t0.40\nP69905\tGO:0006915\t0.60\nP69905\tGO:0005515\t0.55\nP69905\tGO:0008150\t0.30\n',
    'one CAFA block per set',
  );
  const arrow = tableFromIPC((await get(app, '/proteins/P69905/predictions?format=arrow&aspect=F')).rawPayload);
  t.same(Array.from({ length: arrow.numRows }, (_, i) => arrow.getChild('prediction_set_id')!.get(i)), [s.knnSetId, s.knnSetId, s.importedSetId]);
  t.same(json(await get(app, '/proteins/QS_0001/predictions')).predictions.map((r: Json) => [r.go_id, r.score]), [['GO:0006915', 0.95]], 'a query-set protein without a UniProt row');
  t.same(json(await get(app, '/proteins/Q9CQ01/predictions')).predictions, [], 'a known protein without predictions: an empty page');
  const unknown = await expectError(t, app, '/proteins/ZZZ999/predictions', 404, 'NOT_FOUND', 'accession');
  t.equal(unknown.message, 'no protein has the accession ZZZ999');
  // the existence check runs only for an empty page, and before a stream's first byte
  await expectError(t, app, '/proteins/ZZZ999/predictions?top=2', 404, 'NOT_FOUND', 'accession');
  await expectError(t, app, '/proteins/ZZZ999/predictions?format=tsv', 404, 'NOT_FOUND', 'accession');
  await expectError(t, app, '/proteins/ZZZ999/predictions?format=arrow', 404, 'NOT_FOUND', 'accession');
  await expectError(t, app, `/proteins/P69905/predictions?prediction_set_id=${randomUUID()}`, 404, 'NOT_FOUND', 'prediction_set_id');
  await expectError(t, app, '/proteins/P69905/predictions?prediction_set_id=42', 400, 'USAGE', 'prediction_set_id');
  await expectError(t, app, '/proteins/P69905/predictions?aspect=Z', 400, 'USAGE', 'aspect');
  await expectError(t, app, '/proteins/P69905/predictions?format=tsv&limit=2', 400, 'USAGE', 'limit');
  await expectError(t, app, '/proteins/bad%20accession!/predictions', 400, 'USAGE', 'accession');
});

t.test('GET /proteins/:accession: isoforms, taxonomy, sequence and annotations grouped by annotation set', async (t) => {
  const { app, s } = ctx(t);
  const res = await get(app, '/proteins/P69905');
  t.equal(res.statusCode, 200);
  const p = json(res);
  t.match(p, { accession: 'P69905', canonical_accession: 'P69905', is_canonical: true, entry_name: 'HBA_HUMAN', gene_name: 'HBA1', reviewed: true, taxonomy_id: 9606, organism: 'Homo sapiens', protein_existence: 1, sequence_version: 2, length: SEQ_A.length });
  t.same(p.isoforms, [
    { accession: 'P69905', is_canonical: true, isoform_index: null, length: SEQ_A.length },
    { accession: 'P69905-2', is_canonical: false, isoform_index: 2, length: SEQ_A2.length },
  ]);
  t.same(p.taxonomy, { tax_id: 9606, scientific_name: 'Homo sapiens', rank: 'species', parent_tax_id: 9605 });
  t.same(p.sequence, { md5: md5(SEQ_A), length: SEQ_A.length, sequence: SEQ_A });
  t.same(p.annotation_sets.map((a: Json) => [a.annotation_set_id, a.source, a.source_version, a.obo_version]), [
    [s.annotationSetId, 'goa', '2026-01', 'releases/2026-01-01'],
    [s.oldAnnotationSetId, 'goa', '2025-01', 'releases/2026-01-01'],
  ], 'newest set first');
  t.same(p.annotation_sets[0].annotations.map((a: Json) => [a.protein_accession, a.go_id, a.go_name, a.aspect, a.qualifier, a.evidence_code]), [
    ['P69905', 'GO:0005515', 'protein binding', 'F', 'enables', 'IPI'],
    ['P69905', 'GO:0006915', 'apoptotic process', 'P', 'NOT|involved_in', 'IMP'],
  ]);
  t.match(p.annotation_sets[0].annotations[0], { db_reference: 'PMID:1', with_from: '', assigned_by: 'UniProt', annotation_date: '20250101' });
  t.same(p.annotation_sets[1].annotations.map((a: Json) => a.go_id), ['GO:0005737']);
  t.equal(p.annotations_truncated, false);

  const iso = json(await get(app, '/proteins/P69905-2'));
  t.match(iso, { accession: 'P69905-2', canonical_accession: 'P69905', is_canonical: false, isoform_index: 2 });
  t.same(iso.sequence, { md5: md5(SEQ_A2), length: SEQ_A2.length, sequence: SEQ_A2 });
  t.same(iso.isoforms.map((i: Json) => i.accession), ['P69905', 'P69905-2']);
  t.same(iso.annotation_sets.map((a: Json) => a.annotations.map((x: Json) => x.protein_accession)), [['P69905', 'P69905'], ['P69905']], "an isoform shows its canonical accession's GAF rows");

  const mouse = json(await get(app, '/proteins/Q9CQ01'));
  t.same(mouse.taxonomy, { tax_id: 10090, scientific_name: null, rank: null, parent_tax_id: null }, 'a taxon that is not loaded: its id, no names');
  t.same(mouse.annotation_sets, []);
  const missing = await expectError(t, app, '/proteins/A0A000', 404, 'NOT_FOUND', 'accession');
  t.match(missing.hint, /GET \/proteins\?q=/);
  await expectError(t, app, '/proteins/QS_0001', 404, 'NOT_FOUND', 'accession');
  await expectError(t, app, '/proteins/-P69905', 400, 'USAGE', 'accession');
  await expectError(t, app, `/proteins/${'A'.repeat(101)}`, 400, 'USAGE', 'accession');
});

t.test('GET /proteins filters by taxon, reviewed flag and a prefix of accession, entry name or gene name', async (t) => {
  const { app } = ctx(t);
  const accessions = async (query: string) => {
    const res = await get(app, `/proteins${query}`);
    t.equal(res.statusCode, 200, query);
    return json(res).proteins.map((p: Json) => p.accession);
  };
  t.same(await accessions(''), ['P68871', 'P69905', 'P69905-2', 'Q9CQ01']);
  t.match(json(await get(app, '/proteins?q=HBB')).proteins[0], { accession: 'P68871', entry_name: 'HBB_HUMAN', gene_name: 'HBB', reviewed: true, taxonomy_id: 9606, length: 49 });
  t.same(await accessions('?taxonomy_id=10090'), ['Q9CQ01']);
  t.same(await accessions('?taxonomy_id=9606&reviewed=true'), ['P68871', 'P69905', 'P69905-2']);
  t.same(await accessions('?reviewed=false'), ['Q9CQ01']);
  t.same(await accessions('?q=p699'), ['P69905', 'P69905-2'], 'accession prefix, any case');
  t.same(await accessions('?q=hba'), ['P69905', 'P69905-2', 'Q9CQ01'], 'entry name HBA_HUMAN and gene name Hba_x');
  t.same(await accessions('?q=hba_h'), ['P69905', 'P69905-2']);
  t.same(await accessions('?q=hb_'), [], '_ is literal, not a wildcard');
  t.same(await accessions('?q=HBA1&taxonomy_id=9606'), ['P69905', 'P69905-2'], 'gene name');
  t.same(await accessions('?q=nothing'), []);
  const paged = await allPages(app, '/proteins?limit=3', 'proteins');
  t.same(paged.rows.map((p) => p.accession), ['P68871', 'P69905', 'P69905-2', 'Q9CQ01']);
  t.equal(paged.pages, 2);
  await expectError(t, app, '/proteins?q=%25', 400, 'USAGE', 'q');
  await expectError(t, app, '/proteins?q=', 400, 'USAGE', 'q');
  await expectError(t, app, '/proteins?taxonomy_id=human', 400, 'USAGE', 'taxonomy_id');
  await expectError(t, app, '/proteins?reviewed=maybe', 400, 'USAGE', 'reviewed');
  await expectError(t, app, '/proteins?limit=5000', 400, 'USAGE', 'limit');
  await expectError(t, app, `/proteins?after=${encodeCursor([1])}`, 400, 'USAGE', 'after');
});

t.test('GET /embedding-configs, /annotation-sets, /query-sets and /query-sets/:id', async (t) => {
  const { app, s } = ctx(t);
  const configs = json(await get(app, '/embedding-configs'));
  t.same(configs.embedding_configs.map((c: Json) => [c.id, c.model_name, c.active]), [[s.embeddingConfigIds[1], 'esm2-t6', true], [s.embeddingConfigIds[0], 'kmer-3', false]]);
  t.match(configs.embedding_configs[0], { model_backend: 'onnx', layer_indices: [0, 1], use_chunking: true, chunk_size: 512, chunk_overlap: 64, description: null, max_length: 1022 });
  t.same(json(await get(app, '/embedding-configs?active=true')).embedding_configs.map((c: Json) => c.id), [s.embeddingConfigIds[1]]);
  const cPaged = await allPages(app, '/embedding-configs?limit=1', 'embedding_configs');
  t.same(cPaged.rows.map((c) => c.id), [s.embeddingConfigIds[1], s.embeddingConfigIds[0]]);

  const sets = json(await get(app, '/annotation-sets'));
  t.same(sets.annotation_sets.map((a: Json) => [a.id, a.source, a.source_version, a.created_at]), [
    [s.annotationSetId, 'goa', '2026-01', '2026-01-15T00:00:00.000Z'],
    [s.oldAnnotationSetId, 'goa', '2025-01', '2025-01-15T00:00:00.000Z'],
  ]);
  t.same(json(await get(app, '/annotation-sets?source=uniprot')).annotation_sets, []);
  t.same((await allPages(app, '/annotation-sets?limit=1', 'annotation_sets')).rows.map((a) => a.id), [s.annotationSetId, s.oldAnnotationSetId]);

  const qs = json(await get(app, '/query-sets'));
  t.same(qs.query_sets.map((q: Json) => [q.id, q.name, q.description, q.entries, q.pending]), [[s.querySetId, 'hemoglobins', 'test queries', 2, 1]]);
  t.equal(qs.next, null);
  const one = json(await get(app, `/query-sets/${s.querySetId}`));
  t.match(one, { id: s.querySetId, name: 'hemoglobins', entries: 2, pending: 1 });
  t.same(one.prediction_sets.map((p: Json) => [p.id, p.kind, p.name]), [[s.knnSetId, 'knn', 'knn-test']]);
  await expectError(t, app, `/query-sets/${randomUUID()}`, 404, 'NOT_FOUND', 'id');
  await expectError(t, app, '/query-sets/hemoglobins', 400, 'USAGE', 'id');
  await expectError(t, app, '/embedding-configs?active=sometimes', 400, 'USAGE', 'active');
  await expectError(t, app, '/annotation-sets?limit=-1', 400, 'USAGE', 'limit');
  await expectError(t, app, '/query-sets?after=%3D%3D', 400, 'USAGE', 'after');
});

t.test('GET /ontology-snapshots and /ontology-snapshots/:id/subgraph: ancestors over is_a, part_of and regulates', async (t) => {
  const { app, s, db } = ctx(t);
  const snaps = json(await get(app, '/ontology-snapshots'));
  t.same(snaps.ontology_snapshots.map((o: Json) => [o.id, o.obo_version, o.term_count, o.terms_loaded, o.relationships, o.pending_edges, o.complete]), [[s.snapshotId, 'releases/2026-01-01', 13, 13, 14, 0, true]]);
  t.equal(snaps.next, null);

  const sub = async (ids: string) => {
    const res = await get(app, `/ontology-snapshots/${s.snapshotId}/subgraph?go_ids=${ids}`);
    t.equal(res.statusCode, 200, ids);
    return json(res);
  };
  const g = await sub('GO:0043065');
  t.equal(g.ontology_snapshot_id, s.snapshotId);
  t.same(g.nodes.map((n: Json) => [n.go_id, n.requested]), [
    ['GO:0006915', false], ['GO:0008150', false], ['GO:0009987', false], ['GO:0042981', false], ['GO:0043065', true], ['GO:0050789', false],
  ]);
  t.same(g.nodes.find((n: Json) => n.go_id === 'GO:0043065'), { go_id: 'GO:0043065', name: 'positive regulation of apoptotic process', namespace: 'biological_process', aspect: 'P', is_obsolete: false, requested: true });
  t.same(g.edges, [
    { child: 'GO:0006915', parent: 'GO:0009987', relation: 'is_a' },
    { child: 'GO:0009987', parent: 'GO:0008150', relation: 'is_a' },
    { child: 'GO:0042981', parent: 'GO:0006915', relation: 'regulates' },
    { child: 'GO:0042981', parent: 'GO:0050789', relation: 'is_a' },
    { child: 'GO:0043065', parent: 'GO:0006915', relation: 'positively_regulates' },
    { child: 'GO:0043065', parent: 'GO:0042981', relation: 'is_a' },
    { child: 'GO:0050789', parent: 'GO:0008150', relation: 'is_a' },
  ]);
  const cc = await sub('GO:0005622');
  t.same(cc.nodes.map((n: Json) => n.go_id), ['GO:0005575', 'GO:0005622', 'GO:0110165'], 'has_part is not followed');
  t.same(cc.edges.map((e: Json) => e.relation), ['is_a', 'is_a']);
  const two = await sub('GO:0005737,GO:0005515');
  t.same(two.nodes.map((n: Json) => [n.go_id, n.requested]), [
    ['GO:0003674', false], ['GO:0005488', false], ['GO:0005515', true], ['GO:0005575', false], ['GO:0005622', false], ['GO:0005737', true], ['GO:0110165', false],
  ]);
  t.ok(two.edges.some((e: Json) => e.child === 'GO:0005737' && e.parent === 'GO:0005622' && e.relation === 'part_of'), 'part_of followed');
  t.notOk(two.edges.some((e: Json) => e.relation === 'has_part'), 'has_part edges left out even between two nodes of the graph');
  const alt = await sub('GO:0006917');
  t.same(alt.nodes.map((n: Json) => [n.go_id, n.requested]), [['GO:0006915', true], ['GO:0008150', false], ['GO:0009987', false]], 'an alt id names its term');

  const unknown = await expectError(t, app, `/ontology-snapshots/${s.snapshotId}/subgraph?go_ids=GO:0005515,GO:1234567`, 404, 'NOT_FOUND', 'go_ids');
  t.match(unknown.message, /has no term GO:1234567/);
  await expectError(t, app, `/ontology-snapshots/${randomUUID()}/subgraph?go_ids=GO:0005515`, 404, 'NOT_FOUND', 'id');
  await expectError(t, app, '/ontology-snapshots/latest/subgraph?go_ids=GO:0005515', 400, 'USAGE', 'id');
  await expectError(t, app, `/ontology-snapshots/${s.snapshotId}/subgraph`, 400, 'USAGE', 'go_ids');
  await expectError(t, app, `/ontology-snapshots/${s.snapshotId}/subgraph?go_ids=GO:1,GO:2`, 400, 'USAGE', 'go_ids');
  const many = Array.from({ length: 101 }, (_, i) => `GO:${String(i + 1).padStart(7, '0')}`).join(',');
  const tooMany = await expectError(t, app, `/ontology-snapshots/${s.snapshotId}/subgraph?go_ids=${many}`, 400, 'USAGE', 'go_ids');
  t.match(tooMany.message, /101 GO ids; at most 100/);
  await expectError(t, app, '/ontology-snapshots?limit=1001', 400, 'USAGE', 'limit');

  // a cap of 5 terms: the 6-term graph is refused, a 3-term one answered
  const capped = await buildApi({ db, logger: pino({ level: process.env.API_TEST_LOG ?? 'silent' }), settings: { apiSubgraphMaxNodes: 5 } });
  t.teardown(() => capped.close());
  const refused = await expectError(t, capped, `/ontology-snapshots/${s.snapshotId}/subgraph?go_ids=GO:0043065`, 400, 'USAGE', 'go_ids');
  t.match(refused.message, /more than 5 terms \(PROTEA_API_SUBGRAPH_MAX_NODES\)/);
  t.match(refused.hint, /PROTEA_API_SUBGRAPH_MAX_NODES/);
  t.equal(json(await get(capped, `/ontology-snapshots/${s.snapshotId}/subgraph?go_ids=GO:0006915`)).nodes.length, 3);
});

t.test('the read routes are in /openapi.json with their parameters and response schemas', async (t) => {
  const { app } = ctx(t);
  const doc = json(await get(app, '/openapi.json'));
  for (const path of ['/prediction-sets', '/prediction-sets/{id}', '/prediction-sets/{id}/predictions', '/proteins', '/proteins/{accession}', '/proteins/{accession}/predictions', '/embedding-configs', '/annotation-sets', '/ontology-snapshots', '/ontology-snapshots/{id}/subgraph', '/query-sets', '/query-sets/{id}']) {
    t.ok(doc.paths[path]?.get, `${path} documented`);
    t.ok(doc.paths[path]?.get?.responses?.['200'], `${path} has a 200 response schema`);
  }
  const predictions = doc.paths['/prediction-sets/{id}/predictions'].get;
  t.same(Object.keys(predictions.responses['200'].content).sort(), ['application/json', 'application/vnd.apache.arrow.stream', 'text/tab-separated-values']);
  t.same(predictions.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => p.name).sort(), ['after', 'aspect', 'features', 'format', 'go_id', 'limit', 'min_score', 'protein', 'top']);
});

t.test('over real HTTP: JSON pages, and 20,000 rows streamed as TSV and Arrow', async (t) => {
  const { s, url, bigSetId } = ctx(t);
  // one connection: a stream that kept it after its client left would hang every later request
  const db = await createQueryPool(url, { maximumPoolSize: 1 });
  const app = await buildApi({ db, logger: pino({ level: process.env.API_TEST_LOG ?? 'silent' }) });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;

  const list = await fetch(`${base}/prediction-sets?limit=2`);
  t.equal(list.status, 200);
  const page1 = (await list.json()) as Json;
  t.same(page1.prediction_sets.map((p: Json) => p.id), [bigSetId, s.importedSetId]);
  const page2 = (await (await fetch(`${base}/prediction-sets?limit=2&after=${page1.next}`)).json()) as Json;
  t.same(page2.prediction_sets.map((p: Json) => p.id), [s.knnSetId]);
  const bad = await fetch(`${base}/prediction-sets/${bigSetId}/predictions?min_score=2`);
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: 'Bad Request', code: 'PROTEA_ERR_USAGE', parameter: 'min_score' });

  const tsv = await fetch(`${base}/prediction-sets/${bigSetId}/predictions`, { headers: { accept: 'text/tab-separated-values' } });
  t.equal(tsv.status, 200);
  t.match(tsv.headers.get('content-type'), /^text\/tab-separated-values/);
  const lines = (await tsv.text()).split('\n').filter((l) => l !== '');
  t.equal(lines.length, BIG_PROTEINS * BIG_TERMS.length, 'every (protein, term)');
  const sortedTerms = [...BIG_TERMS].map((go, j) => [go, j] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const expectedFirst = sortedTerms.map(([go, j]) => `${bigProtein(0)}\t${go}\t${bigScore(0, j).toFixed(2)}`);
  t.same(lines.slice(0, 4), expectedFirst);
  t.equal(lines.at(-1), `${bigProtein(BIG_PROTEINS - 1)}\t${sortedTerms.at(-1)![0]}\t${bigScore(BIG_PROTEINS - 1, sortedTerms.at(-1)![1]).toFixed(2)}`);

  const arrow = await fetch(`${base}/prediction-sets/${bigSetId}/predictions?format=arrow`);
  t.equal(arrow.status, 200);
  const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
  t.equal(table.numRows, BIG_PROTEINS * BIG_TERMS.length);
  t.ok(table.batches.length >= 3, `${table.batches.length} record batches: written batch by batch`);
  t.equal(table.getChild('protein')!.get(table.numRows - 1), bigProtein(BIG_PROTEINS - 1));

  const top = (await (await fetch(`${base}/prediction-sets/${bigSetId}/predictions?top=1&protein=${bigProtein(3)}`)).json()) as Json;
  const best = BIG_TERMS.map((go, j) => [go, bigScore(3, j)] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
  t.same(top.predictions.map((r: Json) => [r.go_id, r.score, r.rank]), [[best[0], best[1], 1]]);

  // a client that goes away mid-stream (it closes its socket after the first chunk): the server keeps serving
  await new Promise<void>((resolve, reject) => {
    const req = http.get(`${base}/prediction-sets/${bigSetId}/predictions?format=tsv`, { agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
  });
  const after = await fetch(`${base}/prediction-sets/${s.knnSetId}`);
  t.equal(after.status, 200, 'answers after a client dropped a stream: its database connection was given back');
  await after.arrayBuffer();
});

t.test('the filters are index-friendly: GET /proteins?q= uses the prefix indexes, a protein\'s predictions the protein index', async (t) => {
  const { db } = ctx(t);
  const plan = (fragment: ReturnType<typeof proteinsPageSql>) =>
    db.transaction(async (tx) => {
      // the tables are tiny: forbid sequential scans to see which index the planner can use
      await tx.query(sql.unsafe`SET LOCAL enable_seqscan = off`);
      const rows = await tx.any(sql.unsafe`EXPLAIN (FORMAT TEXT) ${fragment}`);
      return rows.map((r) => String(Object.values(r)[0])).join('\n');
    });
  const q = await plan(proteinsPageSql({ q: 'hba' }, { limit: 21 }));
  for (const index of ['protein_accession_pattern_idx', 'protein_entry_name_pattern_idx', 'protein_gene_name_pattern_idx']) t.match(q, index, `q= uses ${index}`);
  const byProtein = await plan(predictionRowsPageSql({ protein: 'P69905' }, 'set', { limit: 21 }));
  t.match(byProtein, 'go_prediction_protein_accession_idx', "a protein's predictions across sets use the protein index");
});

t.test('a streamed format whose query fails before its first row answers the error body (here: the statement timeout, 503)', async (t) => {
  const { s, url } = ctx(t);
  const slowDb = await createQueryPool(url, { maximumPoolSize: 2, statementTimeoutMs: 500 });
  const app = await buildApi({ db: slowDb, logger: pino({ level: process.env.API_TEST_LOG ?? 'silent' }) });
  t.teardown(async () => {
    await app.close();
    await slowDb.end();
  });
  // another session holds go_prediction: the set is found, its rows' query waits past the timeout
  const locker = createCopyPool(url, 1);
  t.teardown(() => locker.end());
  const client = await locker.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE go_prediction IN ACCESS EXCLUSIVE MODE');
    for (const format of ['tsv', 'arrow']) {
      const res = await get(app, `/prediction-sets/${s.knnSetId}/predictions?format=${format}`);
      t.equal(res.statusCode, 503, format);
      t.match(res.headers['content-type'], /^application\/json/);
      t.match(json(res), { error: 'Service Unavailable', code: 'PROTEA_ERR_QUERY_TIMEOUT' });
    }
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
  const after = await get(app, `/prediction-sets/${s.knnSetId}/predictions?format=tsv&protein=QS_0001`);
  t.equal(after.body, 'QS_0001\tGO:0006915\t0.95\n', 'the lock released, the same request streams');
});
