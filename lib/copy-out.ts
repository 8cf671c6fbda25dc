// COPY ... TO STDOUT (FORMAT binary) read as rows of raw fields, over a plain
// pg client of the copy pool (lib/copy.ts covers the FROM direction). Binary
// COPY sends bytea as its bytes (text COPY or a cursor would send hex, twice
// the size, decoded in JS), which is what reading embedding vectors pays for.
//
// The format (PostgreSQL docs, "COPY", Binary Format): an 11-byte signature,
// int32 flags, int32 header-extension length and that many bytes; then per
// tuple an int16 field count and per field an int32 length (-1 = NULL) and the
// bytes; an int16 -1 ends the data. Integers are big-endian.
import { to as copyTo } from 'pg-copy-streams';
import type { PgClient } from './copy.js';

const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);

/** One tuple: each field's bytes, or null. The buffers are views into the received chunks: copy what you keep. */
export type CopyOutRow = (Buffer | null)[];

/** The binary COPY data could not be parsed (a bug or a protocol mismatch, never the caller's data). */
export class CopyOutFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyOutFormatError';
  }
}

/**
 * Parses a binary COPY byte stream into tuples, holding at most one partial
 * tuple beyond the chunk being read. `expectFields` guards against a statement
 * whose column list changed without the decoder.
 */
export async function* parseBinaryCopy(chunks: AsyncIterable<Buffer>, expectFields: number): AsyncGenerator<CopyOutRow> {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let headerDone = false;
  let ended = false;
  for await (const chunk of chunks) {
    // keep only the unparsed tail: a tuple split across chunks is joined once
    buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), chunk]) : chunk;
    pos = 0;
    if (!headerDone) {
      if (buf.length < SIGNATURE.length + 8) continue;
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyOutFormatError('not PostgreSQL binary COPY data (bad signature)');
      const extension = buf.readInt32BE(SIGNATURE.length + 4);
      if (buf.length < SIGNATURE.length + 8 + extension) continue;
      pos = SIGNATURE.length + 8 + extension;
      headerDone = true;
    }
    for (;;) {
      if (ended) {
        if (pos < buf.length) throw new CopyOutFormatError(`${buf.length - pos} bytes after the end-of-data marker`);
        break;
      }
      if (buf.length - pos < 2) break;
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        ended = true;
        pos += 2;
        continue;
      }
      if (count !== expectFields) throw new CopyOutFormatError(`tuple has ${count} fields, expected ${expectFields}`);
      // walk the fields first: yield only a complete tuple
      let p = pos + 2;
      const row: CopyOutRow = new Array(count);
      let complete = true;
      for (let i = 0; i < count; i++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4;
        if (len === -1) {
          row[i] = null;
          continue;
        }
        if (buf.length - p < len) {
          complete = false;
          break;
        }
        row[i] = buf.subarray(p, p + len);
        p += len;
      }
      if (!complete) break;
      pos = p;
      yield row;
    }
  }
  if (!headerDone) throw new CopyOutFormatError('binary COPY data ended inside its header');
  if (!ended) throw new CopyOutFormatError('binary COPY data ended without its end-of-data marker (cut short)');
}

/**
 * Runs `COPY (<query>) TO STDOUT (FORMAT binary)` on the client and yields its
 * tuples as they arrive; the stream pauses while the consumer works, so memory
 * stays at a chunk or two whatever the result size. `query` is trusted SQL
 * text (COPY takes no parameters): callers inline only checked values.
 */
export async function* copyOutBinary(client: PgClient, query: string, expectFields: number): AsyncGenerator<CopyOutRow> {
  const source = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
  try {
    yield* parseBinaryCopy(source, expectFields);
  } finally {
    // a consumer that stops early must not leave the COPY half-read on the connection
    if (!source.readableEnded) source.destroy();
  }
}
