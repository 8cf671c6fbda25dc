// The dedup stage as a process of its own: `node dist/processors/dedup/main.js
// [--group-id ID] [--grace-ms MS]`. Topics come from PROTEA_TOPIC_NAMESPACE,
// the /metrics endpoint from PROTEA_METRICS_PORT (0 = off). SIGTERM/SIGINT stop
// it gracefully (exit 0); a failure the retries could not ride out exits 1.
import { ProteaError, classify } from '../../lib/errors.js';
import { logger } from '../../lib/log.js';
import { startConfiguredMetricsServer, type MetricsServer } from '../../lib/metrics.js';
import { runDedup } from './processor.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function intArg(name: string): number | undefined {
  const raw = arg(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new ProteaError('USAGE', `${name} expects a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function main(): Promise<number> {
  const log = logger('dedup');
  let metrics: MetricsServer | undefined;
  try {
    metrics = await startConfiguredMetricsServer();
    const groupId = arg('--group-id');
    const gracePeriodMs = intArg('--grace-ms');
    const handle = await runDedup({
      handleSignals: true,
      ...(groupId === undefined ? {} : { groupId }),
      ...(gracePeriodMs === undefined ? {} : { gracePeriodMs }),
    });
    // tells a parent process (the fault test) the group is joined
    process.stdout.write(`ready ${handle.groupId}\n`);
    const result = await handle.done;
    process.stdout.write(`stopped ${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    const e = classify(err);
    log.error({ err: e.toJSON() }, 'dedup processor failed');
    process.stderr.write(`${e.describe()}\n`);
    return 1;
  } finally {
    await metrics?.close().catch(() => undefined);
  }
}

process.exitCode = await main();
// Connections closed; leave without waiting for stray timers (kafkajs retries).
setTimeout(() => process.exit(), 200).unref();
