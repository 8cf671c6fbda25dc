// GO-term transfer from nearest reference proteins: which neighbours count,
// how a distance becomes a score, and how a term's score is aggregated over
// the neighbours. Pure: no I/O, so every rule here is tested by hand.
//
// Neighbour selection (selectNeighbours):
//  - k nearest: the first k hits, plus every further hit whose distance ties
//    the k-th one (|d - d_k| <= TIE_TOLERANCE), as GOPredSim keeps ties;
//  - threshold: every hit with d <= threshold;
//  - both: the k nearest (with ties) among those within the threshold.
// The predictor selects at the PROTEIN level: a sequence hit is first
// expanded to every reference accession carrying that sequence, all at the
// same distance (so identical sequences always tie).
//
// Scoring (transferTerms), n = number of neighbours selected:
//  - mean (GOPredSim's reliability index, the default):
//        score(t) = (1/n) * sum over neighbours carrying t of s(d)
//  - max (FANTASIA): max over neighbours carrying t of s(d)
//  - vote: (neighbours carrying t) / n
// with s the distance->score map named by the prediction set (SCORE_MAPS).
import { ProteaError } from '../../lib/errors.js';

export type Metric = 'cosine' | 'euclidean';
export const METRICS: readonly Metric[] = ['cosine', 'euclidean'];

export type Aggregation = 'mean' | 'max' | 'vote';
export const AGGREGATIONS: readonly Aggregation[] = ['mean', 'max', 'vote'];

/**
 * Distance -> score maps, by name:
 *  - one-minus-d: 1 - d (cosine distance, GOPredSim's cosine map);
 *  - half-over-half-plus-d: 0.5 / (0.5 + d) (GOPredSim's Euclidean map);
 *  - one-minus-half-d: 1 - d/2 (the reference system's map: cosine distance spans [0, 2]).
 */
export type ScoreMap = 'one-minus-d' | 'half-over-half-plus-d' | 'one-minus-half-d';
export const SCORE_MAP_NAMES: readonly ScoreMap[] = ['one-minus-d', 'half-over-half-plus-d', 'one-minus-half-d'];

const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x);

/** Every map is clamped to [0, 1] (a cosine distance above 1 gives 0 under 1 - d; a negative rounding error gives 1). */
export const SCORE_MAPS: Readonly<Record<ScoreMap, (d: number) => number>> = Object.freeze({
  'one-minus-d': (d: number) => clamp01(1 - d),
  'half-over-half-plus-d': (d: number) => clamp01(0.5 / (0.5 + Math.max(0, d))),
  'one-minus-half-d': (d: number) => clamp01(1 - d / 2),
});

/** GOPredSim's map for each metric: 1 - d for cosine, 0.5 / (0.5 + d) for Euclidean. */
export function defaultScoreMap(metric: Metric): ScoreMap {
  return metric === 'cosine' ? 'one-minus-d' : 'half-over-half-plus-d';
}

/**
 * Two distances closer than this are a tie (at the k-th neighbour, and for
 * kPosition). Distances come from float32 arithmetic: two copies of one vector
 * differ by ~1e-7 at most, far below any real difference between embeddings.
 */
export const TIE_TOLERANCE = 1e-6;

/** One search hit: an entry of the reference index and its distance to the query. */
export interface Hit {
  refIndex: number;
  distance: number;
}

/**
 * The neighbours to keep from `hits` (sorted by ascending distance): the k
 * nearest with every hit tied with the k-th kept (|d - d_k| <= TIE_TOLERANCE),
 * or all with d <= threshold, or the k nearest (with ties) of those within the
 * threshold when both are given. Neither given: all hits.
 */
export function selectNeighbours<H extends { distance: number }>(hits: readonly H[], k: number | null, threshold: number | null): H[] {
  if (k !== null && (!Number.isInteger(k) || k < 1)) throw new ProteaError('USAGE', `k must be a positive integer, got ${k}`, { field: 'k' });
  if (threshold !== null && !(threshold >= 0)) throw new ProteaError('USAGE', `the distance threshold must be >= 0, got ${threshold}`, { field: 'distance_threshold' });
  let end = hits.length;
  if (threshold !== null) {
    end = 0;
    while (end < hits.length && hits[end]!.distance <= threshold) end++;
  }
  if (k !== null && end > k) {
    const dk = hits[k - 1]!.distance;
    let last = k;
    while (last < end && hits[last]!.distance - dk <= TIE_TOLERANCE) last++;
    end = last;
  }
  return hits.slice(0, end);
}

