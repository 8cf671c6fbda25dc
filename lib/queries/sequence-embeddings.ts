// sequence_embedding rows as the embedder reads them: which (sequence, config)
// pairs already have their vectors, so a redelivered or replayed sequence is
// not embedded again. The rows are written by the embeddings sink
// (sinks/embeddings.ts).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

const Pair = z.object({ sequence_hash: z.string(), embedding_config_id: z.string() });

/** `<md5>|<config id>` of every pair of md5s x configs that has at least one vector, in one look-up. */
export async function embeddedPairs(db: CommonQueryMethods, md5s: readonly string[], configIds: readonly string[]): Promise<Set<string>> {
  if (md5s.length === 0 || configIds.length === 0) return new Set();
  const rows = await db.any(sql.type(Pair)`
    SELECT DISTINCT s.sequence_hash, e.embedding_config_id
      FROM sequence s JOIN sequence_embedding e ON e.sequence_id = s.id
     WHERE s.sequence_hash = ANY(${sql.array([...md5s], 'bpchar')})
       AND e.embedding_config_id = ANY(${sql.array([...configIds], 'uuid')})`);
  return new Set(rows.map((r) => `${r.sequence_hash}|${r.embedding_config_id}`));
}

/** Vectors of a config: how many, how many sequences they cover, the cut ones, their dimension and devices. */
export async function embeddingCounts(db: CommonQueryMethods, configId: string): Promise<{ vectors: number; sequences: number; truncated: number; dim: number | null; devices: string[] }> {
  return db.one(sql.type(z.object({ vectors: z.number(), sequences: z.number(), truncated: z.number(), dim: z.number().nullable(), devices: z.array(z.string()) }))`
    SELECT count(*)::int AS vectors, count(DISTINCT sequence_id)::int AS sequences,
           count(*) FILTER (WHERE truncated_at IS NOT NULL)::int AS truncated, max(embedding_dim) AS dim,
           coalesce(array_agg(DISTINCT device) FILTER (WHERE device IS NOT NULL), '{}') AS devices
      FROM sequence_embedding WHERE embedding_config_id = ${configId}`);
}

/**
 * Reference proteins of an annotation set (positive annotations with one of
 * the evidence codes) and how many of them have an embedding under a config:
 * the ones without are no neighbours until they do.
 */
export async function referenceEmbeddingCoverage(
  db: CommonQueryMethods,
  annotationSetId: string,
  evidenceCodes: readonly string[],
  configId: string,
): Promise<{ proteins: number; embedded: number }> {
  return db.one(sql.type(z.object({ proteins: z.number(), embedded: z.number() }))`
    SELECT count(*)::integer AS proteins,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM sequence_embedding se WHERE se.sequence_id = p.sequence_id AND se.embedding_config_id = ${configId}))::integer AS embedded
      FROM protein p
     WHERE p.accession IN (SELECT a.protein_accession FROM protein_go_annotation a
                            WHERE a.annotation_set_id = ${annotationSetId} AND a.evidence_code = ANY(${sql.array([...evidenceCodes], 'text')})
                              AND a.qualifier !~ '(^|\\|)NOT(\\||$)')`);
}
