// The HTTP API (Fastify): jobs, predictions, proteins, reference data,
// evaluation results, health and metrics. buildApi makes the instance without
// listening, so tests drive it with inject() and `protea api` listens on
// PROTEA_API_HOST:PROTEA_API_PORT. Cross-cutting rules live here: the OpenAPI
// document, CORS, the write guard (tokens, rate limit, audit log) and errors.
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { config, type Config } from '../lib/config.js';
import type { DatabasePool } from '../lib/db.js';
import { describeCluster } from '../lib/kafka-client.js';
import { logger as projectLogger } from '../lib/log.js';
import { TopicProducer } from '../lib/topic-producer.js';
import { parseTokens, type ApiToken } from './auth.js';
import { installErrorHandling } from './errors.js';
import { clientError, frameworkError, installInputGuards } from './input-guards.js';
import { registerOpenApi } from './openapi.js';
import { registerAnnotationSetRoutes } from './routes/annotation-sets.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerEmbeddingConfigRoutes } from './routes/embedding-configs.js';
import { registerEvaluationRoutes } from './routes/evaluation.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerOntologySnapshotRoutes } from './routes/ontology-snapshots.js';
import { registerPredictionSetWrites } from './routes/prediction-set-writes.js';
import { registerPredictionSetRoutes } from './routes/prediction-sets.js';
import { registerProteinRoutes } from './routes/proteins.js';
import { registerQuerySetUpload } from './routes/query-set-upload.js';
import { registerQuerySetRoutes } from './routes/query-sets.js';
import { registerScoringConfigRoutes } from './routes/scoring-configs.js';
import { installWriteGuard, writeRateKey } from './writes.js';

export interface ApiOptions {
  /** the query pool the routes read from; the caller owns it (and ends it after close()) */
  db: DatabasePool;
  /** the pino logger; default lib/log.ts's, component 'api' */
  logger?: FastifyBaseLogger;
  /** settings; default config() (PROTEA_* environment) */
  settings?: Partial<Pick<Config, 'apiTokens' | 'apiCorsOrigins' | 'apiWriteRateLimit' | 'apiUploadMaxBytes' | 'apiMaxStreams' | 'kafkaBrokers' | 'registryUrl' | 'topicNamespace' | 'apiSubgraphMaxNodes'>>;
  /** the producer of the writes (uploads, prediction requests, cancel events); default one of the API's own, made on first use and disconnected by close() */
  producer?: TopicProducer;
  /** job streams: how often each polls PostgreSQL (default 300 ms) and sends a heartbeat comment (default 15 s) */
  streamPollMs?: number;
  streamHeartbeatMs?: number;
  /** readiness probes; default: Kafka describeCluster and the registry's /subjects */
  probeKafka?: () => Promise<unknown>;
  probeRegistry?: () => Promise<unknown>;
}

/** What the route modules get: the pool, the settings in force and the probes. */
export interface ApiDependencies {
  db: DatabasePool;
  settings: Pick<Config, 'apiTokens' | 'apiCorsOrigins' | 'apiWriteRateLimit' | 'apiUploadMaxBytes' | 'apiMaxStreams' | 'kafkaBrokers' | 'registryUrl' | 'topicNamespace' | 'apiSubgraphMaxNodes'>;
  tokens: readonly ApiToken[];
  /** the topic namespace the writes produce to */
  namespace: string;
  /** the writes' producer (connected on first send) */
  producer: () => TopicProducer;
  /** live job streams at once (PROTEA_API_MAX_STREAMS) and their poll and heartbeat intervals */
  maxStreams: number;
  streamPollMs: number;
  streamHeartbeatMs: number;
  probeKafka: () => Promise<unknown>;
  probeRegistry: () => Promise<unknown>;
}

