// Prometheus metrics of the process: one registry shared by every processor and
// sink running in it, fed by the stages' typed events (lib/runtime/instrumentation.ts)
// the same way for every stage, and a tiny node:http server that serves
// GET /metrics in the Prometheus text format.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { config } from './config.js';
import { ProteaError } from './errors.js';
import { logger } from './log.js';
import { onStageEvent, type StageEvent } from './runtime/instrumentation.js';

/** The process-wide registry (not prom-client's global one, so tests and libraries do not collide). */
export const registry = new Registry();

const PREFIX = 'protea_';

export const recordsInTotal = new Counter({
  name: `${PREFIX}records_in_total`,
  help: 'Records a stage consumed from its input topic (decodable or not).',
  labelNames: ['stage', 'topic'] as const,
  registers: [registry],
});

export const recordsOutTotal = new Counter({
  name: `${PREFIX}records_out_total`,
  help: 'Records a stage produced to an output topic and the broker acknowledged (dead letters and job events excluded).',
  labelNames: ['stage', 'topic'] as const,
  registers: [registry],
});

export const dlqTotal = new Counter({
  name: `${PREFIX}dlq_total`,
  help: 'Records a stage sent to its dead-letter topic, by the topic they came from.',
  labelNames: ['stage', 'topic'] as const,
  registers: [registry],
});

export const batchSeconds = new Histogram({
  name: `${PREFIX}batch_seconds`,
  help: 'Wall time of one batch: transform, sends acknowledged (the offset commit follows).',
  labelNames: ['stage'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const consumerLag = new Gauge({
  name: `${PREFIX}consumer_lag`,
  help: 'Records between the end of the last processed batch and the high watermark of its partition.',
  labelNames: ['stage', 'topic', 'partition'] as const,
  registers: [registry],
});

export const batchesTotal = new Counter({
  name: `${PREFIX}batches_total`,
  help: 'Batches a stage completed (a processor: outputs acknowledged; a sink: transaction committed).',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const retriesTotal = new Counter({
  name: `${PREFIX}retries_total`,
  help: 'Retries of a stage step after a failure whose code has the retry disposition, by code.',
  labelNames: ['stage', 'code'] as const,
  registers: [registry],
});

export const rebalancesTotal = new Counter({
  name: `${PREFIX}rebalances_total`,
  help: 'Partition assignments and revocations a stage member went through.',
  labelNames: ['stage', 'change'] as const,
  registers: [registry],
});

export const enricherFeatureNullsTotal = new Counter({
  name: `${PREFIX}enricher_feature_nulls_total`,
  help: 'Prediction rows whose requested feature family the enricher left (partly) null, by family and reason (e.g. alignment/too_large, taxonomy/query_taxonomy_unknown).',
  labelNames: ['family', 'reason'] as const,
  registers: [registry],
});

export const enricherAlignmentPairsTotal = new Counter({
  name: `${PREFIX}enricher_alignment_pairs_total`,
  help: 'Distinct (query, reference) sequence pairs the enricher needed, by source: computed (aligned now) or cached.',
  labelNames: ['source'] as const,
  registers: [registry],
});

export function countIn(stage: string, topic: string, n: number): void {
  if (n > 0) recordsInTotal.inc({ stage, topic }, n);
}

export function countOut(stage: string, topic: string, n: number): void {
  if (n > 0) recordsOutTotal.inc({ stage, topic }, n);
}

export function countDeadLetters(stage: string, topic: string, n: number): void {
  if (n > 0) dlqTotal.inc({ stage, topic }, n);
}

export function observeBatch(stage: string, seconds: number): void {
  batchSeconds.observe({ stage }, seconds);
}

/**
 * Lag of a partition after a batch: high watermark (offset of the next record
 * the broker will append) minus the next offset this stage will read; never negative.
 */
export function setConsumerLag(stage: string, topic: string, partition: number, highWatermark: string, nextOffset: string): number {
  let lag = 0;
  try {
    const d = BigInt(highWatermark) - BigInt(nextOffset);
    lag = d > 0n ? Number(d) : 0;
  } catch {
    return 0; // a malformed watermark: leave the gauge as it was
  }
  consumerLag.set({ stage, topic, partition: String(partition) }, lag);
  return lag;
}

/** What each stage event does to the metrics: the same for processors and sinks. */
export function recordStageEvent(e: StageEvent): void {
  switch (e.type) {
    case 'batch':
      countIn(e.stage, e.topic, e.records);
      for (const [topic, n] of Object.entries(e.outputs)) countOut(e.stage, topic, n);
      observeBatch(e.stage, e.seconds);
      batchesTotal.inc({ stage: e.stage });
      break;
    case 'dead_letter':
      countDeadLetters(e.stage, e.topic, e.count);
      break;
    case 'retry':
      retriesTotal.inc({ stage: e.stage, code: e.code });
      break;
    case 'rebalance':
      rebalancesTotal.inc({ stage: e.stage, change: e.change });
      break;
    case 'lag':
      consumerLag.set({ stage: e.stage, topic: e.topic, partition: String(e.partition) }, e.lag);
      break;
  }
}
onStageEvent(recordStageEvent);

/** The registry in the Prometheus text exposition format. */
export function metricsText(): Promise<string> {
  return registry.metrics();
}

let defaultsOn = false;
/** Process metrics (CPU, memory, event loop lag, GC) under the same prefix; once per process. */
export function enableDefaultMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
}

export interface MetricsServer {
  /** the port actually bound (useful with port 0) */
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (and HEAD) on the port; port 0 binds a free port. Other
 * paths answer 404, other methods 405. Resolves once listening; close() stops
 * accepting and ends open connections.
 */
export async function startMetricsServer(port: number = config().metricsPort, opts: { host?: string; defaultMetrics?: boolean } = {}): Promise<MetricsServer> {
  if (opts.defaultMetrics ?? true) enableDefaultMetrics();
  const host = opts.host ?? '0.0.0.0';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics collection failed: ${(err as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new ProteaError('STACK_PORT_TAKEN', `the metrics port ${port} is taken`, { component: 'metrics', hint: 'Another program listens on this port: stop it, or set PROTEA_METRICS_PORT to a free port (0 turns the endpoint off).' }, { cause: err }));
      } else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  logger('metrics').debug({ port: bound }, 'metrics endpoint listening');
  return {
    port: bound,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The endpoint as configured: PROTEA_METRICS_PORT, or nothing when it is 0
 * (the setting's "off").
 */
export async function startConfiguredMetricsServer(): Promise<MetricsServer | undefined> {
  const port = config().metricsPort;
  return port === 0 ? undefined : startMetricsServer(port);
}
