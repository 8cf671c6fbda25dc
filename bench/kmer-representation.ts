// Which k-mer representation the weight-free backend should default to,
// measured on the real CAFA3 targets (3,328 sequences, propagated ground
// truth): how often its cosine nearest neighbour is the Smith-Waterman best
// hit, and its leave-one-out KNN Fmax, beside the SW best-hit transfer and
// the naive baseline from the same run; then its embedding speed.
//
//   npx tsc -p . && node dist/bench/kmer-representation.js [--models kmer-2,kmer-3-tfidf,...]
//     [--data test/fixtures/data/cafa3-benchmark] [--sw bench/fixtures/cafa3-sw-best-hits.tsv.gz]
//     [--throughput N=20000] [--seed 42]
//
// Inputs: the targets' FASTA and groundtruth/leafonly_{MFO,BPO,CCO}.is_a under
// --data (ground truth already propagated to every is_a ancestor, roots
// included), and the SW fixture written once by bench/sw-best-hits.py
// (BLOSUM62, gap open 11 extend 1, all vs all; per target its best other
// target overall and among the targets annotated in each namespace).
//
// Per representation (each model through the real backend, normalize on, no
// chunking, max_length above the longest target, so vectors are unit length
// and cosine = dot product; all-pairs dot products through an inverted index):
// - NN = SW1: share of targets whose cosine nearest other target is one of
//   their SW best hits (all 3,328; and the targets whose best SW score is
//   >= 100, i.e. with a clear homologue in the set); NN in SW5: the share of
//   the latter whose cosine nearest neighbour is among their 5 best SW hits
//   (paralogue families have several near-equal best hits).
// - leave-one-out KNN per namespace: the references are the other targets
//   annotated in that namespace (a target without terms there is neither a
//   reference nor evaluated there); the k nearest by cosine; GOPredSim
//   scoring: a term's score is the mean over the k neighbours of s = 1 - d =
//   cosine for the neighbours that carry it (ties at the k-th distance are not
//   kept: with float cosines they are rare); the neighbours' (propagated)
//   terms are transferred, so predictions are propagated too.
// - Fmax: evaluation/metrics.ts's Evaluator, flat CAFA evaluation (no IA
//   weighting), prop max, norm cafa, thresholds 0.01 .. 0.99; the ontology has
//   no edges (none is needed: ground truth and predictions are propagated);
//   the three namespace roots are dropped from ground truth (hence from every
//   prediction), as in the published CAFA3 evaluation (--no-roots); a target
//   annotated with a root only is not annotated in that namespace (there is
//   none). --keep-roots keeps them (every Fmax rises).
// Comparisons from the same run: SW best-hit transfer (the best SW hit among
// the namespace's references, its terms with score = identity, or = SW score /
// the query's self score), and the naive baseline (a term's frequency among
// the other references of the namespace).
// The IDF of `-tfidf` models is closed-form (processors/embedder/
// kmer-representation.ts); `kmer-3 x in-sample IDF` (bench only) weights 3-mer
// counts by the IDF of the targets themselves (1 + ln((1+N)/(1+df))), to show
// what the closed form gives up.
// Throughput: --throughput synthetic sequences (bench/generate.ts: Swiss-Prot
// length distribution and composition) embedded in batches of 1,000.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PROJECT_ROOT } from '../lib/config.js';
import { buildOntology } from '../evaluation/ontology.js';
import { Evaluator } from '../evaluation/metrics.js';
import { DEFAULT_EVALUATION_OPTIONS, type Annotation, type OntologyTermInput, type ScoredPrediction } from '../evaluation/types.js';
import type { EmbeddingRecipe } from '../processors/embedder/backend.js';
import { KMER_DEFAULT_MODEL_NAME, KMER_DEFAULT_RECIPE, KmerBackend } from '../processors/embedder/kmer-backend.js';
import { benchMain, benchProgram, nonNegativeInt } from './cli.js';
import { fmt, machineLine, table } from './common.js';
import { Rng, drawLength, randomSequence } from './generate.js';

const NAMESPACES = [
  ['MFO', 'molecular_function'],
  ['BPO', 'biological_process'],
  ['CCO', 'cellular_component'],
] as const;
/** The namespace roots: every annotated target has them, so they are dropped (as in the published CAFA3 evaluation). */
const ROOTS = new Set(['GO:0003674', 'GO:0008150', 'GO:0005575']);
type Ns = (typeof NAMESPACES)[number][0];

