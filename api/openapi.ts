// The OpenAPI 3 document (GET /openapi.json), built by @fastify/swagger from
// the routes' own JSON schemas, so the document cannot drift from what the
// routes validate; and the docs page (GET /docs), Swagger UI served from the
// npm package's files (no CDN: it works offline).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../lib/config.js';
import path from 'node:path';

const version = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Registers the document generator; call before any route is added. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'PROTEA-stream API',
        version,
        description:
          'GO-term predictions for proteins, the jobs that made them, and the reference data behind them. Errors are `{error, code, message, hint, parameter?}` with the stable `PROTEA_ERR_*` codes of the README. Lists are keyset-paginated: send `next` back as `?after=`. Writes need `Authorization: Bearer SECRET` (PROTEA_API_TOKENS).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
