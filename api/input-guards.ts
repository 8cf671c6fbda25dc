// What the API does with input that never reaches a route's schema, or that a
// schema alone lets through, so that every refusal is a 4xx in the project's
// error body ({error, code, message, hint, parameter?}) and never a 500 or
// Fastify's / Node's own default body. Found by test/integration/api-fuzz.test.ts:
//   - router errors: a malformed %-escape in the path (400 USAGE), a path
//     segment over maxParamLength (414 URI_TOO_LONG), through Fastify's
//     frameworkErrors;
//   - a URL longer than MAX_URL_CHARS (414 URI_TOO_LONG), before routing work;
//   - NUL characters (U+0000) in a path or query parameter or in a JSON body:
//     PostgreSQL's text cannot hold them (it answers "invalid byte sequence
//     for encoding UTF8: 0x00", a 500 before this guard), so they are a 400
//     naming the parameter;
//   - non-finite numbers (Infinity, -Infinity, 1e309) for number and integer
//     parameters or in a JSON body: Ajv's coercion turns "Infinity" into
//     Infinity and its minimum/maximum let it through (its strictNumbers
//     does not help either), so the values are checked after validation;
//     a 400 naming the parameter instead of a 500 from PostgreSQL;
//   - client errors Node's HTTP parser raises before any request exists
//     (headers over 16 KiB: 431 HEADERS_TOO_LARGE, or 414 when the request
//     line itself is the overflow; a malformed request: 400 USAGE; a request
//     that does not arrive in time: 408 REQUEST_TIMEOUT), answered on the raw
//     socket with the project body and `Connection: close`.
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProteaError, type ErrorName } from '../lib/errors.js';
import { badParameter, errorBody, httpStatus, reason, type ErrorBody } from './errors.js';

const API_HINT = 'The routes and their parameters are listed at GET /openapi.json (readable at /docs).';

/** The longest URL (path and query, as sent) the API reads; Node's own header limit (16 KiB) bounds it over HTTP anyway. */
export const MAX_URL_CHARS = 16 * 1024;

/** How deep the NUL check walks a JSON body (deeper values are left to the route). */
const MAX_WALK_DEPTH = 32;

/** A short, printable excerpt of what a client sent, for a message. */
function excerpt(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** Fastify's router errors (bad %-escape, over-long segment) as the project's errors. */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.raw.url?.split('?')[0] ?? '';
  let err: ProteaError;
  if (error.code === 'FST_ERR_BAD_URL') {
    err = new ProteaError('USAGE', `the path ${excerpt(path)} has a malformed %-escape (each % must be followed by two hex digits of valid UTF-8)`, { hint: `Percent-encode path segments as UTF-8 (encodeURIComponent). ${API_HINT}` });
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    err = new ProteaError('URI_TOO_LONG', `a path segment of ${excerpt(path)} is longer than the API accepts`, { hint: 'Path parameters are ids (UUIDs) and accessions, at most 200 characters.' });
  } else {
    err = new ProteaError('INTERNAL', error.message, {}, { cause: error });
  }
  void send(request, reply, err);
}

function send(request: FastifyRequest, reply: FastifyReply, err: ProteaError): FastifyReply {
  const status = httpStatus(err);
  if (status >= 500) request.log.error({ err: err.cause ?? err, code: err.code }, `${request.method} router error: ${err.message}`);
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(err));
}

/** A plain object: a JSON object, or a parsed query (whose prototype has a null prototype); not a stream, buffer or file. */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/** Where a value for which `bad` holds is in `value` (a dotted path; keys are checked with `badKey`), or null. */
function find(value: unknown, bad: (v: unknown) => boolean, badKey: (k: string) => boolean, at: string, depth = 0): string | null {
  if (bad(value)) return at;
  if (depth > MAX_WALK_DEPTH || value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], bad, badKey, at, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (!isPlain(value)) return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const name = at ? `${at}.${k}` : k;
    if (badKey(k)) return name;
    const found = find(v, bad, badKey, name, depth + 1);
    if (found) return found;
  }
  return null;
}

