// The reference side of the KNN predictor, read from PostgreSQL: for an
// embedding config C, an annotation set A, evidence codes E and an aspect
// (F, P, C or null = any):
//  - reference proteins: proteins of A with at least one positive (not
//    NOT-qualified) annotation with a code of E in the aspect, whose sequence
//    has a vector under C;
//  - index entries: their DISTINCT sequences (MD5), each with its reference
//    accessions (sorted), and one vector per sequence (the chunks of a chunked
//    sequence averaged), streamed with binary COPY;
//  - their annotations to transfer: the same filter (positive, E, aspect);
//  - a content fingerprint of the inputs, cheap to compute, for the index
//    cache key.
// Everything is read in one REPEATABLE READ snapshot on one client of the copy
// pool, so entries, vectors and annotations agree even while sinks write.
import type { PgClient, PgPool } from '../copy.js';
import { copyOutBinary } from '../copy-out.js';
import { runSql } from '../copy.js';
import { sql } from '../db.js';
import { ProteaError } from '../errors.js';
import type { RefAnnotation } from '../../processors/predictor/transfer.js';

export type Aspect = 'F' | 'P' | 'C';

export interface ReferenceSpec {
  embeddingConfigId: string;
  annotationSetId: string;
  evidenceCodes: readonly string[];
  /** null: references annotated in any aspect, and all their (filtered) annotations */
  aspect: Aspect | null;
}

/**
 * What the index content depends on, by cheap aggregates: the annotation rows
 * of A (count, max id, and a sum of row hashes, since the annotations sink
 * updates rows in place), the vectors of C (count, max id: rows are never
 * updated), and the protein table (count, last update: a protein linked to its
 * sequence later changes the references). Conservative: any change to A, C or
 * the proteins gives a new fingerprint.
 */
export interface ReferenceFingerprint {
  annotations: { rows: number; maxId: string | null; hash: string | null };
  embeddings: { rows: number; maxId: string | null };
  proteins: { rows: number; lastUpdate: string | null };
}

/** The NOT token of a GAF qualifier ('NOT', 'NOT|enables'), as in lib/queries/annotation-sets.ts. */
const NOT_QUALIFIER = '(^|\\|)NOT(\\||$)';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkSpec(spec: ReferenceSpec): void {
  if (!UUID.test(spec.embeddingConfigId)) throw new ProteaError('USAGE', `embedding config id ${JSON.stringify(spec.embeddingConfigId)} is not a UUID`, { field: 'embedding_config' });
  if (!UUID.test(spec.annotationSetId)) throw new ProteaError('USAGE', `annotation set id ${JSON.stringify(spec.annotationSetId)} is not a UUID`, { field: 'annotation_set' });
  if (spec.evidenceCodes.length === 0) throw new ProteaError('USAGE', 'no evidence codes: the references would be empty', { field: 'evidence' });
  if (spec.aspect !== null && !['F', 'P', 'C'].includes(spec.aspect)) throw new ProteaError('USAGE', `aspect must be F, P, C or null, got ${JSON.stringify(spec.aspect)}`, { field: 'aspect' });
}

export async function referenceFingerprint(client: PgClient, spec: ReferenceSpec): Promise<ReferenceFingerprint> {
  checkSpec(spec);
  const a = (await runSql(client, sql.unsafe`
    SELECT count(*)::int AS rows, max(id)::text AS max_id,
           sum(hashtext(concat_ws('|', protein_accession, go_term_id, qualifier, evidence_code, aspect)))::text AS hash
      FROM protein_go_annotation WHERE annotation_set_id = ${spec.annotationSetId}`)).rows[0] as { rows: number; max_id: string | null; hash: string | null };
  const e = (await runSql(client, sql.unsafe`
    SELECT count(*)::int AS rows, max(id)::text AS max_id
      FROM sequence_embedding WHERE embedding_config_id = ${spec.embeddingConfigId}`)).rows[0] as { rows: number; max_id: string | null };
  const p = (await runSql(client, sql.unsafe`SELECT count(*)::int AS rows, max(updated_at)::text AS last FROM protein`)).rows[0] as { rows: number; last: string | null };
  return {
    annotations: { rows: a.rows, maxId: a.max_id, hash: a.hash },
    embeddings: { rows: e.rows, maxId: e.max_id },
    proteins: { rows: p.rows, lastUpdate: p.last },
  };
}

export interface ReferenceData {
  dim: number;
  /** index entry -> sequence MD5 (sorted by MD5) */
  md5s: string[];
  /** index entry -> its reference accessions, sorted */
  accessions: string[][];
  /** reference accession -> its annotations to transfer, by GO id, then evidence code's position in the requested list, then qualifier */
  annotations: Map<string, RefAnnotation[]>;
}

