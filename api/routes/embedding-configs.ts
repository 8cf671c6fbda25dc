// GET /embedding-configs: the embedding recipes, newest first.
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { embeddingConfigsPage } from '../../lib/queries/reference-lists.js';
import { timeKeyedPage } from '../read-cursors.js';
import { EMBEDDING_CONFIG_PAGE, readSchema } from '../read-schemas.js';
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
      const { items, next } = await timeKeyedPage(request.query, (opts) => embeddingConfigsPage(db, { ...opts, ...(request.query.active !== undefined ? { active: request.query.active } : {}) }));
      return { embedding_configs: items.map((r) => ({ ...r, created_at: iso(r.created_at) })), next };
    },
  );
}
