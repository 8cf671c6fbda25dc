// A fuzzer driven by the API's own OpenAPI document (GET /openapi.json): for
// every operation it builds requests from the declared path, query and body
// schemas (valid values, boundaries, wrong types, hostile strings, malformed
// escapes, unknown and repeated parameters, bad tokens), and checks each
// answer against the API's contract:
//   - never a 5xx (a 503 of a dependency the test does not run is counted
//     apart, see DEPENDENCY_CODES);
//   - every 4xx is the project's error body {error, code, message, hint,
//     parameter?} with a catalogued PROTEA_ERR_ code;
//   - every 2xx parses as its declared media type and, where the operation
//     declares a response schema, validates against it.
// Nothing here names a route: whatever the document lists is covered.
import { STATUS_CODES } from 'node:http';
import { CATALOGUE } from '../../lib/errors.js';
import type { SeededRandom } from './seeded-random.js';

// ── the document ─────────────────────────────────────────────────────────────

export interface Schema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: Schema;
}

interface MediaType {
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
  security?: Array<Record<string, unknown>>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** One operation of the document, with its `$ref`s resolved. */
export interface FuzzOperation {
  method: string;
  /** the OpenAPI path template, e.g. /jobs/{id} */
  path: string;
  params: Parameter[];
  body: { required: boolean; content: Record<string, Schema> } | null;
  responses: Record<string, Record<string, Schema | undefined>>;
  /** declares a security requirement (a write or admin route: bearer token) */
  secured: boolean;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

/** Follows `#/components/schemas/X` references (a copy: the document is not changed). */
export function resolve(doc: OpenApiDocument, schema: Schema | undefined, depth = 0): Schema | undefined {
  if (!schema || depth > 20) return schema;
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/components\/schemas\//, '');
    return resolve(doc, doc.components?.schemas?.[name], depth + 1);
  }
  const out: Schema = { ...schema };
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolve(doc, v, depth + 1)!]));
  if (schema.items) out.items = resolve(doc, schema.items, depth + 1)!;
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) if (schema[k]) out[k] = schema[k]!.map((s) => resolve(doc, s, depth + 1)!);
  return out;
}

export function operationsOf(doc: OpenApiDocument): FuzzOperation[] {
  const ops: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const params = (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(doc, p.schema) ?? {} }));
      // a template parameter the document does not describe is still a path parameter
      for (const m of path.matchAll(/\{([^}]+)\}/g)) if (!params.some((p) => p.in === 'path' && p.name === m[1])) params.push({ in: 'path', name: m[1]!, required: true, schema: { type: 'string' } });
      const content = op.requestBody?.content;
      ops.push({
        method: method.toUpperCase(),
        path,
        params,
        body: content ? { required: op.requestBody?.required === true, content: Object.fromEntries(Object.entries(content).map(([t, m]) => [t, resolve(doc, m.schema) ?? {}])) } : null,
        responses: Object.fromEntries(Object.entries(op.responses ?? {}).map(([s, r]) => [s, Object.fromEntries(Object.entries(r.content ?? {}).map(([t, m]) => [t, resolve(doc, m.schema)]))])),
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return ops;
}

// ── values seen in answers (ids, accessions, cursors) ────────────────────────

/** String values of the 2xx JSON answers, by property name, overall and by the path that answered them. */
export class Harvest {
  readonly byKey = new Map<string, Set<string>>();
  readonly byPathKey = new Map<string, Set<string>>();

  add(path: string, value: unknown, depth = 0): void {
    if (depth > 8 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value.slice(0, 50)) this.add(path, v, depth + 1);
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if ((typeof v === 'string' && v.length > 0 && v.length <= 200) || (typeof v === 'number' && Number.isInteger(v))) {
        const s = String(v);
        for (const [map, key] of [[this.byKey, k], [this.byPathKey, `${path} ${k}`]] as const) {
          let set = map.get(key);
          if (!set) map.set(key, (set = new Set()));
          if (set.size < 200) set.add(s);
        }
      } else this.add(path, v, depth + 1);
    }
  }

  /** Values a parameter `name` of `opPath` may take: from the list above it first, then anywhere. */
  candidates(opPath: string, name: string): string[] {
    const keys = [name, ...(SYNONYMS[name] ?? []), ...(name.endsWith('_id') ? ['id'] : []), ...(name === 'id' ? [] : [])];
    // the list route this path hangs from: /jobs for /jobs/{id}, /proteins for /proteins/{accession}/predictions
    const parent = opPath.split(`{${name}}`)[0]!.replace(/\/$/, '');
    const out: string[] = [];
    for (const k of keys) for (const v of this.byPathKey.get(`${parent} ${k}`) ?? []) out.push(v);
    if (out.length > 0) return out;
    for (const k of keys) for (const v of this.byKey.get(k) ?? []) out.push(v);
    return out;
  }
}

