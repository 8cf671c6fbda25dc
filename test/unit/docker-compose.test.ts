// docker-compose.yml must run the same stack as `protea stack up` on the
// addresses of the PROTEA_* defaults, so the host's `protea` command works
// against it unconfigured and the containers' settings are real settings.
// No Docker here: these tests read the file, they do not start it.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { PROJECT_ROOT, SETTINGS, hostPort, loadConfig } from '../../lib/config.js';
import { databaseName } from '../../lib/db.js';
import { CLIENT_COMPATIBILITY, REGISTRY_DATABASE } from '../../stack/registry.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  environment?: Record<string, Json> | string[];
  ports?: (string | { target: number; published?: number | string; host_ip?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  command?: string | string[];
  entrypoint?: string | string[];
}
interface Compose {
  services: Record<string, Service>;
  [key: string]: unknown;
}

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
// Compose applies YAML merge keys (`<<: *protea-env`); so must the test.
const compose = YAML.parse(text, { merge: true }) as Compose;
const defaults = loadConfig({});
const settingByEnv = new Map(Object.values(SETTINGS).map((s) => [s.env as string, s]));

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g;

/** Compose interpolation with nothing set in the environment: `${X:-d}` -> d, `${X}` -> '', `$$` -> `$`. */
function interpolate(value: string): string {
  return value.replace(INTERPOLATION, (_m, _name: string, def: string | undefined) => def ?? '').replace(/\$\$/g, '$');
}

function service(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

function env(s: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const item of s.environment) {
      const i = item.indexOf('=');
      if (i > 0) out[item.slice(0, i)] = interpolate(item.slice(i + 1));
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {})) out[k] = interpolate(v === null ? '' : String(v));
  }
  return out;
}

interface Published {
  hostIp: string | undefined;
  published: number;
  target: number;
}
function ports(s: Service): Published[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { hostIp: p.host_ip, published: Number(p.published ?? p.target), target: Number(p.target) };
    const parts = interpolate(p).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts.pop());
    const published = parts.length > 0 ? Number(parts.pop()) : target;
    return { hostIp: parts.length > 0 ? parts.join(':') : undefined, published, target };
  });
}

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : value.split(/\s+/)).map(String);
}

/** Long-running: restarts; one-shot: runs to completion (restart "no", the Compose default). */
function isOneShot(s: Service): boolean {
  return (s.restart ?? 'no') === 'no';
}

/** Services that run the project's own code. */
function proteaServices(): [string, Service][] {
  return Object.entries(compose.services).filter(([, s]) => s.build !== undefined || s.image?.startsWith('protea-stream') || 'PROTEA_KAFKA_BROKERS' in env(s));
}