/** One GO annotation of a reference protein, as transferred. */
export interface RefAnnotation {
  goId: string;
  aspect: 'F' | 'P' | 'C';
  /** GAF column 4 ('enables', 'involved_in', ...); null when the row had none */
  qualifier: string | null;
  evidenceCode: string | null;
}

/** One selected reference protein of a query. */
export interface Neighbour {
  accession: string;
  /** MD5 of the reference protein's sequence */
  md5: string;
  distance: number;
  /**
   * 1-based rank by distance, ties sharing a rank (competition ranking:
   * 1 + the number of neighbours nearer by more than TIE_TOLERANCE), so two
   * accessions of one sequence have the same kPosition.
   */
  kPosition: number;
}

/** One transferred (GO term, reference protein) row of a query. */
export interface TransferredTerm {
  goId: string;
  aspect: 'F' | 'P' | 'C';
  refAccession: string;
  /** the distance of this reference protein to the query */
  distance: number;
  /** the term's aggregated score over all the query's neighbours (the same on every row of the term) */
  score: number;
  qualifier: string | null;
  evidenceCode: string | null;
  kPosition: number;
  /** neighbours carrying the term (GOPredSim's hit count; the enricher's vote_count) */
  support: number;
}

export interface TransferOptions {
  aggregation: Aggregation;
  scoreMap: ScoreMap;
}

/** kPosition for neighbours sorted by distance: 1 + how many are nearer by more than TIE_TOLERANCE. */
export function kPositions(distances: readonly number[]): number[] {
  const out: number[] = new Array(distances.length);
  let rank = 1;
  for (let i = 0; i < distances.length; i++) {
    if (i > 0 && distances[i]! - distances[rank - 1]! > TIE_TOLERANCE) rank = i + 1;
    out[i] = rank;
  }
  return out;
}

/**
 * Every GO annotation of every neighbour, one row per (GO term, reference
 * protein), each row carrying the term's aggregated score (see the top of this
 * file). A reference annotated with one term several times (several evidence
 * lines) gives one row: the FIRST of its annotations that annotationsOf lists
 * for the term wins (lib/queries/reference-embeddings.ts lists them by the
 * position of their evidence code in the requested evidence list, then
 * qualifier), and it counts once in the score. Rows are ordered by distance,
 * then GO id, then reference accession.
 */
export function transferTerms(neighbours: readonly Neighbour[], annotationsOf: (accession: string) => readonly RefAnnotation[], opts: TransferOptions): TransferredTerm[] {
  const n = neighbours.length;
  if (n === 0) return [];
  const s = SCORE_MAPS[opts.scoreMap];
  if (!s) throw new ProteaError('USAGE', `unknown score map ${JSON.stringify(opts.scoreMap)}; expected one of ${SCORE_MAP_NAMES.join(', ')}`, { field: 'score_map' });
  if (!AGGREGATIONS.includes(opts.aggregation)) throw new ProteaError('USAGE', `unknown aggregation ${JSON.stringify(opts.aggregation)}; expected one of ${AGGREGATIONS.join(', ')}`, { field: 'aggregation' });

  interface Acc { sum: number; max: number; count: number }
  const perTerm = new Map<string, Acc>();
  const rows: TransferredTerm[] = [];
  for (const nb of neighbours) {
    const seen = new Set<string>();
    const sd = s(nb.distance);
    for (const a of annotationsOf(nb.accession)) {
      if (seen.has(a.goId)) continue;
      seen.add(a.goId);
      const acc = perTerm.get(a.goId);
      if (acc) {
        acc.sum += sd;
        acc.max = Math.max(acc.max, sd);
        acc.count += 1;
      } else perTerm.set(a.goId, { sum: sd, max: sd, count: 1 });
      rows.push({ goId: a.goId, aspect: a.aspect, refAccession: nb.accession, distance: nb.distance, score: 0, qualifier: a.qualifier, evidenceCode: a.evidenceCode, kPosition: nb.kPosition, support: 0 });
    }
  }
  for (const r of rows) {
    const acc = perTerm.get(r.goId)!;
    r.support = acc.count;
    r.score = opts.aggregation === 'mean' ? acc.sum / n : opts.aggregation === 'max' ? acc.max : acc.count / n;
  }
  rows.sort((a, b) => a.distance - b.distance || cmp(a.goId, b.goId) || cmp(a.refAccession, b.refAccession));
  return rows;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