const SYNONYMS: Record<string, string[]> = {
  after: ['next', 'cursor'],
  cursor: ['next'],
  accession: ['protein_accession', 'accession'],
  id: ['id'],
};

// ── values ───────────────────────────────────────────────────────────────────

const UUID_RE = /^\^?\[0-9a-fA-F\]\{8\}-/;

export function randomUuid(r: SeededRandom): string {
  const hex = (n: number) => Array.from({ length: n }, () => r.int(0, 15).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-7${hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
}

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** Strings every parameter gets thrown at it: boundaries, wrong types, injection, unicode, control characters. */
export function hostileStrings(): string[] {
  return [
    '', ' ', '0', '-1', '-0', '1.5', '01', '+1', '1e3', '1e309', '-1e309', 'NaN', 'Infinity', '-Infinity', '0x1F', '0b11',
    '9'.repeat(40), '2147483647', '2147483648', '-2147483649', '9007199254740993', '18446744073709551616',
    'true', 'false', 'null', 'undefined', '[]', '{}', '[1,2]', '{"a":1}', '__proto__', 'constructor', 'prototype', 'hasOwnProperty',
    "' OR '1'='1", '"; DROP TABLE job; --', '\\', '\\x00', '%', '%%', '%25', '../../etc/passwd', '..%2F..%2F', '<script>alert(1)</script>',
    '${7*7}', '{{7*7}}', 'a'.repeat(200), 'a'.repeat(201), 'a'.repeat(401), 'a'.repeat(10_001), 'Z'.repeat(12_000),
    '😀', '😀'.repeat(2_600), '\u202Eevil\u202C', 'مرحبا', 'e\u0301\u0301\u0301\u0301', '\u0000', 'a\u0000b', '\u0000'.repeat(10),
    '\uD800', '\uDFFF', 'x\uD83Dy', '\uFFFE', '\uFFFF', '\t', '\r\n', 'line\nbreak', '\u0007\u001b[31m', '\u00a0', '\u200b',
    'GO:0008150', 'GO:9999999', 'P12345', 'p12345', 'A0A000', 'P12345-2', '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', '0190f5a27c1e7d3a9b1f2a3c4d5e6f70', '0190f5a2-7c1e-7d3a-9b1f-2a3c4d5e6f70x', '{0190f5a2-7c1e-7d3a-9b1f-2a3c4d5e6f70}',
    // malformed cursors: not base64url, base64url of the wrong shapes
    'W10', b64url('[]'), b64url('[null]'), b64url('["x"]'), b64url('[1e308]'), b64url('[-1]'), b64url('[1,2,3,4,5]'), b64url('[[1]]'), b64url('{"a":1}'),
    b64url('"str"'), b64url(`["${'x'.repeat(300)}"]`), b64url('[1e400]'), b64url('[9007199254740993]'), b64url('["\u0000"]'), b64url('not json'), '====', 'a.b',
  ];
}

/** %-escapes sent as they are (not encoded again): malformed, overlong, surrogates, NUL, encoded slashes. */
export const RAW_ESCAPES = ['%', '%z', '%zz', '%G0', '%%', '%C0%AF', '%C0%80', '%FF', '%FE%FF', '%ED%A0%80', '%ED%BF%BF', '%F4%90%80%80', '%00', 'a%00b', '%2F', '%2e%2e', '%E2%80%AE', '%F0%9F%98%80', '%F0%9F%98', '%EF%BF%BF', '%0A', '%0D%0A', '%20', '%u0041', '%25%32%35'];

/**
 * Percent-encodes `s` as UTF-8 like encodeURIComponent, except that a lone
 * surrogate (which encodeURIComponent refuses) is written as its 3-byte
 * (invalid UTF-8) form, e.g. %ED%A0%80: what a careless client sends.
 */
export function encode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(s[i]!);
  }
  return out;
}

