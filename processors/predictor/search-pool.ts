// KNN search off the event loop: batches of queries go to the process's faiss
// thread (faiss-thread.ts, search-worker.ts), which holds the index files it
// has read; the main thread only turns sequence hits into protein neighbours.
//
// Neighbours are selected at the PROTEIN level: a sequence hit expands to its
// reference accessions (sorted, all at the sequence's distance), references
// with the query's own sequence are dropped when asked (benchmark mode,
// --exclude-self), then selectNeighbours applies k (ties at the k-th kept) and
// the threshold. Since one sequence may carry several accessions, and ties and
// the excluded sequence take places, a query is searched again with 4x more
// sequences until no unseen sequence could still be selected: for exact search
// the result is then the same as a brute-force scan of every reference
// protein, ordered by distance, then accession.
//
// With `admit` (--max-identity), refused sequences are dropped like the
// excluded one BEFORE k and the threshold apply, so a query still gets its k
// nearest admitted references; verdicts are asked only for sequences that
// could be selected (neighbour-scan.ts) and the depth is capped at
// MAX_FILTERED_DEPTH sequences.
import { ProteaError } from '../../lib/errors.js';
import { DEFAULT_SEARCH_PARAMS, type SearchParams } from './faiss-params.js';
import type { ReferenceIndex } from './reference-index.js';
import { faissThread } from './faiss-thread.js';
import type { SearchResult } from './search-worker.js';
import { scanEntries } from './neighbour-scan.js';
import { kPositions, selectNeighbours, type Neighbour } from './transfer.js';

export interface SearchOptions {
  /** neighbours per query (ties at the k-th kept); null: only the threshold */
  k: number | null;
  /** keep references with distance <= threshold; null: only k */
  threshold: number | null;
  /** per query: drop references whose sequence has this MD5 (the query's own: benchmark mode) */
  excludeMd5?: readonly (string | null)[];
  /** ANN parameters (HNSW efSearch, IVF nprobe); ignored by a flat index */
  params?: SearchParams;
  /**
   * Per (query, entry): may the entry be a neighbour of the query (--max-identity)?
   * Asked only for entries that could be selected; each pair at most once per search.
   */
  admit?: (pairs: readonly { query: number; entry: number }[]) => Promise<readonly boolean[]>;
  /** with admit: search at most this many entries deep (default MAX_FILTERED_DEPTH) */
  maxDepth?: number;
  /** with admit: a query reached maxDepth with fewer than k admitted neighbours (it keeps those) */
  onDepthCap?: (query: number) => void;
}

/**
 * How deep (entries) a search with refused entries goes at most: a query whose
 * MAX_FILTERED_DEPTH nearest sequences leave fewer than k admitted is
 * predicted from those admitted (possibly none), and reported by onDepthCap.
 */
export const MAX_FILTERED_DEPTH = 1024;

export interface SearchPoolOptions {
  /** must be 1 (or absent): faiss-node can only live in one thread per process, see faiss-thread.ts */
  threads?: number;
  /** queries per worker request (default 256) */
  batchSize?: number;
}

export interface RawResult {
  /** nq x k entry labels, -1 where none */
  labels: Int32Array;
  /** nq x k distances (1 - cosine, or Euclidean), +Infinity where none */
  distances: Float64Array;
}

export class SearchPool {
  private closed = false;
  readonly batchSize: number;

  constructor(options: SearchPoolOptions = {}) {
    if (options.threads !== undefined && options.threads !== 1) {
      throw new ProteaError('USAGE', `faiss searches run on one thread per process (faiss-node keeps per-process state), got threads=${options.threads}`, { field: 'threads' });
    }
    this.batchSize = options.batchSize ?? 256;
  }

  get threads(): number {
    return 1;
  }

  /**
   * One faiss search of `nq` queries (a flat nq x dim array, copied: the
   * caller's array is left as is) for the k nearest ENTRIES (sequences), in a
   * worker. What search() builds on; also what the benchmark times.
   */
  rawSearch(index: ReferenceIndex, queries: Float32Array, nq: number, k: number, params: SearchParams = {}): Promise<RawResult> {
    if (this.closed) return Promise.reject(new ProteaError('INTERNAL', 'search pool is closed'));
    const copy = queries.slice(0, nq * index.dim);
    return faissThread().request<RawResult>(
      { op: 'search', key: index.key, file: index.file, metric: index.metric, dim: index.dim, params: { ...DEFAULT_SEARCH_PARAMS, ...params }, queries: copy, nq, k },
      [copy.buffer as ArrayBuffer],
    );
  }

