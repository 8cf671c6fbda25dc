// Results of the alignment module (BLOSUM62, gap open 11, extend 1; README.md).

export type AlignmentMode = 'local' | 'global';

export interface AlignmentResult {
  /** alignment score (Smith-Waterman: >= 0; Needleman-Wunsch: may be negative) */
  score: number;
  /** columns with identical residues */
  matches: number;
  /** columns whose pair scores > 0 in BLOSUM62 (identities included, except X/X and * which score <= 0) */
  positives: number;
  /** gap columns (a residue against a gap, either side) */
  gaps: number;
  /** alignment columns (pairs + gaps); for local alignments the aligned region only */
  length: number;
  /** matches / length, 0 when length is 0 */
  identity: number;
  /** positives / length, 0 when length is 0 */
  similarity: number;
  /** 100 * gaps / length, 0 when length is 0 */
  gapsPct: number;
  queryLength: number;
  refLength: number;
}

export interface BestHit extends AlignmentResult {
  /** index of the reference in the list given to loadReferences */
  refIndex: number;
}

/**
 * Identical aligned residues over the length of the shorter sequence (CD-HIT's
 * convention; 0 when either sequence is empty): what --max-identity compares
 * (documented with `protea predict` in the README).
 * Unlike `identity` (matches / alignment length) it is low for the short,
 * high-identity local alignments that unrelated proteins produce: on the demo
 * CAFA3 pairs half of all unrelated pairs have a local identity above 0.3, but
 * only homologues have more than 0.3 of the shorter sequence identical.
 */
export function identityOverShorter(r: Pick<AlignmentResult, 'matches' | 'queryLength' | 'refLength'>): number {
  const shorter = Math.min(r.queryLength, r.refLength);
  return shorter > 0 ? r.matches / shorter : 0;
}

/** The five integers both implementations produce, in this order. */
export type RawStats = readonly [score: number, matches: number, positives: number, gaps: number, length: number] | Int32Array;

export function toResult(raw: RawStats, queryLength: number, refLength: number): AlignmentResult {
  const score = raw[0]!, matches = raw[1]!, positives = raw[2]!, gaps = raw[3]!, length = raw[4]!;
  return {
    score,
    matches,
    positives,
    gaps,
    length,
    identity: length > 0 ? matches / length : 0,
    similarity: length > 0 ? positives / length : 0,
    gapsPct: length > 0 ? (100 * gaps) / length : 0,
    queryLength,
    refLength,
  };
}