const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** Numbers at and around a numeric schema's bounds. */
function boundaries(s: Schema): number[] {
  const min = typeof s.minimum === 'number' ? s.minimum : undefined;
  const max = typeof s.maximum === 'number' ? s.maximum : undefined;
  const out = [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER + 2];
  for (const b of [min, max]) if (b !== undefined) out.push(b, b - 1, b + 1);
  return out;
}

/** A value `s` accepts, as text (the way a query or path carries it), preferring values seen in answers. */
export function validText(r: SeededRandom, s: Schema, seen: readonly string[]): string {
  if (s.anyOf?.length || s.oneOf?.length) return validText(r, r.pick((s.anyOf ?? s.oneOf)!), seen);
  if (s.enum?.length) return String(r.pick(s.enum.filter((v) => v !== null).length ? s.enum.filter((v) => v !== null) : s.enum));
  const types = typesOf(s);
  const fits = (v: string) => {
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) return false;
    if (s.minLength !== undefined && [...v].length < s.minLength) return false;
    if (s.maxLength !== undefined && [...v].length > s.maxLength) return false;
    if (types.includes('integer') && !/^-?\d+$/.test(v)) return false;
    if (types.includes('number') && !Number.isFinite(Number(v))) return false;
    return true;
  };
  const usable = seen.filter(fits);
  if (usable.length > 0 && r.next() < 0.9) return r.pick(usable);
  if (types.includes('integer') || types.includes('number')) {
    const min = typeof s.minimum === 'number' ? s.minimum : 0;
    const max = typeof s.maximum === 'number' ? s.maximum : min + 100;
    const v = r.pick([min, max, min + r.int(0, Math.max(0, Math.min(max - min, 1000)))]);
    return types.includes('integer') ? String(Math.round(v)) : String(v);
  }
  if (types.includes('boolean')) return r.pick(['true', 'false']);
  if (s.format === 'uuid' || (s.pattern && UUID_RE.test(s.pattern))) return randomUuid(r);
  const guesses = ['abc', 'P12345', 'Q9Y6K9', 'GO:0008150', 'biological_process', 'produce.fasta', b64url('[1]'), 'x', '1', randomUuid(r)];
  const ok = guesses.filter(fits);
  if (ok.length > 0) return r.pick(ok);
  const len = Math.max(1, s.minLength ?? 1);
  return 'a'.repeat(len);
}

/** A value that breaks `s`: a bound crossed, a wrong type, or a hostile string. */
export function invalidText(r: SeededRandom, s: Schema): string {
  const types = typesOf(s);
  const roll = r.next();
  if ((types.includes('integer') || types.includes('number')) && roll < 0.4) return String(r.pick(boundaries(s)));
  if (types.includes('string') && roll < 0.3) {
    const lens = [s.minLength !== undefined ? s.minLength - 1 : 0, s.maxLength ?? 300, (s.maxLength ?? 300) + 1, 10_001].filter((n) => n >= 0);
    return r.pick(['a', 'Z', '9', '-', '😀']).repeat(r.pick(lens));
  }
  return r.pick(hostileStrings());
}

// ── requests ─────────────────────────────────────────────────────────────────

export interface FuzzTokens {
  write: string;
  admin: string;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** the operation, or null for a request outside the document (an unknown route or method) */
  op: FuzzOperation | null;
  /** how the request was made: valid, param, unknown-param, ... */
  kind: string;
}

function fillPath(op: FuzzOperation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'x');
}

