// A Server-Sent Events client for tests, over real HTTP (node:http): parses
// the text/event-stream into messages by the WHATWG rules (fields id, event,
// data, retry; `:` comments; a blank line dispatches; CRLF, CR or LF line
// ends; one leading space after the colon dropped), keeps the last event id
// as a browser does, and can be closed from the test (a client disconnect).
import http from 'node:http';

export interface SseMessage {
  /** the message's `id:` (null when it had none; lastEventId then keeps the previous one) */
  id: string | null;
  /** the `event:` type, 'message' when absent */
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the messages received so far, in order */
  readonly messages: SseMessage[];
  /** comment lines received (heartbeats), without the colon */
  readonly comments: string[];
  /** the id a reconnecting client sends as Last-Event-ID */
  lastEventId: string;
  /** the `retry:` the server asked for, if any */
  retryMs: number | null;
  /** resolves when the server ends the stream (or the client closed it) */
  readonly closed: Promise<void>;
  /** true when the server ended the response */
  endedByServer: boolean;
  /** the body text when the answer was not an event stream (an error body) */
  body: string;
  /** the next message satisfying `pred` (already received or to come); rejects after timeoutMs or when the stream closes first */
  next(pred: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** closes the connection from the client side */
  close(): void;
}

/** Incremental parser: feed it text, get messages and comments back. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  private sawId = false;
  lastEventId = '';
  retryMs: number | null = null;

  constructor(
    private readonly onMessage: (m: SseMessage) => void,
    private readonly onComment: (c: string) => void = () => undefined,
  ) {}

  feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) return;
      // a lone CR at the very end may be the first half of CRLF: wait for more
      if (m[0] === '\r' && m.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.sawId) this.lastEventId = this.id ?? '';
      if (this.data.length > 0) this.onMessage({ id: this.sawId ? this.id : null, event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.event = '';
      this.id = null;
      this.sawId = false;
      return;
    }
    if (line.startsWith(':')) return this.onComment(line.slice(1).trimStart());
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.id = value;
      this.sawId = true;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}

/** Opens an event stream; resolves once the response headers arrived. */
export function openSse(url: string, opts: { headers?: Record<string, string> } = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const waiters: Array<{ pred: (m: SseMessage) => boolean; resolve: (m: SseMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
    let closeResolve!: () => void;
    const closed = new Promise<void>((r) => (closeResolve = r));
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...opts.headers } }, (res) => {
      res.setEncoding('utf8');
      const conn: SseConnection = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages: [],
        comments: [],
        lastEventId: '',
        retryMs: null,
        closed,
        endedByServer: false,
        body: '',
        next(pred, timeoutMs = 30_000) {
          const seen = conn.messages.find(pred);
          if (seen) return Promise.resolve(seen);
          return new Promise((res2, rej2) => {
            const w = { pred, resolve: res2, reject: rej2, timer: setTimeout(() => rej2(new Error(`no matching SSE message within ${timeoutMs} ms; got ${JSON.stringify(conn.messages.map((m) => m.event))}`)), timeoutMs) };
            waiters.push(w);
          });
        },
        close() {
          req.destroy();
        },
      };
      const isStream = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      const parser = new SseParser(
        (m) => {
          conn.messages.push(m);
          conn.lastEventId = parser.lastEventId;
          for (const w of [...waiters]) {
            if (w.pred(m)) {
              clearTimeout(w.timer);
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(m);
            }
          }
        },
        (c) => conn.comments.push(c),
      );
      res.on('data', (chunk: string) => {
        if (isStream) {
          parser.feed(chunk);
          conn.retryMs = parser.retryMs;
          conn.lastEventId = parser.lastEventId;
        } else conn.body += chunk;
      });
      const finish = () => {
        for (const w of waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`the stream closed before a matching message; got ${JSON.stringify(conn.messages.map((m) => (m.event === 'error' ? `error ${m.data}` : m.event)))}`));
        }
        closeResolve();
      };
      res.on('end', () => {
        conn.endedByServer = true;
        finish();
      });
      res.on('close', finish);
      res.on('error', finish);
      resolve(conn);
    });
    req.on('error', (err) => {
      closeResolve();
      reject(err);
    });
  });
}
