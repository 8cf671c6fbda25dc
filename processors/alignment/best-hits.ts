// Best Smith-Waterman hit of a query among references, per group of
// references: scores of every reference first (profile kernel, no
// traceback), full statistics only for the references sharing the top score
// of a group. Best = highest score; ties by higher identity, then lower index.
import { alignRaw, scoreLocalAll } from './align.js';
import { toResult, type BestHit } from './types.js';

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
  const top = new Int32Array(nGroups);
  for (let j = 0; j < n; j++) {
    const s = scores[j]!;
    if (s <= 0) continue;
    const mask = groups ? groups[j]! : 1;
    for (let g = 0; g < nGroups; g++) if (mask & (1 << g) && s > top[g]!) top[g] = s;
  }
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
  const out: (BestHit | null)[] = [];
  for (let g = 0; g < nGroups; g++) {
    const t = top[g]!;
    let best: BestHit | null = null;
    if (t > 0) {
      for (let j = 0; j < n; j++) {
        if (scores[j] !== t || !((groups ? groups[j]! : 1) & (1 << g))) continue;
        const hit = hitOf(j); // ascending j: a later reference wins only on strictly higher identity
        if (!best || hit.identity > best.identity) best = hit;
      }
    }
    out.push(best);
  }
  return out;
}
