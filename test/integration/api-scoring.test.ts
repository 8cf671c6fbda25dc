// The HTTP API's view of the feature enricher and the scoring configs, on a
// fresh migrated database holding the read routes' data set
// (test/helpers/prediction-data.ts) with a few feature columns set by UPDATE,
// a created scoring config and a scored set made from the KNN set:
// ?features=true on both prediction routes, GET /scoring-configs and
// /scoring-configs/:name, and the scored set's origin on the prediction sets.
import { randomUUID } from 'node:crypto';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { buildApi } from '../../api/server.js';
import { createCopyPool, createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { FEATURE_COLUMNS } from '../../lib/queries/prediction-export.js';
import { createScoringConfig, scorePredictionSet } from '../../lib/queries/scoring-configs.js';
import { PRESETS } from '../../lib/scoring.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { seedReadData, type SeededReads } from '../helpers/prediction-data.js';

interface Shared {
  app: FastifyInstance;
  db: DatabasePool;
  s: SeededReads;
  configId: string;
  scoredSetId: string;
}
let shared: Shared | undefined;

/** The feature values the seed's KNN row (P69905, GO:0005515, R1) gets; every other row keeps nulls. */
const SET_FEATURES = {
  identity_nw: 0.875,
  alignment_length_nw: 142,
  length_query: 142,
  length_ref: 141,
  query_taxonomy_id: 9606,
  taxonomic_distance: 0,
  taxonomic_relation: 'same',
  vote_count: 2,
  k_position: 1,
  go_term_frequency: 0.6666666666666666,
  neighbor_vote_fraction: 0.5,
} as const;
const NO_FEATURES = Object.fromEntries(FEATURE_COLUMNS.map(([c]) => [c, null]));
const ROW_FEATURES = { ...NO_FEATURES, ...SET_FEATURES };

t.before(async () => {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 4 });
  const copy = createCopyPool(url, 2);
  const app = await buildApi({ db, logger: pino({ level: process.env.API_TEST_LOG ?? 'silent' }) });
  t.teardown(async () => {
    await app.close();
    await db.end();
    await copy.end();
  });
  const s = await seedReadData(db, copy);
  const assignments = sql.join(
    Object.entries(SET_FEATURES).map(([c, v]) => sql.fragment`${sql.identifier([c])} = ${v}`),
    sql.fragment`, `,
  );
  const updated = await db.query(sql.unsafe`
    UPDATE go_prediction SET ${assignments}
     WHERE prediction_set_id = ${s.knnSetId} AND protein_accession = 'P69905' AND go_term_id = ${s.termIds.get('GO:0005515')!} AND ref_protein_accession = 'R1'`);
  if (updated.rowCount !== 1) throw new Error(`expected one row to update, got ${updated.rowCount}`);
  const { config } = await createScoringConfig(db, {
    name: 'identity-heavy', formula: 'linear', weights: { embedding_similarity: 0.5, identity_nw: 1 }, evidenceWeights: { IDA: 0.9 }, description: 'made by the test',
  });
  const scored = await scorePredictionSet(db, { set: s.knnSetId, scoring: config.id });
  shared = { app, db, s, configId: config.id, scoredSetId: scored.id };
});
const ctx = (_t: Test) => shared!;

type Json = { [k: string]: any };
const json = (res: { body: string }) => JSON.parse(res.body) as Json;
const get = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url });

async function expectError(t: Test, app: FastifyInstance, url: string, status: number, code: string, parameter: string) {
  const res = await get(app, url);
  t.equal(res.statusCode, status, `${url} answers ${status}`);
  const body = json(res);
  t.equal(body.code, `PROTEA_ERR_${code}`, `${url}: code`);
  t.equal(body.parameter, parameter, `${url}: parameter`);
  t.equal(body.error, status === 404 ? 'Not Found' : 'Bad Request');
  t.ok(String(body.hint).length > 0, `${url}: a hint`);
  return body;
}

const isR1Binding = (r: Json) => r.protein === 'P69905' && r.go_id === 'GO:0005515' && r.ref_protein === 'R1';

