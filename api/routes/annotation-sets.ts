// GET /annotation-sets: the loaded GAF annotation sets, newest first.
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { annotationSetsPage } from '../../lib/queries/reference-lists.js';
import { page } from '../pagination.js';
import { decodeTimeCursor } from '../read-cursors.js';
import { ANNOTATION_SET_PAGE, READ_DEFAULT_LIMIT, readSchema } from '../read-schemas.js';
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
      const limit = request.query.limit ?? READ_DEFAULT_LIMIT;
      const key = decodeTimeCursor(request.query.after);
      const rows = await annotationSetsPage(db, { limit: limit + 1, ...(request.query.source ? { source: request.query.source } : {}), ...(key ? { after: key } : {}) });
      const { items, next } = page(rows, limit, (r) => [r.cursor_us, r.id]);
      return { annotation_sets: items.map(({ cursor_us: _c, ...r }) => ({ ...r, created_at: iso(r.created_at) })), next };
    },
  );
}
