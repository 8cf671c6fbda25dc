// GET /health: liveness, 200 while the process serves requests (nothing it
// depends on is asked, so a database outage does not get the API restarted).
// GET /ready: readiness, 200 when Kafka, the schema registry and PostgreSQL
// each answer within READY_TIMEOUT_MS, else 503; each is named with its state.
import type { FastifyInstance } from 'fastify';
import { classify, type ErrorName } from '../../lib/errors.js';
import { ping } from '../../lib/queries/health.js';
import type { ApiDependencies } from '../server.js';
import { reason } from '../errors.js';

/** How long a readiness probe waits for each component. */
export const READY_TIMEOUT_MS = 2000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface ComponentState {
  state: 'reachable' | 'unreachable';
  ms: number;
  code?: `PROTEA_ERR_${ErrorName}`;
  message?: string;
  hint?: string;
}

async function probe(component: string, fn: () => Promise<unknown>, hint: string): Promise<ComponentState> {
  const t0 = performance.now();
  const ms = () => Math.round((performance.now() - t0) * 10) / 10;
  try {
    await within(fn(), READY_TIMEOUT_MS);
    return { state: 'reachable', ms: ms() };
  } catch (err) {
    // whatever the failure (refused, timed out, the database gone), the component is not available to serve
    const code = component === 'kafka' ? 'PROTEA_ERR_KAFKA_UNAVAILABLE' : component === 'registry' ? 'PROTEA_ERR_REGISTRY_UNAVAILABLE' : 'PROTEA_ERR_DB_UNAVAILABLE';
    return { state: 'unreachable', ms: ms(), code, message: classify(err, { component }).message, hint };
  }
}

export function registerHealthRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  app.get('/health', { schema: { summary: 'Liveness: 200 while the process serves requests', tags: ['health'] } }, async () => ({ status: 'ok', uptime_s: Math.round(process.uptime()) }));

  app.get('/ready', { schema: { summary: 'Readiness: Kafka, the schema registry and PostgreSQL, each with its state; 503 when one is unreachable', tags: ['health'] } }, async (request, reply) => {
    const [database, kafka, registry] = await Promise.all([
      probe('postgresql', () => ping(deps.db), 'Start PostgreSQL (protea stack up) or check PROTEA_DB_URL of the API process.'),
      probe('kafka', deps.probeKafka, 'Start the stack (protea stack up) or check PROTEA_KAFKA_BROKERS of the API process.'),
      probe('registry', deps.probeRegistry, 'Start the stack (protea stack up) or check PROTEA_REGISTRY_URL of the API process.'),
    ]);
    const components = { database, kafka, registry };
    const down = Object.entries(components).filter(([, c]) => c.state === 'unreachable');
    if (down.length === 0) return { status: 'ready', components };
    request.log.warn({ down: down.map(([n, c]) => ({ component: n, code: c.code, message: c.message })) }, 'readiness: a component is unreachable');
    const first = down[0]![1];
    return reply.code(503).send({
      status: 'unavailable',
      error: reason(503),
      code: first.code,
      message: `not ready: ${down.map(([n, c]) => `${n} unreachable (${c.message})`).join('; ')}`,
      hint: first.hint,
      components,
    });
  });
}
