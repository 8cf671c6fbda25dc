// The HTTP API (Fastify): jobs, evaluation sets and results, plots, health and
// metrics. buildApi makes the instance without listening, so tests drive it
// with inject() and `protea api` listens on PROTEA_API_HOST:PROTEA_API_PORT.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DatabasePool } from '../lib/db.js';
import { logger as projectLogger } from '../lib/log.js';
import { installErrorHandling } from './errors.js';
import { registerEvaluationRoutes } from './routes/evaluation.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerMetricsRoutes } from './routes/metrics.js';

export interface ApiOptions {
  /** the query pool the routes read from; the caller owns it (and ends it after close()) */
  db: DatabasePool;
  /** the pino logger; default lib/log.ts's, component 'api' */
  logger?: FastifyBaseLogger;
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger ?? projectLogger('api'),
    // Unknown query parameters are an error (a misspelt ?categroy= must not be
    // silently ignored), and strings are coerced to the schema's integers and booleans.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    // ids are UUIDs; longer path segments are not ours
    routerOptions: { maxParamLength: 200 },
  });
  installErrorHandling(app);
  registerMetricsRoutes(app);
  registerHealthRoutes(app, options.db);
  registerJobRoutes(app, options.db);
  registerEvaluationRoutes(app, options.db);
  return app;
}