export const DEFAULT_MODELS = [
  'kmer-1',
  'kmer-2',
  'kmer-2-tfidf',
  'kmer-3',
  'kmer-3-tfidf',
  'kmer-2+3-tfidf',
  'kmer-3-tfidf-h4096',
  'kmer-3-tfidf-h2048',
  'kmer-3-tfidf-h1024',
  'kmer-4-tfidf-h4096',
  'kmer-3+4-tfidf-h4096',
  'kmer-3+4-tfidf-h2048',
  'kmer-3-murphy10',
  'kmer-3-murphy10-tfidf',
  'kmer-4-murphy10-tfidf',
  'kmer-2+3-murphy10-tfidf',
  'kmer-4-dayhoff6-tfidf',
  'kmer-5-dayhoff6-tfidf',
];

/** The default recipe (normalised, no chunking, no truncation) with another k-mer model. */
export function kmerRecipe(modelName: string): EmbeddingRecipe {
  return { ...KMER_DEFAULT_RECIPE, layerIndices: [0], id: `bench-${modelName}`, modelName };
}

// ── data ─────────────────────────────────────────────────────────────────────

export function readFasta(file: string): { ids: string[]; seqs: string[] } {
  const ids: string[] = [];
  const seqs: string[] = [];
  let cur: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('>')) {
      if (ids.length) seqs.push(cur.join(''));
      ids.push(line.slice(1).trim().split(/\s/)[0]!);
      cur = [];
    } else if (line.trim()) cur.push(line.trim().toUpperCase());
  }
  if (ids.length) seqs.push(cur.join(''));
  return { ids, seqs };
}

/** namespace -> target -> its (propagated) terms */
function readGroundTruth(dir: string, keepRoots: boolean): Map<Ns, Map<string, string[]>> {
  const out = new Map<Ns, Map<string, string[]>>();
  for (const [ns] of NAMESPACES) {
    const m = new Map<string, string[]>();
    for (const line of readFileSync(path.join(dir, `leafonly_${ns}.is_a`), 'utf8').split('\n')) {
      const [target, terms] = line.split('\t');
      const kept = terms?.trim().split(',').filter((t) => keepRoots || !ROOTS.has(t)) ?? [];
      if (target && kept.length) m.set(target, kept);
    }
    out.set(ns, m);
  }
  return out;
}

interface SwHit {
  selfScore: number;
  score: number;
  hits: string[];
  identity: number;
  /** refset all only: the 10 best other targets, best first */
  top: string[];
}

/** refset (all, MFO, BPO, CCO) -> target -> best hit */
function readSwFixture(file: string): Map<string, Map<string, SwHit>> {
  const out = new Map<string, Map<string, SwHit>>();
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('target\t')) continue;
    const [target, selfScore, refset, score, hits, identity, , top] = line.split('\t');
    let m = out.get(refset!);
    if (!m) out.set(refset!, (m = new Map()));
    m.set(target!, { selfScore: Number(selfScore), score: Number(score), hits: hits!.split(','), identity: Number(identity), top: !top || top === '-' ? [] : top.split(',').map((t) => t.slice(0, t.lastIndexOf(':'))) });
  }
  return out;
}

// ── all-pairs cosine through an inverted index ───────────────────────────────

/** Unit vectors stored by dimension (CSR), so one row of dot products costs the postings its nonzeros touch. */
class CosineIndex {
  private readonly rowIdx: Int32Array[];
  private readonly rowVal: Float32Array[];
  private readonly postOffsets: Int32Array;
  private readonly postRows: Int32Array;
  private readonly postVals: Float32Array;

  constructor(vectors: readonly Float32Array[], dim: number) {
    this.rowIdx = [];
    this.rowVal = [];
    const counts = new Int32Array(dim + 1);
    for (const v of vectors) {
      const idx: number[] = [];
      for (let d = 0; d < dim; d++) if (v[d] !== 0) idx.push(d);
      this.rowIdx.push(Int32Array.from(idx));
      this.rowVal.push(Float32Array.from(idx, (d) => v[d]!));
      for (const d of idx) counts[d + 1]!++;
    }
    for (let d = 0; d < dim; d++) counts[d + 1]! += counts[d]!;
    this.postOffsets = counts;
    this.postRows = new Int32Array(counts[dim]!);
    this.postVals = new Float32Array(counts[dim]!);
    const fill = counts.slice(0, dim);
    vectors.forEach((_, r) => {
      const idx = this.rowIdx[r]!;
      const val = this.rowVal[r]!;
      for (let j = 0; j < idx.length; j++) {
        const p = fill[idx[j]!]!++;
        this.postRows[p] = r;
        this.postVals[p] = val[j]!;
      }
    });
  }