/**
 * Reads the references of `spec` in one snapshot. The vectors are handed to
 * `onVectors` in entry order, in batches (`count` vectors of `dim` floats,
 * chunks averaged, not normalised; the buffer is reused after the call
 * returns), before the returned promise settles; `onStart` learns the entry
 * count and dimension first (0 entries: dim 0 and no batch).
 */
export async function readReferences(
  pool: PgPool,
  spec: ReferenceSpec,
  handlers: { onStart?: (entries: number, dim: number) => void | Promise<void>; onVectors: (batch: Float32Array, count: number) => void | Promise<void>; batchSize?: number },
): Promise<ReferenceData & { fingerprint: ReferenceFingerprint }> {
  checkSpec(spec);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const fingerprint = await referenceFingerprint(client, spec);
    const codes = sql.array([...spec.evidenceCodes], 'text');
    const aspectFilter = spec.aspect === null ? sql.fragment`TRUE` : sql.fragment`COALESCE(a.aspect, g.aspect) = ${spec.aspect}`;
    // the filtered annotation rows of reference proteins (their sequence has a vector under C)
    await runSql(client, sql.unsafe`
      CREATE TEMP TABLE knn_ref_annotation ON COMMIT DROP AS
      SELECT a.protein_accession AS accession, p.sequence_id, g.go_id, COALESCE(a.aspect, g.aspect) AS aspect,
             NULLIF(a.qualifier, '') AS qualifier, NULLIF(a.evidence_code, '') AS evidence_code,
             array_position(${codes}, a.evidence_code) AS evidence_rank
        FROM protein_go_annotation a
        JOIN go_term g ON g.id = a.go_term_id
        JOIN protein p ON p.accession = a.protein_accession
       WHERE a.annotation_set_id = ${spec.annotationSetId}
         AND a.evidence_code = ANY(${codes})
         AND a.qualifier !~ ${NOT_QUALIFIER}
         AND COALESCE(a.aspect, g.aspect) IS NOT NULL
         AND ${aspectFilter}
         AND p.sequence_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM sequence_embedding e WHERE e.sequence_id = p.sequence_id AND e.embedding_config_id = ${spec.embeddingConfigId})`);
    await runSql(client, sql.unsafe`
      CREATE TEMP TABLE knn_ref_sequence ON COMMIT DROP AS
      SELECT DISTINCT r.sequence_id, s.sequence_hash::text AS md5 FROM knn_ref_annotation r JOIN sequence s ON s.id = r.sequence_id`);
    const dims = (await runSql(client, sql.unsafe`
      SELECT DISTINCT e.embedding_dim AS dim FROM sequence_embedding e JOIN knn_ref_sequence r ON r.sequence_id = e.sequence_id
       WHERE e.embedding_config_id = ${spec.embeddingConfigId} ORDER BY 1`)).rows as { dim: number }[];
    if (dims.length > 1) {
      throw new ProteaError('EMBEDDING_CONFIG_INVALID', `embedding config ${spec.embeddingConfigId} has reference vectors of different dimensions: ${dims.map((d) => d.dim).join(', ')}`, { field: 'embedding_dim' });
    }
    const dim = dims[0]?.dim ?? 0;

    // entries and their accessions, by MD5 then accession (the COPY below uses the same MD5 order)
    const pairs = (await runSql(client, sql.unsafe`
      SELECT md5, accession FROM (SELECT DISTINCT s.md5, r.accession FROM knn_ref_annotation r JOIN knn_ref_sequence s ON s.sequence_id = r.sequence_id) x
       ORDER BY md5 COLLATE "C", accession COLLATE "C"`)).rows as { md5: string; accession: string }[];
    const md5s: string[] = [];
    const accessions: string[][] = [];
    for (const { md5, accession } of pairs) {
      if (md5s[md5s.length - 1] !== md5) {
        md5s.push(md5);
        accessions.push([]);
      }
      accessions[accessions.length - 1]!.push(accession);
    }
    await handlers.onStart?.(md5s.length, dim);

    if (md5s.length > 0) {
      const batchSize = handlers.batchSize ?? 4096;
      const batch = new Float32Array(batchSize * dim);
      let inBatch = 0;
      let entry = -1;
      let chunks = 0;
      const finish = async () => {
        if (chunks > 1) {
          const v = batch.subarray(inBatch * dim, (inBatch + 1) * dim);
          for (let j = 0; j < dim; j++) v[j]! /= chunks;
        }
        inBatch++;
        if (inBatch === batchSize) {
          await handlers.onVectors(batch, inBatch);
          inBatch = 0;
        }
      };
      // COPY takes no parameters: the config id is inlined after the UUID check
      const rows = copyOutBinary(client, `SELECT r.md5, e.embedding FROM sequence_embedding e JOIN knn_ref_sequence r ON r.sequence_id = e.sequence_id
         WHERE e.embedding_config_id = '${spec.embeddingConfigId}' ORDER BY r.md5 COLLATE "C", e.chunk_index_s`, 2);
      let current = '';
      for await (const f of rows) {
        const md5 = f[0]!.toString('latin1');
        const bytes = f[1]!;
        if (bytes.length !== dim * 4) throw new ProteaError('EMBEDDING_CONFIG_INVALID', `a vector of ${bytes.length / 4} dimensions among references of ${dim}`, { field: 'embedding_dim' });
        if (md5 !== current) {
          if (entry >= 0) await finish();
          entry++;
          current = md5;
          chunks = 0;
          if (md5s[entry] !== md5) throw new ProteaError('INTERNAL', `reference vectors out of step with entries at ${entry}: ${md5} vs ${md5s[entry]}`);
          batch.fill(0, inBatch * dim, (inBatch + 1) * dim);
        }
        const v = batch.subarray(inBatch * dim, (inBatch + 1) * dim);
        for (let j = 0; j < dim; j++) v[j]! += bytes.readFloatLE(j * 4);
        chunks++;
      }
      if (entry >= 0) await finish();
      if (inBatch > 0) await handlers.onVectors(batch, inBatch);
      if (entry + 1 !== md5s.length) throw new ProteaError('INTERNAL', `read vectors of ${entry + 1} reference sequences, expected ${md5s.length}`);
    }

    const annotations = new Map<string, RefAnnotation[]>();
    for await (const f of copyOutBinary(client, `SELECT accession, go_id, aspect::text, qualifier, evidence_code FROM knn_ref_annotation
         ORDER BY accession COLLATE "C", go_id COLLATE "C", evidence_rank, qualifier COLLATE "C" NULLS FIRST, evidence_code`, 5)) {
      const accession = f[0]!.toString('utf8');
      let list = annotations.get(accession);
      if (!list) annotations.set(accession, (list = []));
      list.push({
        goId: f[1]!.toString('utf8'),
        aspect: f[2]!.toString('latin1') as Aspect,
        qualifier: f[3] === null ? null : f[3]!.toString('utf8'),
        evidenceCode: f[4] === null ? null : f[4]!.toString('utf8'),
      });
    }
    await client.query('COMMIT');
    return { fingerprint, dim, md5s, accessions, annotations };
  } catch (err) {
    // a COPY cut short leaves the connection mid-protocol: drop it rather than reuse it
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The fingerprint alone, in its own short transaction (what a cache look-up needs). */
export async function readReferenceFingerprint(pool: PgPool, spec: ReferenceSpec): Promise<ReferenceFingerprint> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const fp = await referenceFingerprint(client, spec);
    await client.query('COMMIT');
    return fp;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The vectors of query sequences under a config, one per MD5 (the chunks of a
 * chunked sequence averaged); an MD5 without a vector is absent from the map.
 */
export async function queryVectors(pool: PgPool, configId: string, md5s: readonly string[]): Promise<Map<string, Float32Array>> {
  if (!UUID.test(configId)) throw new ProteaError('USAGE', `embedding config id ${JSON.stringify(configId)} is not a UUID`, { field: 'embedding_config' });
  const out = new Map<string, Float32Array>();
  if (md5s.length === 0) return out;
  const r = await pool.query<{ md5: string; embedding: Buffer }>(
    `SELECT s.sequence_hash::text AS md5, e.embedding FROM sequence_embedding e JOIN sequence s ON s.id = e.sequence_id
      WHERE e.embedding_config_id = $1 AND s.sequence_hash = ANY($2::text[]) ORDER BY s.sequence_hash, e.chunk_index_s`,
    [configId, [...new Set(md5s)]],
  );
  const chunks = new Map<string, number>();
  for (const { md5, embedding } of r.rows) {
    const dim = embedding.length / 4;
    let v = out.get(md5);
    if (!v) out.set(md5, (v = new Float32Array(dim)));
    else if (v.length !== dim) throw new ProteaError('EMBEDDING_CONFIG_INVALID', `sequence ${md5} has chunks of different dimensions under config ${configId}`, { field: 'embedding_dim' });
    for (let j = 0; j < dim; j++) v[j]! += embedding.readFloatLE(j * 4);
    chunks.set(md5, (chunks.get(md5) ?? 0) + 1);
  }
  for (const [md5, v] of out) {
    const c = chunks.get(md5)!;
    if (c > 1) for (let j = 0; j < v.length; j++) v[j]! /= c;
  }
  return out;
}
