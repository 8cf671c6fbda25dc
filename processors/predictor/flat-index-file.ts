// A flat (exact) faiss index written straight to its file, without faiss:
// the file is a header and the vectors' float32 bytes, so a reference set is
// streamed to disk as it is read from PostgreSQL. Through faiss-node the same
// build copies every float through a JavaScript array (its add() takes
// number[]) and holds the whole index in memory: 252 s for 500k x 1280 on
// 2 cores (bench/RESULTS.md), against the seconds the bytes take to write.
//
// The layout is faiss 1.7's impl/index_write.cpp for IndexFlat (IndexFlatCodes):
//   fourcc "IxFI" (inner product) or "IxF2" (L2);
//   header: d i32, ntotal i64, two i64 of 1 << 20 (unused), is_trained u8 = 1,
//   metric_type i32 (0 inner product, 1 L2);
//   codes: u64 count of 4-byte words (ntotal x d), then the floats.
// Little-endian, as faiss-params.ts reads it: faiss writes in host order, and
// the hosts faiss-node is built for here are x86-64 and arm64.
// test/unit/faiss-binding.test.ts checks the bytes against faiss's own
// serialisation of the same vectors.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

const HEADER_BYTES = 4 + 4 + 8 + 8 + 8 + 1 + 4;
const CODES_AT = HEADER_BYTES + 8;

/** The bytes before the vectors of a flat index of `ntotal` vectors of `dim` floats. */
export function flatIndexPrefix(dim: number, ntotal: number, metric: 'inner_product' | 'l2'): Buffer {
  const b = Buffer.alloc(CODES_AT);
  b.write(metric === 'inner_product' ? 'IxFI' : 'IxF2', 0, 'latin1');
  let p = 4;
  p = b.writeInt32LE(dim, p);
  p = b.writeBigInt64LE(BigInt(ntotal), p);
  p = b.writeBigInt64LE(1n << 20n, p);
  p = b.writeBigInt64LE(1n << 20n, p);
  p = b.writeUInt8(1, p);
  p = b.writeInt32LE(metric === 'inner_product' ? 0 : 1, p);
  b.writeBigUInt64LE(BigInt(ntotal) * BigInt(dim), p);
  return b;
}

/**
 * Appends vectors to a temporary file in `dir` and, on finish(file), writes
 * the header with the final count and renames it to `file` (in the same
 * folder: a rename, not a copy); abort() removes it.
 */
export class FlatIndexWriter {
  private fd: number;
  private rows = 0;
  private readonly tmp: string;

  constructor(
    dir: string,
    readonly dim: number,
    private readonly metric: 'inner_product' | 'l2',
  ) {
    this.tmp = path.join(dir, `.tmp-flat-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.fd = openSync(this.tmp, 'w');
    // the header is rewritten by finish(), once the count is known
    writeSync(this.fd, flatIndexPrefix(dim, 0, metric));
  }

  get count(): number {
    return this.rows;
  }

  /** Appends `rows` vectors (rows x dim floats). */
  add(vectors: Float32Array, rows = vectors.length / this.dim): void {
    const x = vectors.subarray(0, rows * this.dim);
    // the floats as they lie in memory: faiss writes its own in host order too
    const bytes = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.rows += rows;
  }

  finish(file: string): void {
    try {
      writeSync(this.fd, flatIndexPrefix(this.dim, this.rows, this.metric), 0, CODES_AT, 0);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.tmp, file);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}
