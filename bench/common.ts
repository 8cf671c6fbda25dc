// What every benchmark shares: a throw-away topic namespace and database
// (created fresh, dropped at the end, like test/helpers/fresh-database.ts),
// waiting for consumer groups, CPU accounting per process from /proc, and
// the output format.
// Every benchmark imports this module, --help included: the helpers that
// need pg, slonik or kafkajs import them when called (see bench/cli.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { config, PROJECT_ROOT } from '../lib/config.js';
import type { createCopyPool } from '../lib/db.js';
import type { Admin } from '../lib/kafka-client.js';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { benchProgram, nonNegativeInt } from './cli.js';
import { EXPERIMENTS, parseExperiments, type Experiment } from './experiments.js';
import type { OutgoingRecord, TopicProducer } from '../lib/topic-producer.js';
import { TOPICS, subjectFor, topicName } from '../topics/catalogue.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `read` every second until `ok` holds; throws with the last value after `timeoutMs`. */
export async function until<T>(label: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 1_800_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${label} (last: ${JSON.stringify(v)})`);
    await sleep(1000);
  }
}

// ── fresh namespace and database ────────────────────────────────────────────

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<boolean>;
}

/** CREATE DATABASE protea_b_<hex> (migrated unless told otherwise); drop() removes it WITH (FORCE). */
export async function freshDatabase(opts: { migrate?: boolean } = {}): Promise<FreshDatabase> {
  const [{ adminQuery, withDatabase }, { migrate }] = await Promise.all([import('../lib/db.js'), import('../lib/migrate.js')]);
  const server = config().dbUrl;
  const maintenance = withDatabase(server, 'postgres');
  const name = `protea_b_${randomBytes(5).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(maintenance, `CREATE DATABASE "${name}"`);
      break;
    } catch (err) {
      // template1 busy (another session creating a database at the same moment)
      if ((err as { code?: string }).code !== '55006' || attempt >= 8) throw err;
      await sleep(250 * attempt);
    }
  }
  const url = withDatabase(server, name);
  const drop = () => dropDatabase(maintenance, name);
  try {
    if (opts.migrate ?? true) await migrate(url, { onStep: () => {} });
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { name, url, drop };
}

/**
 * DROP DATABASE .. WITH (FORCE), bounded: PostgreSQL 15 makes every backend
 * absorb a ProcSignalBarrier first, and a backend blocked reading a client's
 * COPY data (a stalled COPY FROM STDIN anywhere on the server) holds that up
 * indefinitely. After 60 s the drop is cancelled and the database left behind
 * with a warning rather than the benchmark hanging.
 */
export async function dropDatabase(maintenanceUrl: string, name: string, timeoutMs = 60_000): Promise<boolean> {
  const { createCopyPool } = await import('../lib/db.js');
  const pool = createCopyPool(maintenanceUrl, 1);
  try {
    const client = await pool.connect();
    try {
      await client.query(`SET statement_timeout = ${Math.round(timeoutMs)}`);
      await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
      return true;
    } finally {
      client.release();
    }
  } catch (err) {
    process.stderr.write(`warning: could not drop database ${name} (${(err as Error).message}); drop it later: psql -c 'DROP DATABASE "${name}" WITH (FORCE)'\n`);
    return false;
  } finally {
    await pool.end();
  }
}

export interface FreshNamespace {
  namespace: string;
  topic(id: string): string;
  drop(): Promise<void>;
}

/** A new topic namespace with every catalogue topic created and its schemas registered; drop() deletes topics and subjects. */
export async function freshNamespace(): Promise<FreshNamespace> {
  const [{ deleteTopics }, { createTopics }] = await Promise.all([import('../lib/kafka-client.js'), import('../topics/create.js')]);
  const namespace = `protea_b_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const drop = async () => {
    const names = TOPICS.map((s) => topicName(s, namespace));
    for (let attempt = 1; ; attempt++) {
      try {
        await deleteTopics(names);
        break;
      } catch (err) {
        if (attempt >= 3) {
          process.stderr.write(`warning: could not delete the topics of ${namespace} (${(err as Error).message})\n`);
          break;
        }
        await sleep(1000 * attempt);
      }
    }
    for (const subject of names.map(subjectFor)) {
      await fetch(`${config().registryUrl}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${config().registryUrl}/subjects/${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
    }
  };
  try {
    await createTopics({ namespace });
  } catch (err) {
    await drop();
    throw err;
  }
  return { namespace, topic: (id) => topicName(id, namespace), drop };
}