t.test('GET /prediction-sets/:id/predictions?features=true: every row carries every feature column, null ones included', async (t) => {
  const { app, s } = ctx(t);
  const base = `/prediction-sets/${s.knnSetId}/predictions?protein=P69905&limit=100`;
  const plain = json(await get(app, base)).predictions;
  t.equal(plain.length, 5);
  for (const r of plain) t.notOk('features' in r, `${r.go_id} ${r.ref_protein}: no features without the parameter`);
  t.same(json(await get(app, `${base}&features=false`)).predictions, plain, 'features=false: the plain rows');

  const rows = json(await get(app, `${base}&features=true`)).predictions;
  t.same(rows.map(({ features: _f, ...r }: Json) => r), plain, 'the same rows, plus features');
  for (const r of rows) {
    t.same(Object.keys(r.features).sort(), FEATURE_COLUMNS.map(([c]) => c).sort(), `${r.go_id} ${r.ref_protein}: every feature column`);
    t.same(r.features, isR1Binding(r) ? ROW_FEATURES : NO_FEATURES, `${r.go_id} ${r.ref_protein}: the stored values`);
  }
  t.equal(rows.filter(isR1Binding).length, 1);

  const top = json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?protein=P69905&top=2&features=true`)).predictions;
  t.same(top.map((r: Json) => [r.go_id, r.ref_protein, r.rank]), [['GO:0005515', 'R1', 1], ['GO:0006915', 'R1', 2]]);
  t.same(top[0].features, ROW_FEATURES, "top=N: the features of the term's chosen row");
  t.same(top[1].features, NO_FEATURES);
  for (const r of json(await get(app, `/prediction-sets/${s.knnSetId}/predictions?protein=P69905&top=2`)).predictions) t.notOk('features' in r);

  // pages with features follow the same cursor as without
  const paged: Json[] = [];
  let after: string | null = null;
  do {
    const body = json(await get(app, `${base.replace('limit=100', 'limit=2')}&features=true${after ? `&after=${after}` : ''}`));
    paged.push(...body.predictions);
    after = body.next;
  } while (after !== null);
  t.same(paged, rows);

  await expectError(t, app, `${base}&features=maybe`, 400, 'USAGE', 'features');
});

t.test('GET /proteins/:accession/predictions?features=true, and TSV and Arrow with it', async (t) => {
  const { app, s, scoredSetId } = ctx(t);
  const rows = json(await get(app, '/proteins/P69905/predictions?features=true&limit=100')).predictions;
  t.same([...new Set(rows.map((r: Json) => r.prediction_set_id))], [s.knnSetId, s.importedSetId, scoredSetId], 'by set, oldest first');
  for (const r of rows) t.same(r.features, isR1Binding(r) && r.prediction_set_id !== s.importedSetId ? ROW_FEATURES : NO_FEATURES, `${r.prediction_set_id} ${r.go_id} ${r.ref_protein}`);
  t.equal(rows.filter((r: Json) => r.features.identity_nw !== null).length, 2, 'the KNN row and its copy in the scored set');
  for (const r of json(await get(app, '/proteins/P69905/predictions?limit=100')).predictions) t.notOk('features' in r);
  const top = json(await get(app, `/proteins/P69905/predictions?top=1&features=true&prediction_set_id=${s.knnSetId}`)).predictions;
  t.same(top.map((r: Json) => [r.go_id, r.ref_protein, r.features]), [['GO:0005515', 'R1', ROW_FEATURES]]);

  const tsvUrl = `/prediction-sets/${s.knnSetId}/predictions?format=tsv`;
  const tsv = await get(app, `${tsvUrl}&features=true`);
  t.equal(tsv.statusCode, 200);
  t.equal(tsv.body, (await get(app, tsvUrl)).body, 'TSV (CAFA) ignores features');
  const arrow = tableFromIPC((await get(app, `/prediction-sets/${s.knnSetId}/predictions?format=arrow&protein=P69905&go_id=GO:0005515&features=true`)).rawPayload);
  t.same(Array.from({ length: arrow.numRows }, (_, i) => [arrow.getChild('ref_protein')!.get(i), arrow.getChild('identity_nw')!.get(i), arrow.getChild('taxonomic_relation')!.get(i)]), [['R1', 0.875, 'same'], ['R2', null, null]], 'Arrow has the feature columns anyway');
});

t.test('GET /scoring-configs: the presets and a created config, newest first, in keyset pages', async (t) => {
  const { app, configId } = ctx(t);
  const res = await get(app, '/scoring-configs');
  t.equal(res.statusCode, 200);
  const body = json(res);
  t.equal(body.next, null);
  const list: Json[] = body.scoring_configs;
  t.equal(list.length, 4);
  t.same(list[0], {
    id: configId, name: 'identity-heavy', formula: 'linear', weights: { embedding_similarity: 0.5, identity_nw: 1 }, evidence_weights: { IDA: 0.9 }, description: 'made by the test', created_at: list[0]!.created_at,
  }, 'the created config first, whole');
  t.match(list[0]!.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const presets = list.slice(1).map(({ id: _i, created_at: _c, ...p }) => p).sort((a, b) => (a.name < b.name ? -1 : 1));
  const expected = PRESETS.map((p) => ({ name: p.name, formula: p.formula, weights: p.weights, evidence_weights: null, description: p.description })).sort((a, b) => (a.name < b.name ? -1 : 1));
  t.same(presets, expected, 'the three presets of the migration, evidence_weights null (the defaults)');
  t.same(expected.map((p) => p.name), ['alignment-weighted', 'embedding', 'evidence-weighted']);

  const paged: Json[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page = json(await get(app, `/scoring-configs?limit=1${after ? `&after=${after}` : ''}`));
    paged.push(...page.scoring_configs);
    after = page.next;
    pages++;
  } while (after !== null && pages < 10);
  t.same(paged, list, 'one config a page, none skipped or repeated (the presets share one created_at)');
  t.equal(pages, 4);

  await expectError(t, app, '/scoring-configs?limit=0', 400, 'USAGE', 'limit');
  await expectError(t, app, '/scoring-configs?after=bm90LWEtY3Vyc29y', 400, 'USAGE', 'after');
  await expectError(t, app, '/scoring-configs?name=embedding', 400, 'USAGE', 'name');
});

t.test('GET /scoring-configs/:name by name or id; unknown 404, malformed 400, both with the error body', async (t) => {
  const { app, configId } = ctx(t);
  const byName = await get(app, '/scoring-configs/identity-heavy');
  t.equal(byName.statusCode, 200);
  const one = json(byName);
  t.same(one, {
    id: configId, name: 'identity-heavy', formula: 'linear', weights: { embedding_similarity: 0.5, identity_nw: 1 }, evidence_weights: { IDA: 0.9 }, description: 'made by the test', created_at: one.created_at,
  });
  t.same(json(await get(app, `/scoring-configs/${configId}`)), one, 'by id');
  t.same(json(await get(app, `/scoring-configs/${configId.toUpperCase()}`)), one, 'by upper-case id');
  const listed = json(await get(app, '/scoring-configs')).scoring_configs.find((c: Json) => c.id === configId);
  t.same(listed, one, 'the list and the detail agree');
  const preset = json(await get(app, '/scoring-configs/alignment-weighted'));
  t.match(preset, { name: 'alignment-weighted', formula: 'linear', weights: { embedding_similarity: 0.5, identity_nw: 0.3, identity_sw: 0.2 }, evidence_weights: null });
  t.equal(json(await get(app, '/scoring-configs/evidence-weighted')).formula, 'evidence_weighted');

  const missing = await expectError(t, app, '/scoring-configs/no-such-recipe', 404, 'NOT_FOUND', 'name');
  t.equal(missing.message, 'no scoring config has the name no-such-recipe');
  t.match(missing.hint, /GET \/scoring-configs/);
  const id = randomUUID();
  t.equal((await expectError(t, app, `/scoring-configs/${id}`, 404, 'NOT_FOUND', 'name')).message, `no scoring config has the id ${id}`);
  await expectError(t, app, '/scoring-configs/bad%20name', 400, 'USAGE', 'name');
  await expectError(t, app, '/scoring-configs/-dash-first', 400, 'USAGE', 'name');
  await expectError(t, app, `/scoring-configs/${'x'.repeat(65)}`, 400, 'USAGE', 'name');
});

t.test('prediction sets name the scoring config and source set of a scored set (null for the others)', async (t) => {
  const { app, s, configId, scoredSetId } = ctx(t);
  const detail = json(await get(app, `/prediction-sets/${scoredSetId}`));
  t.match(detail, { id: scoredSetId, kind: 'scored', scoring_config_id: configId, source_prediction_set_id: s.knnSetId });
  t.equal(detail.counts.rows, 8, 'every row of the source');
  const knn = json(await get(app, `/prediction-sets/${s.knnSetId}`));
  t.equal(knn.scoring_config_id, null);
  t.equal(knn.source_prediction_set_id, null);
  const list = json(await get(app, '/prediction-sets')).prediction_sets;
  t.same(list.map((p: Json) => [p.id, p.kind, p.scoring_config_id, p.source_prediction_set_id]), [
    [scoredSetId, 'scored', configId, s.knnSetId],
    [s.importedSetId, 'imported', null, null],
    [s.knnSetId, 'knn', null, null],
  ]);
  // the scored set keeps the source's features (the scorer copies every column but the score)
  const rows = json(await get(app, `/prediction-sets/${scoredSetId}/predictions?protein=P69905&go_id=GO:0005515&features=true`)).predictions;
  t.same(rows.map((r: Json) => [r.ref_protein, r.features]), [['R1', ROW_FEATURES], ['R2', NO_FEATURES]]);
  // identity-heavy: (0.5 * (1 - 0.1/2) + 1 * 0.875) / 1.5 for R1; R2 has no identity: its embedding similarity alone
  t.ok(Math.abs(rows[0].score - (0.5 * 0.95 + 0.875) / 1.5) < 1e-9, `R1 rescored: ${rows[0].score}`);
  t.ok(Math.abs(rows[1].score - 0.9) < 1e-9, `R2 rescored: ${rows[1].score}`);
});

t.test('/openapi.json documents the scoring-config routes, the features parameter and the features object', async (t) => {
  const { app } = ctx(t);
  const doc = json(await get(app, '/openapi.json'));
  for (const path of ['/scoring-configs', '/scoring-configs/{name}']) {
    t.same(doc.paths[path]?.get?.tags, ['reference data'], `${path} tagged reference data`);
    t.ok(doc.paths[path].get.responses['200'], `${path} has a 200 response schema`);
    t.match(doc.paths[path].get.summary, /read-only/);
  }
  t.same(doc.paths['/scoring-configs/{name}'].get.parameters.map((p: Json) => [p.in, p.name]), [['path', 'name']]);
  for (const path of ['/prediction-sets/{id}/predictions', '/proteins/{accession}/predictions']) {
    const op = doc.paths[path].get;
    t.match(op.parameters.find((p: Json) => p.name === 'features'), { in: 'query', schema: { type: 'boolean', default: false } }, `${path}: features`);
    const features = op.responses['200'].content['application/json'].schema.properties.predictions.items.properties.features;
    t.same(Object.keys(features.properties).sort(), FEATURE_COLUMNS.map(([c]) => c).sort(), `${path}: every feature column in the row schema`);
    // OpenAPI 3.0: a [type, 'null'] schema becomes the type with nullable: true
    t.match(features.properties.identity_nw, { type: 'number', nullable: true });
    t.match(features.properties.vote_count, { type: 'integer', nullable: true });
    t.match(features.properties.taxonomic_relation, { type: 'string', nullable: true });
  }
  const set = doc.paths['/prediction-sets/{id}'].get.responses['200'].content['application/json'].schema.properties;
  t.ok(set.scoring_config_id && set.source_prediction_set_id, 'the prediction set schema has the scored set origin');
});
