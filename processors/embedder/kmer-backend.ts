// The built-in, weight-free embedding backend: k-mer composition vectors
// (kmer-representation.ts says what each model_name computes). It needs no
// model file, runs anywhere, and is deterministic: the same sequence and
// recipe give the same bytes. It carries real homology signal (bench/RESULTS.md,
// "weight-free k-mer backend"), so predictions made with it are a baseline.
//
// Recipe: model_backend 'kmer'; model_name a k-mer model; layer_indices,
// layer_agg, pooling and normalize_residues describe a language model's layers
// and residue vectors, which a k-mer count does not have, so they must keep
// their defaults ({0}, mean, mean, false), else EMBEDDING_CONFIG_INVALID names
// the field. normalize: L2 normalisation of each vector (a zero vector stays
// zero). A sequence longer than max_length is cut there (truncatedAt =
// max_length), chunking or not; with chunking the embedded residues are split
// into windows (chunking.ts).
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddedChunk, EmbeddingBackend, EmbeddingRecipe, SequenceEmbedding } from './backend.js';
import { chunkSpans } from './chunking.js';
import { addKmerCounts, l2NormalizeInPlace, parseKmerModelName, type KmerSpec } from './kmer-representation.js';

/**
 * The measured default (bench/RESULTS.md, "weight-free k-mer backend"): 3- and
 * 4-mers of the 20 standard residues, closed-form IDF, hashed into 4,096
 * dimensions (16,384 bytes a vector): as close to Smith-Waterman as the
 * unhashed 8,000-dimension 3-mer TF-IDF at half its size.
 */
export const KMER_DEFAULT_MODEL_NAME = 'kmer-3+4-tfidf-h4096';

/** The recipe values that go with the default model (every field a k-mer model ignores at its default). */
export const KMER_DEFAULT_RECIPE: Readonly<Omit<EmbeddingRecipe, 'id' | 'description'>> = Object.freeze({
  modelName: KMER_DEFAULT_MODEL_NAME,
  modelBackend: 'kmer',
  layerIndices: [0],
  layerAgg: 'mean',
  pooling: 'mean',
  normalize: true,
  normalizeResidues: false,
  // composition has no length limit: long enough that no UniProt entry is cut (the longest, a titin, has 35,213 residues)
  maxLength: 100_000,
  useChunking: false,
  chunkSize: 512,
  chunkOverlap: 0,
});

/** How often embed() looks at the abort signal (sequences). */
const ABORT_CHECK_EVERY = 256;

function invalid(field: string, message: string, value: unknown): ProteaError {
  return new ProteaError('EMBEDDING_CONFIG_INVALID', message, { field, value: JSON.stringify(value) });
}

/** Checks a recipe against what the k-mer backend can honour; returns its representation. */
export function validateKmerRecipe(recipe: EmbeddingRecipe): KmerSpec {
  if (recipe.modelBackend !== 'kmer') throw invalid('model_backend', `the k-mer backend needs model_backend 'kmer', got ${JSON.stringify(recipe.modelBackend)}`, recipe.modelBackend);
  const spec = parseKmerModelName(recipe.modelName);
  if (recipe.layerIndices.length !== 1 || recipe.layerIndices[0] !== 0) {
    throw invalid('layer_indices', `a k-mer model has no layers: layer_indices must be {0}, got {${recipe.layerIndices.join(',')}}`, recipe.layerIndices);
  }
  if (recipe.layerAgg !== 'mean') throw invalid('layer_agg', `a k-mer model has no layers: layer_agg must be mean, got ${JSON.stringify(recipe.layerAgg)}`, recipe.layerAgg);
  if (recipe.pooling !== 'mean') throw invalid('pooling', `a k-mer model has no residue vectors to pool: pooling must be mean, got ${JSON.stringify(recipe.pooling)}`, recipe.pooling);
  if (recipe.normalizeResidues !== false) throw invalid('normalize_residues', 'a k-mer model has no residue vectors: normalize_residues must be false', recipe.normalizeResidues);
  if (!Number.isInteger(recipe.maxLength) || recipe.maxLength <= 0) throw invalid('max_length', `max_length must be a positive integer, got ${String(recipe.maxLength)}`, recipe.maxLength);
  if (!Number.isInteger(recipe.chunkSize) || recipe.chunkSize <= 0) throw invalid('chunk_size', `chunk_size must be a positive integer, got ${String(recipe.chunkSize)}`, recipe.chunkSize);
  if (!Number.isInteger(recipe.chunkOverlap) || recipe.chunkOverlap < 0 || recipe.chunkOverlap >= recipe.chunkSize) {
    throw invalid('chunk_overlap', `chunk_overlap must be an integer in [0, chunk_size = ${recipe.chunkSize}), got ${String(recipe.chunkOverlap)}`, recipe.chunkOverlap);
  }
  return spec;
}

export class KmerBackend implements EmbeddingBackend {
  readonly backend = 'kmer';
  readonly device = 'cpu' as const;
  readonly dim: number;
  readonly spec: KmerSpec;

  constructor(private readonly recipe: EmbeddingRecipe) {
    this.spec = validateKmerRecipe(recipe);
    this.dim = this.spec.dim;
  }

  /** One sequence's vectors (synchronous; embed() is the interface). */
  embedOne(seq: string): SequenceEmbedding {
    const r = this.recipe;
    // max_length bounds what is embedded, chunking or not, as for the ONNX backends (chunking.ts)
    const cut = seq.length > r.maxLength;
    const end = cut ? r.maxLength : seq.length;
    const truncatedAt = cut ? r.maxLength : null;
    if (r.useChunking) {
      const chunks: EmbeddedChunk[] = chunkSpans(end, r.chunkSize, r.chunkOverlap).map((c) => ({ start: c.start, end: c.end, vector: this.vector(seq, c.start, c.end) }));
      return { chunks, truncatedAt };
    }
    return { chunks: [{ start: 0, end: null, vector: this.vector(seq, 0, end) }], truncatedAt };
  }

  async embed(sequences: readonly string[], signal?: AbortSignal): Promise<SequenceEmbedding[]> {
    const out: SequenceEmbedding[] = [];
    for (let i = 0; i < sequences.length; i++) {
      if (i % ABORT_CHECK_EVERY === 0) signal?.throwIfAborted();
      out.push(this.embedOne(sequences[i]!));
    }
    return out;
  }

  async close(): Promise<void> {}

  private vector(seq: string, start: number, end: number): Float32Array {
    const v = new Float32Array(this.dim);
    addKmerCounts(this.spec, seq, start, end, v);
    if (this.recipe.normalize) l2NormalizeInPlace(v);
    return v;
  }
}

/** Opens the k-mer backend for a recipe; EMBEDDING_CONFIG_INVALID naming the field when the recipe does not fit. */
export async function openKmerBackend(recipe: EmbeddingRecipe): Promise<KmerBackend> {
  return new KmerBackend(recipe);
}