/** Resolves when every group is Stable with at least one member (partitions assigned). */
export async function waitForGroups(groupIds: readonly string[], timeoutMs = 60_000): Promise<number> {
  const { withAdmin } = await import('../lib/kafka-client.js');
  const t0 = Date.now();
  await withAdmin(async (admin) => {
    for (;;) {
      const { groups } = await admin.describeGroups([...groupIds]);
      if (groupIds.every((id) => groups.some((g) => g.groupId === id && g.state === 'Stable' && g.members.length > 0))) return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`consumer groups not stable after ${timeoutMs} ms: ${groups.map((g) => `${g.groupId}=${g.state}`).join(', ')}`);
      await sleep(100);
    }
  });
  return Date.now() - t0;
}

/** Sum of the log-end offsets of a topic's partitions (= records, no transactions), on a connected admin client. */
export async function logEndWith(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high), 0);
}

/** The same on an admin client of its own (one connection per call). */
export async function logEndTotal(topic: string): Promise<number> {
  const { withAdmin } = await import('../lib/kafka-client.js');
  return withAdmin((admin) => logEndWith(admin, topic));
}

/** Row counts of tables, polled on one connection. */
export class RowCounter {
  /** a promise: the pool is created once lib/db.js, imported lazily, has loaded */
  private readonly pool: Promise<ReturnType<typeof createCopyPool>>;
  constructor(url: string) {
    this.pool = import('../lib/db.js').then(({ createCopyPool }) => createCopyPool(url, 1));
  }
  async counts(tables: readonly string[]): Promise<number[]> {
    const sql = `SELECT ${tables.map((t, i) => `(SELECT count(*) FROM ${t})::bigint AS c${i}`).join(', ')}`;
    this.statements++;
    const row = (await (await this.pool).query(sql)).rows[0] as Record<string, string>;
    return tables.map((_, i) => Number(row[`c${i}`]));
  }
  /** statements this counter ran (each is a transaction of the database's xact_commit) */
  statements = 0;
  async query<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
    this.statements++;
    return (await (await this.pool).query(text, values)).rows as T[];
  }
  /** pids of the backends connected to this database */
  async backendPids(): Promise<number[]> {
    return (await this.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).map((r) => r.pid);
  }
  /** Transactions committed in this database so far, the counter's own statements excluded (pg_stat_database lags by up to ~0.5 s). */
  async commits(): Promise<number> {
    const [row] = await this.query<{ n: string }>('SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(row?.n ?? 0) - this.statements;
  }
  async close(): Promise<void> {
    await (await this.pool).end();
  }
}

/** A TopicProducer that notes when the first and the last record went to one topic (performance.now() ms). */
export interface TimedProducer extends TopicProducer {
  first: number;
  last: number;
  sent: number;
}

/** A new TimedProducer watching `watched` (a function, not a class: its base class is imported lazily). */
export async function timedProducer(watched: string): Promise<TimedProducer> {
  const { TopicProducer } = await import('../lib/topic-producer.js');
  class Timed extends TopicProducer implements TimedProducer {
    first = 0;
    last = 0;
    sent = 0;
    override async send<T>(topic: string, records: readonly OutgoingRecord<T>[]): Promise<void> {
      if (topic === watched && records.length > 0 && this.first === 0) this.first = performance.now();
      await super.send(topic, records);
      if (topic === watched) {
        this.sent += records.length;
        this.last = performance.now();
      }
    }
  }
  return new Timed();
}

// ── stages as child processes ───────────────────────────────────────────────

export interface Child {
  name: string;
  proc: ChildProcess;
  /** settles when the process exited */
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `node <script> ...args` from dist/ with the bench's namespace and
 * database in its environment; stdout and stderr go to `<logDir>/<name>.log`.
 */
export function startChild(name: string, script: string, args: readonly string[], env: Record<string, string>, opts: { logDir: string; nodeArgs?: readonly string[] }): Child {
  const log = createWriteStream(path.join(opts.logDir, `${name}.log`));
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), path.join(PROJECT_ROOT, 'dist', script), ...args], {
    env: { ...process.env, PROTEA_LOG_LEVEL: 'warn', PROTEA_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.pipe(log, { end: false });
  proc.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const stop = async (timeoutMs = 20_000): Promise<number | null> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    log.end();
    return code;
  };
  return { name, proc, exited, stop };
}

