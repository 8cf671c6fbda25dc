// Where the chunks of a sequence lie: windows of chunk_size residues, each
// starting chunk_size - chunk_overlap after the previous, the last one ending
// at the sequence length (EmbeddingConfig, reference documents). Positions are
// residues (special tokens are not part of the sequence here).

export interface ChunkWindow {
  /** first residue, 0-based, inclusive */
  start: number;
  /** end residue, exclusive */
  end: number;
}

/**
 * The windows of a sequence of `length` residues; one window [0, length) when
 * it fits in one chunk (an empty sequence gives [0, 0)). The caller has checked
 * chunkSize > 0 and 0 <= overlap < chunkSize.
 */
export function chunkWindows(length: number, chunkSize: number, overlap: number): ChunkWindow[] {
  const step = chunkSize - overlap;
  const out: ChunkWindow[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + chunkSize, length);
    out.push({ start, end });
    if (end >= length) return out;
  }
}
