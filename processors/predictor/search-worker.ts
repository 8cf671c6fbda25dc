// The faiss thread of the process (faiss-thread.ts starts one): faiss-node
// builds and searches synchronously, so both run here, never on the event
// loop. Index files are loaded once (search parameters patched in,
// faiss-params.ts) and kept by key; builds in progress are kept by build id,
// so several indexes (one per aspect) can be built at once.
//
// Requests: {id, op:'build-init'|'build-add'|'build-finish'|'build-abort'|'search', ...}
// Replies:  {id, ...result} or {id, error}
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, threadId } from 'node:worker_threads';
import type * as Faiss from 'faiss-node';
import { FlatIndexWriter } from './flat-index-file.js';
import { DEFAULT_SEARCH_PARAMS, factoryDescriptor, faissMetric, ivfLists, normaliseRows, paramsDiffer, patchParams, patchParamsOfFile, readParamsOfFile, toDistance, type IndexKind, type SearchParams } from './faiss-params.js';

const require = createRequire(import.meta.url);
// faiss-node is CommonJS with `module.exports =`: loaded with require
const faiss = require('faiss-node') as typeof Faiss;

export interface SearchRequest {
  op: 'search';
  key: string;
  file: string;
  metric: 'cosine' | 'euclidean';
  dim: number;
  params: SearchParams;
  queries: Float32Array;
  nq: number;
  k: number;
}
export interface SearchResult {
  labels: Int32Array;
  distances: Float64Array;
  ms: number;
}
export type BuildRequest =
  /** dir: where a flat index's file is written while it grows (the folder of the final file) */
  | { op: 'build-init'; build: number; dir: string; dim: number; metric: 'cosine' | 'euclidean'; kind: IndexKind; entries: number; efConstruction?: number }
  | { op: 'build-add'; build: number; vectors: Float32Array; count: number }
  | { op: 'build-finish'; build: number; file: string }
  /** a build given up (its reader failed): what it holds is dropped */
  | { op: 'build-abort'; build: number };
export type FaissRequest = SearchRequest | BuildRequest;

// a few indexes at once (aspect-separated prediction holds three); the oldest loaded goes first
const MAX_LOADED = 6;
const loaded = new Map<string, Faiss.Index>();

/**
 * An index file as faiss reads it, with the search parameters wanted. A flat
 * index has none and an index built here holds the defaults: read as it is.
 * Other values are patched into a copy (the file stays as built for other
 * readers), at their positions: a whole file may not fit one Buffer.
 */
function loadIndex(file: string, params: SearchParams): Faiss.Index {
  if (!paramsDiffer(readParamsOfFile(file), params)) return faiss.Index.read(file);
  const copy = `${file}.tmp-load-${process.pid}-${threadId}`;
  try {
    copyFileSync(file, copy);
    patchParamsOfFile(copy, params);
    return faiss.Index.read(copy);
  } finally {
    rmSync(copy, { force: true });
  }
}

function indexFor(req: SearchRequest): Faiss.Index {
  const id = `${req.key}|${req.params.efSearch ?? ''}|${req.params.nprobe ?? ''}`;
  let index = loaded.get(id);
  if (!index) {
    index = loadIndex(req.file, req.params);
    if (index.getDimension() !== req.dim) throw new Error(`index ${req.file} has ${index.getDimension()} dimensions, expected ${req.dim}`);
    loaded.set(id, index);
    if (loaded.size > MAX_LOADED) loaded.delete(loaded.keys().next().value!);
  }
  return index;
}

function search(req: SearchRequest): SearchResult {
  const t0 = performance.now();
  const index = indexFor(req);
  const k = Math.min(req.k, index.ntotal());
  const labels = new Int32Array(req.nq * req.k).fill(-1);
  const distances = new Float64Array(req.nq * req.k).fill(Number.POSITIVE_INFINITY);
  if (k > 0 && req.nq > 0) {
    const q = req.queries.subarray(0, req.nq * req.dim);
    if (req.metric === 'cosine') normaliseRows(q, req.dim, req.nq);
    const r = index.search(Array.from(q), k);
    for (let i = 0; i < req.nq; i++) {
      for (let j = 0; j < k; j++) {
        const label = r.labels[i * k + j]!;
        labels[i * req.k + j] = label;
        if (label >= 0) distances[i * req.k + j] = toDistance(req.metric, r.distances[i * k + j]!);
      }
    }
  }
  return { labels, distances, ms: performance.now() - t0 };
}

