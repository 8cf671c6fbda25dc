// Synchronous pairwise alignment: parasail when its binding is built, the
// TypeScript DP otherwise. These block the calling thread for the pair's
// |a| * |b| cells; services use AlignmentPool (pool.ts) instead.
import { alignDp, scoreLocalDp } from './dp.js';
import { nativeAligner } from './native.js';
import { normalizeSequence } from './sequence.js';
import { toResult, type AlignmentMode, type AlignmentResult } from './types.js';

/** Raw [score, matches, positives, gaps, length] of normalised sequences. */
export function alignRaw(a: string, b: string, mode: AlignmentMode): Int32Array | [number, number, number, number, number] {
  const native = nativeAligner();
  return native ? native.align(a, b, mode === 'global') : alignDp(a, b, mode === 'global');
}

export function align(query: string, ref: string, mode: AlignmentMode): AlignmentResult {
  const a = normalizeSequence(query), b = normalizeSequence(ref);
  return toResult(alignRaw(a, b, mode), a.length, b.length);
}

/** Smith-Waterman (local) alignment of query and ref. */
export function alignLocal(query: string, ref: string): AlignmentResult {
  return align(query, ref, 'local');
}

/** Needleman-Wunsch (global) alignment of query and ref. */
export function alignGlobal(query: string, ref: string): AlignmentResult {
  return align(query, ref, 'global');
}

/** Smith-Waterman scores of normalised query against packed normalised references (see references.ts). */
export function scoreLocalAll(query: string, bytes: Uint8Array, offsets: Int32Array, out: Int32Array): void {
  const native = nativeAligner();
  if (native) {
    native.scoreAll(query, bytes, offsets, out);
    return;
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let j = 0; j + 1 < offsets.length; j++) out[j] = scoreLocalDp(query, text.toString('latin1', offsets[j]!, offsets[j + 1]!));
}
