// Our sequences sink against a real peer: Kafka Connect standalone with the
// Debezium JDBC sink connector, on the same Avro topic, into the same table
// definition, same machine, same run.
//
//   npx tsc -p . && node dist/bench/sink-vs-kafka-connect.js [--records N=200000] [--repeat N=1]
//
// One fresh topic namespace: N SequenceRecords are produced once (Avro,
// Confluent wire format, through our TopicProducer and the registry) onto its
// `sequences` topic. Then, one after the other (never both at once on 2 cores;
// the order alternates with --repeat), each sink reads the whole topic with a
// consumer group of its own into a fresh database migrated like the project's:
//  - ours: runSink(sequencesSink) in this process, timed from the first record
//    it maps to the commit that completes the N records (as sink-copy-vs-insert);
//  - the peer: a Kafka Connect worker (ConnectStandalone, its own JVM) running
//    io.debezium.connector.jdbc.JdbcSinkConnector in upsert mode, values read
//    by Apicurio's AvroConverter (Confluent wire format: magic byte + 4-byte
//    content id, no headers), md5 renamed to sequence_hash and
//    first_seen_job_id dropped by the stock ReplaceField transform, upserts on
//    sequence_hash. Timed from the moment its consumer has its partitions and
//    their start offsets (the worker's log line; JVM start, plugin scanning
//    and the group join are before it, as our sink's group join is before its
//    clock) until the table holds every distinct key (count(*) polled every
//    --poll-ms). Also reported: from the worker's start.
// The worker, the connector plugin and the converter come from Maven Central
// (bench/kafka-connect/pom.xml) and are cached under <state dir>/jars.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { config, PROJECT_ROOT, type Config } from '../lib/config.js';
import { java, mvn } from '../stack/java.js';
import { layout } from '../stack/layout.js';
import { runLogged } from '../stack/processes.js';
import { CpuMeter, RowCounter, cpuDelta, fmt, freshDatabase, freshNamespace, logEndTotal, machineLine, printCpu, sleep, table, type FreshDatabase } from './common.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { copySink, produceSequences } from './sink-copy-vs-insert.js';
import { freePort } from '../lib/free-port.js';

const TARGET_RATIO = 3;
const CONNECT_VERSION = '3.9.1';
// The issue asks for 3.0.x (Java 17); the plugin archive of 3.0.8.Final is not served by the mirror here, 3.0.7.Final is.
const DEBEZIUM_VERSION = '3.0.7.Final';
// Apicurio's 3.0.9 converter cannot be resolved here (its parent POM io.apicurio:apicurio-registry:3.0.9 is not
// served); 2.6.13.Final resolves and speaks the registry's v2 API, which the Apicurio 3 server still serves.
const APICURIO_CONVERTER_VERSION = '2.6.13.Final';

interface PeerVersions {
  connect: string;
  debezium: string;
  apicurio: string;
}

interface PeerInstall {
  workerClasspath: string;
  pluginPath: string;
  cached: boolean;
}

/**
 * Resolves the Connect worker, the Debezium JDBC sink plugin and Apicurio's
 * converter once (a `.complete` stamp in each folder); later runs reuse them.
 */
