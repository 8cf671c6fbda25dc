// KNN search speed on synthetic reference sets (no stack, no database):
//  1. exact (flat) search queries/s through the SearchPool's faiss thread, for
//     each --sizes x --dims (default 100k, 500k x 320, 1280), cosine;
//  2. the cost of that path against a bare faiss call on the same batches
//     (same index file, same k, same batches, in the main thread after the
//     faiss thread is stopped: faiss-node may live in one thread only);
//  3. HNSW (HNSW32, efSearch from --ef) recall@10 against exact and its
//     speed-up, on --hnsw N x D (default 100000x320).
// Vectors (--vectors): 'clusters', a mixture of 2,000 isotropic Gaussian
// clusters (centres uniform in [-1, 1], spread --spread) in the full D
// dimensions: within a cluster the points spread over all D directions, so the
// tenth neighbour is a near-tie with hundreds of others, the hardest case for a
// graph index. 'subspace': the same mixture drawn in --latent dimensions and
// mapped into D by a fixed random linear map, plus isotropic noise --noise in
// all D: data that varies along few directions, as learned embeddings do.
// Queries are drawn the same way, not in the index. Deterministic (mulberry32,
// --seed).
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from 'commander';
import type * as Faiss from 'faiss-node';
import { mulberry32 } from '../lib/seeded-random.js';
import { twoNN } from './intrinsic-dimension.js';
import { normaliseRows } from '../processors/predictor/faiss-params.js';
import type { ReferenceIndex } from '../processors/predictor/reference-index.js';
import type { SearchPool } from '../processors/predictor/search-pool.js';
import { benchProgram, isEntryPoint, nonNegativeInt, positiveInt } from './cli.js';

/** A comma-separated list of positive integers ('100_000' allowed). */
function intList(raw: string): number[] {
  return raw.split(',').map((x) => positiveInt(x.trim()));
}

/** N x D of the HNSW comparison; 0x0 skips it. */
function sizeByDim(raw: string): [number, number] {
  const m = /^(\d[\d_]*)x(\d+)$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError('expected NxD, e.g. 100000x320 (0x0 skips HNSW)');
  return [nonNegativeInt(m[1]!), nonNegativeInt(m[2]!)];
}

function unitInterval(raw: string): number {
  const x = Number(raw);
  if (!(x > 0 && x <= 1)) throw new InvalidArgumentError('expected a number in (0, 1]');
  return x;
}

type VectorKind = 'clusters' | 'subspace';
function vectorKind(raw: string): VectorKind {
  if (raw !== 'clusters' && raw !== 'subspace') throw new InvalidArgumentError("expected 'clusters' or 'subspace'");
  return raw;
}

const program = benchProgram('knn-search', 'KNN search speed on synthetic vectors: exact queries/s through the faiss thread against a bare faiss call on the same batches, and HNSW recall@k and speed-up against exact')
  .option('--sizes <list>', 'reference set sizes, comma-separated', intList, [100_000, 500_000])
  .option('--dims <list>', 'vector dimensions, comma-separated', intList, [320, 1280])
  .option('--queries <n>', 'queries per measurement', positiveInt, 1000)
  .option('--batch <n>', 'queries per search call', positiveInt, 250)
  .option('--k <n>', 'neighbours per query', positiveInt, 10)
  .option('--hnsw <NxD>', 'references x dimension of the HNSW comparison (0x0 skips it)', sizeByDim, [100_000, 320] as [number, number])
  .option('--ef <list>', 'HNSW efSearch values, comma-separated', intList, [64, 128, 256])
  .option('--ef-construction <n>', 'HNSW efConstruction (faiss default 40)', positiveInt)
  .option('--vectors <kind>', "synthetic vectors: 'clusters' (isotropic in D) or 'subspace' (clusters in --latent dims, mapped into D)", vectorKind, 'clusters' as VectorKind)
  .option('--latent <n>', "latent dimension of 'subspace' vectors", positiveInt, 16)
  .option('--noise <x>', "isotropic noise of 'subspace' vectors in every dimension", unitInterval, 0.02)
  .option('--spread <x>', 'cluster spread of the synthetic vectors', unitInterval, 0.35)
  .option('--seed <n>', 'random seed', nonNegativeInt, 42)
  .option('--twonn-fasta <file>', "also estimate the intrinsic dimension of the default k-mer backend's vectors of this FASTA's sequences (e.g. test/fixtures/data/cafa3-benchmark/sequences/gopredsim_cafa3_targets.fasta)");