/** Every key and string of the document (comments excluded), anchors included. */
function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const item of node) strings(item, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

/** host:port of every `NAME://host:port` of a Kafka listener list. */
function listeners(value: string | undefined): Map<string, { host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>();
  for (const item of (value ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):\/\/([^:]*):(\d+)$/.exec(item);
    if (!m) throw new Error(`unparsable listener "${item}"`);
    out.set(m[1]!, { host: m[2]!, port: Number(m[3]) });
  }
  return out;
}

t.test('the file is Compose-spec: no obsolete version key, the expected services', async (t) => {
  t.notOk('version' in compose, 'no top-level version:');
  for (const name of ['postgres', 'registry-db-init', 'kafka', 'registry', 'registry-config', 'protea-init']) {
    t.ok(compose.services[name], `service ${name}`);
  }
});

t.test('every PROTEA_* name in the file is a setting of lib/config.ts, with its default', async (t) => {
  const used = new Set<string>();
  for (const s of strings(compose)) for (const m of s.matchAll(/\bPROTEA_[A-Z0-9_]+\b/g)) used.add(m[0]);
  for (const name of ['PROTEA_KAFKA_BROKERS', 'PROTEA_REGISTRY_URL', 'PROTEA_DB_URL']) t.ok(used.has(name), `${name} is set for the containers`);
  for (const name of [...used].sort()) t.ok(settingByEnv.has(name), `${name} is a setting (SETTINGS in lib/config.ts)`);
  // `${PROTEA_X:-default}` must fall back to the setting's own default.
  for (const s of strings(compose)) {
    for (const m of s.matchAll(INTERPOLATION)) {
      const setting = settingByEnv.get(m[1]!);
      if (!setting) continue;
      t.equal(m[2], setting.default, `\${${m[1]}:-...} falls back to the documented default`);
    }
  }
  // the values the containers get parse as valid settings
  for (const [name, s] of proteaServices()) {
    const e = env(s);
    const proteaVars = Object.fromEntries(Object.entries(e).filter(([k]) => k.startsWith('PROTEA_')));
    t.doesNotThrow(() => loadConfig(proteaVars), `${name}: its PROTEA_* values are valid settings`);
  }
});

t.test('published host ports are the ports of the config defaults', async (t) => {
  const kafka = hostPort(defaults.kafkaBrokers[0]!);
  const registry = new URL(defaults.registryUrl);
  const db = new URL(defaults.dbUrl);
  const expected: [string, string, number][] = [
    ['kafka', kafka.host, kafka.port],
    ['registry', registry.hostname, Number(registry.port)],
    ['postgres', db.hostname, Number(db.port || 5432)],
  ];
  for (const [name, host, port] of expected) {
    const published = ports(service(name));
    const match = published.find((p) => p.published === port);
    t.ok(match, `${name} publishes host port ${port} (publishes ${JSON.stringify(published)})`);
    if (match?.hostIp !== undefined) t.equal(match.hostIp, host, `${name} binds the host address of the default`);
  }
});

t.test('kafka advertises the default broker address on the listener the host reaches', async (t) => {
  const e = env(service('kafka'));
  const bound = listeners(e.KAFKA_LISTENERS);
  const advertised = listeners(e.KAFKA_ADVERTISED_LISTENERS);
  const hostPublish = ports(service('kafka')).find((p) => p.published === hostPort(defaults.kafkaBrokers[0]!).port);
  t.ok(hostPublish, 'kafka publishes the default broker port');
  const hostListener = [...bound].find(([, l]) => l.port === hostPublish?.target)?.[0];
  t.ok(hostListener, `a listener is bound to the published container port ${hostPublish?.target}`);
  const adv = advertised.get(hostListener ?? '');
  t.equal(adv && `${adv.host}:${adv.port}`, defaults.kafkaBrokers[0], `listener ${hostListener} advertises the PROTEA_KAFKA_BROKERS default`);

  // KRaft single node, as stack/kafka.ts
  t.equal(e.KAFKA_PROCESS_ROLES, 'broker,controller');
  t.ok(e.CLUSTER_ID, 'the image needs a CLUSTER_ID to format its storage');
  const controller = bound.get(e.KAFKA_CONTROLLER_LISTENER_NAMES ?? '');
  t.equal(controller?.port, Number(SETTINGS.kafkaControllerPort.default), 'controller port is the PROTEA_KAFKA_CONTROLLER_PORT default');
  t.equal(e.KAFKA_CONTROLLER_QUORUM_VOTERS, `${e.KAFKA_NODE_ID}@kafka:${controller?.port}`, 'the node votes for itself on the controller port');
  t.equal(e.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'false', 'topics only come from the catalogue');
  t.equal(e.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, '0');
  for (const k of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) t.equal(e[k], '1', `${k}=1 on one node`);

  // the containers' broker address is kafka's advertised in-network listener
  const inNetwork = [...advertised.values()].map((l) => `${l.host}:${l.port}`);
  for (const [name, s] of proteaServices()) {
    for (const broker of (env(s).PROTEA_KAFKA_BROKERS ?? '').split(',')) {
      t.ok(inNetwork.includes(broker) && broker.startsWith('kafka:'), `${name}: PROTEA_KAFKA_BROKERS ${broker} is advertised by the kafka service`);
    }
  }
});

t.test('the containers reach the registry and the database at the default paths, by service name', async (t) => {
  const registryPath = new URL(defaults.registryUrl).pathname;
  const registryPort = ports(service('registry'))[0]?.target;
  const dbName = databaseName(defaults.dbUrl);
  const services = proteaServices();
  t.ok(services.length > 0, 'there are protea services');
  for (const [name, s] of services) {
    const e = env(s);
    const reg = new URL(e.PROTEA_REGISTRY_URL ?? 'invalid:');
    t.equal(reg.pathname, registryPath, `${name}: PROTEA_REGISTRY_URL path is ${registryPath}`);
    t.equal(reg.hostname, 'registry', `${name}: PROTEA_REGISTRY_URL names the registry service`);
    t.equal(Number(reg.port), registryPort, `${name}: PROTEA_REGISTRY_URL port is the registry's container port`);
    const db = new URL(e.PROTEA_DB_URL ?? 'invalid:');
    t.equal(databaseName(e.PROTEA_DB_URL ?? ''), dbName, `${name}: PROTEA_DB_URL database is the default's (${dbName})`);
    t.equal(db.hostname, 'postgres', `${name}: PROTEA_DB_URL names the postgres service`);
    t.equal(Number(db.port || 5432), ports(service('postgres'))[0]?.target, `${name}: PROTEA_DB_URL port is postgres' container port`);
  }
  t.equal(env(service('postgres')).POSTGRES_DB, dbName, 'postgres creates the default database');
});

t.test('image versions are the local stack defaults', async (t) => {
  t.equal(interpolate(service('kafka').image ?? ''), `apache/kafka:${SETTINGS.kafkaVersion.default}`);
  t.equal(interpolate(service('registry').image ?? ''), `apicurio/apicurio-registry:${SETTINGS.registryVersion.default}`);
  for (const name of ['postgres', 'registry-db-init']) {
    const m = /^postgres:(\d+)/.exec(service(name).image ?? '');
    t.ok(m && Number(m[1]) >= 15, `${name}: PostgreSQL 15+ (${service(name).image})`);
  }
  // the project image's Node major is the one package.json supports
  const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const engines = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const minNode = Number(/(\d+)/.exec(engines)?.[1]);
  const froms = [...dockerfile.matchAll(/^FROM\s+node:(\d+)/gm)].map((m) => Number(m[1]));
  t.ok(froms.length > 0, 'the Dockerfile builds on the node image');
  for (const major of froms) t.ok(major >= minNode, `node:${major} satisfies engines ${engines}`);
});

t.test('every long-running infrastructure service has a healthcheck', async (t) => {
  const ours = new Set(proteaServices().map(([n]) => n));
  const longRunning = Object.entries(compose.services).filter(([n, s]) => !ours.has(n) && !isOneShot(s));
  t.same(longRunning.map(([n]) => n).sort(), ['kafka', 'postgres', 'registry'], 'postgres, kafka and registry run until stopped');
  for (const [name, s] of longRunning) {
    const test = argv(s.healthcheck?.test);
    t.ok(test.length > 0 && test[0] !== 'NONE' && s.healthcheck?.disable !== true, `${name} has a healthcheck`);
  }
  t.match(argv(service('registry').healthcheck?.test).join(' '), /\/health\/ready/, 'registry: readiness endpoint');
  t.match(argv(service('kafka').healthcheck?.test).join(' '), /kafka-(broker-api-versions|topics)\.sh/, 'kafka: asks the broker');
  t.match(argv(service('postgres').healthcheck?.test).join(' '), /pg_isready/, 'postgres: pg_isready');
});

t.test('the long-running protea services: pipeline and api, health-checked on their own ports', async (t) => {
  const longRunning = proteaServices().filter(([, s]) => !isOneShot(s)).map(([n]) => n).sort();
  t.same(longRunning, ['api', 'pipeline'], 'the pipeline and the API run until stopped');
  const api = service('api');
  const apiEnv = env(api);
  t.equal(apiEnv.PROTEA_API_HOST, '0.0.0.0', 'api: listens on every interface of its container');
  const apiPort = Number(apiEnv.PROTEA_API_PORT);
  t.equal(ports(api)[0]?.target, apiPort, 'api: publishes the port it listens on');
  t.equal(ports(api)[0]?.published, Number(SETTINGS.apiPort.default), 'api: published on the default PROTEA_API_PORT');
  t.match(argv(api.healthcheck?.test).join(' '), new RegExp(`127\\.0\\.0\\.1:${apiPort}/health`), 'api: healthcheck asks /health');
  t.match(argv(service('pipeline').healthcheck?.test).join(' '), new RegExp(`127\\.0\\.0\\.1:${SETTINGS.metricsPort.default}/metrics`), 'pipeline: healthcheck asks /metrics on PROTEA_METRICS_PORT');
  for (const name of longRunning) {
    t.equal(argv(service(name).entrypoint).slice(0, 2).join(' '), 'node bin/protea.js', `${name}: runs the protea command`);
    t.equal(dependsOn(service(name))['protea-init'], 'service_completed_successfully', `${name}: starts after migrations and topics`);
  }
});

t.test('dependencies wait for health or for completion', async (t) => {
  // every edge: a long-running target must be healthy, a one-shot must have succeeded
  for (const [name, s] of Object.entries(compose.services)) {
    for (const [target, condition] of Object.entries(dependsOn(s))) {
      const dep = compose.services[target];
      t.ok(dep, `${name} depends on an existing service ${target}`);
      if (!dep) continue;
      t.equal(condition, isOneShot(dep) ? 'service_completed_successfully' : 'service_healthy', `${name} -> ${target}`);
    }
  }
  const services = proteaServices();
  t.ok(services.length > 0, 'there are protea services');
  for (const [name, s] of services) {
    const d = dependsOn(s);
    for (const infra of ['kafka', 'registry', 'postgres']) t.equal(d[infra], 'service_healthy', `${name} waits for ${infra} to be healthy`);
    t.equal(d['registry-config'], 'service_completed_successfully', `${name} waits for the registry's compatibility level`);
  }
  t.equal(dependsOn(service('registry')).postgres, 'service_healthy', 'registry waits for postgres');
});

t.test("the registry stores in PostgreSQL, in the stack's registry database", async (t) => {
  const e = env(service('registry'));
  t.equal(e.APICURIO_STORAGE_KIND, 'sql');
  t.equal(e.APICURIO_STORAGE_SQL_KIND, 'postgresql');
  const m = /^jdbc:postgresql:\/\/([^:/]+)(?::(\d+))?\/([^?]+)/.exec(e.APICURIO_DATASOURCE_URL ?? '');
  t.ok(m, `APICURIO_DATASOURCE_URL is a PostgreSQL JDBC URL (${e.APICURIO_DATASOURCE_URL})`);
  t.equal(m?.[3], REGISTRY_DATABASE, 'database is REGISTRY_DATABASE of stack/registry.ts');
  t.equal(m?.[1], 'postgres', 'on the postgres service');
  t.equal(Number(m?.[2] ?? 5432), ports(service('postgres'))[0]?.target, "on postgres' container port");
  // a one-shot creates that database, and the registry waits for it
  const creators = Object.entries(compose.services).filter(([, s]) => isOneShot(s) && [...argv(s.entrypoint), ...argv(s.command)].join(' ').includes(`CREATE DATABASE ${REGISTRY_DATABASE}`));
  t.equal(creators.length, 1, `one one-shot creates ${REGISTRY_DATABASE}`);
  const creator = creators[0]?.[0] ?? '';
  t.equal(dependsOn(service('registry'))[creator], 'service_completed_successfully', `registry waits for ${creator}`);
});

t.test("the global compatibility PUT sets the registry client's level", async (t) => {
  const s = service('registry-config');
  const args = argv(s.command);
  const after = (flag: string[]): string | undefined => {
    const i = args.findIndex((a) => flag.includes(a));
    return i >= 0 ? args[i + 1] : undefined;
  };
  t.equal(after(['-X', '--request']), 'PUT', 'PUT');
  const body = JSON.parse(after(['--data', '-d', '--data-raw']) ?? 'null') as { compatibility?: string } | null;
  t.equal(body?.compatibility, CLIENT_COMPATIBILITY, 'compatibility is CLIENT_COMPATIBILITY of stack/registry.ts');
  const url = args.find((a) => /^https?:\/\//.test(a));
  const registryUrl = env(proteaServices()[0]?.[1] ?? {}).PROTEA_REGISTRY_URL;
  t.ok(registryUrl, 'a protea service has PROTEA_REGISTRY_URL');
  t.equal(url, `${registryUrl}/config`, 'PUT {PROTEA_REGISTRY_URL}/config, as alignCompatibility()');
  t.ok(args.includes('-f') || args.includes('--fail') || args.some((a) => /^-[a-zA-Z]*f/.test(a)), 'an HTTP error fails the one-shot');
  t.equal(dependsOn(s).registry, 'service_healthy', 'runs once the registry is ready');
});

t.test('protea-init migrates the database and creates the topics', async (t) => {
  const s = service('protea-init');
  t.ok(s.build !== undefined, 'built from the project');
  const script = [...argv(s.entrypoint), ...argv(s.command)].join(' ');
  const migrate = script.indexOf('bin/protea.js db migrate');
  const topics = script.indexOf('bin/protea.js topics create');
  t.ok(migrate >= 0, 'runs db migrate');
  t.ok(topics > migrate, 'then topics create');
  t.match(script, /db migrate\s*&&/, 'topics only after a successful migration');
});

t.test('.dockerignore keeps local state and build output out of the image', async (t) => {
  const ignored = fs.readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const p of ['node_modules', 'dist', '.protea', '.tap', 'coverage', '.git']) t.ok(ignored.includes(p), `${p} ignored`);
});

t.test('the pipeline service runs the stages of the one stage list (pipeline/stages.ts)', async (t) => {
  const { stageNames } = await import('../../pipeline/stages.js');
  const args = argv(service('pipeline').entrypoint).concat(argv(service('pipeline').command));
  const i = args.indexOf('pipeline');
  t.ok(i >= 0, 'the pipeline service runs `protea pipeline`');
  const named: string[] = [];
  for (let k = i + 1; k < args.length; k++) {
    if (args[k] === '--stage') {
      while (k + 1 < args.length && !args[k + 1]!.startsWith('--')) named.push(args[++k]!);
    }
  }
  for (const n of named) t.ok(stageNames().includes(n), `${n} is a stage of the list`);
  const runs = named.length === 0 ? stageNames() : named;
  t.same([...runs].sort(), [...stageNames()].sort(), 'every stage of the list runs in docker-compose (all by default)');
  t.ok(stageNames().includes('dedup') && stageNames().some((s) => s.startsWith('sink:')), 'the list holds processors and sinks');
});
