// COPY into PostgreSQL over a plain pg client of the copy pool (lib/db.ts's
// createCopyPool): slonik has no COPY API, so sinks stream their rows through
// here, and run the rest of their transaction (slonik-built statements) on the
// same client with runSql, so COPY, merge and offset update share one
// transaction.
//
// Two encodings:
//  - text (copyRows): the default. Values are escaped per the COPY text format:
//    backslash, tab, newline, carriage return, backspace, form feed and vertical
//    tab become backslash sequences, NULL is \N, booleans t/f, bytea \\x<hex>.
//  - binary (copyRowsBinary): PostgreSQL's binary COPY format for a declared
//    list of column types. It pays for bytea columns (embedding vectors): no hex
//    doubling of the bytes and no hex decoding on the server; for short text
//    rows (sequences, proteins) text COPY is as fast and needs no type list.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** A value of one COPY field. */
export type CopyValue = string | number | bigint | boolean | null | undefined | Buffer | Date;

/** Column types the binary encoder knows. */
export type BinaryType = 'text' | 'bytea' | 'bool' | 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'uuid';

/** A statement built with slonik's `sql` tag (or anything with the same shape). */
export interface SqlStatement {
  readonly sql: string;
  readonly values: readonly unknown[];
}

/** Runs a slonik-built statement on a pg client (slonik spells placeholders $slonik_N). */
export async function runSql(client: PgClient, token: SqlStatement): Promise<pg.QueryResult> {
  return client.query(token.sql.replaceAll('$slonik_', '$'), [...token.values]);
}

const TEXT_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
};
const NEEDS_ESCAPE = /[\\\t\n\r\b\f\v]/;
const ESCAPE_ALL = /[\\\t\n\r\b\f\v]/g;

/** One field in COPY text format. */
export function encodeTextField(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  switch (typeof v) {
    case 'string':
      return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPE_ALL, (c) => TEXT_ESCAPES[c]!) : v;
    case 'number':
      if (Number.isFinite(v)) return String(v);
      return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 't' : 'f';
    default:
      if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`; // bytea hex input, its backslash escaped
      return v.toISOString();
  }
}

/** One row in COPY text format, newline-terminated. */
export function encodeTextRow(row: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + encodeTextField(row[i]);
  return `${line}\n`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function copyStatement(table: string, columns: readonly string[], binary: boolean): string {
  const target = table.split('.').map(quoteIdent).join('.');
  return `COPY ${target} (${columns.map(quoteIdent).join(', ')}) FROM STDIN${binary ? ' (FORMAT binary)' : ''}`;
}

const CHUNK_BYTES = 256 * 1024;

async function stream(client: PgClient, statement: string, chunks: Iterable<Buffer | string>): Promise<number> {
  const sink = client.query(copyFrom(statement));
  await pipeline(Readable.from(chunks, { objectMode: false }), sink);
  return sink.rowCount;
}

function* textChunks(rows: Iterable<readonly CopyValue[]>): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += encodeTextRow(row);
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * COPYs rows (values in `columns` order) into `table` in text format; resolves
 * with the number of rows the server took. A row the server refuses (type or
 * constraint) fails the whole COPY, as COPY does: callers bisect.
 */
export async function copyRows(client: PgClient, table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>): Promise<number> {
  return stream(client, copyStatement(table, columns, false), textChunks(rows));
}

// PGCOPY\n\377\r\n\0, flags (int32 0), header extension length (int32 0)
/**
 * A value the binary encoder cannot write (wrong field count, out of range,
 * not a uuid). It carries SQLSTATE 22000 (data_exception), so callers treat it
 * like the server refusing the row: a bad row, not a bad statement.
 */
export class CopyEncodeError extends Error {
  readonly code = '22000';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CopyEncodeError';
  }
}

const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

function binaryField(v: CopyValue, type: BinaryType): Buffer | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'text':
      return Buffer.from(typeof v === 'string' ? v : String(v), 'utf8');
    case 'bytea':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
    case 'bool':
      return Buffer.from([v ? 1 : 0]);
    case 'int2': {
      const b = Buffer.allocUnsafe(2);
      b.writeInt16BE(Number(v));
      return b;
    }
    case 'int4': {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(Number(v));
      return b;
    }
    case 'int8': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v as number | string));
      return b;
    }
    case 'float4': {
      const b = Buffer.allocUnsafe(4);
      b.writeFloatBE(Number(v));
      return b;
    }
    case 'float8': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(Number(v));
      return b;
    }
    case 'uuid': {
      const hex = String(v).replaceAll('-', '');
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a uuid: ${String(v)}`);
      return Buffer.from(hex, 'hex');
    }
  }
}

function* binaryChunks(rows: Iterable<readonly CopyValue[]>, types: readonly BinaryType[]): Generator<Buffer> {
  let parts: Buffer[] = [BINARY_HEADER];
  let size = BINARY_HEADER.length;
  for (const row of rows) {
    if (row.length !== types.length) throw new CopyEncodeError(`row has ${row.length} fields, expected ${types.length}`);
    const count = Buffer.allocUnsafe(2);
    count.writeInt16BE(types.length);
    parts.push(count);
    size += 2;
    for (let i = 0; i < types.length; i++) {
      let field: Buffer | null;
      try {
        field = binaryField(row[i], types[i]!);
      } catch (err) {
        throw new CopyEncodeError(`field ${i + 1} (${types[i]}): ${(err as Error).message}`, { cause: err });
      }
      const len = Buffer.allocUnsafe(4);
      len.writeInt32BE(field === null ? -1 : field.length);
      parts.push(len);
      size += 4;
      if (field !== null) {
        parts.push(field);
        size += field.length;
      }
    }
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  parts.push(BINARY_TRAILER);
  yield Buffer.concat(parts, size + BINARY_TRAILER.length);
}

/** COPYs rows in PostgreSQL's binary format; `types` are the columns' types, in order. */
export async function copyRowsBinary(client: PgClient, table: string, columns: readonly string[], types: readonly BinaryType[], rows: Iterable<readonly CopyValue[]>): Promise<number> {
  if (types.length !== columns.length) throw new TypeError(`${columns.length} columns but ${types.length} types`);
  return stream(client, copyStatement(table, columns, true), binaryChunks(rows, types));
}
