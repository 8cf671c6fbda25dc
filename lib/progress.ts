// Progress of long work: a redrawn bar on a terminal (records, rate, ETA),
// plain lines every few seconds otherwise (CI logs, pipes).

export interface ProgressOptions {
  label: string;
  /** total units (bytes of the input, usually) for the percentage and ETA; 0 when unknown */
  total: number;
  stream?: NodeJS.WriteStream;
  /** seconds between plain lines when not on a terminal */
  plainEverySeconds?: number;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly start = Date.now();
  private lastDraw = 0;
  private drawnRecords = -1;
  private done = 0;
  private records = 0;
  private total: number;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.total = opts.total;
    this.tty = Boolean(this.stream.isTTY) && process.env.CI !== 'true';
  }

  /** Sets the total once it is known (e.g. when a reader has opened its file). */
  setTotal(total: number): void {
    this.total = total;
  }

  /** Reports `done` units of the total and the records counted so far. */
  update(done: number, records: number): void {
    this.done = done;
    this.records = records;
    const now = Date.now();
    const every = this.tty ? 100 : (this.opts.plainEverySeconds ?? 5) * 1000;
    if (now - this.lastDraw >= every) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  finish(records: number): void {
    const repeat = !this.tty && records === this.drawnRecords; // plain mode: that line is already out
    this.records = records;
    this.done = this.total || this.done;
    if (!repeat) this.draw(true);
  }

  /** The status line, e.g. "fasta  42% ████░░░░ 12,345 records  8,100/s  ETA 3s". */
  line(): string {
    const secs = Math.max((Date.now() - this.start) / 1000, 1e-3);
    const rate = this.records / secs;
    const frac = this.total > 0 ? Math.min(this.done / this.total, 1) : 0;
    const parts = [this.opts.label];
    if (this.total > 0) {
      const width = 20;
      const filled = Math.round(frac * width);
      parts.push(`${String(Math.floor(frac * 100)).padStart(3)}% ${'█'.repeat(filled)}${'░'.repeat(width - filled)}`);
    }
    parts.push(`${this.records.toLocaleString('en-US')} records`, `${Math.round(rate).toLocaleString('en-US')}/s`);
    if (frac > 0 && frac < 1) parts.push(`ETA ${Math.ceil((secs / frac) * (1 - frac))}s`);
    else parts.push(`${secs.toFixed(1)}s`);
    return parts.join('  ');
  }

  private draw(final: boolean): void {
    this.drawnRecords = this.records;
    if (this.tty) this.stream.write(`\r\x1b[2K${this.line()}${final ? '\n' : ''}`);
    else this.stream.write(`${this.line()}\n`);
  }
}
