// Evaluation sets (ground truth and stats) and evaluation results (metrics,
// best rows as TSV, precision-recall plots as SVG).
import type { FastifyInstance } from 'fastify';
import { precisionRecallSvg, type PlotSeries } from '../../evaluation/plot.js';
import { isWeighted, resultsTsv, type BestKind } from '../../evaluation/report.js';
import type { Category, CurveRow } from '../../evaluation/types.js';
import type { DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { getEvaluationResult, getEvaluationResults, listEvaluationResults, type EvaluationResultRow } from '../../lib/queries/evaluation-results.js';
import { getEvaluationSet, groundTruthRows, listEvaluationSets, type EvaluationSetRow } from '../../lib/queries/evaluation-sets.js';
import { badParameter, notFound } from '../errors.js';
import { PARAMETERS, idParams, objectSchema } from '../params.js';
import { namespaceResults, summarise } from '../results-format.js';
import { SVG, TSV, iso } from './shared.js';

/** Every result of a set is listed; more than this many is not a realistic set. */
const MAX_RESULTS_PER_SET = 10_000;

const SET_HINT = 'List the evaluation sets with GET /evaluation-sets; `protea evaluate set` creates one.';
const RESULT_HINT = 'List the results of a set with GET /evaluation-sets/ID/results; `protea evaluate run` creates one.';

function setJson(s: EvaluationSetRow) {
  return { ...s, created_at: iso(s.created_at) };
}

function resultJson(r: EvaluationResultRow) {
  return { ...r, created_at: iso(r.created_at) };
}

async function requireSet(db: DatabasePool, rawId: string): Promise<EvaluationSetRow> {
  const id = rawId.toLowerCase();
  const set = await getEvaluationSet(db, id);
  if (!set) throw notFound('evaluation set', id, SET_HINT);
  return set;
}

async function requireResult(db: DatabasePool, rawId: string): Promise<EvaluationResultRow> {
  const id = rawId.toLowerCase();
  const result = await getEvaluationResult(db, id);
  if (!result) throw notFound('evaluation result', id, RESULT_HINT);
  return result;
}

/** The (category, namespace) pairs the results hold, e.g. "NK biological_process". */
function availablePairs(results: readonly EvaluationResultRow[]): string[] {
  const pairs = new Set<string>();
  for (const r of results) for (const { category, namespace } of namespaceResults(r.results)) pairs.add(`${category} ${namespace}`);
  return [...pairs];
}

/** The namespaces an evaluation set's stats know of (empty when the stats do not list any). */
function statsNamespaces(set: EvaluationSetRow): Set<string> {
  const out = new Set<string>();
  for (const c of Object.values(set.stats?.categories ?? {})) for (const ns of Object.keys(c?.namespaces ?? {})) out.add(ns);
  return out;
}

const label = (r: EvaluationResultRow): string => {
  const method = r.results.method ?? r.method ?? r.prediction_set_name ?? r.prediction_set_id;
  return r.results.baseline ? `${method} (baseline)` : method;
};

/** One plot series per result holding the category and namespace, best F first. */
function plotSeries(results: readonly EvaluationResultRow[], category: Category, namespace: string, weighted: boolean): PlotSeries[] {
  const series: Array<PlotSeries & { score: number }> = [];
  for (const r of results) {
    const ns = r.results.categories?.[category]?.[namespace];
    if (!ns) continue;
    // a result evaluated without information accretion has no weighted curve: not a method without predictions
    if (weighted && !(ns.curve ?? []).some((row) => row.pr_w !== undefined)) continue;
    const best: CurveRow | null = (weighted ? ns.bestFW : ns.bestF) ?? null;
    series.push({ label: label(r), curve: ns.curve ?? [], best, score: (weighted ? best?.f_w : best?.f) ?? -1 });
  }
  series.sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
  return series.map(({ score: _score, ...s }) => s);
}

function plotOrThrow(results: readonly EvaluationResultRow[], q: { category: Category; namespace: string; weighted: boolean }, title: string, what: string): string {
  const series = plotSeries(results, q.category, q.namespace, q.weighted);
  if (series.length === 0 && q.weighted && plotSeries(results, q.category, q.namespace, false).length > 0) {
    throw badParameter('weighted', `${what} has no weighted curves for ${q.category} ${q.namespace}: evaluated without information accretion`, 'Leave out weighted=true, or evaluate again with --ia FILE.');
  }
  if (series.length === 0) {
    const pairs = availablePairs(results);
    throw new ProteaError('NOT_FOUND', `${what} has no results for category ${q.category} in namespace ${q.namespace}`, {
      field: 'namespace',
      hint: pairs.length > 0 ? `It has: ${pairs.join(', ')}.` : 'None of its results holds any category: nothing was evaluated on targets.',
    });
  }
  return precisionRecallSvg({ title, series, weighted: q.weighted });
}

type Best = 'f' | 's' | 'f_w' | 's_w';
const BEST_FIELD: Record<Best, BestKind> = { f: 'bestF', s: 'bestS', f_w: 'bestFW', s_w: 'bestSW' };

/** The best rows of one result as TSV, in the columns `protea evaluate run` writes. */
function bestRows(result: EvaluationResultRow, best: Best): string {
  if (best.endsWith('_w') && !isWeighted(result.results)) {
    throw badParameter('best', `evaluation result ${result.id} has no weighted rows (best=${best}): it was evaluated without information accretion`, 'Use best=f or best=s, or evaluate again with --ia FILE.');
  }
  return resultsTsv([result.results], BEST_FIELD[best]);
}

export function registerEvaluationRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { limit: number } }>('/evaluation-sets', { schema: { querystring: objectSchema({ limit: PARAMETERS.limit }) } }, async (request) => {
    const sets = await listEvaluationSets(db, { limit: request.query.limit });
    return { evaluation_sets: sets.map(setJson) };
  });

  app.get<{ Params: { id: string } }>('/evaluation-sets/:id', { schema: { params: idParams } }, async (request) => {
    return setJson(await requireSet(db, request.params.id));
  });

  app.get<{ Params: { id: string }; Querystring: { category?: Category; namespace?: string } }>(
    '/evaluation-sets/:id/ground-truth',
    { schema: { params: idParams, querystring: objectSchema({ category: PARAMETERS.category, namespace: PARAMETERS.namespace }) } },
    async (request, reply) => {
      const set = await requireSet(db, request.params.id);
      const { category, namespace } = request.query;
      const known = statsNamespaces(set);
      if (namespace !== undefined && known.size > 0 && !known.has(namespace)) {
        throw badParameter('namespace', `evaluation set ${set.id} has no targets in namespace "${namespace}"`, `Its namespaces: ${[...known].sort().join(', ')}.`);
      }
      const rows = await groundTruthRows(db, set.id, { ...(category ? { category } : {}), ...(namespace ? { namespace } : {}) });
      // `target<TAB>term`, no header: the ground-truth format `protea evaluate files` and the reference tool read
      let body = '';
      for (const r of rows) body += `${r.protein_accession}\t${r.go_id}\n`;
      return reply.type(TSV).header('x-protea-rows', String(rows.length)).send(body);
    },
  );

  app.get<{ Params: { id: string } }>('/evaluation-sets/:id/results', { schema: { params: idParams } }, async (request) => {
    const set = await requireSet(db, request.params.id);
    const summaries = await listEvaluationResults(db, { evaluationSetId: set.id, limit: MAX_RESULTS_PER_SET });
    const full = new Map((await getEvaluationResults(db, summaries.map((s) => s.id))).map((r) => [r.id, r]));
    return {
      evaluation_set_id: set.id,
      results: summaries.map((s) => {
        const doc = full.get(s.id)?.results;
        return { ...s, created_at: iso(s.created_at), options: doc?.options ?? null, summary: doc ? summarise(doc) : [] };
      }),
    };
  });

  app.get<{ Params: { id: string }; Querystring: { category: Category; namespace: string; weighted: boolean } }>(
    '/evaluation-sets/:id/plot.svg',
    { schema: { params: idParams, querystring: objectSchema({ category: PARAMETERS.category, namespace: PARAMETERS.namespace, weighted: PARAMETERS.weighted }, ['category', 'namespace']) } },
    async (request, reply) => {
      const set = await requireSet(db, request.params.id);
      const summaries = await listEvaluationResults(db, { evaluationSetId: set.id, limit: MAX_RESULTS_PER_SET });
      if (summaries.length === 0) {
        throw new ProteaError('NOT_FOUND', `evaluation set ${set.id} has no results to plot yet`, { field: 'id', hint: 'Evaluate a prediction set on it with `protea evaluate run`.' });
      }
      const results = await getEvaluationResults(db, summaries.map((s) => s.id));
      const q = request.query;
      const named = (source: string, version: string | null) => (version ? `${source} ${version}` : source);
      const title = `${q.category} ${q.namespace}${q.weighted ? ' (weighted)' : ''}: ${named(set.new_source, set.new_source_version)} vs ${named(set.old_source, set.old_source_version)}`;
      return reply.type(SVG).send(plotOrThrow(results, q, title, `evaluation set ${set.id}`));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { format: 'json' | 'tsv'; best: Best } }>(
    '/evaluation-results/:id',
    { schema: { params: idParams, querystring: objectSchema({ format: PARAMETERS.format, best: PARAMETERS.best }) } },
    async (request, reply) => {
      const result = await requireResult(db, request.params.id);
      if (request.query.format === 'tsv') return reply.type(TSV).send(bestRows(result, request.query.best));
      return resultJson(result);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { best: Best } }>(
    '/evaluation-results/:id.tsv',
    { schema: { params: idParams, querystring: objectSchema({ best: PARAMETERS.best }) } },
    async (request, reply) => {
      const result = await requireResult(db, request.params.id);
      return reply.type(TSV).send(bestRows(result, request.query.best));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { category: Category; namespace: string; weighted: boolean } }>(
    '/evaluation-results/:id/plot.svg',
    { schema: { params: idParams, querystring: objectSchema({ category: PARAMETERS.category, namespace: PARAMETERS.namespace, weighted: PARAMETERS.weighted }, ['category', 'namespace']) } },
    async (request, reply) => {
      const result = await requireResult(db, request.params.id);
      const q = request.query;
      const title = `${label(result)}: ${q.category} ${q.namespace}${q.weighted ? ' (weighted)' : ''}`;
      return reply.type(SVG).send(plotOrThrow([result], q, title, `evaluation result ${result.id}`));
    },
  );
}