/** A body for `mediaType` of schema `s` (valid, unless `broken`). */
function bodyFor(r: SeededRandom, mediaType: string, s: Schema, broken: boolean): { type: string; payload: string | Buffer } {
  if (mediaType.startsWith('multipart/form-data')) {
    const boundary = `----protea-fuzz-${r.int(0, 1e9)}`;
    const parts: string[] = [];
    for (const [name, ps] of Object.entries(s.properties ?? {})) {
      if (!broken && !s.required?.includes(name) && r.next() < 0.5) continue;
      if (broken && r.next() < 0.3) continue;
      const binary = ps.format === 'binary' || typesOf(ps).length === 0;
      const content = binary
        ? broken ? r.pick(['', '\u0000\u0001\u0002', '>P1\nMKV\u0000\n', 'not a fasta', '>\n\n', `>P1\n${'A'.repeat(5000)}\n`]) : r.pick(['>P12345 test\nMKVLAAGIVGLLLA\n', '>Q9Y6K9\nMSTNPKPQRKTKRNTNRRPQDVKFPGG\n>P1\nMKV\n'])
        : broken ? invalidText(r, ps) : validText(r, ps, []);
      parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${binary ? `; filename="${name}.fasta"\r\nContent-Type: application/octet-stream` : ''}\r\n\r\n${content}\r\n`);
    }
    if (broken && r.next() < 0.3) {
      // truncated, boundary-less or garbage multipart
      return r.pick([
        { type: `multipart/form-data; boundary=${boundary}`, payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n>P1\nMK` },
        { type: 'multipart/form-data', payload: parts.join('') },
        { type: `multipart/form-data; boundary=${boundary}`, payload: 'garbage' },
        { type: `multipart/form-data; boundary=${boundary}`, payload: '' },
      ]);
    }
    return { type: `multipart/form-data; boundary=${boundary}`, payload: `${parts.join('')}--${boundary}--\r\n` };
  }
  // JSON (and anything else: sent as JSON)
  const value = broken ? invalidJson(r, s) : validJson(r, s, 0);
  if (typeof value === 'string' && broken && value.startsWith('\u0001raw:')) return { type: mediaType, payload: value.slice(5) };
  return { type: mediaType.includes('json') ? 'application/json' : mediaType, payload: JSON.stringify(value) };
}

function validJson(r: SeededRandom, s: Schema, depth: number): unknown {
  const types = typesOf(s);
  if (s.enum?.length) return r.pick(s.enum);
  if (types.includes('object') || s.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, ps] of Object.entries(s.properties ?? {})) if (s.required?.includes(k) || r.next() < 0.5) out[k] = validJson(r, ps, depth + 1);
    return out;
  }
  if (types.includes('array')) return depth > 4 ? [] : Array.from({ length: Math.max(s.minItems ?? 0, r.int(0, 3)) }, () => validJson(r, s.items ?? {}, depth + 1));
  if (types.includes('integer') || types.includes('number')) return Number(validText(r, s, []));
  if (types.includes('boolean')) return r.next() < 0.5;
  if (types.includes('null')) return null;
  return validText(r, s, []);
}

function invalidJson(r: SeededRandom, s: Schema): unknown {
  const base = validJson(r, s, 0);
  const roll = r.next();
  if (roll < 0.15) return `\u0001raw:${r.pick(['{', '{"a":', '[1,2', 'nul', '{"a":1}}', '"\u0000"', '{"a":1e309}', '{"a":-1e309}', `${'['.repeat(5000)}${']'.repeat(5000)}`, '\u00ff\u00fe', ''])}`;
  if (roll < 0.25) return r.pick([null, 1, 'x', [], true]);
  if (base && typeof base === 'object' && !Array.isArray(base)) {
    const o = base as Record<string, unknown>;
    const keys = Object.keys(s.properties ?? {});
    const pick = keys.length > 0 ? r.pick(keys) : 'x';
    const what = r.int(0, 5);
    if (what === 0) delete o[pick];
    else if (what === 1) o[`unknown_${r.int(0, 99)}`] = 1;
    else if (what === 2) o[pick] = r.pick([null, [], {}, true, -1, 1e308, 0.5, 'x'.repeat(10_001), '\u0000', 2 ** 53 + 1]);
    else if (what === 3) o[pick] = invalidText(r, s.properties?.[pick] ?? {});
    else if (what === 4) o[pick] = Array.from({ length: 10_000 }, (_, i) => i);
    else return `\u0001raw:${JSON.stringify(o).replace(/^\{/, '{"__proto__":{"polluted":true},')}`;
    return o;
  }
  return base;
}