// A flat index is written straight to its file (flat-index-file.ts): no
// faiss object, no copy of the set in memory. HNSW and IVF go through faiss.
interface FaissBuild {
  writer: null;
  index: Faiss.Index;
  dim: number;
  metric: 'cosine' | 'euclidean';
  // IVF: vectors held until there are enough to train on
  pending: Float32Array[];
  pendingRows: number;
  trainRows: number;
}
interface FlatBuild {
  writer: FlatIndexWriter;
  dim: number;
  metric: 'cosine' | 'euclidean';
}
const builds = new Map<number, FaissBuild | FlatBuild>();

function addRows(b: FaissBuild, x: Float32Array): void {
  // faiss-node takes plain arrays: add in slices to bound the temporary array
  const step = Math.max(1, Math.floor(1_048_576 / b.dim)) * b.dim;
  for (let o = 0; o < x.length; o += step) b.index.add(Array.from(x.subarray(o, Math.min(x.length, o + step))));
}

function flushPending(b: FaissBuild): void {
  const all = new Float32Array(b.pendingRows * b.dim);
  let o = 0;
  for (const p of b.pending) {
    all.set(p, o);
    o += p.length;
  }
  b.pending = [];
  b.pendingRows = 0;
  if (!b.index.isTrained()) b.index.train(Array.from(all));
  addRows(b, all);
}

function build(req: BuildRequest): void {
  if (req.op === 'build-init') {
    if (req.kind === 'flat') {
      builds.set(req.build, { writer: new FlatIndexWriter(req.dir, req.dim, req.metric === 'cosine' ? 'inner_product' : 'l2'), dim: req.dim, metric: req.metric });
      return;
    }
    const made = faiss.Index.fromFactory(req.dim, factoryDescriptor(req.kind, req.entries), faissMetric(req.metric));
    const index = req.kind === 'hnsw' && req.efConstruction !== undefined ? faiss.Index.fromBuffer(patchParams(made.toBuffer(), { efConstruction: req.efConstruction })) : made;
    // IVF trains on up to 256 points a list: the first entries (MD5 order is a random sample)
    builds.set(req.build, { writer: null, index, dim: req.dim, metric: req.metric, pending: [], pendingRows: 0, trainRows: req.kind === 'ivf' ? Math.min(req.entries, 256 * ivfLists(req.entries)) : 0 });
    return;
  }
  const b = builds.get(req.build);
  if (req.op === 'build-abort') {
    builds.delete(req.build);
    b?.writer?.abort();
    return;
  }
  if (!b) throw new Error(`no build ${req.build} in progress`);
  if (req.op === 'build-add') {
    const x = req.vectors.subarray(0, req.count * b.dim);
    if (b.metric === 'cosine') normaliseRows(x, b.dim, req.count);
    if (b.writer) {
      b.writer.add(x, req.count);
      return;
    }
    if (!b.index.isTrained()) {
      b.pending.push(x);
      b.pendingRows += req.count;
      if (b.pendingRows >= b.trainRows) flushPending(b);
      return;
    }
    addRows(b, x);
    return;
  }
  builds.delete(req.build);
  if (b.writer) {
    b.writer.finish(req.file);
    return;
  }
  if (b.pendingRows > 0) flushPending(b);
  b.index.write(req.file);
  // the file holds the default search parameters: searches with them read it as it is
  patchParamsOfFile(req.file, DEFAULT_SEARCH_PARAMS);
}

parentPort!.on('message', (msg: FaissRequest & { id: number }) => {
  try {
    if (msg.op === 'search') {
      const r = search(msg);
      parentPort!.postMessage({ id: msg.id, ...r }, [r.labels.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer]);
    } else {
      build(msg);
      parentPort!.postMessage({ id: msg.id });
    }
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