function corsOrigin(raw: string): boolean | string | string[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return false;
  if (list.includes('*')) return '*';
  return list;
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const cfg = config();
  const settings = {
    apiTokens: options.settings?.apiTokens ?? cfg.apiTokens,
    apiCorsOrigins: options.settings?.apiCorsOrigins ?? cfg.apiCorsOrigins,
    apiWriteRateLimit: options.settings?.apiWriteRateLimit ?? cfg.apiWriteRateLimit,
    apiUploadMaxBytes: options.settings?.apiUploadMaxBytes ?? cfg.apiUploadMaxBytes,
    kafkaBrokers: options.settings?.kafkaBrokers ?? cfg.kafkaBrokers,
    registryUrl: options.settings?.registryUrl ?? cfg.registryUrl,
    apiMaxStreams: options.settings?.apiMaxStreams ?? cfg.apiMaxStreams,
    topicNamespace: options.settings?.topicNamespace ?? cfg.topicNamespace,
    apiSubgraphMaxNodes: options.settings?.apiSubgraphMaxNodes ?? cfg.apiSubgraphMaxNodes,
  };
  let ownProducer: TopicProducer | undefined;
  const deps: ApiDependencies = {
    db: options.db,
    settings,
    tokens: parseTokens(settings.apiTokens),
    namespace: settings.topicNamespace,
    producer: () => options.producer ?? (ownProducer ??= new TopicProducer()),
    maxStreams: settings.apiMaxStreams,
    streamPollMs: options.streamPollMs ?? 300,
    streamHeartbeatMs: options.streamHeartbeatMs ?? 15_000,
    probeKafka: options.probeKafka ?? (() => describeCluster({ brokers: settings.kafkaBrokers })),
    probeRegistry:
      options.probeRegistry ??
      (async () => {
        const res = await fetch(`${settings.registryUrl}/subjects`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        if (!res.ok) throw Object.assign(new Error(`the registry answered ${res.status} to GET /subjects`), { status: res.status >= 500 ? res.status : 503 });
      }),
  };
  const log = options.logger ?? projectLogger('api');
  const app = Fastify({
    loggerInstance: log,
    // Unknown query parameters are an error (a misspelt ?categroy= must not be
    // silently ignored), and strings are coerced to the schema's integers and booleans.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    // ids are UUIDs and accessions; longer path segments are not ours
    routerOptions: { maxParamLength: 200 },
    // router errors (bad %-escapes, over-long segments) and Node's client
    // errors (oversize headers, malformed requests) in the project's error body
    frameworkErrors: frameworkError,
    clientErrorHandler: (err, socket) => clientError(log, err, socket),
  });
  installErrorHandling(app);
  installInputGuards(app);
  await registerOpenApi(app);
  await app.register(cors, { origin: corsOrigin(settings.apiCorsOrigins), methods: ['GET', 'HEAD', 'POST'], exposedHeaders: ['retry-after'] });
  // before the rate limiter: it marks write routes, which the limiter then limits
  installWriteGuard(app, deps);
  await app.register(rateLimit, {
    global: false,
    max: Math.max(1, settings.apiWriteRateLimit),
    timeWindow: 60_000,
    keyGenerator: writeRateKey,
  });
  registerMetricsRoutes(app);
  registerHealthRoutes(app, deps);
  // multipart bodies are parsed by the upload route itself (streamed, after the token check)
  await app.register(multipart, { throwFileSizeLimit: true, limits: { fileSize: Math.max(1, settings.apiUploadMaxBytes) } });
  app.addHook('onClose', async () => {
    await ownProducer?.disconnect().catch(() => undefined);
  });
  registerJobRoutes(app, deps);
  registerQuerySetUpload(app, deps);
  registerPredictionSetWrites(app, deps);
  registerEvaluationRoutes(app, deps.db);
  registerAuditRoutes(app, deps);
  registerPredictionSetRoutes(app, deps.db);
  registerProteinRoutes(app, deps.db);
  registerEmbeddingConfigRoutes(app, deps.db);
  registerScoringConfigRoutes(app, deps.db);
  registerAnnotationSetRoutes(app, deps.db);
  registerOntologySnapshotRoutes(app, deps.db, deps.settings);
  registerQuerySetRoutes(app, deps.db);
  return app;
}