/** One request for `op`, of a kind chosen at random. */
export function makeRequest(r: SeededRandom, op: FuzzOperation, harvest: Harvest, tokens: FuzzTokens): FuzzRequest {
  const headers: Record<string, string> = {};
  const values: Record<string, string> = {};
  const query: Array<[string, string, boolean]> = []; // name, text, already encoded
  const seenFor = (p: Parameter) => harvest.candidates(op.path, p.name);
  for (const p of op.params) {
    if (p.in === 'path') values[p.name] = encode(validText(r, p.schema ?? {}, seenFor(p)));
    else if (p.in === 'query' && (p.required || r.next() < 0.4)) query.push([p.name, encode(validText(r, p.schema ?? {}, seenFor(p))), true]);
  }
  const roll = r.next();
  let kind = 'valid';
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  if (roll < 0.3) {
    kind = 'valid';
  } else if (roll < 0.62) {
    kind = 'param';
    const target = r.pick([...pathParams, ...queryParams, ...(pathParams.length + queryParams.length === 0 ? [{ in: 'query', name: r.pick(['limit', 'after', 'id', 'q']), schema: {} } as Parameter] : [])]);
    const text = r.next() < 0.15 ? r.pick(RAW_ESCAPES) : encode(invalidText(r, target.schema ?? {}));
    if (target.in === 'path') values[target.name] = text;
    else {
      const i = query.findIndex(([n]) => n === target.name);
      if (i >= 0) query.splice(i, 1);
      query.push([target.name, text, true]);
    }
  } else if (roll < 0.7) {
    kind = 'unknown-param';
    query.push([encode(r.pick(['limt', 'LIMIT', 'foo', '__proto__', 'constructor', '', 'a[b]', 'a.b', '😀', '\u0000', 'x'.repeat(500)])), encode(r.pick(hostileStrings())), true]);
  } else if (roll < 0.75) {
    kind = 'repeated-param';
    const p = queryParams.length > 0 ? r.pick(queryParams) : { name: 'limit', schema: {} as Schema };
    const a = encode(validText(r, p.schema ?? {}, seenFor(p as Parameter)));
    query.push([p.name, a, true], [p.name, r.next() < 0.5 ? a : encode(invalidText(r, p.schema ?? {})), true]);
  } else if (roll < 0.8) {
    kind = 'missing-required';
    const req = op.params.filter((p) => p.in === 'query' && p.required);
    if (req.length > 0) {
      const drop = r.pick(req).name;
      for (let i = query.length - 1; i >= 0; i--) if (query[i]![0] === drop) query.splice(i, 1);
    } else if (pathParams.length > 0) values[r.pick(pathParams).name] = '';
  } else if (roll < 0.86) {
    kind = 'raw-escape';
    if (pathParams.length > 0 && r.next() < 0.6) values[r.pick(pathParams).name] = `${r.pick(['', 'a', encode(validText(r, pathParams[0]!.schema ?? {}, []))])}${r.pick(RAW_ESCAPES)}`;
    else query.push([r.pick(queryParams.length > 0 ? queryParams.map((p) => p.name) : ['q']), r.pick(RAW_ESCAPES), true]);
  } else if (roll < 0.9) {
    kind = 'odd-headers';
    Object.assign(headers, r.pick([
      { accept: 'text/html' }, { accept: 'application/xml;q=1, */*;q=0' }, { 'content-type': 'application/json' }, { 'content-type': 'text/plain' },
      { 'accept-encoding': 'gzip, br' }, { origin: 'https://evil.example' }, { 'x-forwarded-for': '1.2.3.4, ::1, garbage' }, { 'if-none-match': '"x"' },
      { range: 'bytes=0-1' }, { 'content-length': '0' }, { authorization: 'Basic Zm9vOmJhcg==' },
    ]));
  } else {
    kind = 'long-path';
    if (pathParams.length > 0) values[r.pick(pathParams).name] = r.pick(['a'.repeat(201), 'a'.repeat(5_000), encode('😀'.repeat(100)), `${'%41'.repeat(300)}`]);
    else query.push(['x', 'y'.repeat(r.pick([5_000, 20_000])), true]);
  }
  // tokens: write and admin routes get every variant
  if (op.secured || r.next() < 0.1) {
    const auth = r.pick([
      undefined, `Bearer ${tokens.write}`, `Bearer ${tokens.admin}`, `Bearer ${tokens.write}`, `Bearer ${tokens.admin}`, 'Bearer not-a-token-at-all-xxxxx', 'Bearer ',
      `bearer ${tokens.write}`, `Bearer ${tokens.write} extra`, `Bearer ${tokens.write.slice(0, -1)}`, tokens.write, `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${'x'.repeat(5_000)}`,
    ]);
    if (auth !== undefined) headers.authorization = auth;
  }
  let payload: string | Buffer | undefined;
  if (op.body && Object.keys(op.body.content).length > 0) {
    const [mediaType, schema] = r.pick(Object.entries(op.body.content));
    const broken = kind !== 'valid' ? r.next() < 0.5 : r.next() < 0.2;
    if (!(broken && r.next() < 0.1)) {
      const b = bodyFor(r, mediaType, schema, broken);
      payload = b.payload;
      headers['content-type'] = broken && r.next() < 0.1 ? r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/mixed', 'image/png']) : b.type;
      if (broken) kind = `${kind}+body`;
    }
  }
  const qs = query.map(([n, v]) => `${n}=${v}`).join('&');
  return { method: op.method, url: `${fillPath(op, values)}${qs ? `?${qs}` : ''}`, headers, ...(payload !== undefined ? { payload } : {}), op, kind };
}