  /** out[j] = <v_i, v_j> for every row j */
  row(i: number, out: Float64Array): void {
    out.fill(0);
    const idx = this.rowIdx[i]!;
    const val = this.rowVal[i]!;
    const { postOffsets, postRows, postVals } = this;
    for (let a = 0; a < idx.length; a++) {
      const d = idx[a]!;
      const w = val[a]!;
      for (let p = postOffsets[d]!, e = postOffsets[d + 1]!; p < e; p++) out[postRows[p]!]! += w * postVals[p]!;
    }
  }
}

/** The k best rows by similarity among `allowed` (self excluded), best first; ties: lower row first. */
function topK(sims: Float64Array, self: number, allowed: Uint8Array, k: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < sims.length; j++) {
    if (j === self || !allowed[j]) continue;
    const s = sims[j]!;
    if (best.length === k && s <= sims[best[k - 1]!]!) continue;
    let pos = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(j);
    while (pos > 0 && sims[best[pos - 1]!]! < s) {
      best[pos] = best[pos - 1]!;
      pos--;
    }
    best[pos] = j;
  }
  return best;
}

// ── evaluation ───────────────────────────────────────────────────────────────

interface Context {
  ids: string[];
  seqs: string[];
  gt: Map<Ns, Map<string, string[]>>;
  sw: Map<string, Map<string, SwHit>>;
  evaluator: Evaluator;
  /** per namespace: 1 for the targets annotated there */
  refMask: Map<Ns, Uint8Array>;
}

type Fmax = Record<Ns, number>;

function fmaxOf(ctx: Context, predictions: ScoredPrediction[]): Fmax {
  const res = ctx.evaluator.score(predictions);
  const out = {} as Fmax;
  for (const [ns, name] of NAMESPACES) out[ns] = res.find((r) => r.namespace === name)?.bestF?.f ?? 0;
  return out;
}

interface RepresentationResult {
  name: string;
  dim: number;
  seqPerSec: number;
  /** seconds to index the vectors and compute every target's row of cosines (all pairs) */
  searchSeconds: number;
  nnAgreeAll: number;
  nnAgreeHomolog: number;
  nnTop5Homolog: number;
  k1: Fmax;
  k5: Fmax;
}

function measureVectors(ctx: Context, name: string, vectors: Float32Array[], dim: number, seqPerSec: number): RepresentationResult {
  const n = ctx.ids.length;
  const t0 = performance.now();
  const index = new CosineIndex(vectors, dim);
  const sims = new Float64Array(n);
  for (let i = 0; i < n; i++) index.row(i, sims);
  const searchSeconds = (performance.now() - t0) / 1000;
  const all = new Uint8Array(n).fill(1);
  const swAll = ctx.sw.get('all')!;
  let agree = 0;
  let homologs = 0;
  let agreeHomolog = 0;
  let top5Homolog = 0;
  const preds1: ScoredPrediction[] = [];
  const preds5: ScoredPrediction[] = [];
  for (let i = 0; i < n; i++) {
    index.row(i, sims);
    const target = ctx.ids[i]!;
    const nn = topK(sims, i, all, 1)[0]!;
    const hit = swAll.get(target)!;
    const ok = hit.hits.includes(ctx.ids[nn]!);
    if (ok) agree++;
    if (hit.score >= 100) {
      homologs++;
      if (ok) agreeHomolog++;
      if (hit.top.slice(0, 5).includes(ctx.ids[nn]!)) top5Homolog++;
    }
    for (const [ns] of NAMESPACES) {
      if (!ctx.gt.get(ns)!.has(target)) continue;
      const nbrs = topK(sims, i, ctx.refMask.get(ns)!, 5);
      const score = new Map<string, number>();
      nbrs.forEach((j, rank) => {
        const s = Math.max(0, sims[j]!);
        for (const term of ctx.gt.get(ns)!.get(ctx.ids[j]!)!) {
          if (rank === 0) preds1.push({ target, term, score: Math.min(1, s) });
          score.set(term, (score.get(term) ?? 0) + s / 5);
        }
      });
      for (const [term, s] of score) preds5.push({ target, term, score: Math.min(1, s) });
    }
  }
  return { name, dim, seqPerSec, searchSeconds, nnAgreeAll: agree / n, nnAgreeHomolog: agreeHomolog / homologs, nnTop5Homolog: top5Homolog / homologs, k1: fmaxOf(ctx, preds1), k5: fmaxOf(ctx, preds5) };
}

function embedAll(modelName: string, seqs: readonly string[]): { vectors: Float32Array[]; dim: number; seqPerSec: number } {
  const backend = new KmerBackend(kmerRecipe(modelName));
  const t0 = performance.now();
  const vectors = seqs.map((s) => backend.embedOne(s).chunks[0]!.vector);
  return { vectors, dim: backend.dim, seqPerSec: seqs.length / ((performance.now() - t0) / 1000) };
}