const hasNul = (v: unknown) => typeof v === 'string' && v.includes('\u0000');
const nonFinite = (v: unknown) => typeof v === 'number' && !Number.isFinite(v);
const findNul = (value: unknown) => find(value, hasNul, (k) => k.includes('\u0000'), '');
const findNonFinite = (value: unknown) => find(value, nonFinite, () => false, '');

/** The value of query parameter `name` as the client sent it. */
function sentQuery(request: FastifyRequest, name: string): string | undefined {
  const q = request.url.indexOf('?');
  return q < 0 ? undefined : (new URLSearchParams(request.url.slice(q + 1)).get(name) ?? undefined);
}

const nulError = (where: string, name: string) =>
  badParameter(name.replaceAll('\u0000', '\\u0000'), `${where} "${name.replaceAll('\u0000', '\\u0000')}" contains a NUL character (U+0000), which no value of this API can hold`, 'Remove the NUL (%00) from the value; text is UTF-8 without control character U+0000.');

/** Client errors of Node's HTTP parser, before any request exists: the project body on the raw socket, then close. */
export function clientError(log: FastifyBaseLogger, err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let key: ErrorName;
  let status: number;
  let message: string;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    [key, status, message] = ['REQUEST_TIMEOUT', 408, 'the request did not arrive in full in time'];
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    // the request line counts towards the same limit: a huge URL is a 414, huge headers a 431
    const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined;
    const lineEnd = raw ? raw.indexOf('\r\n') : -1;
    if (raw && (lineEnd < 0 || lineEnd > MAX_URL_CHARS / 2)) [key, status, message] = ['URI_TOO_LONG', 414, 'the request line (the URL) is longer than the server accepts'];
    else [key, status, message] = ['HEADERS_TOO_LARGE', 431, 'the request headers are larger than the server accepts (16 KiB in all)'];
  } else {
    [key, status, message] = ['USAGE', 400, `malformed HTTP request (${err.code ?? 'parse error'}): the server could not read it`];
  }
  const e = new ProteaError(key, message, key === 'USAGE' ? { hint: 'Send a well-formed HTTP/1.1 request (RFC 9112): method, URL without spaces or control characters, `Name: value` headers.' } : {});
  const body = JSON.stringify({ ...errorBody(e), error: reason(status) } satisfies ErrorBody);
  log.debug({ err: { code: err.code, message: err.message }, status }, 'client error before any request');
  // an answer to HEAD has no body: a client reads the bytes after the headers as a next answer
  const head = Buffer.isBuffer(err.rawPacket) && err.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${reason(status)}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`);
    // a client still sending (huge headers) must not keep the socket: closed once the answer is out, or after a grace
    setTimeout(() => socket.destroy(), 1000).unref();
  } else {
    socket.destroy();
  }
}

/** The URL-length and NUL guards (hooks); call before any route is added. */
export function installInputGuards(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_CHARS) {
      throw new ProteaError('URI_TOO_LONG', `the URL is ${request.url.length} characters long; the API reads at most ${MAX_URL_CHARS}`, { hint: 'Path parameters are short ids; no query parameter of this API needs more than a few hundred characters.' });
    }
  });
  app.addHook('preValidation', async (request) => {
    const inParams = findNul(request.params);
    if (inParams) throw nulError('path parameter', inParams);
    const inQuery = findNul(request.query);
    if (inQuery) throw nulError('query parameter', inQuery);
    const inBody = findNul(request.body);
    if (inBody) throw nulError('body field', inBody);
  });
  // after validation (the coerced values), before the write guard and the handler
  app.addHook('preHandler', async (request) => {
    for (const [where, value] of [['path parameter', request.params], ['query parameter', request.query], ['body field', request.body]] as const) {
      const name = findNonFinite(value);
      if (name === null) continue;
      const sent = where === 'query parameter' ? sentQuery(request, name) : undefined;
      throw badParameter(name, `${where} "${name}"${sent === undefined ? '' : ` = ${excerpt(sent)}`} is not a finite number`);
    }
  });
}