/** A request outside the document: an unknown route, a method a route does not have, a path with odd escapes. */
export function strayRequest(r: SeededRandom, ops: readonly FuzzOperation[]): FuzzRequest {
  const op = r.pick(ops);
  const path = op.path.replace(/\{[^}]+\}/g, 'x');
  const url = r.pick([
    `${path}/extra`, `${path}%2F`, `${path}/%zz`, `/${r.pick(RAW_ESCAPES)}`, '/nope', '//', '/./jobs', '/jobs/../health', `/${'a'.repeat(3_000)}`,
    `${path}?${r.pick(RAW_ESCAPES)}`, `${path}#frag`, `${path};matrix=1`, '/%2e%2e/%2e%2e/etc/passwd', '/\u00e9', '/*',
  ]);
  const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
  return { method, url, headers: {}, op: null, kind: 'stray' };
}

// ── checks ───────────────────────────────────────────────────────────────────

export interface FuzzResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** 503s of dependencies the fuzz test does not run (Kafka, the registry): not the request's fault, counted apart. */
export const DEPENDENCY_CODES = new Set(['PROTEA_ERR_KAFKA_UNAVAILABLE', 'PROTEA_ERR_REGISTRY_UNAVAILABLE']);

const ERROR_KEYS = new Set(['error', 'code', 'message', 'hint', 'parameter']);