/** 3-mer counts weighted by the targets' own IDF (bench-only reference for the closed form). */
function inSampleIdfVectors(seqs: readonly string[]): { vectors: Float32Array[]; dim: number } {
  const backend = new KmerBackend({ ...kmerRecipe('kmer-3'), normalize: false });
  const counts = seqs.map((s) => backend.embedOne(s).chunks[0]!.vector);
  const df = new Float64Array(backend.dim);
  for (const v of counts) for (let d = 0; d < v.length; d++) if (v[d]! > 0) df[d]!++;
  const idf = Float64Array.from(df, (x) => 1 + Math.log((1 + seqs.length) / (1 + x)));
  for (const v of counts) {
    let ss = 0;
    for (let d = 0; d < v.length; d++) {
      v[d] = v[d]! * idf[d]!;
      ss += v[d]! * v[d]!;
    }
    if (ss > 0) for (let d = 0; d < v.length; d++) v[d] = v[d]! / Math.sqrt(ss);
  }
  return { vectors: counts, dim: backend.dim };
}

function baselines(ctx: Context): Array<{ name: string; fmax: Fmax }> {
  const swIdentity: ScoredPrediction[] = [];
  const swNorm: ScoredPrediction[] = [];
  const naive: ScoredPrediction[] = [];
  for (const [ns] of NAMESPACES) {
    const gt = ctx.gt.get(ns)!;
    const sw = ctx.sw.get(ns)!;
    const freq = new Map<string, number>();
    for (const terms of gt.values()) for (const t of terms) freq.set(t, (freq.get(t) ?? 0) + 1);
    const refs = gt.size;
    for (const [target, own] of gt) {
      const hit = sw.get(target)!;
      const terms = gt.get(hit.hits[0]!)!;
      const norm = Math.min(1, hit.score / hit.selfScore);
      for (const term of terms) {
        swIdentity.push({ target, term, score: hit.identity });
        swNorm.push({ target, term, score: norm });
      }
      // leave-one-out term frequency; below the first threshold (0.01) a term is never predicted
      const mine = new Set(own);
      for (const [term, c] of freq) {
        const f = (c - (mine.has(term) ? 1 : 0)) / (refs - 1);
        if (f >= 0.005) naive.push({ target, term, score: f });
      }
    }
  }
  return [
    { name: 'SW best hit, score = identity', fmax: fmaxOf(ctx, swIdentity) },
    { name: 'SW best hit, score = SW / self SW', fmax: fmaxOf(ctx, swNorm) },
    { name: 'naive (term frequency)', fmax: fmaxOf(ctx, naive) },
  ];
}

function throughput(models: readonly string[], count: number, seed: number): Array<{ name: string; seqPerSec: number; resPerSec: number }> {
  const rng = new Rng(seed);
  const seqs = Array.from({ length: count }, () => randomSequence(rng, drawLength(rng)));
  const residues = seqs.reduce((a, s) => a + s.length, 0);
  return models.map((name) => {
    const backend = new KmerBackend(kmerRecipe(name));
    const t0 = performance.now();
    let sink = 0;
    for (let i = 0; i < seqs.length; i += 1000) {
      for (const e of seqs.slice(i, i + 1000).map((s) => backend.embedOne(s))) sink += e.chunks[0]!.vector[0]!;
    }
    const s = (performance.now() - t0) / 1000;
    if (Number.isNaN(sink)) throw new Error('NaN in a vector');
    return { name, seqPerSec: count / s, resPerSec: residues / s };
  });
}

// ── program ──────────────────────────────────────────────────────────────────

interface Options {
  models: string;
  data: string;
  sw: string;
  throughput: number;
  seed: number;
  keepRoots: boolean;
}

const program = benchProgram('kmer-representation', 'k-mer representations on the CAFA3 targets: NN agreement with Smith-Waterman, leave-one-out KNN Fmax, speed')
  .option('--models <list>', 'comma-separated k-mer model names', DEFAULT_MODELS.join(','))
  .option('--data <dir>', 'CAFA3 folder (sequences/, groundtruth/)', path.join(PROJECT_ROOT, 'test/fixtures/data/cafa3-benchmark'))
  .option('--sw <file>', 'Smith-Waterman best hits (bench/sw-best-hits.py)', path.join(PROJECT_ROOT, 'bench/fixtures/cafa3-sw-best-hits.tsv.gz'))
  .option('--throughput <n>', 'synthetic sequences for the speed measurement (0: skip)', nonNegativeInt, 20_000)
  .option('--seed <n>', 'seed of the synthetic sequences', nonNegativeInt, 42)
  .option('--keep-roots', 'keep the namespace roots in ground truth and predictions', false);

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

