// Apache Kafka in KRaft mode (one node that is broker and controller), from
// jars resolved out of Maven Central by stack/kafka/pom.xml.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, hostPort, type Config } from '../lib/config.js';
import { ProteaError } from '../lib/errors.js';
import { describeCluster } from '../lib/kafka-client.js';
import { java, mvn } from './java.js';
import { isOurs, portOpen, readPid, runLogged, startDetached, waitFor, type PidRecord } from './processes.js';
import { layout, type ComponentStatus } from './layout.js';

const MAIN_CLASS = 'kafka.Kafka';

function paths(cfg: Config) {
  const l = layout(cfg);
  const dir = path.join(cfg.stateDir, 'kafka');
  return {
    jars: path.join(l.jars, `kafka-${cfg.kafkaVersion}`),
    dir,
    data: path.join(dir, 'data'),
    properties: path.join(dir, 'server.properties'),
    log4j: path.join(dir, 'log4j.properties'),
    clusterId: path.join(dir, 'cluster-id'),
    log: path.join(l.logs, 'kafka.log'),
    pid: path.join(l.run, 'kafka.pid'),
  };
}

export function kafkaAddress(cfg: Config): { host: string; port: number } {
  return hostPort(cfg.kafkaBrokers[0]!);
}

function kafkaJarsCached(cfg: Config): boolean {
  return fs.existsSync(path.join(paths(cfg).jars, '.complete'));
}

/** Resolves the broker's classpath once; later runs reuse the cached jars. */
export function ensureKafkaJars(cfg: Config): { cached: boolean; dir: string } {
  const p = paths(cfg);
  const stamp = path.join(p.jars, '.complete');
  if (kafkaJarsCached(cfg)) return { cached: true, dir: p.jars };
  fs.rmSync(p.jars, { recursive: true, force: true });
  runLogged(mvn(), ['-q', '-B', '-f', path.join(PROJECT_ROOT, 'stack', 'kafka', 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-Dkafka.version=${cfg.kafkaVersion}`, `-DoutputDirectory=${p.jars}`], {
    cwd: PROJECT_ROOT,
    logFile: path.join(layout(cfg).logs, 'maven.log'),
    error: 'STACK_MAVEN_FAILED',
  });
  fs.writeFileSync(stamp, new Date().toISOString());
  return { cached: false, dir: p.jars };
}

function writeConfig(cfg: Config): void {
  const p = paths(cfg);
  const { host, port } = kafkaAddress(cfg);
  const cport = cfg.kafkaControllerPort;
  fs.mkdirSync(p.dir, { recursive: true });
  fs.writeFileSync(
    p.properties,
    [
      '# written by `protea stack up`; edit PROTEA_* variables instead',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${host}:${cport}`,
      `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${cport}`,
      `advertised.listeners=PLAINTEXT://${host}:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${p.data}`,
      'num.partitions=6',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=12',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      // one node: rebalances need not wait for other members to show up
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'delete.topic.enable=true',
      'message.max.bytes=16777216',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    p.log4j,
    ['log4j.rootLogger=INFO, stdout', 'log4j.logger.kafka.request.logger=WARN', 'log4j.logger.state.change.logger=WARN', 'log4j.appender.stdout=org.apache.log4j.ConsoleAppender', 'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n', ''].join('\n'),
  );
}

function classpath(cfg: Config): string {
  return `${paths(cfg).jars}/*`;
}

/** Formats the KRaft storage once (a cluster id is minted and kept). */
function formatStorage(cfg: Config): void {
  const p = paths(cfg);
  if (fs.existsSync(path.join(p.data, 'meta.properties'))) return;
  let clusterId = fs.existsSync(p.clusterId) ? fs.readFileSync(p.clusterId, 'utf8').trim() : '';
  if (!clusterId) {
    // A KRaft cluster id is a base64url-encoded random UUID (22 chars); it may start
    // with '-', so it is passed as --cluster-id=<id>, never as a separate argument.
    clusterId = crypto.randomBytes(16).toString('base64url');
    fs.writeFileSync(p.clusterId, clusterId);
  }
  runLogged(java(cfg), ['-cp', classpath(cfg), `-Dlog4j.configuration=file:${p.log4j}`, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', `--cluster-id=${clusterId}`, '-c', p.properties], {
    cwd: p.dir,
    logFile: p.log,
    error: 'STACK_START_FAILED',
  });
}

async function healthy(): Promise<boolean> {
  const c = await describeCluster({ quick: true });
  return c.brokers >= 1;
}

export async function kafkaStatus(cfg: Config): Promise<ComponentStatus> {
  const p = paths(cfg);
  const { host, port } = kafkaAddress(cfg);
  const rec = readPid(p.pid);
  const ours = isOurs(rec);
  const open = await portOpen(host, port);
  let health: ComponentStatus['health'] = 'down';
  let detail = '';
  if (open) {
    try {
      const c = await describeCluster({ quick: true });
      health = 'healthy';
      detail = `cluster ${c.clusterId}, ${c.brokers} broker(s)`;
    } catch (err) {
      health = 'unhealthy';
      detail = (err as Error).message;
    }
  }
  return { name: 'kafka', address: `${host}:${port}`, health, detail, log: p.log, pid: ours ? rec.pid : undefined, managed: ours };
}

export async function kafkaUp(cfg: Config, note: (line: string) => void = () => {}): Promise<{ status: ComponentStatus; started: boolean; jarsCached: boolean; ms: number }> {
  const t0 = Date.now();
  const p = paths(cfg);
  const { host, port } = kafkaAddress(cfg);
  const before = await kafkaStatus(cfg);
  if (before.health === 'healthy') return { status: before, started: false, jarsCached: true, ms: Date.now() - t0 };
  let rec: PidRecord | undefined = readPid(p.pid);
  note(`kafka       starting${kafkaJarsCached(cfg) ? '' : ' (resolving the broker jars from Maven Central first)'}…`);
  const jars = ensureKafkaJars(cfg);
  if (!isOurs(rec)) {
    if (await portOpen(host, port)) {
      throw new ProteaError('STACK_PORT_TAKEN', `${host}:${port} is taken by a program that does not answer as a Kafka broker`, { component: 'kafka' });
    }
    writeConfig(cfg);
    formatStorage(cfg);
    rec = startDetached({
      command: java(cfg),
      args: [`-Xmx${cfg.kafkaHeap}`, `-Xms${cfg.kafkaHeap}`, '-XX:+UseG1GC', '-cp', classpath(cfg), `-Dlog4j.configuration=file:${p.log4j}`, `-Dprotea.stack=${cfg.stateDir}`, MAIN_CLASS, p.properties],
      cwd: p.dir,
      logFile: p.log,
      pidFile: p.pid,
      marker: MAIN_CLASS,
    });
  }
  const started = rec;
  await waitFor('kafka', () => healthy(), { timeoutMs: cfg.stackTimeoutMs, alive: () => isOurs(started), log: p.log });
  return { status: await kafkaStatus(cfg), started: true, jarsCached: jars.cached, ms: Date.now() - t0 };
}

export function kafkaPidFile(cfg: Config): string {
  return paths(cfg).pid;
}
