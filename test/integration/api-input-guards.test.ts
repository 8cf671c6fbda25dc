// The input guards of api/input-guards.ts, one case per finding of the API
// fuzz test (test/integration/api-fuzz.test.ts): NUL characters and
// non-finite numbers are 400s naming the parameter (they were 500s from
// PostgreSQL), router errors and Node's client errors answer in the project's
// error body (they were Fastify's and Node's own bodies), the latter with
// Connection: close.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t from 'tap';
import { buildApi } from '../../api/server.js';
import { createQueryPool } from '../../lib/db.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { errorBodyProblems } from '../helpers/openapi-fuzz.js';

let app: FastifyInstance;
let port = 0;
t.before(async () => {
  const url = await freshDatabase(t, { migrate: true });
  const db = await createQueryPool(url, { maximumPoolSize: 2 });
  app = await buildApi({ db, logger: pino({ level: 'silent' }), settings: { apiTokens: 'admin:guards-admin-secret-0123:admin' }, probeKafka: async () => {}, probeRegistry: async () => {} });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
});

const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, string>;

/** Writes raw bytes on a new connection; resolves with everything the server sent before it closed. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(e)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.write(bytes, () => undefined);
  });
}

/** Status, headers (lower-case) and body of a raw HTTP/1.1 answer. */
function parse(answer: string): { statusCode: number; headers: Record<string, string>; body: string } {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { statusCode: Number(statusLine!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

t.test('NUL characters in a query or path parameter are a 400 naming it, not a PostgreSQL error', async (t) => {
  for (const url of ['/jobs?operation=a%00b', '/jobs?operation=%00', '/audit?after=%00']) {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer guards-admin-secret-0123' } });
    t.equal(res.statusCode, 400, url);
    t.same(errorBodyProblems(400, res), [], `${url}: the project error body`);
    t.equal(json(res).code, 'PROTEA_ERR_USAGE');
    t.ok(['operation', 'after'].includes(json(res).parameter!), `${url}: names the parameter`);
  }
  const nul = await app.inject({ method: 'GET', url: '/jobs?operation=a%00b' });
  t.match(json(nul).message, /query parameter "operation" contains a NUL character/);
  const key = await app.inject({ method: 'GET', url: '/jobs?a%00b=1' });
  t.equal(key.statusCode, 400, 'a NUL in a parameter name too');
  t.same(errorBodyProblems(400, key), []);
});

t.test('non-finite numbers are a 400 naming the parameter, not a 500', async (t) => {
  for (const v of ['Infinity', '-Infinity', '1e309', '-1e309', 'NaN']) {
    const res = await app.inject({ method: 'GET', url: `/jobs?limit=${v}` });
    t.equal(res.statusCode, 400, `limit=${v}`);
    t.same(errorBodyProblems(400, res), [], `limit=${v}: the project error body`);
    t.equal(json(res).parameter, 'limit');
  }
  t.match(json(await app.inject({ method: 'GET', url: '/jobs?limit=1e309' })).message, /query parameter "limit" = "1e309" is not a finite number/);
  t.equal((await app.inject({ method: 'GET', url: '/jobs?operation=Infinity' })).statusCode, 200, 'the text "Infinity" is a fine value for a string parameter');
});

t.test('a cursor holding a number beyond 2^53 or a NUL is a 400 naming after, not a 500', async (t) => {
  for (const key of ['[1e308]', '[-1e300]', '[9007199254740993]', '["\\u0000"]']) {
    const after = Buffer.from(key, 'utf8').toString('base64url');
    const res = await app.inject({ method: 'GET', url: `/audit?after=${after}`, headers: { authorization: 'Bearer guards-admin-secret-0123' } });
    t.equal(res.statusCode, 400, `after = base64url(${key})`);
    t.same(errorBodyProblems(400, res), []);
    t.equal(json(res).parameter, 'after');
  }
});

t.test('router errors: a bad %-escape is a 400 and an over-long segment or URL a 414, in the project body', async (t) => {
  for (const url of ['/jobs/%zz', '/jobs/%', '/jobs/%ED%A0%80', '/%C0%AF', '/evaluation-sets/a%G0/results']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 400, url);
    t.same(errorBodyProblems(400, res), [], `${url}: the project error body`);
    t.match(json(res).message, /malformed %-escape/);
  }
  const segment = await app.inject({ method: 'GET', url: `/jobs/${'a'.repeat(300)}` });
  t.equal(segment.statusCode, 414);
  t.same(errorBodyProblems(414, segment), []);
  t.equal(json(segment).code, 'PROTEA_ERR_URI_TOO_LONG');
  t.ok(json(segment).message!.length < 400, 'the message quotes an excerpt of the path, not all of it');
  const long = await app.inject({ method: 'GET', url: `/jobs?operation=${'a'.repeat(20_000)}` });
  t.equal(long.statusCode, 414);
  t.same(errorBodyProblems(414, long), []);
  t.match(json(long).message, /the URL is 20\d\d\d characters long/);
});

t.test('client errors before any request: project body and Connection: close', async (t) => {
  const big = parse(await raw(`GET /jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
  t.equal(big.statusCode, 431, 'headers over 16 KiB');
  t.equal(big.headers.connection, 'close');
  t.same(errorBodyProblems(431, big), []);
  t.equal(json(big).code, 'PROTEA_ERR_HEADERS_TOO_LARGE');

  const line = parse(await raw(`GET /jobs?operation=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
  t.equal(line.statusCode, 414, 'a request line over the limit is a 414');
  t.equal(line.headers.connection, 'close');
  t.same(errorBodyProblems(414, line), []);
  t.equal(json(line).code, 'PROTEA_ERR_URI_TOO_LONG');

  for (const bytes of ['GARBAGE\r\n\r\n', 'GET /jobs HTTP/9.9\r\n\r\n', 'GET /jobs HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'GET /jo bs HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 'GET /\u0000 HTTP/1.1\r\n\r\n']) {
    const res = parse(await raw(bytes));
    t.equal(res.statusCode, 400, `malformed: ${JSON.stringify(bytes.slice(0, 40))}`);
    t.equal(res.headers.connection, 'close');
    t.same(errorBodyProblems(400, res), []);
    t.match(json(res).message, /malformed HTTP request \(HPE_/);
  }

  // a malformed HEAD (a raw UTF-8 byte in the path) is answered without a body: the client would read it as a next answer
  const head = parse(await raw(Buffer.concat([Buffer.from('HEAD /'), Buffer.from([0xc3, 0xa9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])));
  t.equal(head.statusCode, 400, 'malformed HEAD: 400');
  t.equal(head.headers.connection, 'close');
  t.equal(head.body, '', 'malformed HEAD: no body after the headers');

  const ok = parse(await raw('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  t.equal(ok.statusCode, 200, 'a well-formed request on the same server still works');
});
