// Plain TypeScript affine-gap dynamic programming (Gotoh), the fallback when
// the parasail binding is not built and the baseline of bench/align.ts.
// Same scoring as parasail: BLOSUM62, a gap of n residues costs
// GAP_OPEN + (n - 1) * GAP_EXTEND. Scores equal parasail's; among equally
// scoring alignments the traceback may pick another path than parasail's, so
// matches/positives/gaps/length can differ on ties.
import { ALPHABET_SIZE, BLOSUM62 } from './blosum62.js';
import { encodeSequence } from './sequence.js';

export const GAP_OPEN = 11;
export const GAP_EXTEND = 1;
// -2^28: minus a gap penalty stays a small integer (V8 Smi); below -2^30 values become doubles, 10x slower.
const NEG = -(1 << 28);

/** Smith-Waterman score only, O(|b|) memory. Sequences normalised (sequence.ts). */
export function scoreLocalDp(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  const ea = encodeSequence(a), eb = encodeSequence(b);
  const m = eb.length;
  const H = new Int32Array(m + 1); // previous row's H, updated in place
  const F = new Int32Array(m + 1).fill(NEG); // vertical gap (consumes a) per column
  let best = 0;
  for (let i = 1; i <= ea.length; i++) {
    const row = ea[i - 1]! * ALPHABET_SIZE;
    let diag = 0; // H[i-1][j-1]
    let left = 0; // H[i][j-1]
    let E = NEG; // horizontal gap (consumes b)
    for (let j = 1; j <= m; j++) {
      const up = H[j]! | 0;
      const eo = left - GAP_OPEN, ee = E - GAP_EXTEND;
      E = ee > eo ? ee : eo;
      const fo = up - GAP_OPEN, fe = F[j]! - GAP_EXTEND;
      const f = fe > fo ? fe : fo;
      F[j] = f;
      let h = diag + BLOSUM62[row + eb[j - 1]!]!;
      if (E > h) h = E;
      if (f > h) h = f;
      if (h < 0) h = 0;
      if (h > best) best = h;
      diag = up;
      H[j] = h;
      left = h;
    }
  }
  return best;
}

// Trace bits per cell: H's source in bits 0-1, whether E and F extended a gap.
const SRC_STOP = 0, SRC_DIAG = 1, SRC_E = 2, SRC_F = 3;
const E_EXT = 4, F_EXT = 8;

/**
 * Full statistics [score, matches, positives, gaps, length] with a traceback,
 * O(|a| * |b|) bytes. Local: the first cell of highest score (row-major) ends
 * the alignment; global: both sequences end to end.
 */
export function alignDp(a: string, b: string, global: boolean): [number, number, number, number, number] {
  if (a.length === 0 || b.length === 0) return [0, 0, 0, 0, 0];
  const ea = encodeSequence(a), eb = encodeSequence(b);
  const n = ea.length, m = eb.length, w = m + 1;
  const trace = new Uint8Array((n + 1) * w);
  const H = new Int32Array(w);
  const F = new Int32Array(w).fill(NEG);
  const edge = (k: number) => (global ? -(GAP_OPEN + (k - 1) * GAP_EXTEND) : 0);
  for (let j = 1; j <= m; j++) {
    H[j] = edge(j);
    if (global) trace[j] = SRC_E | (j > 1 ? E_EXT : 0);
  }
  let best = 0, bi = 0, bj = 0;
  for (let i = 1; i <= n; i++) {
    const row = ea[i - 1]! * ALPHABET_SIZE;
    let diag = H[0]!;
    let left = edge(i);
    H[0] = left;
    if (global) trace[i * w] = SRC_F | (i > 1 ? F_EXT : 0);
    let E = NEG;
    for (let j = 1; j <= m; j++) {
      const up = H[j]!;
      let bits = 0;
      const eOpen = left - GAP_OPEN, eExt = E - GAP_EXTEND;
      if (eExt >= eOpen) { E = eExt; bits |= E_EXT; } else E = eOpen;
      const fOpen = up - GAP_OPEN, fExt = F[j]! - GAP_EXTEND;
      let f: number;
      if (fExt >= fOpen) { f = fExt; bits |= F_EXT; } else f = fOpen;
      F[j] = f;
      let h = diag + BLOSUM62[row + eb[j - 1]!]!;
      let src = SRC_DIAG;
      if (E > h) { h = E; src = SRC_E; }
      if (f > h) { h = f; src = SRC_F; }
      if (!global && h <= 0) { h = 0; src = SRC_STOP; }
      trace[i * w + j] = bits | src;
      if (!global && h > best) { best = h; bi = i; bj = j; }
      diag = up;
      H[j] = h;
      left = h;
    }
  }
  let i = global ? n : bi, j = global ? m : bj;
  const score = global ? H[m]! : best;
  let matches = 0, positives = 0, gaps = 0, length = 0;
  let state = SRC_DIAG; // which matrix the path is in: H (DIAG), E or F
  while (i > 0 || j > 0) {
    const t = trace[i * w + j]!;
    if (state === SRC_DIAG) {
      const src = t & 3;
      if (src === SRC_STOP) break;
      if (src === SRC_DIAG) {
        const x = ea[i - 1]!, y = eb[j - 1]!;
        if (x === y) matches++;
        if (BLOSUM62[x * ALPHABET_SIZE + y]! > 0) positives++;
        length++;
        i--;
        j--;
        continue;
      }
      state = src;
      continue;
    }
    gaps++;
    length++;
    if (state === SRC_E) {
      if (!(t & E_EXT)) state = SRC_DIAG;
      j--;
    } else {
      if (!(t & F_EXT)) state = SRC_DIAG;
      i--;
    }
  }
  return [score, matches, positives, gaps, length];
}
