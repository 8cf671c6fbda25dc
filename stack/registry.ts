// Apicurio Registry 3 from its distribution archive on Maven Central
// (io.apicurio:apicurio-registry-app, classifier `all`), with its storage in
// the stack's PostgreSQL so schema ids survive restarts (Kafka keeps records
// that name those ids).
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, SETTINGS, type Config } from '../lib/config.js';
import { databaseName, withDatabase } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import { java, mvn } from './java.js';
import { layout, type ComponentStatus } from './layout.js';
import { ensureDatabase } from './postgres.js';
import { isOurs, portOpen, readPid, runLogged, startDetached, waitFor, type PidRecord } from './processes.js';

/** The compatibility level the registry client asks for when it registers (its default). */
export const CLIENT_COMPATIBILITY = 'BACKWARD';
/** The registry keeps its own database beside the project's: `<db>_registry`. */
export function registryDatabase(cfg: Pick<Config, 'dbUrl'>): string {
  return `${databaseName(cfg.dbUrl)}_registry`;
}
/** The registry database under the default PROTEA_DB_URL. */
export const REGISTRY_DATABASE = registryDatabase({ dbUrl: SETTINGS.dbUrl.default });

function paths(cfg: Config) {
  const l = layout(cfg);
  return {
    home: path.join(l.jars, `apicurio-registry-${cfg.registryVersion}`),
    log: path.join(l.logs, 'registry.log'),
    pid: path.join(l.run, 'registry.pid'),
  };
}

export function registryAddress(cfg: Config): { host: string; port: number; origin: string } {
  const u = new URL(cfg.registryUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return { host: u.hostname, port, origin: u.origin };
}

/** The runnable jar of the archive: quarkus-app/quarkus-run.jar (fast-jar) or *-runner.jar (older layout). */
function findRunJar(home: string): string | undefined {
  const fast = path.join(home, 'quarkus-app', 'quarkus-run.jar');
  if (fs.existsSync(fast)) return fast;
  if (fs.existsSync(path.join(home, 'quarkus-run.jar'))) return path.join(home, 'quarkus-run.jar');
  const runner = fs.existsSync(home) ? fs.readdirSync(home).find((f) => f.endsWith('-runner.jar')) : undefined;
  return runner ? path.join(home, runner) : undefined;
}

export function ensureRegistryArchive(cfg: Config): { cached: boolean; jar: string } {
  const p = paths(cfg);
  const stamp = path.join(p.home, '.complete');
  const existing = findRunJar(p.home);
  if (fs.existsSync(stamp) && existing) return { cached: true, jar: existing };
  fs.rmSync(p.home, { recursive: true, force: true });
  fs.mkdirSync(p.home, { recursive: true });
  const logFile = path.join(layout(cfg).logs, 'maven.log');
  const artifact = `io.apicurio:apicurio-registry-app:${cfg.registryVersion}:tar.gz:all`;
  runLogged(mvn(), ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${p.home}`], { cwd: PROJECT_ROOT, logFile, error: 'STACK_MAVEN_FAILED' });
  const archive = path.join(p.home, `apicurio-registry-app-${cfg.registryVersion}-all.tar.gz`);
  runLogged('tar', ['-xzf', archive, '-C', p.home], { cwd: p.home, logFile, error: 'STACK_START_FAILED' });
  fs.rmSync(archive);
  const jar = findRunJar(p.home);
  if (!jar) throw new ProteaError('STACK_START_FAILED', `the archive ${artifact} has no quarkus-run.jar or *-runner.jar`, { component: 'registry', log: logFile });
  fs.writeFileSync(stamp, new Date().toISOString());
  return { cached: false, jar };
}

async function fetchJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

async function healthy(cfg: Config): Promise<boolean> {
  const { origin } = registryAddress(cfg);
  const ready = await fetchJson(`${origin}/health/ready`).catch(() => ({ status: 0, body: null }));
  if (ready.status !== 200) return false;
  const subjects = await fetchJson(`${cfg.registryUrl}/subjects`);
  return subjects.status === 200;
}

/**
 * The registry client's register() GETs /config/{subject} and throws when it
 * answers 200 with another level than it asks for, so the global level must be
 * the client's.
 */
export async function alignCompatibility(cfg: Config): Promise<void> {
  const res = await fetchJson(`${cfg.registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: CLIENT_COMPATIBILITY }),
  });
  if (res.status !== 200) {
    throw new ProteaError('STACK_UNHEALTHY', `registry refused PUT /config (${res.status}): ${JSON.stringify(res.body)}`, { component: 'registry' });
  }
}

