// Structured logs (pino) on stderr, so stdout stays for command output.
//
// Format (PROTEA_LOG_FORMAT): JSON lines for machines, or one pretty,
// coloured line per entry for people (pino-pretty, in-process: its
// prettyFactory turns each JSON line into text, written synchronously, so
// nothing is lost when a command exits). 'auto' is pretty when stderr is a
// terminal and CI is not set, JSON otherwise (pipes, files, CI logs).
//
// Every logger writes through one switchable destination, so a command can
// send the logs of the stages it runs in-process to a file for a while
// (captureLogs: the demo does, and prints a summary instead), including those
// of loggers created before the switch.
import { pino, destination as pinoDestination, levels, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { config } from './config.js';

export type LogFormat = 'json' | 'pretty';

/** A CI environment variable counts as set unless empty, "0" or "false" (as most CI tools read it). */
function ciSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** The format a PROTEA_LOG_FORMAT value means for a stream (is it a terminal?) and an environment (CI). */
export function chooseLogFormat(setting: string, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): LogFormat {
  if (setting === 'json' || setting === 'pretty') return setting;
  return stream.isTTY === true && !ciSet(env.CI) ? 'pretty' : 'json';
}

interface Writer {
  write(text: string): unknown;
}

/** pino-pretty's settings for a terminal: one line per entry, the component before the message. */
function prettifier(colorize: boolean): (line: string) => string {
  return pretty.prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app,component',
    messageFormat: '{if component}{component}: {end}{msg}',
  });
}

const LEVEL_RE = /"level":(\d+)/;

/** Where log lines go: the terminal writer, or a capture file for a while. */
class SwitchableDestination {
  private capture: { file: ReturnType<typeof pinoDestination>; echoFrom: number; counts: Record<string, number> } | undefined;

  constructor(
    private readonly terminal: Writer,
    private readonly format: (line: string) => string,
  ) {}

  write(line: string): void {
    const c = this.capture;
    if (!c) {
      this.terminal.write(this.format(line));
      return;
    }
    c.file.write(line);
    // pino writes the level first: no JSON parse per line
    const level = Number(LEVEL_RE.exec(line.slice(0, 24))?.[1] ?? 0);
    const label = levels.labels[level] ?? 'info';
    c.counts[label] = (c.counts[label] ?? 0) + 1;
    if (level >= c.echoFrom) this.terminal.write(this.format(line));
  }

  startCapture(file: string, echoFrom: number): Record<string, number> {
    this.stopCapture();
    const counts: Record<string, number> = {};
    this.capture = { file: pinoDestination({ dest: file, sync: true, mkdir: true, append: false }), echoFrom, counts };
    return counts;
  }

  stopCapture(): void {
    const c = this.capture;
    this.capture = undefined;
    if (c) {
      c.file.flushSync();
      c.file.end();
    }
  }
}

export interface LoggerOptions {
  level: string;
  format: LogFormat;
  /** where lines go (default: stderr, synchronously) */
  writer?: Writer;
  /** colours in pretty lines (default: pino-pretty's guess for the terminal) */
  colorize?: boolean;
}

/** A root logger and its destination; logger() makes the process's one from the configuration. */
export function createRootLogger(opts: LoggerOptions): { logger: Logger; destination: SwitchableDestination } {
  const writer = opts.writer ?? pinoDestination({ dest: 2, sync: true });
  const format = opts.format === 'pretty' ? prettifier(opts.colorize ?? pretty.isColorSupported) : (line: string) => line;
  const destination = new SwitchableDestination(writer, format);
  return { logger: pino({ level: opts.level, base: { app: 'protea' } }, destination), destination };
}

let root: ReturnType<typeof createRootLogger> | undefined;

function rootLogger(): ReturnType<typeof createRootLogger> {
  root ??= createRootLogger({ level: config().logLevel, format: chooseLogFormat(config().logFormat, process.stderr) });
  return root;
}

export function logger(component?: string): Logger {
  const { logger: l } = rootLogger();
  return component ? l.child({ component }) : l;
}

export interface LogCapture {
  readonly file: string;
  /** lines written to the file so far, by level label (warn, error, ...) */
  readonly counts: Readonly<Record<string, number>>;
  /** back to the terminal; the file is flushed and closed */
  end(): void;
}

/**
 * Sends every log line of this process to `file` (JSON lines, truncated
 * first) until end() is called; lines at `echoFrom` and above (default:
 * error) still reach the terminal too, so a failure is not hidden.
 */
export function captureLogs(file: string, opts: { echoFrom?: string } = {}): LogCapture {
  const { destination } = rootLogger();
  const counts = destination.startCapture(file, levels.values[opts.echoFrom ?? 'error'] ?? 50);
  return { file, counts, end: () => destination.stopCapture() };
}