  /** The neighbours (reference proteins) of each query, ordered by distance then accession. */
  async search(index: ReferenceIndex, queries: readonly Float32Array[], opts: SearchOptions): Promise<Neighbour[][]> {
    const { k, threshold } = opts;
    if (k === null && threshold === null) throw new ProteaError('USAGE', 'a search needs k, a distance threshold, or both', { field: 'k' });
    if (k !== null && (!Number.isInteger(k) || k < 1)) throw new ProteaError('USAGE', `k must be a positive integer, got ${k}`, { field: 'k' });
    if (opts.excludeMd5 && opts.excludeMd5.length !== queries.length) throw new ProteaError('USAGE', `excludeMd5 has ${opts.excludeMd5.length} entries for ${queries.length} queries`, { field: 'excludeMd5' });
    for (const q of queries) {
      if (q.length !== index.dim && index.size > 0) throw new ProteaError('USAGE', `a query vector of ${q.length} dimensions for an index of ${index.dim}`, { field: 'embedding_dim' });
    }
    const out: Neighbour[][] = queries.map(() => []);
    if (index.size === 0 || queries.length === 0) return out;
    const exclude = queries.map((_, i) => {
      const md5 = opts.excludeMd5?.[i];
      return md5 ? (index.entryOf(md5) ?? -1) : -1;
    });

    const admit = opts.admit;
    const maxDepth = admit ? Math.max(opts.maxDepth ?? MAX_FILTERED_DEPTH, k ?? 1) : Number.POSITIVE_INFINITY;
    const verdicts = queries.map(() => new Map<number, boolean>());
    const minUndecided = queries.map(() => 0);
    let kSearch = Math.min(index.size, k !== null ? k + 8 : 64, maxDepth);
    let pending = queries.map((_, i) => i);
    while (pending.length > 0) {
      const results = await this.searchBatched(index, pending.map((i) => queries[i]!), kSearch, opts.params ?? {});
      const scan = (qi: number, r: number) =>
        scanEntries({
          labels: results.labels, distances: results.distances, offset: r * kSearch, count: kSearch, whole: kSearch >= index.size,
          k, threshold, exclude: exclude[qi]!,
          admitted: admit ? (e) => verdicts[qi]!.get(e) : () => true,
          minUndecided: minUndecided[qi]!,
          accessionsOf: (e) => index.accessionsOf(e), md5Of: (e) => index.md5s[e]!,
        });
      let scans = pending.map((qi, r) => scan(qi, r));
      // verdicts for the entries the scans need, all queries at once, until none is undecided
      for (;;) {
        const asked: { query: number; entry: number }[] = [];
        scans.forEach((sc, r) => {
          const qi = pending[r]!;
          for (const entry of sc.undecided) asked.push({ query: qi, entry });
          // refused ones may follow refused ones: ask for twice as many next time
          if (sc.undecided.length > 0) minUndecided[qi] = Math.max(2 * sc.undecided.length, minUndecided[qi]!);
        });
        if (asked.length === 0) break;
        const answers = await admit!(asked);
        asked.forEach((a, i) => verdicts[a.query]!.set(a.entry, answers[i]!));
        scans = pending.map((qi, r) => (scans[r]!.undecided.length > 0 ? scan(qi, r) : scans[r]!));
      }
      const again: number[] = [];
      scans.forEach((sc, r) => {
        const qi = pending[r]!;
        const capped = !sc.complete && kSearch >= maxDepth;
        if (!sc.complete && !capped) {
          again.push(qi);
          return;
        }
        // at the depth cap: the admitted references found so far, maybe fewer than k
        if (capped) opts.onDepthCap?.(qi);
        const selected = selectNeighbours(sc.hits, k, threshold);
        const ranks = kPositions(selected.map((h) => h.distance));
        selected.forEach((h, i) => (h.kPosition = ranks[i]!));
        out[qi] = selected;
      });
      pending = again;
      kSearch = Math.min(index.size, kSearch * 4, maxDepth);
    }
    return out;
  }

  /** rawSearch over batches of batchSize queries, spread over the workers, results concatenated. */
  private async searchBatched(index: ReferenceIndex, queries: readonly Float32Array[], k: number, params: SearchParams): Promise<RawResult> {
    const dim = index.dim;
    const parts: Promise<RawResult>[] = [];
    for (let b = 0; b < queries.length; b += this.batchSize) {
      const n = Math.min(this.batchSize, queries.length - b);
      const flat = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) flat.set(queries[b + i]!, i * dim);
      parts.push(this.rawSearch(index, flat, n, k, params));
    }
    const done = await Promise.all(parts);
    const labels = new Int32Array(queries.length * k);
    const distances = new Float64Array(queries.length * k);
    let o = 0;
    for (const p of done) {
      labels.set(p.labels, o);
      distances.set(p.distances, o);
      o += p.labels.length;
    }
    return { labels, distances };
  }

  /** Refuses further searches; the faiss thread stays for other users in the process (idle, it keeps nothing alive). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
