// Best Smith-Waterman hit of a query among references, per group of
// references: scores of every reference first (profile kernel, no
// traceback), full statistics only for the references sharing the top score
// of a group. Best = highest score; ties by higher identity, then lower index.
// With maxIdentity, the best among the references not above it (selectBestHits).
import { alignRaw, scoreLocalAll } from './align.js';
import { identityOverShorter, toResult, type BestHit } from './types.js';

/** References packed for the kernels: normalised residues back to back, offsets[j]..offsets[j+1]. */
export interface PackedReferences {
  bytes: Uint8Array;
  offsets: Int32Array;
}

/** Packs normalised sequences into (optionally shared) memory, so workers read them without a copy. */
export function packReferences(refs: readonly string[], shared: boolean): PackedReferences {
  let total = 0;
  for (const r of refs) total += r.length;
  const alloc = (n: number) => (shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  const bytes = new Uint8Array(alloc(Math.max(1, total)));
  const offsets = new Int32Array(alloc(4 * (refs.length + 1)));
  let at = 0;
  for (let j = 0; j < refs.length; j++) {
    offsets[j] = at;
    at += Buffer.from(bytes.buffer, at, refs[j]!.length).write(refs[j]!, 'latin1');
  }
  offsets[refs.length] = at;
  return { bytes, offsets };
}

export function referenceAt(refs: PackedReferences, j: number): string {
  return Buffer.from(refs.bytes.buffer, refs.bytes.byteOffset, refs.bytes.byteLength).toString('latin1', refs.offsets[j]!, refs.offsets[j + 1]!);
}

export interface BestHitOptions {
  /** per reference, bit g set when it belongs to group g; absent: one group of every reference */
  groups?: Uint8Array | null;
  /** number of groups (1..8); default 1 */
  nGroups?: number;
  /** only references whose identityOverShorter to the query is at most this (--max-identity) */
  maxIdentity?: number | null;
}

/**
 * The best hit of a normalised query in each group, null where the group has
 * no reference left or none aligns with a positive score. `exclude` lists
 * reference indices never to consider; `scores` is scratch of length >= refs.
 */
export function bestHitsOfQuery(
  query: string,
  refs: PackedReferences,
  opts: BestHitOptions,
  exclude: readonly number[],
  scores: Int32Array,
): (BestHit | null)[] {
  const n = refs.offsets.length - 1;
  const nGroups = opts.nGroups ?? 1;
  const groups = opts.groups ?? null;
  scoreLocalAll(query, refs.bytes, refs.offsets, scores);
  for (const j of exclude) if (j >= 0 && j < n) scores[j] = -1;
  const stats = new Map<number, BestHit>(); // one traceback per reference, whatever its groups
  const hitOf = (j: number): BestHit => {
    let hit = stats.get(j);
    if (!hit) {
      const ref = referenceAt(refs, j);
      hit = { refIndex: j, ...toResult(alignRaw(query, ref, 'local'), query.length, ref.length) };
      stats.set(j, hit);
    }
    return hit;
  };
  return selectBestHits(scores, n, groups, nGroups, hitOf, opts.maxIdentity ?? null);
}

/**
 * The best hit per group from the scores of references 0..n-1 (<= 0: no hit or
 * excluded): the highest score, ties by higher identity, then lower index.
 * With maxIdentity, only references whose identityOverShorter is at most it
 * count: score levels are visited from the top and a group takes the first
 * level with an admitted reference (tracebacks, through hitOf, only for the
 * references visited). Pure but for hitOf.
 */
export function selectBestHits(
  scores: ArrayLike<number>,
  n: number,
  groups: Uint8Array | null,
  nGroups: number,
  hitOf: (j: number) => BestHit,
  maxIdentity: number | null,
): (BestHit | null)[] {
  const inGroup = (j: number, g: number) => ((groups ? groups[j]! : 1) & (1 << g)) !== 0;
  const out: (BestHit | null)[] = new Array(nGroups).fill(null);
  if (maxIdentity === null) {
    const top = new Int32Array(nGroups);
    for (let j = 0; j < n; j++) {
      const s = scores[j]!;
      if (s <= 0) continue;
      for (let g = 0; g < nGroups; g++) if (inGroup(j, g) && s > top[g]!) top[g] = s;
    }
    for (let g = 0; g < nGroups; g++) {
      const t = top[g]!;
      if (t <= 0) continue;
      let best: BestHit | null = null;
      for (let j = 0; j < n; j++) {
        if (scores[j] !== t || !inGroup(j, g)) continue;
        const hit = hitOf(j); // ascending j: a later reference wins only on strictly higher identity
        if (!best || hit.identity > best.identity) best = hit;
      }
      out[g] = best;
    }
    return out;
  }
  const order: number[] = [];
  for (let j = 0; j < n; j++) if (scores[j]! > 0) order.push(j);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  let open = nGroups;
  const done = new Array<boolean>(nGroups).fill(false);
  for (let a = 0; a < order.length && open > 0; ) {
    let b = a;
    while (b < order.length && scores[order[b]!] === scores[order[a]!]) b++;
    for (let g = 0; g < nGroups; g++) {
      if (done[g]) continue;
      let best: BestHit | null = null;
      for (let i = a; i < b; i++) {
        const j = order[i]!;
        if (!inGroup(j, g)) continue;
        const hit = hitOf(j);
        if (identityOverShorter(hit) > maxIdentity) continue;
        if (!best || hit.identity > best.identity) best = hit;
      }
      if (best) {
        out[g] = best;
        done[g] = true;
        open--;
      }
    }
    a = b;
  }
  return out;
}
