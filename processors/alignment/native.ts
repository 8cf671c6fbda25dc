// The parasail binding (native/parasail, built by stack/build-parasail.mjs),
// or null when it was not built: callers then use the TypeScript DP.
import { createRequire } from 'node:module';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config.js';

export interface NativeAligner {
  /** [score, matches, positives, gaps, length] from a traceback */
  align(a: string, b: string, global: boolean): Int32Array;
  /** Smith-Waterman scores of query against references refBytes[off[j]..off[j+1]) into out[j] */
  scoreAll(query: string, refBytes: Uint8Array, refOffsets: Int32Array, out: Int32Array): void;
  gapOpen: number;
  gapExtend: number;
}

export const NATIVE_ADDON_PATH = path.join(PROJECT_ROOT, 'native', 'parasail', 'build', 'Release', 'protea_parasail.node');

let loaded: { aligner: NativeAligner | null; error: string | null } | undefined;

function load(): { aligner: NativeAligner | null; error: string | null } {
  if (!loaded) {
    try {
      loaded = { aligner: createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAligner, error: null };
    } catch (err) {
      loaded = { aligner: null, error: (err as Error).message };
    }
  }
  return loaded;
}

export function nativeAligner(): NativeAligner | null {
  return load().aligner;
}

/** Which implementation alignLocal/alignGlobal and the pool use, and why not parasail when not. */
export function alignerImplementation(): { name: 'parasail' | 'typescript'; reason?: string } {
  const { aligner, error } = load();
  return aligner ? { name: 'parasail' } : { name: 'typescript', reason: `parasail binding not loaded (${error}); build it with node stack/build-parasail.mjs` };
}
