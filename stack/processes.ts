// Background processes of the local stack: started detached with their output
// in a log file, remembered by a pid file, and stopped only if the pid still
// belongs to the command we started (pids get reused).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ProteaError } from '../lib/errors.js';

export interface PidRecord {
  pid: number;
  startedAt: string;
  command: string;
  marker: string; // a string that must appear in /proc/<pid>/cmdline
}

export function readPid(file: string): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** True when the pid is alive and still runs the command we started. */
export function isOurs(rec: PidRecord | undefined): rec is PidRecord {
  if (!rec) return false;
  try {
    process.kill(rec.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (!cmdline.includes(rec.marker)) return false;
    const stat = fs.readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    // A zombie (state Z) has exited; its parent has not reaped it yet.
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

export function startDetached(opts: {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
  marker: string;
}): PidRecord {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  fs.mkdirSync(path.dirname(opts.pidFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} starting: ${opts.command} ${opts.args.join(' ')}\n`);
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true, // own process group: survives the CLI and is signalled as a group
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  if (child.pid === undefined) {
    throw new ProteaError('STACK_START_FAILED', `could not start ${opts.command}`, { log: opts.logFile });
  }
  child.unref();
  const rec: PidRecord = { pid: child.pid, startedAt: new Date().toISOString(), command: `${opts.command} ${opts.args.join(' ')}`, marker: opts.marker };
  fs.writeFileSync(opts.pidFile, JSON.stringify(rec, null, 2));
  return rec;
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopProcess(rec: PidRecord, graceMs = 20_000): Promise<'stopped' | 'killed'> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-rec.pid, sig); // the whole group
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(rec)) return 'stopped';
    await sleep(200);
  }
  signal('SIGKILL');
  while (isOurs(rec)) await sleep(100);
  return 'killed';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls check() until it resolves true or the timeout passes. Stops early when
 * alive() says the process died, so a crash is reported at once with its log.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; alive?: () => boolean; log?: string; intervalMs?: number },
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - start;
    if (opts.alive && !opts.alive()) {
      throw new ProteaError('STACK_START_FAILED', `${what} exited during start-up: ${lastLines(opts.log)}`, { component: what, log: opts.log });
    }
    if (Date.now() - start > opts.timeoutMs) {
      throw new ProteaError('STACK_UNHEALTHY', `${what} not healthy after ${opts.timeoutMs} ms`, { component: what, log: opts.log });
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** The last lines of a log, squeezed into one line for an error message. */
export function lastLines(file: string | undefined, n = 5): string {
  if (!file) return '';
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join(' | ').slice(-800);
  } catch {
    return '(no log)';
  }
}

/** Runs a command to completion with its output appended to a log; throws with the log's tail on failure. */
export function runLogged(command: string, args: string[], opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv; error: ConstructorParameters<typeof ProteaError>[0] }): void {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const res = spawnSync(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit ${res.status}`;
    throw new ProteaError(opts.error, `${command} ${args[0] ?? ''} failed (${why}): ${lastLines(opts.logFile)}`, { log: opts.logFile });
  }
}
