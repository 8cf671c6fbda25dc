// The HTTP API's evaluation routes on a fresh migrated database: an evaluation
// set with ground truth and three results (an imported prediction set evaluated
// with information accretion, another without, and the naive baseline) seeded
// by SQL, read back through fastify.inject.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { buildApi } from '../../api/server.js';
import type { Category, CurveRow, EvaluationResultDocument, StoredNamespaceResult } from '../../evaluation/types.js';
import { createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { freshDatabase } from '../helpers/fresh-database.js';

const BP = 'biological_process';
const MF = 'molecular_function';

const TERMS: Array<[string, string]> = [
  ['GO:0008150', BP], ['GO:0009987', BP], ['GO:0006412', BP], ['GO:0006915', BP],
  ['GO:0003674', MF], ['GO:0005488', MF], ['GO:0003824', MF],
];

/** The ground truth: [category, namespace, protein, term]. */
const TARGETS: Array<[Category, string, string, string]> = [
  ['NK', BP, 'P10001', 'GO:0006412'], ['NK', BP, 'P10001', 'GO:0009987'], ['NK', BP, 'P10002', 'GO:0006915'],
  ['NK', MF, 'P10003', 'GO:0005488'], ['NK', MF, 'P10001', 'GO:0003824'],
  ['LK', BP, 'Q20001', 'GO:0006915'], ['LK', MF, 'Q20002', 'GO:0003824'],
  ['PK', BP, 'A30001', 'GO:0006412'],
];

/**
 * A curve in the shape the evaluator stores: thresholds 0, 0.1, ... 1; precision
 * rising and recall falling with tau at rates set by `shape`; no protein has a
 * prediction above `lastTau` (n = 0 there). With `weighted`, the _w columns too.
 */
function curve(shape: number, lastTau: number, weighted: boolean): CurveRow[] {
  const rows: CurveRow[] = [];
  for (let i = 0; i <= 10; i++) {
    const tau = i / 10;
    const n = tau <= lastTau ? 10 - i : 0;
    const pr = n === 0 ? 0 : Math.round((0.2 + 0.7 * tau ** shape) * 1e4) / 1e4;
    const rc = n === 0 ? 0 : Math.round((0.95 - 0.9 * tau) * 1e4) / 1e4;
    const f = pr + rc === 0 ? 0 : (2 * pr * rc) / (pr + rc);
    const row: CurveRow = { tau, n, tp: 3 * n, fp: 10 - n, fn: i, pr, rc, cov: n / 10, mi: 1 + tau, ru: 2 - tau, f, s: Math.hypot(1 + tau, 2 - tau), pr_micro: pr, rc_micro: rc, f_micro: f };
    if (weighted) Object.assign(row, { n_w: n, tp_w: 2 * n, fp_w: 1, fn_w: i, pr_w: pr * 0.9, rc_w: rc * 0.8, cov_w: n / 10, mi_w: 3, ru_w: 4, f_w: f * 0.85, s_w: 5 - tau, pr_micro_w: pr, rc_micro_w: rc, f_micro_w: f });
    rows.push(row);
  }
  return rows;
}

function nsResult(c: CurveRow[], weighted: boolean, gt: number): StoredNamespaceResult {
  const withN = c.filter((r) => r.n > 0);
  const maxBy = (k: keyof CurveRow) => withN.reduce<CurveRow | null>((b, r) => (b === null || (r[k] as number) > (b[k] as number) ? r : b), null);
  const minBy = (k: keyof CurveRow) => withN.reduce<CurveRow | null>((b, r) => (b === null || (r[k] as number) < (b[k] as number) ? r : b), null);
  const out: StoredNamespaceResult = { groundTruthTargets: gt, predictedTargets: gt - 1, curve: c, bestF: maxBy('f'), bestS: minBy('s') };
  if (weighted) Object.assign(out, { bestFW: maxBy('f_w'), bestSW: minBy('s_w') });
  return out;
}

function doc(method: string, baseline: string | null, shape: number, weighted: boolean): EvaluationResultDocument {
  return {
    method,
    baseline,
    options: { prop: 'max', norm: 'cafa', thStep: 0.1, noRoots: false, ia: weighted ? 'ia.tsv' : null },
    categories: {
      NK: { [BP]: nsResult(curve(shape, 0.8, weighted), weighted, 2), [MF]: nsResult(curve(shape + 0.5, 0.6, weighted), weighted, 2) },
      LK: { [BP]: nsResult(curve(shape, 0.5, weighted), weighted, 1), [MF]: nsResult(curve(shape, 0.9, weighted), weighted, 1) },
      PK: { [BP]: nsResult(curve(shape, 0.3, weighted), weighted, 1) },
    },
  };
}

const STATS = {
  version: 1,
  evidenceCodes: ['EXP', 'IDA'],
  deltaProteins: 6,
  categories: {
    NK: { proteins: 3, annotations: 5, namespaces: { [BP]: { proteins: 2, annotations: 3 }, [MF]: { proteins: 2, annotations: 2 } } },
    LK: { proteins: 2, annotations: 2, namespaces: { [BP]: { proteins: 1, annotations: 1 }, [MF]: { proteins: 1, annotations: 1 } } },
    PK: { proteins: 1, annotations: 1, namespaces: { [BP]: { proteins: 1, annotations: 1 } } },
  },
  known: { proteins: 1, annotations: 1, namespaces: { [BP]: { proteins: 1, annotations: 1 } } },
  impliedOnly: 0,
};

interface Seeded {
  setId: string;
  emptySetId: string;
  results: Array<{ id: string; predictionSetId: string; doc: EvaluationResultDocument; kind: string }>;
}

async function seed(db: DatabasePool): Promise<Seeded> {
  const snapshot = await db.oneFirst(sql.unsafe`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('file:go.obo', 'releases/2012-01-01') RETURNING id`) as string;
  const termIds = new Map<string, number>();
  for (const [go, ns] of TERMS) {
    termIds.set(go, await db.oneFirst(sql.unsafe`
      INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES (${snapshot}, ${go}, ${`term ${go}`}, ${ns}, ${ns === BP ? 'P' : 'F'}) RETURNING id`) as number);
  }
  const oldSet = await db.oneFirst(sql.unsafe`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', '2011-01', ${snapshot}) RETURNING id`) as string;
  const newSet = await db.oneFirst(sql.unsafe`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', '2012-01', ${snapshot}) RETURNING id`) as string;
  const setId = await db.oneFirst(sql.unsafe`
    INSERT INTO evaluation_set (old_annotation_set_id, new_annotation_set_id, ontology_snapshot_id, stats, created_at)
    VALUES (${oldSet}, ${newSet}, ${snapshot}, ${sql.jsonb(STATS)}, '2026-02-01T00:00:00Z') RETURNING id`) as string;
  // a second, later set that has no results yet
  const emptySetId = await db.oneFirst(sql.unsafe`
    INSERT INTO evaluation_set (old_annotation_set_id, new_annotation_set_id, ontology_snapshot_id, stats, created_at)
    VALUES (${newSet}, ${oldSet}, ${snapshot}, ${sql.jsonb({ version: 1, categories: {} })}, '2026-03-01T00:00:00Z') RETURNING id`) as string;
  for (const [category, ns, protein, go] of TARGETS) {
    await db.query(sql.unsafe`
      INSERT INTO evaluation_target (evaluation_set_id, category, namespace, protein_accession, go_term_id)
      VALUES (${setId}, ${category}, ${ns}, ${protein}, ${termIds.get(go)!})`);
  }
  const specs: Array<{ name: string; kind: string; doc: EvaluationResultDocument; created: string }> = [
    { name: 'deepgo <v2> & "co"', kind: 'imported', doc: doc('deepgo <v2> & "co"', null, 1, true), created: '2026-02-02T00:00:00Z' },
    { name: 'blast-like', kind: 'imported', doc: doc('blast-like', null, 2, false), created: '2026-02-03T00:00:00Z' },
    { name: 'naive', kind: 'baseline', doc: doc('naive', 'naive', 4, false), created: '2026-02-04T00:00:00Z' },
  ];
  const results: Seeded['results'] = [];
  for (const s of specs) {
    const predictionSetId = await db.oneFirst(sql.unsafe`
      INSERT INTO prediction_set (kind, name, ontology_snapshot_id) VALUES (${s.kind}, ${s.name}, ${snapshot}) RETURNING id`) as string;
    const id = await db.oneFirst(sql.unsafe`
      INSERT INTO evaluation_result (evaluation_set_id, prediction_set_id, results, created_at)
      VALUES (${setId}, ${predictionSetId}, ${sql.jsonb(s.doc as never)}, ${s.created}) RETURNING id`) as string;
    results.push({ id, predictionSetId, doc: s.doc, kind: s.kind });
  }
  return { setId, emptySetId, results };
}

let shared: { app: FastifyInstance; seeded: Seeded } | undefined;
// One database and API for the whole file (the routes only read): seeded once.
t.before(async () => {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 2 });
  const app = await buildApi({ db, logger: pino({ level: 'silent' }) });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  shared = { app, seeded: await seed(db) };
});
const api = async (_t: Test) => shared!;

