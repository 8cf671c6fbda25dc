// An EmbeddingRecipe for backend tests: the reference defaults (last layer,
// mean, mean, no normalisation, no chunking), overridden field by field.
import type { EmbeddingRecipe } from '../../processors/embedder/backend.js';

export function testRecipe(over: Partial<EmbeddingRecipe> & Pick<EmbeddingRecipe, 'modelName' | 'modelBackend'>): EmbeddingRecipe {
  return {
    id: 'test-recipe',
    layerIndices: [0],
    layerAgg: 'mean',
    pooling: 'mean',
    normalize: false,
    normalizeResidues: false,
    maxLength: 1022,
    useChunking: false,
    chunkSize: 512,
    chunkOverlap: 0,
    ...over,
  };
}
