// Line reading for every file parser (FASTA, GAF, OBO, taxonomy, and the
// evaluator's TSV files): plain or gzip, one line at a time. What a parser
// yields (records, rejects, notes) is in items.ts.
//
// Rules (the README copies them):
// - gzip is detected by its magic bytes (1f 8b), never by the file name, so a
//   plain file called `x.gz` and a gzip file called `x.fasta` both read right;
//   multi-member gzip (bgzip, `cat a.gz b.gz`) is read to its end.
// - memory is bounded: the file is streamed (fs stream -> gunzip -> UTF-8
//   decoder) and only the current line is held, whatever the file size.
// - lines end at '\n'; one trailing '\r' is stripped (CRLF files); a UTF-8 BOM
//   at the start of the file is dropped; a last line without '\n' is a line.
// - a missing file, a directory, or a gzip stream that is truncated or corrupt
//   is a ProteaError INPUT_UNREADABLE naming the file and the last complete
//   line. The partial line before a gzip failure is NOT yielded: it is not
//   known to be complete.
//
// Lines are split here instead of by node:readline, because readline's async
// iterator neither hands a stream error to the loop reliably nor tells a
// complete last line from the fragment a truncated gzip leaves behind.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ProteaError } from '../lib/errors.js';

/** One line of a (decompressed) file: its text without the terminator, and its 1-based number. */
export interface Line {
  text: string;
  line: number;
}

/** Where a reader stands, for progress bars: bytes are of the file on disk (compressed, for gzip). */
export interface ReadProgress {
  /** bytes of the file read so far (compressed bytes for a gzip file) */
  bytesRead: number;
  /** size of the file on disk; 0 until the file was opened */
  totalBytes: number;
  /** lines yielded so far */
  lines: number;
  /** true for a gzip file, null until the file was opened */
  gzip: boolean | null;
}

export interface LineReaderOptions {
  /** read buffer size in bytes (default 256 KiB) */
  highWaterMark?: number;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Async iterable over the lines of a plain or gzip file. Iterate it once.
 * `progress()` may be called at any time (e.g. from a timer).
 */
export class LineReader implements AsyncIterable<Line> {
  private bytes = 0;
  private size = 0;
  private count = 0;
  private gz: boolean | null = null;
  private source: { bytesRead: number } | null = null;

  constructor(
    readonly file: string,
    private readonly options: LineReaderOptions = {},
  ) {}

  progress(): ReadProgress {
    return { bytesRead: this.source ? this.source.bytesRead : this.bytes, totalBytes: this.size, lines: this.count, gzip: this.gz };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Line, void, undefined> {
    const file = this.file;
    let info;
    try {
      info = await stat(file);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new ProteaError('INPUT_UNREADABLE', `cannot read ${file}: ${why}`, { file }, { cause: err });
    }
    if (!info.isFile()) {
      throw new ProteaError('INPUT_UNREADABLE', `cannot read ${file}: not a regular file`, { file });
    }
    this.size = info.size;
    this.gz = await isGzip(file);

    const raw = createReadStream(file, { highWaterMark: this.options.highWaterMark ?? 256 * 1024 });
    this.source = raw;
    let stream: Readable = raw;
    if (this.gz) stream = pipeline(raw, createGunzip(), () => undefined);

    const decoder = new StringDecoder('utf8');
    let pending = '';
    let first = true;
    let line = 0;
    try {
      for await (const chunk of drain(stream)) {
        let text = decoder.write(chunk as Buffer);
        if (first && text.length > 0) {
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          first = false;
        }
        let start = 0;
        let nl = text.indexOf('\n');
        if (nl >= 0) {
          let head = pending + text.slice(0, nl);
          pending = '';
          for (;;) {
            line++;
            this.count = line;
            yield { text: head.endsWith('\r') ? head.slice(0, -1) : head, line };
            start = nl + 1;
            nl = text.indexOf('\n', start);
            if (nl < 0) break;
            head = text.slice(start, nl);
          }
        }
        pending += text.slice(start);
      }
    } catch (err) {
      const why = (err as Error).message || String(err);
      const what = this.gz ? `the gzip stream is truncated or corrupt (${why})` : why;
      throw new ProteaError('INPUT_UNREADABLE', `cannot read ${file} to its end: ${what}; last complete line ${line}`, { file, line, lastGoodLine: line }, { cause: err });
    } finally {
      raw.destroy();
    }
    pending += decoder.end();
    if (pending.length > 0) {
      line++;
      this.count = line;
      yield { text: pending.endsWith('\r') ? pending.slice(0, -1) : pending, line };
    }
    this.bytes = this.size;
  }
}

/**
 * The chunks of a stream, then its error if it failed. A stream's own async
 * iterator throws as soon as the error is emitted and drops the chunks it had
 * buffered: the lines decompressed before a gzip file's cut would be lost.
 */
async function* drain(stream: Readable): AsyncGenerator<Buffer, void, undefined> {
  const queue: Buffer[] = [];
  let failure: { err: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stream.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= 16) stream.pause(); // bounded memory: the consumer sets the pace
    notify();
  });
  stream.once('end', () => {
    ended = true;
    notify();
  });
  stream.once('error', (err) => {
    failure = { err };
    ended = true;
    notify();
  });
  for (;;) {
    const chunk = queue.shift();
    if (chunk !== undefined) {
      if (queue.length < 4 && stream.isPaused() && !ended) stream.resume();
      yield chunk;
      continue;
    }
    if (ended) {
      if (failure) throw failure.err;
      return;
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** The lines of a plain or gzip file (see LineReader). */
export function readLines(file: string, options?: LineReaderOptions): LineReader {
  return new LineReader(file, options);
}

/** True when the file starts with the gzip magic bytes. */
export async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === GZIP_MAGIC_0 && buf[1] === GZIP_MAGIC_1;
  } finally {
    await fh.close();
  }
}
