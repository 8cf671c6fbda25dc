// An EmbeddingConfig recipe from what a user typed: defaults, allowed values
// and the cross-field rules, each failure naming the option. The database
// checks the same rules (sql/0004); checking here gives the user the option's
// name instead of a constraint's.
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddingRecipe } from './backend.js';
import { KMER_DEFAULT_RECIPE } from './kmer-backend.js';

export const BACKENDS = ['kmer', 'esm', 't5', 'ankh', 'auto'] as const;
export const LAYER_AGGS = ['mean', 'concat'] as const;
export const POOLINGS = ['mean', 'max', 'cls', 'mean_max'] as const;

/** The weight-free default: what `protea embeddings config create` makes with no --model. */
export const DEFAULT_KMER_MODEL = KMER_DEFAULT_RECIPE.modelName;
/** Residues the k-mer backend reads at most by default: longer than any UniProtKB sequence (titin: 35,213). */
export const DEFAULT_KMER_MAX_LENGTH = KMER_DEFAULT_RECIPE.maxLength;

export interface RecipeInput {
  model?: string;
  backend?: string;
  layers?: string;
  layerAgg?: string;
  pooling?: string;
  normalize?: boolean;
  normalizeResidues?: boolean;
  maxLength?: string;
  chunking?: boolean;
  chunkSize?: string;
  chunkOverlap?: string;
  description?: string;
}

function usage(field: string, message: string): ProteaError {
  return new ProteaError('EMBEDDING_CONFIG_INVALID', `${field}: ${message}`, { field });
}

function positiveInt(field: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) throw usage(field, `${JSON.stringify(raw)} is not an integer >= ${min}`);
  return Number(raw);
}

function oneOf<T extends string>(field: string, raw: string | undefined, values: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) throw usage(field, `${JSON.stringify(raw)} is not one of ${values.join(', ')}`);
  return raw as T;
}

/**
 * The recipe (without its id) for the options given; `modelMaxLength` is the
 * model card's maximum (ONNX models), the default and the ceiling of
 * --max-length.
 */
export function recipeFromInput(input: RecipeInput, modelMaxLength?: number): Omit<EmbeddingRecipe, 'id'> {
  const modelBackend = oneOf('--backend', input.backend, BACKENDS, 'kmer');
  const modelName = input.model ?? (modelBackend === 'kmer' ? DEFAULT_KMER_MODEL : undefined);
  if (modelName === undefined || modelName.trim() === '') throw usage('--model', `an ${modelBackend} config needs --model (the ONNX model's name under PROTEA_MODELS_DIR, or a path to its .onnx)`);
  const layerIndices = (input.layers ?? '0').split(',').map((s) => s.trim());
  if (layerIndices.some((s) => !/^\d+$/.test(s))) throw usage('--layers', `${JSON.stringify(input.layers)} is not a comma-separated list of reverse layer indices (0 = last layer)`);
  const layers = layerIndices.map(Number);
  if (new Set(layers).size !== layers.length) throw usage('--layers', `${JSON.stringify(input.layers)} names a layer twice`);
  const maxDefault = modelMaxLength ?? DEFAULT_KMER_MAX_LENGTH;
  const maxLength = positiveInt('--max-length', input.maxLength, maxDefault);
  if (modelMaxLength !== undefined && maxLength > modelMaxLength) throw usage('--max-length', `${maxLength} is more than the model's maximum of ${modelMaxLength} residues`);
  const useChunking = input.chunking ?? false;
  const chunkSize = positiveInt('--chunk-size', input.chunkSize, Math.min(512, maxLength));
  const chunkOverlap = positiveInt('--chunk-overlap', input.chunkOverlap, 0, 0);
  if (chunkOverlap >= chunkSize) throw usage('--chunk-overlap', `${chunkOverlap} must be smaller than --chunk-size ${chunkSize}`);
  if (useChunking && chunkSize > maxLength) throw usage('--chunk-size', `${chunkSize} is more than --max-length ${maxLength}`);
  return {
    modelName: modelName.trim(),
    modelBackend: modelBackend === 'auto' ? 'esm' : modelBackend,
    layerIndices: layers,
    layerAgg: oneOf('--layer-agg', input.layerAgg, LAYER_AGGS, 'mean'),
    pooling: oneOf('--pooling', input.pooling, POOLINGS, 'mean'),
    normalize: input.normalize ?? true,
    normalizeResidues: input.normalizeResidues ?? false,
    maxLength,
    useChunking,
    chunkSize,
    chunkOverlap,
    description: input.description ?? null,
  };
}
