// Alignment features of (query, reference) pairs: one Smith-Waterman and one
// Needleman-Wunsch alignment per pair of sequences (the alignment module:
// BLOSUM62, gap open 11, extend 1, in its worker threads), shared by every GO
// term the pair carries and by every query or reference accession with the
// same sequences, and kept in a bounded cache keyed by the two MD5s.
//
// A pair is not aligned when a sequence is empty (no alignment exists; the
// module's all-zero convention would read as a real 0 % identity) or when
// |query| x |reference| exceeds PROTEA_ENRICH_MAX_ALIGN_CELLS (the traceback
// holds 1-4 bytes per cell: a 10,000 x 10,000 pair would need up to 0.4 GB per
// worker): its alignment features are null, the lengths are still set, and the
// reason is counted in the stage's metrics.
import type { AlignmentPool, AlignmentResult } from '../alignment/index.js';
import { normalizeSequence } from '../alignment/index.js';
import type { PredictionFeatures } from '../../schemas/generated/types.js';

/** The alignment family's columns of a prediction's features. */
export type AlignmentFeatures = Pick<PredictionFeatures,
  'identity_nw' | 'similarity_nw' | 'alignment_score_nw' | 'gaps_pct_nw' | 'alignment_length_nw' |
  'identity_sw' | 'similarity_sw' | 'alignment_score_sw' | 'gaps_pct_sw' | 'alignment_length_sw' | 'length_query' | 'length_ref'>;

export type AlignmentMissing = 'empty_sequence' | 'too_large' | 'query_sequence_unknown' | 'ref_sequence_unknown';

export const NO_ALIGNMENT: Readonly<AlignmentFeatures> = Object.freeze({
  identity_nw: null,
  similarity_nw: null,
  alignment_score_nw: null,
  gaps_pct_nw: null,
  alignment_length_nw: null,
  identity_sw: null,
  similarity_sw: null,
  alignment_score_sw: null,
  gaps_pct_sw: null,
  alignment_length_sw: null,
  length_query: null,
  length_ref: null,
});

/** The feature columns of one pair from its two alignments. */
export function alignmentFeatures(sw: AlignmentResult, nw: AlignmentResult): AlignmentFeatures {
  return {
    identity_nw: nw.identity,
    similarity_nw: nw.similarity,
    alignment_score_nw: nw.score,
    gaps_pct_nw: nw.gapsPct,
    alignment_length_nw: nw.length,
    identity_sw: sw.identity,
    similarity_sw: sw.similarity,
    alignment_score_sw: sw.score,
    gaps_pct_sw: sw.gapsPct,
    alignment_length_sw: sw.length,
    length_query: nw.queryLength,
    length_ref: nw.refLength,
  };
}

export interface SequenceRef {
  md5: string;
  sequence: string;
}

export interface PairOutcome {
  features: AlignmentFeatures;
  missing: AlignmentMissing | null;
}

export interface PairAlignerStats {
  computed: number;
  cached: number;
}

/** Aligns pairs on a pool, once per pair of MD5s, with a bounded LRU cache. */
export class PairAligner {
  private readonly cache = new Map<string, PairOutcome>();
  /** pairs being aligned for another call (batches of two partitions at once): awaited, not aligned twice */
  private readonly pending = new Map<string, Promise<PairOutcome>>();
  readonly stats: PairAlignerStats = { computed: 0, cached: 0 };

  constructor(
    private readonly pool: AlignmentPool,
    private readonly opts: { maxCells: number; cacheSize: number },
  ) {}

  /**
   * One outcome per pair, in order; every distinct pair not cached is aligned
   * once (both modes). `tally`, when given, counts this call's pairs alone
   * (calls run at once: a difference of `stats` would count the other's too).
   */
  async align(pairs: readonly { query: SequenceRef; ref: SequenceRef }[], tally?: PairAlignerStats): Promise<PairOutcome[]> {
    const count = (what: keyof PairAlignerStats, n: number) => {
      this.stats[what] += n;
      if (tally) tally[what] += n;
    };
    const out: (PairOutcome | undefined)[] = new Array(pairs.length);
    const todo = new Map<string, { query: string; ref: string; at: number[] }>();
    const elsewhere: { at: number; outcome: Promise<PairOutcome> }[] = [];
    pairs.forEach((p, i) => {
      const key = `${p.query.md5}|${p.ref.md5}`;
      // a pair asked twice in one call: normalised, looked up and aligned once
      const mine = todo.get(key);
      if (mine) {
        mine.at.push(i);
        return;
      }
      const hit = this.cache.get(key);
      if (hit) {
        // refresh its place: Map iteration order is the LRU order
        this.cache.delete(key);
        this.cache.set(key, hit);
        count('cached', 1);
        out[i] = hit;
        return;
      }
      const theirs = this.pending.get(key);
      if (theirs) {
        count('cached', 1);
        elsewhere.push({ at: i, outcome: theirs });
        return;
      }
      const q = normalizeSequence(p.query.sequence);
      const r = normalizeSequence(p.ref.sequence);
      const skipped = this.skip(q, r);
      if (skipped) {
        out[i] = skipped;
        return;
      }
      todo.set(key, { query: q, ref: r, at: [i] });
    });
    if (todo.size > 0) {
      const list = [...todo.values()];
      const keys = [...todo.keys()];
      const outcomes = Promise.all([this.pool.alignPairs(list, 'local'), this.pool.alignPairs(list, 'global')]).then(([sw, nw]) =>
        list.map((_, j): PairOutcome => ({ features: alignmentFeatures(sw[j]!, nw[j]!), missing: null })));
      keys.forEach((key, j) => {
        const one = outcomes.then((o) => o[j]!);
        one.catch(() => undefined); // reported by the await below; a call waiting on it gets it too
        this.pending.set(key, one);
      });
      try {
        const done = await outcomes;
        count('computed', list.length);
        keys.forEach((key, j) => {
          this.remember(key, done[j]!);
          for (const i of list[j]!.at) out[i] = done[j]!;
        });
      } finally {
        for (const key of keys) this.pending.delete(key);
      }
    }
    for (const e of elsewhere) out[e.at] = await e.outcome;
    return out as PairOutcome[];
  }

  private skip(q: string, r: string): PairOutcome | null {
    const missing: AlignmentMissing | null = q.length === 0 || r.length === 0 ? 'empty_sequence' : q.length * r.length > this.opts.maxCells ? 'too_large' : null;
    return missing ? { features: { ...NO_ALIGNMENT, length_query: q.length, length_ref: r.length }, missing } : null;
  }

  private remember(key: string, outcome: PairOutcome): void {
    if (this.opts.cacheSize <= 0) return;
    this.cache.set(key, outcome);
    if (this.cache.size > this.opts.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }
}
