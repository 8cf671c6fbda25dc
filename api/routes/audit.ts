// GET /audit: the write requests the API answered or refused, newest first
// (admin token).
import type { FastifyInstance } from 'fastify';
import { listAuditRows } from '../../lib/queries/api-audit.js';
import { decodeCursor, page } from '../pagination.js';
import { PARAMETERS, nullable, objectSchema } from '../params.js';
import type { ApiDependencies } from '../server.js';
import { iso } from './shared.js';

const AUDIT_PAGE = {
  type: 'object',
  required: ['audit', 'next'],
  properties: {
    audit: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'ts', 'method', 'route', 'status_code', 'client_address'],
        properties: {
          id: { type: 'integer' },
          ts: { type: 'string', format: 'date-time' },
          token_name: nullable('string'),
          method: { type: 'string' },
          route: { type: 'string' },
          target: nullable('string'),
          job_id: nullable('string'),
          status_code: { type: 'integer' },
          error_code: nullable('string'),
          client_address: { type: 'string' },
        },
      },
    },
    next: { ...nullable('string'), description: 'the cursor of the next page (send it as ?after=), null on the last page' },
  },
} as const;

export function registerAuditRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  app.get<{ Querystring: { limit: number; after?: string } }>(
    '/audit',
    {
      config: { admin: true },
      schema: {
        summary: 'The audit log of writes, newest first (admin token)',
        tags: ['admin'],
        querystring: objectSchema({ limit: PARAMETERS.limit, after: PARAMETERS.after }),
        response: { 200: AUDIT_PAGE },
      },
    },
    async (request) => {
      const { limit } = request.query;
      const key = decodeCursor(request.query.after, ['number']);
      const rows = await listAuditRows(deps.db, { limit: limit + 1, ...(key ? { beforeId: key[0] as number } : {}) });
      const { items, next } = page(rows, limit, (r) => [r.id]);
      return { audit: items.map((r) => ({ ...r, ts: iso(r.ts) })), next };
    },
  );
}