benchMain<Options>(import.meta.url, program, async (opts) => {
  const models = opts.models.split(',').map((m) => m.trim()).filter(Boolean);
  process.stdout.write(`${machineLine()}\n`);
  const { ids, seqs } = readFasta(path.join(opts.data, 'sequences/gopredsim_cafa3_targets.fasta'));
  const gt = readGroundTruth(path.join(opts.data, 'groundtruth'), opts.keepRoots);
  const sw = readSwFixture(opts.sw);
  const terms = new Map<string, OntologyTermInput>();
  const annotations: Annotation[] = [];
  for (const [ns, name] of NAMESPACES) {
    for (const [target, ts] of gt.get(ns)!) {
      for (const t of ts) {
        terms.set(t, { id: t, namespace: name });
        annotations.push({ target, term: t });
      }
    }
  }
  const evaluator = new Evaluator(buildOntology(terms.values()), annotations, { ...DEFAULT_EVALUATION_OPTIONS });
  const refMask = new Map(NAMESPACES.map(([ns]) => [ns, Uint8Array.from(ids, (id) => (gt.get(ns)!.has(id) ? 1 : 0))] as const));
  const ctx: Context = { ids, seqs, gt, sw, evaluator, refMask };
  const homologs = [...sw.get('all')!.values()].filter((h) => h.score >= 100).length;
  process.stdout.write(
    `${ids.length} targets; annotated: ${NAMESPACES.map(([ns]) => `${ns} ${gt.get(ns)!.size}`).join(', ')}; best SW score >= 100: ${homologs}\n`,
  );

  const rows: RepresentationResult[] = [];
  for (const name of models) {
    process.stderr.write(`${name} ...\n`);
    const { vectors, dim, seqPerSec } = embedAll(name, seqs);
    rows.push(measureVectors(ctx, name, vectors, dim, seqPerSec));
  }
  if (models.includes('kmer-3')) {
    process.stderr.write('kmer-3 x in-sample IDF ...\n');
    const t0 = performance.now();
    const { vectors, dim } = inSampleIdfVectors(seqs);
    const seqPerSec = seqs.length / ((performance.now() - t0) / 1000);
    rows.push(measureVectors(ctx, 'kmer-3 x in-sample IDF (bench only)', vectors, dim, seqPerSec));
  }
  const base = baselines(ctx);
  const header = ['method', 'dim', 'B/seq', 'embed+search s', 'NN=SW1 all', 'NN=SW1 >=100', 'NN in SW5 >=100', 'MFO k1', 'BPO k1', 'CCO k1', 'MFO k5', 'BPO k5', 'CCO k5'];
  const lines = rows.map((r) => [r.name, String(r.dim), fmt(4 * r.dim), fmt(ids.length / r.seqPerSec + r.searchSeconds, 1), pct(r.nnAgreeAll), pct(r.nnAgreeHomolog), pct(r.nnTop5Homolog), f3(r.k1.MFO), f3(r.k1.BPO), f3(r.k1.CCO), f3(r.k5.MFO), f3(r.k5.BPO), f3(r.k5.CCO)]);
  for (const b of base) lines.push([b.name, '', '', '', '', '', '', f3(b.fmax.MFO), f3(b.fmax.BPO), f3(b.fmax.CCO), '', '', '']);
  process.stdout.write(`\nFmax (flat, prop max, norm cafa, ${opts.keepRoots ? 'roots kept' : 'roots dropped'}; leave-one-out over the annotated targets of each namespace)\n${table([header, ...lines])}\n`);

  if (opts.throughput > 0) {
    process.stderr.write(`throughput on ${opts.throughput} synthetic sequences ...\n`);
    const tp = throughput([...new Set([KMER_DEFAULT_MODEL_NAME, ...models])], opts.throughput, opts.seed);
    process.stdout.write(
      `\nEmbedding speed, ${fmt(opts.throughput)} synthetic sequences (Swiss-Prot lengths), one thread, load average ${os.loadavg()[0]!.toFixed(2)} after\n${table([
        ['model', 'sequences/s', 'residues/s', 'on CAFA3 targets, sequences/s'],
        ...tp.map((t) => [t.name, fmt(t.seqPerSec), fmt(t.resPerSec), fmt(rows.find((r) => r.name === t.name)?.seqPerSec ?? NaN)]),
      ])}\n`,
    );
  }
});
