// faiss-node 0.5 exposes no search-time parameters (HNSW efSearch, IVF
// nprobe) and no HNSW efConstruction: they live in faiss's serialised index,
// so they are set by rewriting those fields of the bytes (Index.toBuffer ->
// patch -> Index.fromBuffer). The layout is faiss 1.7's impl/index_write.cpp:
//   fourcc u32; header: d i32, ntotal i64, 2 x i64, is_trained u8, metric i32
//   (+ metric_arg f32 when metric > 1);
//   HNSW ("IHNf"): vectors (u64 count + items) assign_probas f64,
//     cum_nneighbor_per_level i32, levels i32, offsets u64, neighbors i32;
//     then entry_point, max_level, efConstruction, efSearch, upper_beam (i32);
//   IVF ("IwFl"): nlist u64, nprobe u64, ...
// A fourcc other than these leaves the bytes unchanged (a flat index has no
// such parameter); a layout that does not parse throws rather than guessing.
//
// This module does not load faiss-node itself (search-worker.ts does): see
// faiss-thread.ts for why only one thread of a process may load it.

export type IndexKind = 'flat' | 'hnsw' | 'ivf';
export const INDEX_KINDS: readonly IndexKind[] = ['flat', 'hnsw', 'ivf'];

export interface SearchParams {
  /** HNSW candidate list size at search time (faiss default 16) */
  efSearch?: number;
  /** IVF lists visited per query (faiss default 1) */
  nprobe?: number;
}

const fourcc = (buf: Buffer): string => buf.toString('latin1', 0, 4);

function headerEnd(buf: Buffer): number {
  // after fourcc: d(4) ntotal(8) dummy(8) dummy(8) is_trained(1) metric(4)
  const metric = buf.readInt32LE(4 + 4 + 8 + 8 + 8 + 1);
  return 4 + 33 + (metric > 1 ? 4 : 0);
}

function skipVector(buf: Buffer, pos: number, itemBytes: number): number {
  const n = buf.readBigUInt64LE(pos);
  const end = pos + 8 + Number(n) * itemBytes;
  if (end > buf.length) throw new Error(`faiss index bytes: a vector of ${n} items runs past the end (${buf.length} bytes)`);
  return end;
}

/** Byte offset of HNSW's efConstruction (efSearch is 4 bytes further), or -1 when the index is not HNSW-flat. */
function hnswParamsOffset(buf: Buffer): number {
  if (fourcc(buf) !== 'IHNf') return -1;
  let p = headerEnd(buf);
  p = skipVector(buf, p, 8); // assign_probas
  p = skipVector(buf, p, 4); // cum_nneighbor_per_level
  p = skipVector(buf, p, 4); // levels
  p = skipVector(buf, p, 8); // offsets
  p = skipVector(buf, p, 4); // neighbors
  return p + 8; // entry_point, max_level
}

/** Reads the parameters stored in an index's bytes (for checks and reports). */
export function readParams(buf: Buffer): SearchParams & { efConstruction?: number } {
  const h = hnswParamsOffset(buf);
  if (h >= 0) return { efConstruction: buf.readInt32LE(h), efSearch: buf.readInt32LE(h + 4) };
  if (fourcc(buf) === 'IwFl') return { nprobe: Number(buf.readBigUInt64LE(headerEnd(buf) + 8)) };
  return {};
}

/** Sets efSearch / nprobe (and HNSW efConstruction) in serialised index bytes, in place. */
export function patchParams(buf: Buffer, params: SearchParams & { efConstruction?: number }): Buffer {
  const h = hnswParamsOffset(buf);
  if (h >= 0) {
    if (params.efConstruction !== undefined) buf.writeInt32LE(params.efConstruction, h);
    if (params.efSearch !== undefined) buf.writeInt32LE(params.efSearch, h + 4);
  } else if (fourcc(buf) === 'IwFl' && params.nprobe !== undefined) {
    buf.writeBigUInt64LE(BigInt(params.nprobe), headerEnd(buf) + 8);
  }
  return buf;
}

/** faiss's metric for ours: inner product over L2-normalised vectors for cosine, squared L2 for Euclidean. */
export const faissMetric = (metric: 'cosine' | 'euclidean'): number => (metric === 'cosine' ? 0 : 1);

/** IVF lists for n vectors: ~4 sqrt(n), with at least 39 training points per list (faiss's own warning limit). */
export function ivfLists(n: number): number {
  return Math.max(1, Math.min(Math.round(4 * Math.sqrt(n)), Math.floor(n / 39)));
}

/** The faiss factory descriptor of a kind. */
export function factoryDescriptor(kind: IndexKind, n: number): string {
  switch (kind) {
    case 'flat':
      return 'Flat';
    case 'hnsw':
      return 'HNSW32';
    case 'ivf':
      return `IVF${ivfLists(n)},Flat`;
  }
}

/** L2-normalises each dim-long row in place (a zero row stays zero: its cosine to anything is 0, distance 1). */
export function normaliseRows(x: Float32Array, dim: number, rows = x.length / dim): void {
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[o + j]! * x[o + j]!;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) x[o + j]! *= inv;
    }
  }
}

/** faiss's raw result -> our distance: 1 - inner product for cosine (>= 0), sqrt of squared L2 for Euclidean. */
export function toDistance(metric: 'cosine' | 'euclidean', raw: number): number {
  return metric === 'cosine' ? Math.max(0, 1 - raw) : Math.sqrt(Math.max(0, raw));
}
