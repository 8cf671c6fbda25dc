// faiss-node 0.5 exposes no search-time parameters (HNSW efSearch, IVF
// nprobe) and no HNSW efConstruction: they live in faiss's serialised index,
// so they are set by rewriting those fields: in an index file before faiss
// reads it, or in the bytes of a small index (Index.toBuffer -> patch ->
// Index.fromBuffer). The layout is faiss 1.7's impl/index_write.cpp:
//   fourcc u32; header: d i32, ntotal i64, 2 x i64, is_trained u8, metric i32
//   (+ metric_arg f32 when metric > 1);
//   HNSW ("IHNf"): vectors (u64 count + items) assign_probas f64,
//     cum_nneighbor_per_level i32, levels i32, offsets u64, neighbors i32;
//     then entry_point, max_level, efConstruction, efSearch, upper_beam (i32);
//   IVF ("IwFl"): nlist u64, nprobe u64, ...
// A fourcc other than these leaves the bytes unchanged (a flat index has no
// such parameter); a layout that does not parse throws rather than guessing.
//
// The parameters are read and written at their positions, never by reading
// the whole file: an index of 500k x 1280 floats is 2.56 GB, past what Node
// reads into one Buffer.
//
// This module does not load faiss-node itself (search-worker.ts does): see
// faiss-thread.ts for why only one thread of a process may load it.

import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export type IndexKind = 'flat' | 'hnsw' | 'ivf';
export const INDEX_KINDS: readonly IndexKind[] = ['flat', 'hnsw', 'ivf'];

export interface SearchParams {
  /** HNSW candidate list size at search time (faiss default 16) */
  efSearch?: number;
  /** IVF lists visited per query (faiss default 1) */
  nprobe?: number;
}

/** Positional reads of serialised index bytes: a Buffer, or a file read piecemeal (an index may pass 2 GiB, which no Buffer of a whole file can hold). */
interface ByteSource {
  size: number;
  read(pos: number, len: number): Buffer;
}

/** HNSW efSearch and IVF nprobe used when a search names none; a built index file holds them. */
export const DEFAULT_SEARCH_PARAMS: Readonly<Required<SearchParams>> = Object.freeze({ efSearch: 128, nprobe: 16 });

const bufferSource = (buf: Buffer): ByteSource => ({ size: buf.length, read: (pos, len) => buf.subarray(pos, pos + len) });

function fileSource(fd: number): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(pos, len) {
      const b = Buffer.alloc(len);
      const got = readSync(fd, b, 0, len, pos);
      if (got !== len) throw new Error(`faiss index file: ${len} bytes wanted at ${pos}, ${got} read`);
      return b;
    },
  };
}

function headerEnd(src: ByteSource): number {
  // after fourcc: d(4) ntotal(8) dummy(8) dummy(8) is_trained(1) metric(4)
  const metric = src.read(4 + 4 + 8 + 8 + 8 + 1, 4).readInt32LE(0);
  return 4 + 33 + (metric > 1 ? 4 : 0);
}

function skipVector(src: ByteSource, pos: number, itemBytes: number): number {
  const n = src.read(pos, 8).readBigUInt64LE(0);
  const end = pos + 8 + Number(n) * itemBytes;
  if (end > src.size) throw new Error(`faiss index bytes: a vector of ${n} items runs past the end (${src.size} bytes)`);
  return end;
}

/** Where an index's tunable parameters lie in its bytes; null for a kind that has none (flat). */
type ParamsLayout = { kind: 'hnsw'; efConstructionAt: number; efSearchAt: number } | { kind: 'ivf'; nprobeAt: number } | null;

function paramsLayout(src: ByteSource): ParamsLayout {
  const fourcc = src.read(0, 4).toString('latin1');
  if (fourcc === 'IwFl') return { kind: 'ivf', nprobeAt: headerEnd(src) + 8 };
  if (fourcc !== 'IHNf') return null;
  let p = headerEnd(src);
  p = skipVector(src, p, 8); // assign_probas
  p = skipVector(src, p, 4); // cum_nneighbor_per_level
  p = skipVector(src, p, 4); // levels
  p = skipVector(src, p, 8); // offsets
  p = skipVector(src, p, 4); // neighbors
  const efConstructionAt = p + 8; // after entry_point, max_level
  return { kind: 'hnsw', efConstructionAt, efSearchAt: efConstructionAt + 4 };
}

type StoredParams = SearchParams & { efConstruction?: number };

function paramsAt(src: ByteSource, layout: ParamsLayout): StoredParams {
  if (layout?.kind === 'hnsw') return { efConstruction: src.read(layout.efConstructionAt, 4).readInt32LE(0), efSearch: src.read(layout.efSearchAt, 4).readInt32LE(0) };
  if (layout?.kind === 'ivf') return { nprobe: Number(src.read(layout.nprobeAt, 8).readBigUInt64LE(0)) };
  return {};
}

/** The (position, bytes) writes that set `params` under a layout; parameters the kind lacks are ignored. */
function paramWrites(layout: ParamsLayout, params: StoredParams): [number, Buffer][] {
  const i32 = (x: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(x);
    return b;
  };
  const out: [number, Buffer][] = [];
  if (layout?.kind === 'hnsw') {
    if (params.efConstruction !== undefined) out.push([layout.efConstructionAt, i32(params.efConstruction)]);
    if (params.efSearch !== undefined) out.push([layout.efSearchAt, i32(params.efSearch)]);
  } else if (layout?.kind === 'ivf' && params.nprobe !== undefined) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(params.nprobe));
    out.push([layout.nprobeAt, b]);
  }
  return out;
}

/** Reads the parameters stored in an index's bytes (for checks and reports). */
export function readParams(buf: Buffer): StoredParams {
  const src = bufferSource(buf);
  return paramsAt(src, paramsLayout(src));
}

/** Sets efSearch / nprobe (and HNSW efConstruction) in serialised index bytes, in place. */
export function patchParams(buf: Buffer, params: StoredParams): Buffer {
  for (const [pos, bytes] of paramWrites(paramsLayout(bufferSource(buf)), params)) bytes.copy(buf, pos);
  return buf;
}

/** The parameters stored in an index file, read without loading the file. */
export function readParamsOfFile(file: string): StoredParams {
  const fd = openSync(file, 'r');
  try {
    const src = fileSource(fd);
    return paramsAt(src, paramsLayout(src));
  } finally {
    closeSync(fd);
  }
}

/** Whether a file holding `stored` must be patched to search with `wanted` (a parameter the kind lacks never differs). */
export function paramsDiffer(stored: SearchParams, wanted: SearchParams): boolean {
  const differs = (a: number | undefined, b: number | undefined) => a !== undefined && b !== undefined && a !== b;
  return differs(stored.efSearch, wanted.efSearch) || differs(stored.nprobe, wanted.nprobe);
}

/**
 * Sets parameters in an index file, in place, without loading it. Returns
 * whether anything differed (false: the file already holds them, or its kind
 * has none of them).
 */
export function patchParamsOfFile(file: string, params: StoredParams): boolean {
  const fd = openSync(file, 'r+');
  try {
    const src = fileSource(fd);
    const layout = paramsLayout(src);
    const writes = paramWrites(layout, params).filter(([pos, bytes]) => !src.read(pos, bytes.length).equals(bytes));
    for (const [pos, bytes] of writes) writeSync(fd, bytes, 0, bytes.length, pos);
    return writes.length > 0;
  } finally {
    closeSync(fd);
  }
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
