// The k-mer representations of the weight-free backend: what a model_name
// means, the vector's layout, and the counting itself. Pure: nothing learned,
// no corpus read at run time (the IDF is a formula over published residue
// frequencies).
//
// model_name grammar: `kmer-<K>[+<K>...][-<alphabet>][-tfidf][-h<D>]`
//   K         k-mer lengths, 1..5, ascending, no repeats (`kmer-2+3`: the 2-mer
//             block, then the 3-mer block)
//   alphabet  omitted: the 20 standard residues; `murphy10` or `dayhoff6`:
//             a reduced alphabet (residue groups below)
//   -tfidf    counts times a closed-form IDF (below); omitted: raw counts
//   -h<D>     signed feature hashing into D dimensions (below); omitted: one
//             dimension per k-mer
// Unhashed, dim = sum over K of |alphabet|^K, and a k-mer's index is its
// block's offset plus its letters' symbol numbers read as a base-|alphabet|
// number, first letter most significant.
//
// Hashed (-h<D>, 16 <= D < the unhashed dim): the k-mer with unhashed index i
// adds its weight times sign(i) to dimension bucket(i), where h = fmix32(i)
// (MurmurHash3's 32-bit finaliser), bucket = (h >>> 1) mod D and sign = -1
// when h is odd, else +1: the expected inner product of two hashed vectors is
// that of the unhashed ones (Weinberger et al. 2009), at D/dim of the size.
// Cosines can then be slightly negative.
//
// A k-mer with a letter outside the alphabet (X, B, Z, J, U, O) is not
// counted: X, B, Z and J say "unknown or ambiguous", and guessing would invent
// composition; selenocysteine (U) and pyrrolysine (O) are too rare to earn
// their own symbols, and no reduced alphabet groups them. A (chunk of a) sequence shorter than K has no K-mer,
// so its block is all zeros (a zero vector stays zero under normalisation).
//
// The IDF is closed-form, not fitted: idf(t) = 1 + ln(1 / q(t)), where q(t) =
// 1 - (1 - p(t))^(L - K + 1) is the probability that a protein of the mean
// Swiss-Prot length L = 360 whose residues are drawn independently from the
// Swiss-Prot composition contains t at least once (the expected document
// frequency), p(t) the product of its letters' background frequencies (a
// reduced letter's frequency is its group's sum). The +1 keeps near-certain
// k-mers (short K) from weighing nothing, as the common smooth IDF does.
import { ProteaError } from '../../lib/errors.js';

/** UniProtKB/Swiss-Prot amino-acid composition in % (release statistics; the same table bench/generate.ts draws from). */
export const SWISSPROT_COMPOSITION: Readonly<Record<string, number>> = {
  A: 8.25, R: 5.53, N: 4.06, D: 5.46, C: 1.38, Q: 3.93, E: 6.72, G: 7.07, H: 2.27, I: 5.91,
  L: 9.65, K: 5.8, M: 2.41, F: 3.86, P: 4.74, S: 6.63, T: 5.36, W: 1.1, Y: 2.92, V: 6.86,
};

/** Mean length of a Swiss-Prot entry (release statistics, rounded), for the closed-form IDF. */
export const SWISSPROT_MEAN_LENGTH = 360;

/** Residue groups of each alphabet; a group's letters share one symbol. */
export const ALPHABETS: Readonly<Record<string, readonly string[]>> = {
  // one letter per symbol, in the order STANDARD_RESIDUES lists them
  standard: 'ACDEFGHIKLMNPQRSTVWY'.split(''),
  // Murphy, Wallqvist & Levy 2000 (Protein Eng. 13:149), the 10-letter alphabet
  murphy10: ['LVIM', 'C', 'A', 'G', 'ST', 'P', 'FYW', 'EDNQ', 'KR', 'H'],
  // Dayhoff's six exchange groups
  dayhoff6: ['AGPST', 'C', 'DENQ', 'FWY', 'HKR', 'ILMV'],
};

const MAX_K = 5;
/** k-mer indices at most (20^4 = 160,000 fit; hash them down with -h<D> for storage and faiss). */
const MAX_DIM = 1 << 18;

export interface KmerSpec {
  modelName: string;
  ks: readonly number[];
  alphabetName: string;
  /** number of symbols */
  size: number;
  /** ASCII code -> symbol, -1 for a letter outside the alphabet */
  symbolOf: Int8Array;
  tfidf: boolean;
  /** first vector index of each K's block */
  offsets: readonly number[];
  dim: number;
  /** k-mer indices (the unhashed dimension) */
  features: number;
  /** hashed: per k-mer index, its dimension; else null (dimension = index) */
  bucket: Int32Array | null;
  /** per k-mer index, its weight (the IDF when tfidf, times the sign when hashed); null: every weight is 1 */
  weights: Float32Array | null;
}

function invalid(message: string, value: unknown): ProteaError {
  return new ProteaError('EMBEDDING_CONFIG_INVALID', message, { field: 'model_name', value: String(value) });
}

