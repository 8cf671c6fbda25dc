// GET /embedding-configs: the embedding recipes, newest first.
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { embeddingConfigsPage } from '../../lib/queries/reference-lists.js';
import { page } from '../pagination.js';
import { decodeTimeCursor } from '../read-cursors.js';
import { EMBEDDING_CONFIG_PAGE, READ_DEFAULT_LIMIT, readSchema } from '../read-schemas.js';
import { iso } from './shared.js';

export function registerEmbeddingConfigRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { active?: boolean; limit?: number; after?: string } }>(
    '/embedding-configs',
    {
      schema: {
        summary: 'Embedding recipes (model, layers, pooling, chunking), newest first',
        tags: ['reference data'],
        querystring: readSchema(['active', 'limit', 'after']),
        response: { 200: EMBEDDING_CONFIG_PAGE },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? READ_DEFAULT_LIMIT;
      const key = decodeTimeCursor(request.query.after);
      const rows = await embeddingConfigsPage(db, { limit: limit + 1, ...(request.query.active !== undefined ? { active: request.query.active } : {}), ...(key ? { after: key } : {}) });
      const { items, next } = page(rows, limit, (r) => [r.cursor_us, r.id]);
      return { embedding_configs: items.map(({ cursor_us: _c, ...r }) => ({ ...r, created_at: iso(r.created_at) })), next };
    },
  );
}
