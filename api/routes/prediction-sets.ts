// GET /prediction-sets, /prediction-sets/:id (its parameters and counts per
// aspect) and /prediction-sets/:id/predictions (filtered rows as a JSON page,
// CAFA TSV or an Arrow stream).
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { setMetadataEntries } from '../../lib/predictions-export.js';
import { getPredictionSetDetail, predictionCountsByAspect, predictionSetTotals, predictionSetsPage, type PredictionSetListRow } from '../../lib/queries/reference-lists.js';
import { notFound } from '../errors.js';
import { timeKeyedPage } from '../read-cursors.js';
import { aspectOf, sendPredictions, type PredictionQuery } from '../prediction-responses.js';
import { MEDIA_TYPE } from '../read-formats.js';
import { PREDICTION_PAGE, PREDICTION_SET, PREDICTION_SET_DETAIL, pageSchema, readSchema } from '../read-schemas.js';
import { iso } from './shared.js';

export const SET_HINT = 'List the prediction sets with GET /prediction-sets; `protea predict` and `protea predictions import` make them.';

/** A set as JSON (a detail row still has its cursor column: left out). */
export function predictionSetJson({ cursor_us: _c, ...s }: Omit<PredictionSetListRow, 'cursor_us'> & { cursor_us?: number }) {
  return { ...s, created_at: iso(s.created_at) };
}

/** The response schema of a prediction read in each of its formats (the TSV and Arrow bodies are streams). */
export const PREDICTION_RESPONSES = {
  200: {
    description: 'JSON: one page of rows (features=true: each with a `features` object); TSV: `target<TAB>term<TAB>score` per (protein, term), best score, two decimals (CAFA); Arrow: an IPC stream of every row with its features',
    content: {
      'application/json': { schema: PREDICTION_PAGE },
      'text/tab-separated-values': { schema: { type: 'string' } },
      'application/vnd.apache.arrow.stream': { schema: { type: 'string', format: 'binary' } },
    },
  },
} as const;

export function registerPredictionSetRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { kind?: string; limit?: number; after?: string } }>(
    '/prediction-sets',
    {
      schema: {
        summary: 'Prediction sets, newest first',
        tags: ['predictions'],
        querystring: readSchema(['kind', 'limit', 'after']),
        response: { 200: pageSchema('prediction_sets', PREDICTION_SET) },
      },
    },
    async (request) => {
      const { items, next } = await timeKeyedPage(request.query, (opts) => predictionSetsPage(db, { ...opts, ...(request.query.kind ? { kind: request.query.kind } : {}) }));
      return { prediction_sets: items.map(predictionSetJson), next };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/prediction-sets/:id',
    {
      schema: {
        summary: 'One prediction set: its parameters, and its rows, proteins and terms per aspect',
        tags: ['predictions'],
        params: readSchema(['id'], ['id']),
        response: { 200: PREDICTION_SET_DETAIL },
      },
    },
    async (request) => {
      const id = request.params.id.toLowerCase();
      const set = await getPredictionSetDetail(db, id);
      if (!set) throw notFound('prediction set', id, SET_HINT);
      const [byAspect, totals] = await Promise.all([predictionCountsByAspect(db, id), predictionSetTotals(db, id)]);
      return {
        ...predictionSetJson(set),
        counts: {
          rows: totals.rows,
          proteins: totals.proteins,
          by_aspect: byAspect,
          queries: { predicted: totals.queries_predicted, unpredictable: totals.queries_unpredictable, pending: totals.queries_pending },
        },
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: PredictionQuery }>(
    '/prediction-sets/:id/predictions',
    {
      schema: {
        summary: 'The predictions of a set: filtered, the best N per protein, as JSON pages, CAFA TSV or Arrow',
        description: `Rows come by protein. Format: ?format=json|tsv|arrow or the Accept header (${MEDIA_TYPE.json.split(';')[0]}, text/tab-separated-values, ${MEDIA_TYPE.arrow}); TSV and Arrow stream the whole filtered result and refuse limit and after.`,
        tags: ['predictions'],
        params: readSchema(['id'], ['id']),
        querystring: readSchema(['format', 'limit', 'after', 'protein', 'aspect', 'min_score', 'go_id', 'top', 'features']),
        response: PREDICTION_RESPONSES,
      },
    },
    async (request, reply) => {
      const id = request.params.id.toLowerCase();
      const q = request.query;
      const aspect = aspectOf(q.aspect);
      // the set is looked up only when a JSON page comes back empty (a row proves it exists)
      // or before a stream, whose Arrow schema carries its metadata: one query per page, not two
      let set: PredictionSetListRow | null = null;
      const mustExist = async () => {
        set = await getPredictionSetDetail(db, id);
        if (!set) throw notFound('prediction set', id, SET_HINT);
      };
      const filter = {
        setId: id,
        ...(q.protein !== undefined ? { protein: q.protein } : {}),
        ...(aspect ? { aspect } : {}),
        ...(q.min_score !== undefined ? { minScore: q.min_score } : {}),
        ...(q.go_id !== undefined ? { goId: q.go_id } : {}),
      };
      const metadata = () =>
        new Map([
          ...setMetadataEntries(set!), // mustExist ran first
          ['filters', JSON.stringify({ protein: q.protein ?? null, aspect: aspect ?? null, min_score: q.min_score ?? null, go_id: q.go_id ?? null, top: q.top ?? null })],
          ['created_by', 'protea-stream api'],
        ]);
      return sendPredictions(request, reply, db, q, filter, 'protein', metadata, mustExist);
    },
  );
}
