// Where a sequence is cut and how its residues are split into chunks. All
// positions are residue positions after the special tokens are stripped:
// start 0 is the first residue, ends are exclusive.
//
// Truncation: the model sees at most min(max_length, the model card's
// maximum) residues, chunking or not; what it did not see is not embedded and
// the cut is recorded (truncatedAt = residues embedded).
//
// Chunks: windows of chunk_size residues, each starting chunk_size -
// chunk_overlap after the previous one, from 0. The walk stops at the first
// window that reaches the end: that window is cut to end at the length, so
// the last chunk always ends at the (embedded) length and no window lies
// wholly inside the one before it. It can be shorter than chunk_size (it
// still holds residues no earlier chunk covered). A sequence no longer than
// one chunk gives the single chunk [0, L); an empty one gives [0, 0).
import { ProteaError } from '../../lib/errors.js';

export interface ChunkSpan {
  start: number;
  end: number;
}

export interface ChunkRecipe {
  useChunking: boolean;
  chunkSize: number;
  chunkOverlap: number;
}

/** Fails with EMBEDDING_CONFIG_INVALID naming the field when the chunk parameters cannot describe a walk. */
export function validateChunking(recipe: ChunkRecipe): void {
  if (!recipe.useChunking) return;
  if (!Number.isInteger(recipe.chunkSize) || recipe.chunkSize < 1) {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', `chunk_size must be a positive integer, got ${recipe.chunkSize}`, { field: 'chunk_size' });
  }
  if (!Number.isInteger(recipe.chunkOverlap) || recipe.chunkOverlap < 0 || recipe.chunkOverlap >= recipe.chunkSize) {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', `chunk_overlap must be an integer in [0, chunk_size) = [0, ${recipe.chunkSize}), got ${recipe.chunkOverlap}`, { field: 'chunk_overlap' });
  }
}

/** The chunks of `length` residues (length = residues embedded, after truncation). */
export function chunkSpans(length: number, chunkSize: number, chunkOverlap: number): ChunkSpan[] {
  const step = chunkSize - chunkOverlap;
  const spans: ChunkSpan[] = [];
  for (let start = 0; ; start += step) {
    if (start + chunkSize >= length) {
      spans.push({ start, end: length });
      return spans;
    }
    spans.push({ start, end: start + chunkSize });
  }
}

/** Residues the model may see: the recipe's max_length, lowered to the model's own limit. */
export function residueLimit(maxLength: number, modelMaxLength: number): number {
  return Math.min(maxLength, modelMaxLength);
}

/** The residues the model sees and the cut: truncatedAt = residues kept when the sequence was longer, else null. */
export function truncate(sequence: string, limit: number): { residues: string; truncatedAt: number | null } {
  if (sequence.length <= limit) return { residues: sequence, truncatedAt: null };
  return { residues: sequence.slice(0, limit), truncatedAt: limit };
}