if (isEntryPoint(import.meta.url)) program.parse(process.argv);
const opts = program.opts<{ sizes: number[]; dims: number[]; queries: number; batch: number; k: number; hnsw: [number, number]; ef: number[]; efConstruction?: number; twonnFasta?: string; vectors: VectorKind; latent: number; noise: number; spread: number; seed: number }>();
const SIZES = opts.sizes;
const DIMS = opts.dims;
const QUERIES = opts.queries;
const BATCH = opts.batch;
const K = opts.k;
const HNSW = opts.hnsw;
const EF = opts.ef;
const SPREAD = opts.spread;
const EF_CONSTRUCTION = opts.efConstruction;
const SEED = opts.seed;
const err = (s: string) => process.stderr.write(`${s}\n`);

function generator(dim: number, seed: number) {
  const rnd = mulberry32(seed);
  // clusters live in `space` dimensions: D itself, or the latent ones mapped into D
  const space = opts.vectors === 'subspace' ? Math.min(opts.latent, dim) : dim;
  const centres = Array.from({ length: 2000 }, () => Float32Array.from({ length: space }, () => rnd() * 2 - 1));
  // Box-Muller
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  // D x latent, entries N(0, 1/latent): a latent vector keeps its scale in D
  const map = opts.vectors === 'subspace' ? Float32Array.from({ length: dim * space }, () => gauss() / Math.sqrt(space)) : null;
  const z = new Float32Array(space);
  return (n: number): Float32Array => {
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = centres[Math.floor(rnd() * centres.length)]!;
      for (let j = 0; j < space; j++) z[j] = c[j]! + SPREAD * gauss();
      const o = i * dim;
      if (!map) {
        out.set(z, o);
        continue;
      }
      for (let d = 0; d < dim; d++) {
        let x = opts.noise * gauss();
        const row = d * space;
        for (let j = 0; j < space; j++) x += map[row + j]! * z[j]!;
        out[o + d] = x;
      }
    }
    return out;
  };
}

function* batchesOf(gen: (n: number) => Float32Array, total: number, size = 8192): Generator<Float32Array> {
  for (let o = 0; o < total; o += size) yield gen(Math.min(size, total - o));
}

interface Row { n: number; dim: number; qps: number; ms: number; file: string; batchesMs: number[] }

async function timePool(pool: SearchPool, index: ReferenceIndex, queries: Float32Array, dim: number, params = {}) {
  const batchesMs: number[] = [];
  const labels: Int32Array[] = [];
  const distances: Float64Array[] = [];
  // warm: the first call loads the file
  await pool.rawSearch(index, queries.subarray(0, dim), 1, K, params);
  const t0 = performance.now();
  for (let o = 0; o < QUERIES; o += BATCH) {
    const n = Math.min(BATCH, QUERIES - o);
    const b0 = performance.now();
    const r = await pool.rawSearch(index, queries.subarray(o * dim, (o + n) * dim), n, K, params);
    batchesMs.push(performance.now() - b0);
    labels.push(r.labels);
    distances.push(r.distances);
  }
  const ms = performance.now() - t0;
  return { ms, batchesMs, labels, distances };
}

/**
 * TwoNN over exact cosine results (k >= 2 per query): on unit vectors the
 * Euclidean distance is sqrt(2 (1 - cos)).
 */
function twoNNOfResults(distances: readonly Float64Array[]): number {
  const r1: number[] = [];
  const r2: number[] = [];
  for (const d of distances) {
    for (let q = 0; q < d.length / K; q++) {
      r1.push(Math.sqrt(2 * d[q * K]!));
      r2.push(Math.sqrt(2 * d[q * K + 1]!));
    }
  }
  return twoNN(r1, r2).dimension;
}

