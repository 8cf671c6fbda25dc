// GET /annotation-sets: the loaded GAF annotation sets, newest first.
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { annotationSetsPage } from '../../lib/queries/reference-lists.js';
import { timeKeyedPage } from '../read-cursors.js';
import { ANNOTATION_SET_PAGE, readSchema } from '../read-schemas.js';
import { iso } from './shared.js';

export function registerAnnotationSetRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { source?: string; limit?: number; after?: string } }>(
    '/annotation-sets',
    {
      schema: {
        summary: 'Annotation sets (a source and version against one GO release), newest first',
        tags: ['reference data'],
        querystring: readSchema(['source', 'limit', 'after']),
        response: { 200: ANNOTATION_SET_PAGE },
      },
    },
    async (request) => {
      const { items, next } = await timeKeyedPage(request.query, (opts) => annotationSetsPage(db, { ...opts, ...(request.query.source ? { source: request.query.source } : {}) }));
      return { annotation_sets: items.map((r) => ({ ...r, created_at: iso(r.created_at) })), next };
    },
  );
}
