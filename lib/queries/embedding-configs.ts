// embedding_config rows: creating a recipe (idempotent: the recipe is the
// natural key), listing, reading, switching it on and off, and what the
// embedder needs (the active ones).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';
import { ProteaError } from '../errors.js';
import type { EmbeddingRecipe } from '../../processors/embedder/backend.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const EmbeddingConfig = z.object({
  id: z.string(),
  model_name: z.string(),
  model_backend: z.string(),
  layer_indices: z.array(z.number()),
  layer_agg: z.enum(['mean', 'concat']),
  pooling: z.enum(['mean', 'max', 'cls', 'mean_max']),
  normalize: z.boolean(),
  normalize_residues: z.boolean(),
  max_length: z.number(),
  use_chunking: z.boolean(),
  chunk_size: z.number(),
  chunk_overlap: z.number(),
  description: z.string().nullable(),
  active: z.boolean(),
  created_at: z.number(),
});
export type EmbeddingConfigRow = z.infer<typeof EmbeddingConfig>;

const COLUMNS = sql.fragment`
  id, model_name, model_backend, layer_indices, layer_agg, pooling, normalize, normalize_residues, max_length,
  use_chunking, chunk_size, chunk_overlap, description, active, created_at`;

/** The recipe of a row, as the embedder and the backends read it. */
export function recipeOf(row: EmbeddingConfigRow): EmbeddingRecipe {
  return {
    id: row.id,
    modelName: row.model_name,
    modelBackend: row.model_backend,
    layerIndices: row.layer_indices,
    layerAgg: row.layer_agg,
    pooling: row.pooling,
    normalize: row.normalize,
    normalizeResidues: row.normalize_residues,
    maxLength: row.max_length,
    useChunking: row.use_chunking,
    chunkSize: row.chunk_size,
    chunkOverlap: row.chunk_overlap,
    description: row.description,
  };
}

export type NewEmbeddingConfig = Omit<EmbeddingRecipe, 'id'>;

/**
 * The config with these recipe fields: the existing one (created = false) or a
 * new one (created = true, active as asked). A second create with the same
 * recipe changes nothing, its description and `active` included.
 */
export async function createEmbeddingConfig(db: CommonQueryMethods, r: NewEmbeddingConfig, opts: { active: boolean }): Promise<{ row: EmbeddingConfigRow; created: boolean }> {
  const layers = sql.array([...r.layerIndices], 'int4');
  const inserted = await db.maybeOne(sql.type(EmbeddingConfig)`
    INSERT INTO embedding_config (model_name, model_backend, layer_indices, layer_agg, pooling, normalize, normalize_residues,
                                  max_length, use_chunking, chunk_size, chunk_overlap, description, active)
    VALUES (${r.modelName}, ${r.modelBackend}, ${layers}, ${r.layerAgg}, ${r.pooling}, ${r.normalize}, ${r.normalizeResidues},
            ${r.maxLength}, ${r.useChunking}, ${r.chunkSize}, ${r.chunkOverlap}, ${r.description ?? null}, ${opts.active})
    ON CONFLICT ON CONSTRAINT embedding_config_natural_key DO NOTHING
    RETURNING ${COLUMNS}`);
  if (inserted) return { row: inserted, created: true };
  const existing = await db.one(sql.type(EmbeddingConfig)`
    SELECT ${COLUMNS} FROM embedding_config
     WHERE model_name = ${r.modelName} AND model_backend = ${r.modelBackend} AND layer_indices = ${layers}
       AND layer_agg = ${r.layerAgg} AND pooling = ${r.pooling} AND normalize = ${r.normalize}
       AND normalize_residues = ${r.normalizeResidues} AND max_length = ${r.maxLength} AND use_chunking = ${r.useChunking}
       AND chunk_size = ${r.chunkSize} AND chunk_overlap = ${r.chunkOverlap}`);
  return { row: existing, created: false };
}

/** Every config, oldest first, with how many vectors each has. */
export async function listEmbeddingConfigs(db: CommonQueryMethods): Promise<readonly (EmbeddingConfigRow & { embeddings: number; sequences: number })[]> {
  const Listed = EmbeddingConfig.extend({ embeddings: z.number(), sequences: z.number() });
  return db.any(sql.type(Listed)`
    SELECT ${COLUMNS},
           (SELECT count(*) FROM sequence_embedding e WHERE e.embedding_config_id = c.id)::int AS embeddings,
           (SELECT count(DISTINCT e.sequence_id) FROM sequence_embedding e WHERE e.embedding_config_id = c.id)::int AS sequences
      FROM embedding_config c ORDER BY created_at, id`);
}

/** One config, or null (also for a string that is not a UUID). */
export async function getEmbeddingConfig(db: CommonQueryMethods, id: string): Promise<EmbeddingConfigRow | null> {
  if (!UUID.test(id)) return null;
  return db.maybeOne(sql.type(EmbeddingConfig)`SELECT ${COLUMNS} FROM embedding_config WHERE id = ${id}`);
}

/** One config, or NOT_FOUND with what to do. */
export async function requireEmbeddingConfig(db: CommonQueryMethods, id: string): Promise<EmbeddingConfigRow> {
  const row = await getEmbeddingConfig(db, id);
  if (!row) throw new ProteaError('NOT_FOUND', `no embedding config ${JSON.stringify(id)}`, { field: 'config', hint: 'List them with `protea embeddings config list`.' });
  return row;
}

/** Switches a config on or off; nothing else of it changes. Returns the row as it is now. */
export async function setEmbeddingConfigActive(db: CommonQueryMethods, id: string, active: boolean): Promise<EmbeddingConfigRow> {
  await requireEmbeddingConfig(db, id);
  return db.one(sql.type(EmbeddingConfig)`UPDATE embedding_config SET active = ${active} WHERE id = ${id} RETURNING ${COLUMNS}`);
}

/** The configs the embedder embeds new sequences under. */
export async function activeEmbeddingConfigs(db: CommonQueryMethods): Promise<readonly EmbeddingConfigRow[]> {
  return db.any(sql.type(EmbeddingConfig)`SELECT ${COLUMNS} FROM embedding_config WHERE active ORDER BY created_at, id`);
}
