// The backend of a recipe: the built-in k-mer backend, or an ONNX model
// (esm, t5, ankh; auto = esm). One switch, so the stage and the commands
// never name a backend themselves.
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddingBackend, EmbeddingRecipe } from './backend.js';
import { openKmerBackend } from './kmer-backend.js';
import { modelFiles, readModelCard } from './model-card.js';
import { openOnnxBackend } from './onnx-backend.js';

const ONNX_BACKENDS = new Set(['esm', 't5', 'ankh', 'auto']);

export async function openBackend(recipe: EmbeddingRecipe): Promise<EmbeddingBackend> {
  if (recipe.modelBackend === 'kmer') return openKmerBackend(recipe);
  if (ONNX_BACKENDS.has(recipe.modelBackend)) return openOnnxBackend(recipe);
  throw new ProteaError('EMBEDDING_CONFIG_INVALID', `model_backend ${JSON.stringify(recipe.modelBackend)} is not one of kmer, esm, t5, ankh, auto`, { field: 'model_backend' });
}

/** The model card's maximum length of an ONNX recipe's model (reads the card); undefined for the k-mer backend. */
export async function modelMaxLength(recipe: Pick<EmbeddingRecipe, 'modelBackend' | 'modelName'>): Promise<number | undefined> {
  if (!ONNX_BACKENDS.has(recipe.modelBackend)) return undefined;
  return (await readModelCard(modelFiles(config().modelsDir, recipe.modelName))).maxLength;
}