export async function registryStatus(cfg: Config): Promise<ComponentStatus> {
  const p = paths(cfg);
  const { host, port } = registryAddress(cfg);
  const rec = readPid(p.pid);
  const ours = isOurs(rec);
  let health: ComponentStatus['health'] = 'down';
  let detail = '';
  if (await portOpen(host, port)) {
    try {
      const ok = await healthy(cfg);
      health = ok ? 'healthy' : 'unhealthy';
      const level = ok ? await fetchJson(`${cfg.registryUrl}/config`) : undefined;
      detail = ok ? `compatibility ${(level?.body as { compatibilityLevel?: string })?.compatibilityLevel ?? '?'}` : 'not ready';
    } catch (err) {
      health = 'unhealthy';
      detail = (err as Error).message;
    }
  }
  return { name: 'registry', address: cfg.registryUrl, health, detail, log: p.log, pid: ours ? rec.pid : undefined, managed: ours };
}

export async function registryUp(cfg: Config, note: (line: string) => void = () => {}): Promise<{ status: ComponentStatus; started: boolean; archiveCached: boolean; ms: number }> {
  const t0 = Date.now();
  const p = paths(cfg);
  const { host, port } = registryAddress(cfg);
  const before = await registryStatus(cfg);
  if (before.health === 'healthy') {
    await alignCompatibility(cfg);
    return { status: await registryStatus(cfg), started: false, archiveCached: true, ms: Date.now() - t0 };
  }
  let rec: PidRecord | undefined = readPid(p.pid);
  note(`registry    starting${findRunJar(p.home) && fs.existsSync(path.join(p.home, '.complete')) ? '' : ' (fetching Apicurio Registry from Maven Central first)'}…`);
  const archive = ensureRegistryArchive(cfg);
  if (!isOurs(rec)) {
    if (await portOpen(host, port)) {
      throw new ProteaError('STACK_PORT_TAKEN', `${host}:${port} is taken by a program that does not answer as a schema registry`, { component: 'registry' });
    }
    const dbUrl = withDatabase(cfg.dbUrl, registryDatabase(cfg));
    await ensureDatabase(cfg.dbUrl, registryDatabase(cfg));
    const db = new URL(dbUrl);
    rec = startDetached({
      command: java(cfg),
      args: [`-Xmx${cfg.registryHeap}`, `-Dprotea.stack=${cfg.stateDir}`, '-jar', archive.jar],
      cwd: path.dirname(archive.jar),
      logFile: p.log,
      pidFile: p.pid,
      marker: path.basename(archive.jar),
      env: {
        QUARKUS_HTTP_HOST: host,
        QUARKUS_HTTP_PORT: String(port),
        APICURIO_STORAGE_KIND: 'sql',
        APICURIO_STORAGE_SQL_KIND: 'postgresql',
        APICURIO_DATASOURCE_URL: `jdbc:postgresql://${db.hostname}:${db.port || 5432}/${databaseName(dbUrl)}`,
        APICURIO_DATASOURCE_USERNAME: decodeURIComponent(db.username || 'postgres'),
        APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(db.password || ''),
      },
    });
  }
  const started = rec;
  await waitFor('registry', () => healthy(cfg), { timeoutMs: cfg.stackTimeoutMs, alive: () => isOurs(started), log: p.log });
  await alignCompatibility(cfg);
  return { status: await registryStatus(cfg), started: true, archiveCached: archive.cached, ms: Date.now() - t0 };
}

export function registryPidFile(cfg: Config): string {
  return paths(cfg).pid;
}
