// What every embedding backend is to the embedder stage: a recipe (one
// EmbeddingConfig row) in, one vector per chunk of each sequence out.
//
// The recipe's fields and their meaning are the reference documents'
// EmbeddingConfig: reverse layer indices (0 = last layer), layer aggregation
// mean|concat, pooling mean|max|cls|mean_max, residue and vector L2
// normalisation, max_length, chunking with overlap in amino-acid positions
// (special tokens stripped first: chunk start 0 is the first residue, the last
// chunk ends at the sequence length). A backend validates the recipe when it
// opens (a field it cannot honour is an EMBEDDING_CONFIG_INVALID error naming
// the field), so a bad config fails once, before any sequence is read.

/** One EmbeddingConfig row, as the stage and the backends read it. */
export interface EmbeddingRecipe {
  id: string;
  modelName: string;
  /** 'kmer' (built in, weight-free) or an ONNX backend: 'esm' | 't5' | 'ankh' ('auto' = 'esm') */
  modelBackend: string;
  /** reverse indices: 0 = last hidden layer, 1 = the one before, ... */
  layerIndices: readonly number[];
  layerAgg: 'mean' | 'concat';
  pooling: 'mean' | 'max' | 'cls' | 'mean_max';
  normalize: boolean;
  normalizeResidues: boolean;
  /** residues the model sees at most (special tokens not counted) */
  maxLength: number;
  useChunking: boolean;
  chunkSize: number;
  chunkOverlap: number;
  description?: string | null;
}

/** One vector of one sequence: the whole sequence, or one chunk of it. */
export interface EmbeddedChunk {
  /** first residue (0-based, inclusive); 0 when chunking is off */
  start: number;
  /** end residue (exclusive; the sequence length for the last chunk); null when chunking is off */
  end: number | null;
  vector: Float32Array;
}

/** All the vectors of one sequence under one recipe. */
export interface SequenceEmbedding {
  chunks: EmbeddedChunk[];
  /** residues embedded when the sequence was cut at max_length (or the model card's limit), chunking or not; else null */
  truncatedAt: number | null;
}

export interface EmbeddingBackend {
  /** what goes on the rows: 'kmer', 'esm', 't5', 'ankh' */
  readonly backend: string;
  /** where it runs: 'cuda' or 'cpu' */
  readonly device: 'cuda' | 'cpu';
  /** length of every vector it returns */
  readonly dim: number;
  /**
   * Embeds normalised sequences (upper-case residue letters); one result per
   * input, in order. Implementations batch internally as they see fit; the
   * stage hands them micro-batches already sorted by length. Throws a
   * ProteaError: `retry` disposition for a transient failure, anything else
   * makes the stage bisect the batch and dead-letter the sequence that fails.
   */
  embed(sequences: readonly string[], signal?: AbortSignal): Promise<SequenceEmbedding[]>;
  close(): Promise<void>;
}