/** The default k-mer backend's vectors of a FASTA, each searched against all: TwoNN over its two nearest others. */
async function twoNNOfKmerVectors(file: string, pool: SearchPool, dir: string): Promise<{ dimension: number; used: number; sequences: number; dim: number }> {
  const [{ readFasta, kmerRecipe }, { KmerBackend, KMER_DEFAULT_MODEL_NAME }, { ReferenceIndex }] = await Promise.all([
    import('./kmer-representation.js'),
    import('../processors/embedder/kmer-backend.js'),
    import('../processors/predictor/reference-index.js'),
  ]);
  const { seqs } = readFasta(file);
  const backend = new KmerBackend(kmerRecipe(KMER_DEFAULT_MODEL_NAME));
  const dim = backend.dim;
  const all = new Float32Array(seqs.length * dim);
  const embedded = await backend.embed(seqs);
  embedded.forEach((e, i) => all.set(e.chunks[0]!.vector, i * dim));
  const index = await ReferenceIndex.fromVectors({ batches: [all], entries: seqs.length, dim, metric: 'cosine', kind: 'flat', cacheDir: dir });
  const r1: number[] = [];
  const r2: number[] = [];
  for (let o = 0; o < seqs.length; o += BATCH) {
    const n = Math.min(BATCH, seqs.length - o);
    const r = await pool.rawSearch(index, all.subarray(o * dim, (o + n) * dim), n, 3);
    for (let q = 0; q < n; q++) {
      // the two nearest others (the point itself, at distance 0, is among the three)
      const others: number[] = [];
      for (let j = 0; j < 3 && others.length < 2; j++) if (r.labels[q * 3 + j] !== o + q) others.push(Math.sqrt(2 * r.distances[q * 3 + j]!));
      r1.push(others[0]!);
      r2.push(others[1]!);
    }
  }
  return { ...twoNN(r1, r2), sequences: seqs.length, dim };
}

