// `protea stack up | down | status`: the local stack in one command, each step
// waiting on a real health check. PostgreSQL first (the registry stores its
// schemas there), then Kafka, then the registry.
import fs from 'node:fs';
import type { Config } from '../lib/config.js';
import { kafkaPidFile, kafkaStatus, kafkaUp } from './kafka.js';
import { layout, type ComponentStatus } from './layout.js';
import { postgresStatus, postgresUp } from './postgres.js';
import { isOurs, readPid, stopProcess } from './processes.js';
import { registryPidFile, registryStatus, registryUp } from './registry.js';

export interface UpReport {
  components: ComponentStatus[];
  steps: { component: string; action: string; ms: number }[];
  totalMs: number;
}

export async function stackUp(cfg: Config, onStep: (line: string) => void = () => {}): Promise<UpReport> {
  const t0 = Date.now();
  for (const dir of Object.values(layout(cfg))) fs.mkdirSync(dir, { recursive: true });
  const steps: UpReport['steps'] = [];

  let t = Date.now();
  const pgr = await postgresUp(cfg);
  steps.push({ component: 'postgresql', action: [pgr.startedServer ? 'started server' : 'server running', pgr.createdDatabase ? 'created database' : 'database present'].join(', '), ms: Date.now() - t });
  onStep(`postgresql  ${steps.at(-1)!.action} (${steps.at(-1)!.ms} ms)`);

  t = Date.now();
  const k = await kafkaUp(cfg, onStep);
  steps.push({ component: 'kafka', action: k.started ? `started${k.jarsCached ? '' : ', jars downloaded'}` : 'already running', ms: Date.now() - t });
  onStep(`kafka       ${steps.at(-1)!.action} (${steps.at(-1)!.ms} ms)`);

  t = Date.now();
  const r = await registryUp(cfg, onStep);
  steps.push({ component: 'registry', action: r.started ? `started${r.archiveCached ? '' : ', archive downloaded'}` : 'already running', ms: Date.now() - t });
  onStep(`registry    ${steps.at(-1)!.action} (${steps.at(-1)!.ms} ms)`);

  return { components: [pgr.status, k.status, r.status], steps, totalMs: Date.now() - t0 };
}

export async function stackStatus(cfg: Config): Promise<ComponentStatus[]> {
  return Promise.all([postgresStatus(cfg), kafkaStatus(cfg), registryStatus(cfg)]);
}

/** Stops what `up` started (registry before Kafka); leaves PostgreSQL and anything not ours alone. */
export async function stackDown(cfg: Config, onStep: (line: string) => void = () => {}): Promise<{ stopped: string[] }> {
  const stopped: string[] = [];
  for (const [name, pidFile] of [
    ['registry', registryPidFile(cfg)],
    ['kafka', kafkaPidFile(cfg)],
  ] as const) {
    const rec = readPid(pidFile);
    if (isOurs(rec)) {
      const how = await stopProcess(rec, name === 'kafka' ? 30_000 : 15_000);
      stopped.push(name);
      onStep(`${name.padEnd(11)} ${how} (pid ${rec.pid})`);
    } else {
      onStep(`${name.padEnd(11)} not running from this stack`);
    }
    fs.rmSync(pidFile, { force: true });
  }
  onStep('postgresql  left running (the machine\'s server)');
  return { stopped };
}

export function formatStatus(components: readonly ComponentStatus[]): string {
  const rows = components.map((c) => [c.name, c.health, c.address, c.managed ? `pid ${c.pid}` : 'external', c.detail, c.log]);
  const head = ['component', 'health', 'address', 'process', 'detail', 'log'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r: readonly unknown[]) => r.map((v, i) => String(v).padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}