export function ensureConnectPeer(cfg: Config, v: PeerVersions): PeerInstall {
  const jars = layout(cfg).jars;
  const logFile = path.join(layout(cfg).logs, 'maven.log');
  const pom = path.join(PROJECT_ROOT, 'bench', 'kafka-connect', 'pom.xml');
  const worker = path.join(jars, `kafka-connect-${v.connect}`);
  const plugins = path.join(jars, `kafka-connect-plugins-debezium-jdbc-${v.debezium}-apicurio-${v.apicurio}`);
  let cached = true;
  if (!fs.existsSync(path.join(worker, '.complete'))) {
    cached = false;
    fs.rmSync(worker, { recursive: true, force: true });
    runLogged(mvn(), ['-q', '-B', '-f', pom, '-P', 'worker', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-Dconnect.version=${v.connect}`, `-DoutputDirectory=${worker}`], {
      cwd: PROJECT_ROOT,
      logFile,
      error: 'STACK_MAVEN_FAILED',
    });
    fs.writeFileSync(path.join(worker, '.complete'), new Date().toISOString());
  }
  if (!fs.existsSync(path.join(plugins, '.complete'))) {
    cached = false;
    fs.rmSync(plugins, { recursive: true, force: true });
    fs.mkdirSync(plugins, { recursive: true });
    // each plugin in its own folder under plugin.path: Connect gives each its own class loader
    runLogged(mvn(), ['-q', '-B', '-f', pom, '-P', 'converter', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-Dapicurio.version=${v.apicurio}`, `-DoutputDirectory=${path.join(plugins, 'apicurio-converter')}`], {
      cwd: PROJECT_ROOT,
      logFile,
      error: 'STACK_MAVEN_FAILED',
    });
    const artifact = `io.debezium:debezium-connector-jdbc:${v.debezium}:tar.gz:plugin`;
    runLogged(mvn(), ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${plugins}`], { cwd: PROJECT_ROOT, logFile, error: 'STACK_MAVEN_FAILED' });
    const archive = path.join(plugins, `debezium-connector-jdbc-${v.debezium}-plugin.tar.gz`);
    runLogged('tar', ['-xzf', archive, '-C', plugins], { cwd: plugins, logFile, error: 'STACK_MAVEN_FAILED' });
    fs.rmSync(archive);
    fs.writeFileSync(path.join(plugins, '.complete'), new Date().toISOString());
  }
  return { workerClasspath: `${worker}/*`, pluginPath: plugins, cached };
}

function properties(entries: Record<string, string | number>): string {
  // the properties format: '\' escapes, and ':' / '=' in values are fine after the first '='
  return `${Object.entries(entries)
    .map(([k, val]) => `${k}=${String(val).replaceAll('\\', '\\\\')}`)
    .join('\n')}\n`;
}

interface PeerOptions {
  batchSize: number;
  maxPollRecords: number;
  tasks: number;
  pollMs: number;
  timeoutS: number;
}

interface PeerResult {
  name: string;
  records: number;
  rows: number;
  /** partitions assigned -> every key in the table, ms */
  wallMs: number;
  /** worker process start -> every key in the table, ms */
  fromStartMs: number;
  /** worker process start -> partitions assigned, ms */
  startupMs: number;
  cpu: ReturnType<typeof cpuDelta>;
}

/** A line of the worker's log that means its sink consumer has partitions and the offsets to fetch from. */
const READY_LINE = /(Resetting offset for partition|Setting offset for partition)/;

async function connectSink(install: PeerInstall, topic: string, namespace: string, db: FreshDatabase, records: number, distinct: number, tag: string, o: PeerOptions, workDir: string): Promise<PeerResult> {
  const cfg = config();
  const dir = path.join(workDir, `connect-${tag}`);
  fs.mkdirSync(dir, { recursive: true });
  const restPort = await freePort();
  const name = `${namespace}-jdbc-${tag}`;
  const registry = new URL(cfg.registryUrl);
  const pg = new URL(db.url);
  fs.writeFileSync(
    path.join(dir, 'worker.properties'),
    properties({
      'bootstrap.servers': cfg.kafkaBrokers.join(','),
      'plugin.path': install.pluginPath,
      'offset.storage.file.filename': path.join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': 10_000,
      listeners: `http://127.0.0.1:${restPort}`,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      // the registry's own v2 API (Apicurio 3 serves it beside ccompat); the ids in our records are the
      // ccompat ids, which Apicurio 3 hands out as content ids: Confluent's 4-byte framing, no headers
      'value.converter.apicurio.registry.url': `${registry.origin}/apis/registry/v2`,
      'value.converter.apicurio.registry.as-confluent': 'true',
      // as-confluent alone picks this handler too, after warning about the default one
      'value.converter.apicurio.registry.id-handler': 'io.apicurio.registry.serde.Legacy4ByteIdHandler',
      'value.converter.apicurio.registry.use-id': 'contentId',
      'value.converter.apicurio.registry.headers.enabled': 'false',
      'consumer.max.poll.records': o.maxPollRecords,
      'consumer.auto.offset.reset': 'earliest',
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'connector.properties'),
    properties({
      name,
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'tasks.max': o.tasks,
      topics: topic,
      'connection.url': `jdbc:postgresql://${pg.hostname}:${pg.port || 5432}${pg.pathname}`,
      'connection.username': decodeURIComponent(pg.username || 'postgres'),
      // the connector refuses an empty password; under the stack's trust authentication any value does
      'connection.password': decodeURIComponent(pg.password || 'unused'),
      'insert.mode': 'upsert',
      'delete.enabled': 'false',
      'primary.key.mode': 'record_value',
      'primary.key.fields': 'sequence_hash',
      'schema.evolution': 'none',
      'collection.name.format': 'sequence',
      'batch.size': o.batchSize,
      // the topic's fields onto the table's columns with Kafka's stock transform
      transforms: 'fit',
      'transforms.fit.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
      'transforms.fit.renames': 'md5:sequence_hash',
      'transforms.fit.exclude': 'first_seen_job_id',
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'log4j.properties'),
    ['log4j.rootLogger=INFO, stdout', 'log4j.logger.org.reflections=ERROR', 'log4j.appender.stdout=org.apache.log4j.ConsoleAppender', 'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n', ''].join('\n'),
  );
  const logFile = path.join(dir, 'worker.log');
  const log = fs.createWriteStream(logFile);
  // the JVM flags of Kafka's connect-standalone.sh (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS)
  const args = [
    '-Xms256M',
    '-Xmx2G',
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`,
    '-cp',
    install.workerClasspath,
    'org.apache.kafka.connect.cli.ConnectStandalone',
    path.join(dir, 'worker.properties'),
    path.join(dir, 'connector.properties'),
  ];
  const counter = new RowCounter(db.url);
  const backends = await sinkBackends(counter);
  let child: ChildProcess | undefined;
  const meter = new CpuMeter(() => [{ name: 'kafka connect worker (JVM)', pid: child?.pid }], backends);
  let exited: string | undefined;
  let ready = 0;
  try {
    const t0 = performance.now();
    child = spawn(java(cfg), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('exit', (code, signal) => (exited = `the worker exited (${signal ?? `code ${code}`}); log: ${logFile}`));
    child.stderr!.pipe(log, { end: false });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (ready === 0 && READY_LINE.test(line)) ready = performance.now();
      log.write(`${line}\n`);
    });
    let before: Awaited<ReturnType<CpuMeter['snapshot']>> | undefined;
    const deadline = Date.now() + o.timeoutS * 1000;
    let lastStatus = 0;
    let rows = 0;
    for (;;) {
      if (exited) throw new Error(exited);
      if (Date.now() > deadline) throw new Error(`the Connect sink did not land ${fmt(distinct)} rows in ${o.timeoutS} s (${fmt(rows)} so far); log: ${logFile}`);
      if (ready !== 0) {
        before ??= await meter.snapshot();
        // max(id) first, an index probe: the identity is drawn for every row inserted or upserted, so it
        // bounds the count from above; count(*) (a scan the peer would compete with) only once it is reached
        const [top] = await counter.query<{ m: string }>('SELECT coalesce(max(id), 0)::bigint AS m FROM sequence');
        if (Number(top!.m) >= distinct) {
          rows = (await counter.counts(['sequence']))[0]!;
          if (rows >= distinct) break;
        }
      }
      if (Date.now() - lastStatus > 2000) {
        lastStatus = Date.now();
        const failed = await connectorFailure(restPort, name);
        if (failed) throw new Error(`the connector failed: ${failed}; log: ${logFile}`);
      }
      await sleep(o.pollMs);
    }
    const done = performance.now();
    const after = await meter.snapshot();
    return {
      name: 'Kafka Connect standalone + Debezium JDBC sink (upsert)',
      records,
      rows,
      wallMs: done - ready,
      fromStartMs: done - t0,
      startupMs: ready - t0,
      cpu: cpuDelta(before!, after),
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) await stop(child);
    log.end();
    await counter.close();
  }
}

/** The backends of the counter's database but its own: the sink's connections, for their CPU seconds. */
async function sinkBackends(counter: RowCounter): Promise<() => Promise<number[]>> {
  const [own] = await counter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return async () => (await counter.backendPids()).filter((pid) => pid !== own!.pid);
}

/** Our sink (in this process) with the CPU of the machine from its group join to the commit of the last record. */
async function ourSink(namespace: string, db: FreshDatabase, n: number, maxRecords: number, tag: string) {
  const counter = new RowCounter(db.url);
  const meter = new CpuMeter(() => [], await sinkBackends(counter));
  let before: Awaited<ReturnType<CpuMeter['snapshot']>> | undefined;
  let after: typeof before;
  try {
    const r = await copySink(namespace, db, n, maxRecords, tag, {
      joined: async () => {
        before = await meter.snapshot();
      },
      done: async () => {
        after = await meter.snapshot();
      },
    });
    return { ...r, cpu: cpuDelta(before!, after!) };
  } finally {
    await counter.close();
  }
}

/** The connector's or a task's FAILED state with its trace's first line, from the worker's REST API; undefined otherwise. */
async function connectorFailure(port: number, name: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/connectors/${encodeURIComponent(name)}/status`, { signal: AbortSignal.timeout(1500) });
    if (!res.ok) return undefined; // not created yet
    const s = (await res.json()) as { connector?: { state?: string; trace?: string }; tasks?: { id: number; state?: string; trace?: string }[] };
    if (s.connector?.state === 'FAILED') return `connector: ${(s.connector.trace ?? '').split('\n')[0]}`;
    const t = s.tasks?.find((x) => x.state === 'FAILED');
    return t ? `task ${t.id}: ${(t.trace ?? '').split('\n').slice(0, 3).join(' | ')}` : undefined;
  } catch {
    return undefined; // the REST server is not up yet
  }
}

/** SIGTERM (ConnectStandalone stops its connector and commits), SIGKILL after 20 s. */
async function stop(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await gone;
  clearTimeout(timer);
}

const program = benchProgram('sink-vs-kafka-connect', 'our sequences sink against Kafka Connect standalone + the Debezium JDBC sink (upsert) on the same Avro topic, same table, same run (target: ours 3x faster)')
  .option('--records <n>', 'SequenceRecords to produce', positiveInt, 200_000)
  .option('--repeat <n>', 'rounds; the order of the two sinks alternates', positiveInt, 1)
  .option('--max-records <n>', 'our sink: records per transaction', positiveInt, 5000)
  .option('--batch-size <n>', 'the Debezium sink: batch.size (records per flush)', positiveInt, 5000)
  .option('--max-poll-records <n>', 'the Connect worker: consumer.max.poll.records', positiveInt, 5000)
  .option('--tasks <n>', 'the connector: tasks.max (our sink is one consumer)', positiveInt, 1)
  .option('--poll-ms <n>', 'how often the peer table is counted while the worker runs', positiveInt, 200)
  .option('--seed <s>', 'seed of the generated records', nonNegativeInt, 42)
  .option('--connect-version <v>', 'org.apache.kafka:connect-runtime version', CONNECT_VERSION)
  .option('--debezium-version <v>', 'io.debezium:debezium-connector-jdbc plugin archive version', DEBEZIUM_VERSION)
  .option('--apicurio-version <v>', 'io.apicurio:apicurio-registry-utils-converter version', APICURIO_CONVERTER_VERSION)
  .option('--timeout <s>', 'give up on a sink after this many seconds', positiveInt, 1800)
  .option('--keep', 'keep the worker logs and configs (printed), and the databases and topics');

interface Opts {
  records: number;
  repeat: number;
  maxRecords: number;
  batchSize: number;
  maxPollRecords: number;
  tasks: number;
  pollMs: number;
  seed: number;
  connectVersion: string;
  debeziumVersion: string;
  apicurioVersion: string;
  timeout: number;
  keep?: boolean;
}

async function main(o: Opts): Promise<void> {
  const cfg = config();
  process.stderr.write('resolving the Kafka Connect worker, the Debezium JDBC sink and the Apicurio converter (cached after the first run) ...\n');
  const install = ensureConnectPeer(cfg, { connect: o.connectVersion, debezium: o.debeziumVersion, apicurio: o.apicurioVersion });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'protea-bench-connect-'));
  const ns = await freshNamespace();
  const dbs: FreshDatabase[] = [];
  let ok = false;
  try {
    const topic = ns.topic('sequences');
    process.stdout.write(
      `\n== sink: ours vs Kafka Connect ${o.connectVersion} standalone + Debezium JDBC sink ${o.debeziumVersion} (Apicurio AvroConverter ${o.apicurioVersion}), same topic, same run ==\n` +
        `machine: ${machineLine()}\nnamespace ${ns.namespace}${install.cached ? '' : ' (Connect jars resolved now)'}\n`,
    );
    const p = await produceSequences(topic, o.records, o.seed);
    // the log is the truth: a producer retry may have appended a batch twice
    const n = await logEndTotal(topic);
    process.stdout.write(`topic ${topic}: ${fmt(n)} messages (${fmt(o.records)} SequenceRecords produced, ${fmt(p.distinct)} distinct keys, mean length ${fmt(p.residues / o.records)}) in ${fmt(p.ms / 1000, 1)} s\n`);
    process.stdout.write(
      `ours: up to ${fmt(o.maxRecords)} records of one partition per transaction (COPY + merge, offsets in the same transaction); ` +
        `peer: tasks.max=${o.tasks}, batch.size=${fmt(o.batchSize)}, consumer.max.poll.records=${fmt(o.maxPollRecords)}, insert.mode=upsert on sequence_hash; one sink at a time\n`,
    );
    const results: { round: number; who: 'ours' | 'connect'; records: number; rows: number; wallMs: number; cpuS: number; note: string }[] = [];
    // the sink's own CPU: its process (this one, or the worker's JVM) and its PostgreSQL backends
    const sinkCpu = (d: ReturnType<typeof cpuDelta>, proc: string) => d.rows.filter(([k]) => k === proc || k === 'postgresql: backends of the bench database').reduce((sum, [, v]) => sum + v, 0);
    for (let round = 1; round <= o.repeat; round++) {
      const order: ('ours' | 'connect')[] = round % 2 === 1 ? ['ours', 'connect'] : ['connect', 'ours'];
      for (const who of order) {
        const db = await freshDatabase();
        dbs.push(db);
        process.stderr.write(`round ${round}: ${who} into ${db.name} ...\n`);
        if (who === 'ours') {
          const r = await ourSink(ns.namespace, db, n, o.maxRecords, `connect-bench-${round}`);
          const counter = new RowCounter(db.url);
          const rows = (await counter.counts(['sequence']))[0]!;
          await counter.close();
          if (rows !== p.distinct) throw new Error(`ours: ${rows} rows, expected ${p.distinct}`);
          results.push({ round, who, records: r.records, rows, wallMs: r.wallMs, cpuS: sinkCpu(r.cpu, 'bench process'), note: `${fmt(r.transactions)} transactions, ${fmt(r.txMs / 1000, 2)} s in them` });
          process.stderr.write(`  ours: ${fmt(r.records)} records in ${fmt(r.wallMs / 1000, 2)} s\n`);
          process.stdout.write(`\nround ${round}, ours (this process, from its group join to its last commit; the bench's own polling included):\n`);
          printCpu(r.cpu);
        } else {
          const r = await connectSink(install, topic, ns.namespace, db, n, p.distinct, String(round), { batchSize: o.batchSize, maxPollRecords: o.maxPollRecords, tasks: o.tasks, pollMs: o.pollMs, timeoutS: o.timeout }, workDir);
          if (r.rows !== p.distinct) throw new Error(`connect: ${r.rows} rows, expected ${p.distinct}`);
          results.push({ round, who, records: r.records, rows: r.rows, wallMs: r.wallMs, cpuS: sinkCpu(r.cpu, 'kafka connect worker (JVM)'), note: `worker start to partitions assigned ${fmt(r.startupMs / 1000, 1)} s; from the worker's start ${fmt(r.fromStartMs / 1000, 2)} s` });
          process.stderr.write(`  connect: ${fmt(r.records)} records in ${fmt(r.wallMs / 1000, 2)} s\n`);
          process.stdout.write(`\nround ${round}, Kafka Connect (from its partitions assigned to the last row counted):\n`);
          printCpu(r.cpu);
        }
        if (!o.keep) {
          await db.drop();
          dbs.pop();
        }
      }
    }
    const rows: string[][] = [['round', 'sink', 'records', 'rows', 'seconds', 'records/s', 'sink CPU s', 'CPU µs/record', 'notes']];
    for (const r of results) {
      rows.push([String(r.round), r.who === 'ours' ? 'ours (runSink + sequencesSink, COPY + merge)' : 'Kafka Connect + Debezium JDBC sink (upsert)', fmt(r.records), fmt(r.rows), fmt(r.wallMs / 1000, 2), fmt((r.records * 1000) / r.wallMs), fmt(r.cpuS, 1), fmt((r.cpuS * 1e6) / r.records, 1), r.note]);
    }
    process.stdout.write(`\n${table(rows)}\n\n`);
    const rate = (who: 'ours' | 'connect') => {
      const rs = results.filter((x) => x.who === who);
      return (rs.reduce((s, r) => s + r.records, 0) * 1000) / rs.reduce((s, r) => s + r.wallMs, 0);
    };
    const ours = rate('ours');
    const peer = rate('connect');
    const cpuPerRecord = (who: 'ours' | 'connect') => {
      const rs = results.filter((x) => x.who === who);
      return (rs.reduce((s, r) => s + r.cpuS, 0) * 1e6) / rs.reduce((s, r) => s + r.records, 0);
    };
    process.stdout.write(
      `ours / Kafka Connect + Debezium JDBC: ${fmt(ours / peer, 2)}x (${fmt(ours)} vs ${fmt(peer)} records/s, first record to last commit; target ${TARGET_RATIO}x: ${ours / peer >= TARGET_RATIO ? 'met' : 'NOT met'})\n` +
        `CPU per record (the sink's process + its PostgreSQL backends): ours ${fmt(cpuPerRecord('ours'), 1)} µs, the peer ${fmt(cpuPerRecord('connect'), 1)} µs (${fmt(cpuPerRecord('connect') / cpuPerRecord('ours'), 2)}x)\n`,
    );
    ok = true;
    if (o.keep) process.stdout.write(`kept: worker configs and logs in ${workDir}; databases ${dbs.map((d) => d.name).join(', ')}; namespace ${ns.namespace}\n`);
  } finally {
    if (!o.keep) {
      for (const db of dbs) await db.drop().catch(() => undefined);
      await ns.drop();
      // a failed run keeps the worker's log, which its error names
      if (ok) fs.rmSync(workDir, { recursive: true, force: true });
      else process.stderr.write(`worker configs and logs left in ${workDir}\n`);
    }
  }
}

benchMain(import.meta.url, program, main);