async function main() {
  const [{ faissThread }, { ReferenceIndex }, { SearchPool }] = await Promise.all([
    import('../processors/predictor/faiss-thread.js'),
    import('../processors/predictor/reference-index.js'),
    import('../processors/predictor/search-pool.js'),
  ]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-knn-bench-'));
  const pool = new SearchPool();
  const rows: Row[] = [];
  const queriesOf = new Map<number, Float32Array>();
  try {
    for (const dim of DIMS) {
      const gen = generator(dim, SEED + dim);
      const queries = gen(QUERIES);
      queriesOf.set(dim, queries);
      for (const n of SIZES) {
        const b0 = performance.now();
        const index = await ReferenceIndex.fromVectors({ batches: batchesOf(gen, n), entries: n, dim, metric: 'cosine', kind: 'flat', cacheDir: dir });
        err(`flat ${n} x ${dim}: built in ${((performance.now() - b0) / 1000).toFixed(1)} s`);
        const r = await timePool(pool, index, queries, dim);
        rows.push({ n, dim, qps: QUERIES / (r.ms / 1000), ms: r.ms, file: index.file, batchesMs: r.batchesMs });
        err(`  pool: ${QUERIES} queries in ${r.ms.toFixed(0)} ms`);
      }
    }

    // HNSW vs exact on one size (--hnsw 0x0 skips it)
    const [hn, hd] = HNSW;
    const hnswRows: { ef: number; recall: number; ms: number; speedup: number }[] = [];
    let hnswBuild = 0;
    let exactMs = 0;
    let twoNNOfSet = Number.NaN;
    if (hn > 0 && hd > 0) {
    const gen = generator(hd, SEED + 7 * hd);
    const queries = gen(QUERIES);
    const exact = await ReferenceIndex.fromVectors({ batches: batchesOf(gen, hn), entries: hn, dim: hd, metric: 'cosine', kind: 'flat', cacheDir: dir });
    const genAgain = generator(hd, SEED + 7 * hd);
    genAgain(QUERIES); // same stream: the same vectors as the flat index
    const h0 = performance.now();
    const hnsw = await ReferenceIndex.fromVectors({ batches: batchesOf(genAgain, hn), entries: hn, dim: hd, metric: 'cosine', kind: 'hnsw', cacheDir: dir, ...(EF_CONSTRUCTION !== undefined ? { efConstruction: EF_CONSTRUCTION } : {}) });
    hnswBuild = (performance.now() - h0) / 1000;
    err(`hnsw ${hn} x ${hd}: built in ${hnswBuild.toFixed(1)} s`);
    const ex = await timePool(pool, exact, queries, hd);
    exactMs = ex.ms;
    twoNNOfSet = twoNNOfResults(ex.distances);
    for (const ef of EF) {
      const h = await timePool(pool, hnsw, queries, hd, { efSearch: ef });
      let found = 0;
      for (let b = 0; b < ex.labels.length; b++) {
        const e = ex.labels[b]!;
        const a = h.labels[b]!;
        for (let q = 0; q < e.length / K; q++) {
          const truth = new Set(e.subarray(q * K, (q + 1) * K));
          for (let j = 0; j < K; j++) if (truth.has(a[q * K + j]!)) found++;
        }
      }
      hnswRows.push({ ef, recall: found / (QUERIES * K), ms: h.ms, speedup: ex.ms / h.ms });
    }
    }

    // bare faiss on the same batches, in this thread, once the faiss thread is gone
    await faissThread().stop();
    const require = createRequire(import.meta.url);
    const faiss = require('faiss-node') as typeof Faiss;
    const data = opts.vectors === 'subspace' ? `'subspace' vectors (2,000 clusters of spread ${SPREAD} in ${opts.latent} latent dims, mapped into D, noise ${opts.noise})` : `'clusters' vectors (2,000 isotropic clusters of spread ${SPREAD})`;
    console.log(`\nexact search (flat, cosine) on ${data}, ${QUERIES} queries, k = ${K}, batches of ${BATCH}; machine: ${os.cpus().length} cores, Node ${process.version}\n`);
    console.log('| references | dim | queries/s (pool) | pool ms | bare faiss ms | pool / bare - 1 (target <= 15%) |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      const ix = faiss.Index.read(r.file);
      const queries = queriesOf.get(r.dim)!;
      ix.search(Array.from(queries.subarray(0, r.dim)), K); // warm, as the pool's
      let bare = 0;
      for (let o = 0; o < QUERIES; o += BATCH) {
        const n = Math.min(BATCH, QUERIES - o);
        const t0 = performance.now();
        // what the worker does per batch: normalise a copy, to a plain array, search
        const q = queries.slice(o * r.dim, (o + n) * r.dim);
        normaliseRows(q, r.dim, n);
        ix.search(Array.from(q), K);
        bare += performance.now() - t0;
      }
      console.log(`| ${r.n.toLocaleString('en')} | ${r.dim} | ${r.qps.toFixed(0)} | ${r.ms.toFixed(0)} | ${bare.toFixed(0)} | ${((r.ms / bare - 1) * 100).toFixed(1)}% |`);
    }
    if (opts.twonnFasta) {
      const d = await twoNNOfKmerVectors(opts.twonnFasta, pool, dir);
      console.log(`\nintrinsic dimension (TwoNN) of the default k-mer backend's vectors of ${d.sequences.toLocaleString('en')} sequences (${opts.twonnFasta}, ${d.dim} dimensions): ${d.dimension.toFixed(1)} (${d.used} points used)`);
    }
    if (hnswRows.length === 0) return;
    console.log(`\nHNSW32, efConstruction ${EF_CONSTRUCTION ?? '40 (default)'} (${hn.toLocaleString('en')} x ${hd}, built in ${hnswBuild.toFixed(1)} s) vs exact (${exactMs.toFixed(0)} ms for ${QUERIES} queries): recall@${K}, speed-up (targets >= 0.99 at >= 5x)\n`);
    console.log(`intrinsic dimension of the reference set (TwoNN over the queries' two nearest references): ${twoNNOfSet.toFixed(1)} of ${hd}\n`);
    console.log('| efSearch | recall@10 | ms | speed-up |');
    console.log('|---|---|---|---|');
    for (const h of hnswRows) console.log(`| ${h.ef} | ${h.recall.toFixed(4)} | ${h.ms.toFixed(0)} | ${h.speedup.toFixed(1)}x |`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isEntryPoint(import.meta.url)) await main();