const json = (res: { body: string }) => JSON.parse(res.body) as { [k: string]: any };

/** Parses TSV into rows of cells. */
const tsv = (body: string) => body.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));

t.test('GET /evaluation-sets lists the sets newest first with their stats; GET /evaluation-sets/:id returns one', async (t) => {
  const { app, seeded } = await api(t);
  const list = await app.inject({ method: 'GET', url: '/evaluation-sets' });
  t.equal(list.statusCode, 200);
  t.match(list.headers['content-type'], /^application\/json/);
  t.same(json(list).evaluation_sets.map((s: { id: string }) => s.id), [seeded.emptySetId, seeded.setId]);
  t.same(json(await app.inject({ method: 'GET', url: '/evaluation-sets?limit=1' })).evaluation_sets.map((s: { id: string }) => s.id), [seeded.emptySetId]);

  const one = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}` });
  t.equal(one.statusCode, 200);
  const set = json(one);
  t.equal(set.id, seeded.setId);
  t.same(set.stats, STATS, 'the stats as stored');
  t.equal(set.obo_version, 'releases/2012-01-01');
  t.equal(set.old_source_version, '2011-01');
  t.equal(set.new_source_version, '2012-01');
  t.equal(set.created_at, '2026-02-01T00:00:00.000Z');

  const unknown = randomUUID();
  const missing = await app.inject({ method: 'GET', url: `/evaluation-sets/${unknown}` });
  t.equal(missing.statusCode, 404);
  t.match(json(missing), { code: 'PROTEA_ERR_NOT_FOUND', message: `no evaluation set has the id ${unknown}`, parameter: 'id' });
  t.match(json(missing).hint, /GET \/evaluation-sets/);
  const bad = await app.inject({ method: 'GET', url: '/evaluation-sets/1234' });
  t.equal(bad.statusCode, 400);
  t.match(json(bad), { code: 'PROTEA_ERR_USAGE', parameter: 'id' });
  const badLimit = await app.inject({ method: 'GET', url: '/evaluation-sets?limit=zero' });
  t.equal(badLimit.statusCode, 400);
  t.equal(json(badLimit).parameter, 'limit');
});

t.test('GET /evaluation-sets/:id/ground-truth is the target<TAB>term TSV, filtered by category and namespace', async (t) => {
  const { app, seeded } = await api(t);
  const expected = (c?: string, ns?: string) =>
    TARGETS.filter(([cc, nn]) => (c === undefined || cc === c) && (ns === undefined || nn === ns))
      .sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]) || a[3].localeCompare(b[3]))
      .map(([, , p, go]) => [p, go]);
  const all = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/ground-truth` });
  t.equal(all.statusCode, 200);
  t.match(all.headers['content-type'], /^text\/tab-separated-values/);
  t.same(tsv(all.body), expected(), 'every target row, no header');
  t.equal(all.headers['x-protea-rows'], String(TARGETS.length));
  const nkBp = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/ground-truth?category=NK&namespace=${BP}` });
  t.same(tsv(nkBp.body), expected('NK', BP));
  t.same(tsv(nkBp.body), [['P10001', 'GO:0006412'], ['P10001', 'GO:0009987'], ['P10002', 'GO:0006915']]);
  const lk = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/ground-truth?category=LK` });
  t.same(tsv(lk.body), expected('LK'));
  const pkMf = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/ground-truth?category=PK&namespace=${MF}` });
  t.equal(pkMf.statusCode, 200, 'a category without targets in a namespace the set has is empty, not an error');
  t.equal(pkMf.body, '');

  const badCategory = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/ground-truth?category=XK` });
  t.equal(badCategory.statusCode, 400);
  t.match(json(badCategory), { code: 'PROTEA_ERR_USAGE', parameter: 'category', message: /query parameter "category" = "XK"/ });
  t.match(json(badCategory).hint, /NK .*LK .*PK/);
  const typo = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/ground-truth?namespace=biological_proces` });
  t.equal(typo.statusCode, 400);
  t.match(json(typo), { parameter: 'namespace', message: /no targets in namespace "biological_proces"/ });
  t.match(json(typo).hint, `${BP}, ${MF}`);
  const missing = await app.inject({ method: 'GET', url: `/evaluation-sets/${randomUUID()}/ground-truth` });
  t.equal(missing.statusCode, 404);
});

t.test('GET /evaluation-sets/:id/results lists every result of the set, baselines included, with Fmax per namespace', async (t) => {
  const { app, seeded } = await api(t);
  const res = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/results` });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = json(res);
  t.equal(body.evaluation_set_id, seeded.setId);
  const newestFirst = [...seeded.results].reverse();
  t.same(body.results.map((r: { id: string }) => r.id), newestFirst.map((r) => r.id));
  for (const [i, r] of body.results.entries() as IterableIterator<[number, any]>) {
    const want = newestFirst[i]!;
    t.equal(r.method, want.doc.method);
    t.equal(r.baseline, want.doc.baseline);
    t.equal(r.prediction_set_id, want.predictionSetId);
    t.equal(r.prediction_set_kind, want.kind);
    t.same(r.options, want.doc.options);
    t.equal(r.summary.length, 5, `${want.doc.method}: NK and LK in two namespaces, PK in one`);
    for (const s of r.summary) {
      const ns = want.doc.categories[s.category as Category]![s.namespace]!;
      t.equal(s.fmax, ns.bestF!.f, `${want.doc.method} ${s.category} ${s.namespace} Fmax`);
      t.equal(s.tau, ns.bestF!.tau);
      t.equal(s.coverage, ns.bestF!.cov);
      t.equal(s.smin, ns.bestS!.s);
      t.equal(s.ground_truth_targets, ns.groundTruthTargets);
      if (want.doc.options.ia) t.equal(s.fmax_w, ns.bestFW!.f_w);
      else t.notOk('fmax_w' in s, 'no weighted Fmax without IA');
    }
  }
  t.same(json(await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.emptySetId}/results` })).results, [], 'a set without results');
  t.equal((await app.inject({ method: 'GET', url: `/evaluation-sets/${randomUUID()}/results` })).statusCode, 404);
});

t.test('GET /evaluation-results/:id returns the stored document with its ids', async (t) => {
  const { app, seeded } = await api(t);
  const r = seeded.results[0]!;
  const res = await app.inject({ method: 'GET', url: `/evaluation-results/${r.id}` });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = json(res);
  t.equal(body.id, r.id);
  t.equal(body.evaluation_set_id, seeded.setId);
  t.equal(body.prediction_set_id, r.predictionSetId);
  t.equal(body.prediction_set_name, r.doc.method);
  t.same(body.results, r.doc, 'the document exactly as stored, curves included');
  t.equal(body.created_at, '2026-02-02T00:00:00.000Z');
  const unknown = randomUUID();
  const missing = await app.inject({ method: 'GET', url: `/evaluation-results/${unknown}` });
  t.equal(missing.statusCode, 404);
  t.match(json(missing), { code: 'PROTEA_ERR_NOT_FOUND', message: `no evaluation result has the id ${unknown}` });
  const bad = await app.inject({ method: 'GET', url: '/evaluation-results/zz' });
  t.equal(bad.statusCode, 400);
  t.equal(json(bad).parameter, 'id');
  const badFormat = await app.inject({ method: 'GET', url: `/evaluation-results/${r.id}?format=xml` });
  t.equal(badFormat.statusCode, 400);
  t.match(json(badFormat), { parameter: 'format', hint: /json .*tsv/ });
});

t.test('the best rows as TSV: ?format=tsv and .tsv agree, in the columns of `protea evaluate files`, with the stored values', async (t) => {
  const { app, seeded } = await api(t);
  const bests = { f: 'bestF', s: 'bestS', f_w: 'bestFW', s_w: 'bestSW' } as const;
  for (const r of seeded.results) {
    const weighted = r.doc.options.ia !== null;
    for (const best of Object.keys(bests) as Array<keyof typeof bests>) {
      const query = best === 'f' ? '' : `?best=${best}`; // best F is the default
      const viaSuffix = await app.inject({ method: 'GET', url: `/evaluation-results/${r.id}.tsv${query}` });
      const viaFormat = await app.inject({ method: 'GET', url: `/evaluation-results/${r.id}?format=tsv${best === 'f' ? '' : `&best=${best}`}` });
      if (best.endsWith('_w') && !weighted) {
        t.equal(viaSuffix.statusCode, 400, `${r.doc.method} best=${best} without IA`);
        t.match(json(viaSuffix), { parameter: 'best', message: /evaluated without information accretion/ });
        t.equal(viaFormat.statusCode, 400);
        continue;
      }
      t.equal(viaSuffix.statusCode, 200);
      t.equal(viaFormat.statusCode, 200);
      t.match(viaSuffix.headers['content-type'], /^text\/tab-separated-values/);
      t.equal(viaFormat.body, viaSuffix.body, 'both spellings give the same TSV');
      const [header, ...rows] = tsv(viaSuffix.body);
      t.same(header!.slice(0, 18), ['category', 'method', 'ns', 'tau', 'n', 'tp', 'fp', 'fn', 'pr', 'rc', 'cov', 'mi', 'ru', 'f', 's', 'pr_micro', 'rc_micro', 'f_micro']);
      t.equal(header!.includes('f_w'), weighted, `${r.doc.method}: weighted columns only with IA`);
      t.equal(rows.length, 5, 'one row per category and namespace');
      for (const cells of rows) {
        const rec = Object.fromEntries(header!.map((h, i) => [h, cells[i]]));
        t.equal(rec.method, r.doc.method);
        const stored = r.doc.categories[rec.category as Category]![rec.ns!]![bests[best]]!;
        for (const col of header!.slice(3)) t.equal(Number(rec[col]), stored[col as keyof CurveRow], `${rec.category} ${rec.ns} best ${best} ${col}`);
      }
    }
  }
  t.equal((await app.inject({ method: 'GET', url: `/evaluation-results/${randomUUID()}.tsv` })).statusCode, 404);
  const bad = await app.inject({ method: 'GET', url: '/evaluation-results/nope.tsv' });
  t.equal(bad.statusCode, 400);
  t.equal(json(bad).parameter, 'id');
  const badBest = await app.inject({ method: 'GET', url: `/evaluation-results/${seeded.results[0]!.id}.tsv?best=max` });
  t.equal(badBest.statusCode, 400);
  t.match(json(badBest), { parameter: 'best', hint: /f \(maximum F, default\)/ });
});

/** The series groups of an SVG: their labels (XML-decoded) and number of points. */
function seriesOf(svg: string): Array<{ label: string; points: number }> {
  const out: Array<{ label: string; points: number }> = [];
  for (const m of svg.matchAll(/<g class="series" data-label="([^"]*)" data-points="(\d+)">/g)) {
    out.push({ label: m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'), points: Number(m[2]) });
  }
  return out;
}

t.test('GET /evaluation-sets/:id/plot.svg draws every method of the set, best F first', async (t) => {
  const { app, seeded } = await api(t);
  const res = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/plot.svg?category=NK&namespace=${BP}` });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^image\/svg\+xml/);
  t.match(res.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.notMatch(res.body, /<v2>/, 'the method name is escaped');
  t.match(res.body, '<title>NK biological_process: goa 2012-01 vs goa 2011-01</title>', 'titled by category, namespace and the two annotation sets');
  const series = seriesOf(res.body);
  const fmax = (r: Seeded['results'][number]) => r.doc.categories.NK![BP]!.bestF!.f;
  const expected = [...seeded.results].sort((a, b) => fmax(b) - fmax(a)).map((r) => (r.doc.baseline ? `${r.doc.method} (baseline)` : r.doc.method));
  t.same(series.map((s) => s.label), expected, 'one series per result, ordered by Fmax');
  // NK biological_process has predictions up to tau 0.8: 9 plotted thresholds each
  t.same(series.map((s) => s.points), [9, 9, 9]);
  t.equal(res.body.match(/class="pr-curve"/g)?.length, 3);

  const weighted = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/plot.svg?category=NK&namespace=${BP}&weighted=true` });
  t.equal(weighted.statusCode, 200);
  t.same(seriesOf(weighted.body).map((s) => s.label), ['deepgo <v2> & "co"'], 'only the result evaluated with IA has weighted curves');
  t.match(weighted.body, /Weighted recall/);

  const cases: Array<[string, number, string, RegExp]> = [
    [`?namespace=${BP}`, 400, 'category', /missing query parameter "category"/],
    [`?category=NK`, 400, 'namespace', /missing query parameter "namespace"/],
    [`?category=nk&namespace=${BP}`, 400, 'category', /"category" = "nk"/],
    [`?category=NK&namespace=${BP}&weighted=maybe`, 400, 'weighted', /"weighted" = "maybe" must be boolean/],
    [`?category=PK&namespace=${MF}`, 404, 'namespace', /has no results for category PK in namespace molecular_function/],
  ];
  for (const [query, status, parameter, message] of cases) {
    const r = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/plot.svg${query}` });
    t.equal(r.statusCode, status, query);
    t.match(r.headers['content-type'], /^application\/json/, query);
    t.match(json(r), { parameter, message }, query);
  }
  const pairs = json(await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.setId}/plot.svg?category=PK&namespace=${MF}` })).hint;
  t.match(pairs, `NK ${BP}, NK ${MF}, LK ${BP}, LK ${MF}, PK ${BP}`, 'the 404 lists what can be plotted');
  const noResults = await app.inject({ method: 'GET', url: `/evaluation-sets/${seeded.emptySetId}/plot.svg?category=NK&namespace=${BP}` });
  t.equal(noResults.statusCode, 404);
  t.match(json(noResults).message, /has no results to plot yet/);
});

t.test('GET /evaluation-results/:id/plot.svg draws one result', async (t) => {
  const { app, seeded } = await api(t);
  const naive = seeded.results[2]!;
  const res = await app.inject({ method: 'GET', url: `/evaluation-results/${naive.id}/plot.svg?category=LK&namespace=${MF}` });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^image\/svg\+xml/);
  t.same(seriesOf(res.body), [{ label: 'naive (baseline)', points: 10 }], 'LK molecular_function: predictions up to tau 0.9');
  t.match(res.body, new RegExp(`naive \\(baseline\\) \\(${naive.doc.categories.LK![MF]!.bestF!.f.toFixed(3)}\\)`), 'the legend gives its Fmax');
  const noWeights = await app.inject({ method: 'GET', url: `/evaluation-results/${naive.id}/plot.svg?category=LK&namespace=${MF}&weighted=true` });
  t.equal(noWeights.statusCode, 400);
  t.match(json(noWeights), { parameter: 'weighted', message: /evaluated without information accretion/ });
  const missing = await app.inject({ method: 'GET', url: `/evaluation-results/${randomUUID()}/plot.svg?category=NK&namespace=${BP}` });
  t.equal(missing.statusCode, 404);
  const extra = await app.inject({ method: 'GET', url: `/evaluation-results/${naive.id}/plot.svg?category=NK&namespace=${BP}&colour=red` });
  t.equal(extra.statusCode, 400);
  t.match(json(extra), { parameter: 'colour', message: /unknown query parameter "colour"/ });
});