/** Problems with an error body (empty when it is the project's shape). */
export function errorBodyProblems(status: number, res: FuzzResponse): string[] {
  const problems: string[] = [];
  const type = String(res.headers['content-type'] ?? '');
  if (!/^application\/json\b/.test(type)) problems.push(`content-type ${JSON.stringify(type)} is not application/json`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return [...problems, `body is not JSON: ${JSON.stringify(res.body.slice(0, 120))}`];
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [...problems, 'body is not an object'];
  for (const k of ['error', 'code', 'message', 'hint']) if (typeof body[k] !== 'string' || (body[k] as string).length === 0) problems.push(`"${k}" is not a non-empty string`);
  if (body.parameter !== undefined && typeof body.parameter !== 'string') problems.push('"parameter" is not a string');
  for (const k of Object.keys(body)) if (!ERROR_KEYS.has(k)) problems.push(`unexpected key "${k}"`);
  if (body.error !== (STATUS_CODES[status] ?? 'Error')) problems.push(`"error" is ${JSON.stringify(body.error)}, not the reason phrase of ${status}`);
  const code = String(body.code ?? '');
  const m = /^PROTEA_ERR_([A-Z_]+)$/.exec(code);
  if (!m) problems.push(`"code" ${JSON.stringify(code)} is not a PROTEA_ERR_ code`);
  else if (!Object.hasOwn(CATALOGUE, m[1]!)) problems.push(`"code" ${code} is not in lib/errors.ts's catalogue`);
  else {
    const http = CATALOGUE[m[1] as keyof typeof CATALOGUE].http;
    // USAGE is the code of every other 4xx of the framework (405, 406, 415 ...)
    if (http !== status && !(m[1] === 'USAGE' && status >= 400 && status < 500)) problems.push(`${code} is catalogued as ${http}, answered ${status}`);
  }
  return problems;
}

/** A minimal JSON Schema (OpenAPI 3.0 dialect) check: type, nullable, enum, required, properties, items, bounds. */
export function schemaProblems(schema: Schema | undefined, value: unknown, at = '$', depth = 0): string[] {
  if (!schema || depth > 30) return [];
  if (schema.allOf) return schema.allOf.flatMap((s) => schemaProblems(s, value, at, depth + 1));
  if (schema.anyOf || schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf)!;
    return options.some((s) => schemaProblems(s, value, at, depth + 1).length === 0) ? [] : [`${at}: matches none of ${options.length} alternatives`];
  }
  if (value === null) return schema.nullable || typesOf(schema).includes('null') || (schema.enum?.includes(null) ?? false) || typesOf(schema).length === 0 ? [] : [`${at}: null, not ${typesOf(schema).join('|')}`];
  const types = typesOf(schema);
  const actual = Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
  if (types.length > 0 && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${at}: ${actual}, not ${types.join('|')}`];
  const problems: string[] = [];
  if (schema.enum && !schema.enum.some((e) => e === value)) problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${at}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${at}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) problems.push(`${at}: does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) problems.push(`${at}: not a date-time`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) problems.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (Array.isArray(value) && schema.items) value.slice(0, 200).forEach((v, i) => problems.push(...schemaProblems(schema.items, v, `${at}[${i}]`, depth + 1)));
  if (actual === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) problems.push(`${at}: missing required "${k}"`);
    for (const [k, v] of Object.entries(o)) {
      const ps = schema.properties?.[k];
      if (ps) problems.push(...schemaProblems(ps, v, `${at}.${k}`, depth + 1));
      else if (schema.additionalProperties === false) problems.push(`${at}: unexpected "${k}"`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...schemaProblems(schema.additionalProperties, v, `${at}.${k}`, depth + 1));
    }
  }
  return problems;
}

export interface Verdict {
  /** what is wrong with the answer (empty: it keeps the contract) */
  problems: string[];
  /** a 503 of a dependency the test does not run */
  dependency: boolean;
}

/** Checks one answer against the contract (see the top of this file). */
export function checkResponse(req: FuzzRequest, res: FuzzResponse): Verdict {
  const status = res.statusCode;
  const type = String(res.headers['content-type'] ?? '');
  if (status >= 500) {
    if (status === 503) {
      try {
        const code = (JSON.parse(res.body) as { code?: string }).code;
        if (code && DEPENDENCY_CODES.has(code)) return { problems: errorBodyProblems(status, res), dependency: true };
      } catch {
        /* reported below */
      }
    }
    return { problems: [`${status} answer: ${res.body.slice(0, 300)}`], dependency: false };
  }
  // a HEAD answer has the headers of the GET and no body
  if (status >= 400) return { problems: req.method === 'HEAD' ? [] : errorBodyProblems(status, res), dependency: false };
  if (status >= 200 && status < 300) {
    if (req.method === 'HEAD' || status === 204) return { problems: [], dependency: false };
    const declared = req.op?.responses[String(status)] ?? req.op?.responses['2XX'] ?? req.op?.responses.default;
    const entries = Object.entries(declared ?? {});
    const problems: string[] = [];
    if (entries.length > 0 && !entries.some(([t]) => type.startsWith(t.split(';')[0]!) || t === '*/*')) problems.push(`content-type ${JSON.stringify(type)} is none of the declared ${entries.map(([t]) => t).join(', ')}`);
    if (/^application\/(.+\+)?json\b/.test(type)) {
      let body: unknown;
      try {
        body = JSON.parse(res.body);
      } catch {
        return { problems: [...problems, `a ${status} with content-type ${type} whose body is not JSON: ${JSON.stringify(res.body.slice(0, 120))}`], dependency: false };
      }
      const schema = declared?.['application/json'] ?? entries.find(([t]) => t.includes('json'))?.[1];
      problems.push(...schemaProblems(schema, body).slice(0, 5));
    } else if (type === '') {
      if (res.body.length > 0) problems.push(`a ${status} with a body and no content-type`);
    }
    return { problems, dependency: false };
  }
  return { problems: [], dependency: false };
}
