// GET /health: 200 when PostgreSQL answers a query, 503 when it does not (a
// load balancer or `curl --fail` takes the instance out).
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { classify } from '../../lib/errors.js';
import { ping } from '../../lib/queries/health.js';

/** How long the probe waits for the database before calling it unreachable. */
export const HEALTH_TIMEOUT_MS = 2000;

async function probe(db: DatabasePool): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([ping(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get('/health', async (request, reply) => {
    const started = performance.now();
    try {
      await probe(db);
    } catch (err) {
      const e = classify(err, { component: 'postgresql' });
      request.log.warn({ err, code: e.code }, 'health check: the database is not reachable');
      return reply.code(503).send({
        status: 'unavailable',
        database: 'unreachable',
        error: 'PROTEA_ERR_DB_UNAVAILABLE',
        message: `the database did not answer: ${e.message}`,
        hint: 'Start PostgreSQL (protea stack up) or check PROTEA_DB_URL of the API process.',
      });
    }
    return { status: 'ok', database: 'reachable', database_ms: Math.round((performance.now() - started) * 10) / 10 };
  });
}