// ── CPU accounting (Linux /proc) ────────────────────────────────────────────

const TICK = 100; // USER_HZ: Linux reports /proc times in 1/100 s on every architecture we run on

interface ProcTimes {
  /** utime + stime of the process itself, seconds */
  self: number;
  /** cutime + cstime: children it waited for (the postmaster's exited backends), seconds */
  children: number;
  comm: string;
}

async function procTimes(pid: number): Promise<ProcTimes | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // fields after ')' start at field 3 (state): utime=14, stime=15, cutime=16, cstime=17
    return { self: (Number(f[11]) + Number(f[12])) / TICK, children: (Number(f[13]) + Number(f[14])) / TICK, comm };
  } catch {
    return undefined;
  }
}

async function cmdline(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The stack's Kafka and registry JVMs (by their -Dprotea.stack= flag) and the PostgreSQL processes. */
export async function stackPids(): Promise<{ kafka: number[]; registry: number[]; postgres: number[] }> {
  const out = { kafka: [] as number[], registry: [] as number[], postgres: [] as number[] };
  const marker = `-Dprotea.stack=${config().stateDir}`;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const t = await procTimes(pid);
    if (!t) continue;
    if (t.comm === 'postgres') out.postgres.push(pid);
    else if (t.comm === 'java') {
      const cmd = await cmdline(pid);
      if (!cmd.includes(marker)) continue;
      if (cmd.includes('kafka.Kafka')) out.kafka.push(pid);
      else if (cmd.includes('apicurio')) out.registry.push(pid);
    }
  }
  return out;
}

/** Machine-wide busy and total CPU seconds from /proc/stat. */
async function machineTimes(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICK, total: (busy + idle + iowait) / TICK };
}

export interface CpuSnapshot {
  at: number;
  byComponent: Map<string, number>;
  /** CPU seconds of each backend of the bench database, by pid */
  backends: Map<number, number>;
  machine: { busy: number; total: number };
}

/**
 * CPU seconds used so far per component: this process, each named child, the
 * Kafka and registry JVMs, the PostgreSQL backends serving the bench database
 * (the sinks' connections and the bench's own polling; other sessions'
 * backends are not counted here but under 'other'), and PostgreSQL's shared
 * background processes (WAL writer, checkpointer, background writer).
 */
export class CpuMeter {
  private pids: Awaited<ReturnType<typeof stackPids>> | undefined;
  private background: number[] | undefined;
  constructor(
    private readonly children: () => readonly { name: string; pid: number | undefined }[],
    private readonly backendPids: () => Promise<number[]> = async () => [],
  ) {}

  async snapshot(): Promise<CpuSnapshot> {
    this.pids ??= await stackPids();
    if (!this.background) {
      this.background = [];
      for (const pid of this.pids.postgres) if (/: (walwriter|checkpointer|background writer)/.test(await cmdline(pid))) this.background.push(pid);
    }
    const m = new Map<string, number>();
    const u = process.cpuUsage();
    m.set('bench process', (u.user + u.system) / 1e6);
    for (const c of this.children()) {
      if (c.pid === undefined) continue;
      const t = await procTimes(c.pid);
      if (t) m.set(c.name, t.self);
    }
    const sum = async (pids: number[]) => {
      let s = 0;
      for (const pid of pids) s += (await procTimes(pid))?.self ?? 0;
      return s;
    };
    m.set('kafka (JVM)', await sum(this.pids.kafka));
    m.set('registry (JVM)', await sum(this.pids.registry));
    m.set('postgresql: WAL writer, checkpointer, bgwriter', await sum(this.background));
    const backends = new Map<number, number>();
    for (const pid of await this.backendPids()) {
      const t = await procTimes(pid);
      if (t) backends.set(pid, t.self);
    }
    return { at: Date.now(), byComponent: m, backends, machine: await machineTimes() };
  }
}

