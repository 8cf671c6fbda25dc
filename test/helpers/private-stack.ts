// A whole stack of the test's own, for tests whose faults must never reach
// the shared stack: a PostgreSQL server initdb'ed into a temporary folder on a
// free port, and Kafka and the schema registry brought up by `protea stack up`
// with a fresh state folder and free ports. Everything it starts it can kill
// (kill -9 of the broker or the registry, an immediate PostgreSQL restart),
// bring back (`protea stack up` again) and, at teardown, stop and remove.
//
// Jars: the broker's and the registry's come from the MAIN stack's jar cache,
// `<state folder>/jars` of the caller's configuration (PROTEA_STATE_DIR,
// default <repo>/.protea, which `npm test` fills by bringing the main stack up
// first). A stack whose state lives elsewhere is named with PROTEA_STATE_DIR,
// e.g. `PROTEA_STATE_DIR=/tmp/baseline/.protea node test/run.mjs ...`. Nothing
// is downloaded: a missing cache fails at once, saying so.
//
// PostgreSQL: Debian's binaries (/usr/lib/postgresql/<major>/bin, the newest
// major present). The server refuses to run as root, so as root (tests here
// run as root) initdb and pg_ctl run as the `postgres` user via runuser, in a
// folder that user owns. Trust authentication, listening on 127.0.0.1 only.
// fsync is off (speed): an immediate restart kills the server, not the
// machine, so the WAL written before it stays in the page cache and replays.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, SETTINGS, loadConfig } from '../../lib/config.js';
import { freePort } from '../../lib/free-port.js';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while the pid runs and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const majors = fs.existsSync(base) ? fs.readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const m of majors) if (fs.existsSync(path.join(base, m, 'bin', 'initdb'))) return path.join(base, m, 'bin');
  throw new Error(`no PostgreSQL server binaries (initdb, pg_ctl) under ${base}/<major>/bin`);
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the event loop (the test keeps polling while it runs). */
export function run(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd ?? PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('error', reject);
    const done = (status: number | null, signal: NodeJS.Signals | null) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    };
    child.once('close', done);
    // a server the command started may inherit its output pipes and keep them
    // open: once the command itself exited, its output is not waited for long
    child.once('exit', (status, signal) => setTimeout(() => done(status, signal), 2_000).unref());
  });
}

/** One pipeline process (`protea pipeline --stage ...`) and its log. */
export interface StageProcess {
  slot: string;
  stages: readonly string[];
  child: ChildProcess;
  log: string;
  /** set before the test kills it, so the exit is not mistaken for a crash */
  killedByTest: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface PrivateStack {
  dir: string;
  /** the environment every protea process of this stack runs with */
  env: NodeJS.ProcessEnv;
  dbUrl: string;
  namespace: string;
  /** `node bin/protea.js ...` against this stack */
  cli(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** `protea stack up`; throws with its output when it fails */
  up(): Promise<void>;
  /** kill -9 of the broker (its process group), then `protea stack up` */
  restartBroker(): Promise<void>;
  /** kill -9 of the registry, then `protea stack up` */
  restartRegistry(): Promise<void>;
  /** `pg_ctl restart -m immediate`: every connection is cut, the server recovers from its WAL */
  restartPostgres(): Promise<void>;
  /** starts `protea pipeline --stage <stages...>` as a child with its log in the stack's folder */
  startStage(slot: string, stages: readonly string[]): StageProcess;
  /** kills everything it started and removes its folder */
  destroy(): Promise<void>;
}

export interface PrivateStackOptions {
  /** topic namespace and database name (lower case, digits, _) */
  name: string;
  /** extra PROTEA_* settings for every process (heap sizes, log level) */
  env?: NodeJS.ProcessEnv;
  note?: (line: string) => void;
}

interface PidFile {
  pid: number;
}

function readPidFile(file: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as PidFile).pid;
  } catch {
    return undefined;
  }
}

/** kill -9 of a process group (the stack starts its servers detached, each the leader of its group). */
async function killGroup(pid: number): Promise<void> {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  const deadline = Date.now() + 15_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
}

/** The main stack's jar cache, checked to hold both servers' jars. */
export function mainJarCache(env: NodeJS.ProcessEnv = process.env): string {
  const cfg = loadConfig(env);
  const jars = path.join(cfg.stateDir, 'jars');
  const need = [path.join(jars, `kafka-${cfg.kafkaVersion}`, '.complete'), path.join(jars, `apicurio-registry-${cfg.registryVersion}`, '.complete')];
  const missing = need.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `the private stack takes its jars from the main stack's cache ${jars}, which lacks ${missing.map((m) => path.relative(jars, path.dirname(m))).join(' and ')}: ` +
        `run \`protea stack up\` once (npm test does), or set ${SETTINGS.stateDir.env} to the state folder of a stack that ran it`,
    );
  }
  return jars;
}

