// GET /query-sets and /query-sets/:id: the FASTA sets predictions were asked
// for, with their entry counts and the prediction sets made for them.
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { getQuerySetDetail, predictionSetsOfQuerySet, querySetsPage, type QuerySetListRow } from '../../lib/queries/reference-lists.js';
import { notFound } from '../errors.js';
import { timeKeyedPage } from '../read-cursors.js';
import { QUERY_SET_DETAIL, QUERY_SET_PAGE, readSchema } from '../read-schemas.js';
import { iso } from './shared.js';

function querySetJson({ cursor_us: _c, ...r }: Omit<QuerySetListRow, 'cursor_us'> & { cursor_us?: number }) {
  return { ...r, created_at: iso(r.created_at) };
}

export function registerQuerySetRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { limit?: number; after?: string } }>(
    '/query-sets',
    {
      schema: {
        summary: 'Query sets (uploaded FASTA), newest first, with their entry counts',
        tags: ['reference data'],
        querystring: readSchema(['limit', 'after']),
        response: { 200: QUERY_SET_PAGE },
      },
    },
    async (request) => {
      const { items, next } = await timeKeyedPage(request.query, (opts) => querySetsPage(db, opts));
      return { query_sets: items.map(querySetJson), next };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/query-sets/:id',
    {
      schema: {
        summary: 'One query set: its entry counts and the prediction sets made for it',
        tags: ['reference data'],
        params: readSchema(['id'], ['id']),
        response: { 200: QUERY_SET_DETAIL },
      },
    },
    async (request) => {
      const id = request.params.id.toLowerCase();
      const set = await getQuerySetDetail(db, id);
      if (!set) throw notFound('query set', id, 'List the query sets with GET /query-sets; `protea produce fasta FILE --query-set NAME` makes one.');
      const predictionSets = await predictionSetsOfQuerySet(db, id);
      return { ...querySetJson(set), prediction_sets: predictionSets.map((p) => ({ ...p, created_at: iso(p.created_at) })) };
    },
  );
}