/** CPU seconds between two snapshots, per component, plus everything else on the machine. */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): { rows: [string, number][]; wall: number; machineBusy: number; cores: number } {
  const rows: [string, number][] = [];
  let known = 0;
  for (const [k, v] of b.byComponent) {
    const d = Math.max(0, v - (a.byComponent.get(k) ?? 0));
    rows.push([k, d]);
    known += d;
  }
  // backends that started after `a` count from 0; ones that ended before `b` are lost (none of ours do)
  let pg = 0;
  for (const [pid, v] of b.backends) pg += Math.max(0, v - (a.backends.get(pid) ?? 0));
  rows.push(['postgresql: backends of the bench database', pg]);
  known += pg;
  const machineBusy = b.machine.busy - a.machine.busy;
  rows.push(['other (rest of the machine: other sessions, ...)', Math.max(0, machineBusy - known)]);
  return { rows, wall: (b.at - a.at) / 1000, machineBusy, cores: os.cpus().length };
}

// ── output ──────────────────────────────────────────────────────────────────

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export function printCpu(d: ReturnType<typeof cpuDelta>): void {
  const capacity = d.wall * d.cores;
  const rows: string[][] = [['component', 'CPU s', '% of wall', '% of machine']];
  for (const [k, v] of d.rows) rows.push([k, fmt(v, 1), `${fmt((100 * v) / d.wall)}%`, `${fmt((100 * v) / capacity)}%`]);
  rows.push(['machine busy', fmt(d.machineBusy, 1), `${fmt((100 * d.machineBusy) / d.wall)}%`, `${fmt((100 * d.machineBusy) / capacity)}%`]);
  process.stdout.write(`CPU over ${fmt(d.wall, 1)} s wall on ${d.cores} cores (${fmt(capacity, 1)} CPU s available; '% of wall' 100% = one core busy):\n${table(rows)}\n`);
}

/** One line per machine fact the RESULTS need. */
export function machineLine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

/** Options both ingest benchmarks (FASTA, GAF) take, parsed the same way. */
export interface PipelineBenchOptions {
  sequences: number;
  seed: number;
  gzip: boolean;
  mode: 'pipeline' | 'staged';
  inProcess: boolean;
  batch: number;
  maxRecords: number | undefined;
  cpuProf: string | undefined;
  keep: boolean;
  timeoutS: number;
  experiments: Experiment[];
}

/** The ingest benchmarks' program with the options they share (their own are added by each). */
export function pipelineBenchProgram(file: string, description: string): Command {
  return benchProgram(file, description)
    .option('--sequences <n>', 'FASTA entries to generate', nonNegativeInt, 200_000)
    .addOption(new Option('--mode <mode>', 'pipeline: every stage at once; staged: one stage at a time (where the time goes)').choices(['pipeline', 'staged']).default('pipeline'))
    .option('--in-process', 'run the stages in this process (what `protea pipeline` does) instead of child processes')
    .option('--gzip', 'generate gzip input')
    .option('--seed <s>', 'seed of the generated data', nonNegativeInt, 42)
    .option('--batch <n>', 'records per producer batch', nonNegativeInt, 1000)
    .option('--max-records <n>', "records per sink transaction (default, or 0: the sink's)", nonNegativeInt)
    .option('--cpu-prof <dir>', 'write V8 CPU profiles of the stages into DIR')
    .option('--keep', 'keep the topic namespace, database and input files')
    .option('--timeout <s>', 'give up after this many seconds', nonNegativeInt, 600)
    .option('--experiment <names>', `what-if experiments, comma-separated (${EXPERIMENTS.join(', ')})`, (raw: string) => {
      try {
        return parseExperiments(raw);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    });
}

/** What commander parsed for pipelineBenchProgram's options, as the benchmarks use it. */
export function pipelineBenchOptions(o: Record<string, unknown>): PipelineBenchOptions {
  const maxRecords = o.maxRecords as number | undefined;
  return {
    sequences: o.sequences as number,
    seed: o.seed as number,
    gzip: o.gzip === true,
    mode: o.mode as 'pipeline' | 'staged',
    inProcess: o.inProcess === true,
    batch: o.batch as number,
    maxRecords: maxRecords !== undefined && maxRecords > 0 ? maxRecords : undefined,
    cpuProf: o.cpuProf as string | undefined,
    keep: o.keep === true,
    timeoutS: o.timeout as number,
    experiments: (o.experiment as Experiment[] | undefined) ?? [],
  };
}