/** Reads a k-mer model_name (grammar in the header); EMBEDDING_CONFIG_INVALID naming model_name when it is not one. */
export function parseKmerModelName(modelName: string): KmerSpec {
  const m = /^kmer-([0-9]+(?:\+[0-9]+)*)((?:-[a-z0-9]+)*)$/.exec(modelName);
  if (!m) throw invalid(`model_name ${JSON.stringify(modelName)} is not a k-mer model: expected kmer-<K>[+<K>...][-murphy10|-dayhoff6][-tfidf][-h<D>], e.g. kmer-3-tfidf`, modelName);
  const suffix = m[2] ? m[2].slice(1).split('-') : [];
  const hashed = /^h([0-9]+)$/.exec(suffix[suffix.length - 1] ?? '');
  if (hashed) suffix.pop();
  const tfidf = suffix[suffix.length - 1] === 'tfidf';
  if (tfidf) suffix.pop();
  if (suffix.length > 1 || (suffix.length === 1 && (suffix[0] === 'standard' || !ALPHABETS[suffix[0]!]))) {
    throw invalid(`model_name ${JSON.stringify(modelName)}: unknown suffix ${JSON.stringify(suffix.join('-'))} (an alphabet, murphy10 or dayhoff6, then -tfidf, then -h<D>, each optional)`, modelName);
  }
  const alphabetName = suffix[0] ?? 'standard';
  const ks = m[1]!.split('+').map(Number);
  for (let i = 0; i < ks.length; i++) {
    if (!(ks[i]! >= 1 && ks[i]! <= MAX_K)) throw invalid(`model_name ${JSON.stringify(modelName)}: k-mer length ${ks[i]} outside 1..${MAX_K}`, modelName);
    if (i > 0 && ks[i]! <= ks[i - 1]!) throw invalid(`model_name ${JSON.stringify(modelName)}: k-mer lengths must be ascending without repeats`, modelName);
  }
  const alphabet = ALPHABETS[alphabetName]!;
  const size = alphabet.length;
  const symbolOf = new Int8Array(128).fill(-1);
  alphabet.forEach((letters, s) => {
    for (const c of letters) symbolOf[c.charCodeAt(0)] = s;
  });
  const offsets: number[] = [];
  let dim = 0;
  for (const k of ks) {
    offsets.push(dim);
    dim += size ** k;
  }
  if (dim > MAX_DIM) throw invalid(`model_name ${JSON.stringify(modelName)}: ${dim} dimensions, more than ${MAX_DIM}`, modelName);
  const features = dim;
  const spec: KmerSpec = { modelName, ks, alphabetName, size, symbolOf, tfidf, offsets, features, dim, bucket: null, weights: null };
  if (tfidf) spec.weights = closedFormIdf(spec, alphabet);
  if (hashed) {
    const d = Number(hashed[1]);
    if (!(d >= 16 && d < features)) throw invalid(`model_name ${JSON.stringify(modelName)}: -h${hashed[1]} must hash into 16 .. ${features - 1} dimensions`, modelName);
    spec.dim = d;
    spec.bucket = new Int32Array(features);
    const w = spec.weights ?? new Float32Array(features).fill(1);
    for (let i = 0; i < features; i++) {
      const h = fmix32(i);
      spec.bucket[i] = (h >>> 1) % d;
      if (h & 1) w[i] = -w[i]!;
    }
    spec.weights = w;
  }
  return spec;
}

/** The closed-form IDF of every index (see the header). */
function closedFormIdf(spec: KmerSpec, alphabet: readonly string[]): Float32Array {
  const total = Object.values(SWISSPROT_COMPOSITION).reduce((a, b) => a + b, 0);
  const freq = alphabet.map((letters) => [...letters].reduce((a, c) => a + SWISSPROT_COMPOSITION[c]!, 0) / total);
  const w = new Float32Array(spec.features);
  spec.ks.forEach((k, b) => {
    const n = spec.size ** k;
    const positions = SWISSPROT_MEAN_LENGTH - k + 1;
    for (let idx = 0; idx < n; idx++) {
      let p = 1;
      for (let j = 0, rest = idx; j < k; j++, rest = Math.floor(rest / spec.size)) p *= freq[rest % spec.size]!;
      // 1 - (1-p)^n without cancellation for small p
      const q = -Math.expm1(positions * Math.log1p(-p));
      w[spec.offsets[b]! + idx] = 1 + Math.log(1 / q);
    }
  });
  return w;
}

/**
 * Adds the (weighted) k-mer counts of seq[start, end) into out (length
 * spec.dim, zeroed by the caller). Only k-mers lying wholly inside the window
 * count, so a chunk's vector depends on its residues alone.
 */
export function addKmerCounts(spec: KmerSpec, seq: string, start: number, end: number, out: Float32Array): void {
  const { size, symbolOf, weights, bucket } = spec;
  for (let b = 0; b < spec.ks.length; b++) {
    const k = spec.ks[b]!;
    const offset = spec.offsets[b]!;
    const top = size ** (k - 1);
    let code = 0;
    // letters of the current run of alphabet symbols (a k-mer needs k in a row)
    let run = 0;
    for (let i = start; i < end; i++) {
      const c = seq.charCodeAt(i);
      const s = c < 128 ? symbolOf[c]! : -1;
      if (s < 0) {
        run = 0;
        code = 0;
        continue;
      }
      // drop the oldest letter once the window holds k, then append
      code = run >= k ? (code % top) * size + s : code * size + s;
      if (run < k) run++;
      if (run === k) {
        const idx = offset + code;
        const at = bucket ? bucket[idx]! : idx;
        out[at] = out[at]! + (weights ? weights[idx]! : 1);
      }
    }
  }
}

/** MurmurHash3's 32-bit finaliser: a fixed, well-mixed map of the k-mer index (unsigned result). */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Scales v to unit L2 norm in place; a zero vector is left as it is (never NaN). */
export function l2NormalizeInPlace(v: Float32Array): void {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i]! * v[i]!;
  if (ss === 0) return;
  const inv = 1 / Math.sqrt(ss);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
}