export async function startPrivateStack(opts: PrivateStackOptions): Promise<PrivateStack> {
  const note = opts.note ?? (() => {});
  const jars = mainJarCache();
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'protea-private-'));
  fs.chmodSync(dir, 0o755); // the postgres user must reach its folder inside
  const asRoot = process.getuid?.() === 0;
  const asPg = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const pgDir = path.join(dir, 'pg');
  const pgData = path.join(pgDir, 'data');
  const pgLog = path.join(pgDir, 'server.log');
  fs.mkdirSync(pgDir);
  if (asRoot) spawnSync('chown', ['postgres:postgres', pgDir]);
  const [pgPort, kafkaPort, controllerPort, registryPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const pgOptions = `-p ${pgPort} -c listen_addresses=127.0.0.1 -k ${pgDir} -c fsync=off -c full_page_writes=off -c max_connections=300`;
  const children = new Set<StageProcess>();
  let pgStarted = false;

  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  fs.symlinkSync(jars, path.join(state, 'jars'));
  const dbUrl = `postgres://postgres@127.0.0.1:${pgPort}/${opts.name}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PROTEA_STATE_DIR: state,
    PROTEA_KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    PROTEA_KAFKA_CONTROLLER_PORT: String(controllerPort),
    PROTEA_REGISTRY_URL: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    PROTEA_DB_URL: dbUrl,
    PROTEA_TOPIC_NAMESPACE: opts.name,
    PROTEA_METRICS_PORT: '0',
    ...opts.env,
  };
  const cli = (args: readonly string[], timeoutMs = 300_000) => run(process.execPath, [path.join(PROJECT_ROOT, 'bin/protea.js'), ...args], { env, timeoutMs });
  const must = async (what: string, p: Promise<RunResult>) => {
    const r = await p;
    if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${r.stdout.slice(-1500)} ${r.stderr.slice(-1500)}`);
    return r;
  };
  const pgCtl = (args: string[]) => {
    const [cmd, full] = asPg(path.join(bin, 'pg_ctl'), args);
    return run(cmd, full, { timeoutMs: 120_000 });
  };
  const stackPid = (name: 'kafka' | 'registry') => readPidFile(path.join(state, 'run', `${name}.pid`));

  let destroyed = false;
  const destroy = async () => {
    destroyed = true;
    for (const c of children) {
      c.killedByTest = true;
      c.child.kill('SIGKILL');
    }
    await Promise.all([...children].map((c) => c.exited));
    for (const name of ['registry', 'kafka'] as const) {
      const pid = stackPid(name);
      if (pid !== undefined && alive(pid)) await killGroup(pid);
    }
    if (pgStarted) await pgCtl(['stop', '-D', pgData, '-m', 'immediate', '-w']);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [initCmd, initArgs] = asPg(path.join(bin, 'initdb'), ['-D', pgData, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await must('initdb', run(initCmd, initArgs, { timeoutMs: 120_000 }));
    await must('pg_ctl start', pgCtl(['start', '-D', pgData, '-l', pgLog, '-w', '-t', '60', '-o', pgOptions]));
    pgStarted = true;
    note(`postgresql on 127.0.0.1:${pgPort} (${pgData})`);
    // `stack up` is idempotent: on a loaded machine a health probe of its own
    // can time out while the server is fine, so one failed run is retried
    // (reported through note), as a person would run it again
    const up = async () => {
      const first = await cli(['stack', 'up']);
      if (first.status === 0) return;
      note(`protea stack up failed once (exit ${first.status}): ${first.stderr.trim().split('\n')[0]?.slice(0, 300) ?? ''}; running it again`);
      await must('protea stack up (again)', cli(['stack', 'up']));
    };
    await up();
    note(`kafka on 127.0.0.1:${kafkaPort}, registry on 127.0.0.1:${registryPort} (state ${state})`);
    await must('protea db migrate', cli(['db', 'migrate']));
    await must('protea topics create', cli(['topics', 'create']));

    const startStage = (slot: string, stages: readonly string[]): StageProcess => {
      // a supervisor that restarts a stage killed by destroy() must not outlive the stack
      if (destroyed) throw new Error(`the private stack is being destroyed: ${slot} not started`);
      const logDir = path.join(dir, 'logs');
      fs.mkdirSync(logDir, { recursive: true });
      const log = path.join(logDir, `${slot}.log`);
      const fd = fs.openSync(log, 'a');
      fs.writeSync(fd, `\n--- ${new Date().toISOString()} protea pipeline --stage ${stages.join(' ')}\n`);
      const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/protea.js'), 'pipeline', '--stage', ...stages], { env, cwd: PROJECT_ROOT, stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      const proc: StageProcess = {
        slot,
        stages,
        child,
        log,
        killedByTest: false,
        exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
      };
      children.add(proc);
      void proc.exited.then(() => children.delete(proc));
      return proc;
    };

    return {
      dir,
      env,
      dbUrl,
      namespace: opts.name,
      cli,
      up,
      async restartBroker() {
        const pid = stackPid('kafka');
        if (pid !== undefined) await killGroup(pid);
        await up();
      },
      async restartRegistry() {
        const pid = stackPid('registry');
        if (pid !== undefined) await killGroup(pid);
        await up();
      },
      async restartPostgres() {
        // -l again: without it the new server would write to (and hold open) pg_ctl's own stdout
        await must('pg_ctl restart', pgCtl(['restart', '-D', pgData, '-l', pgLog, '-m', 'immediate', '-w', '-t', '60', '-o', pgOptions]));
      },
      startStage,
      destroy,
    };
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
}

/** The last lines of a log file, for a failure message. */
export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join('\n');
  } catch {
    return '(no log)';
  }
}
