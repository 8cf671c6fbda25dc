// The alignment module's public surface (README.md next to this file).
export { align, alignGlobal, alignLocal } from './align.js';
export { alignerImplementation } from './native.js';
export { GAP_EXTEND, GAP_OPEN } from './dp.js';
export { normalizeSequence } from './sequence.js';
export { AlignmentPool, alignmentThreads, type BestHitsOptions, type RefHandle } from './pool.js';
export { identityOverShorter } from './types.js';
export type { AlignmentMode, AlignmentResult, BestHit } from './types.js';
