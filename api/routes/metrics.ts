// GET /metrics: the process registry of lib/metrics.ts (process metrics plus
// whatever else runs in this process) and the API's own request counter and
// latency histogram, in the Prometheus text format.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { enableDefaultMetrics, registry } from '../../lib/metrics.js';

// Created once per process: a registry refuses a second metric of the same name,
// and every API instance of the process (tests build several) shares them.
export const httpRequestsTotal = new Counter({
  name: 'protea_http_requests_total',
  help: 'HTTP requests the API answered, by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status_code'] as const,
  registers: [registry],
});

export const httpRequestSeconds = new Histogram({
  name: 'protea_http_request_duration_seconds',
  help: 'Time from receiving an HTTP request to the end of its response, by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export function registerMetricsRoutes(app: FastifyInstance): void {
  enableDefaultMetrics();
  // The route pattern (not the URL) keeps label cardinality bounded: ids and
  // unknown paths do not make new series.
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    httpRequestsTotal.inc(labels);
    httpRequestSeconds.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
