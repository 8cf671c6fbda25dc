// The vectors of one embedding config, streamed out of PostgreSQL for export
// (lib/embeddings-export.ts writes them to an Arrow file). Rows come through
// binary COPY (lib/copy-out.ts) on one client of the copy pool, in a
// REPEATABLE READ READ ONLY transaction, so the count announced first, the
// dimension check and the rows are one snapshot even while the embeddings
// sink writes.
//
// Two shapes:
//  - per protein (the default of the command): one row per (protein accession,
//    chunk); a sequence shared by several accessions gives one row each, and a
//    sequence no protein row names (a query-set or replay-only sequence) is
//    left out (counted in `sequencesWithoutProtein`);
//  - per sequence: one row per (sequence MD5, chunk), no accession; every
//    vector of the config appears once. What the predictor reads.
// Order: accession (or MD5), then chunk start: the same database gives the
// same file.
import type pg from 'pg';
import { copyOutBinary } from '../copy-out.js';
import { runSql } from '../copy.js';
import { sql } from '../db.js';
import { ProteaError } from '../errors.js';
import type { RowsPer } from '../export-options.js';

export interface ExportRow {
  /** null in per-sequence mode */
  accession: string | null;
  md5: string;
  chunkS: number;
  /** null for an unchunked vector */
  chunkE: number | null;
  /** float32 little-endian, 4 * dim bytes. A view into the received data: valid until the next row is read. */
  embedding: Buffer;
}

export interface ExportPlan {
  /** rows the stream will give */
  rows: number;
  dim: number;
  /** sequences with vectors under the config that no protein row names (left out per protein) */
  sequencesWithoutProtein: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// COPY takes no bind parameters: the config id is inlined after the UUID check.
function rowsQuery(configId: string, per: RowsPer): string {
  if (!UUID.test(configId)) throw new ProteaError('USAGE', `embedding config id ${JSON.stringify(configId)} is not a UUID`, { field: 'config' });
  if (per === 'protein') {
    return `SELECT p.accession, s.sequence_hash::text, e.chunk_index_s, e.chunk_index_e, e.embedding
              FROM sequence_embedding e
              JOIN sequence s ON s.id = e.sequence_id
              JOIN protein p ON p.sequence_id = e.sequence_id
             WHERE e.embedding_config_id = '${configId}'
             ORDER BY p.accession, e.chunk_index_s`;
  }
  return `SELECT NULL::text, s.sequence_hash::text, e.chunk_index_s, e.chunk_index_e, e.embedding
            FROM sequence_embedding e
            JOIN sequence s ON s.id = e.sequence_id
           WHERE e.embedding_config_id = '${configId}'
           ORDER BY s.sequence_hash, e.chunk_index_s`;
}

async function plan(client: pg.PoolClient, configId: string, per: RowsPer): Promise<ExportPlan> {
  const dims = (await runSql(client, sql.unsafe`
    SELECT embedding_dim AS dim, count(*)::int AS n FROM sequence_embedding
     WHERE embedding_config_id = ${configId} GROUP BY embedding_dim ORDER BY embedding_dim`)).rows as { dim: number; n: number }[];
  if (dims.length === 0) {
    throw new ProteaError('NOT_FOUND', `embedding config ${configId} has no vectors yet`, { field: 'config', hint: 'Embed sequences under it first: activate it and run `protea pipeline`, or `protea replay embeddings --config ID`.' });
  }
  if (dims.length > 1) {
    const list = dims.map((d) => `${d.dim} (${d.n} vectors)`).join(', ');
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', `embedding config ${configId} has vectors of different dimensions: ${list}; one file needs one dimension`, {
      field: 'embedding_dim',
      dims: dims.map((d) => d.dim),
      hint: 'A config should give one dimension; delete the vectors of the wrong dimension (sequence_embedding rows of that embedding_dim) and embed them again.',
    });
  }
  const { dim, n } = dims[0]!;
  const counts = (await runSql(client, sql.unsafe`
    SELECT count(p.accession)::int AS per_protein,
           count(DISTINCT e.sequence_id) FILTER (WHERE p.accession IS NULL)::int AS orphans
      FROM sequence_embedding e LEFT JOIN protein p ON p.sequence_id = e.sequence_id
     WHERE e.embedding_config_id = ${configId}`)).rows[0] as { per_protein: number; orphans: number };
  return { rows: per === 'protein' ? counts.per_protein : n, dim, sequencesWithoutProtein: counts.orphans };
}

async function* decode(rows: AsyncIterable<(Buffer | null)[]>, dim: number): AsyncGenerator<ExportRow> {
  const bytes = dim * 4;
  for await (const f of rows) {
    const embedding = f[4]!;
    if (embedding.length !== bytes) {
      throw new ProteaError('EMBEDDING_CONFIG_INVALID', `a vector of ${embedding.length / 4} dimensions in an export of ${dim}`, { field: 'embedding_dim' });
    }
    yield {
      accession: f[0] === null ? null : f[0]!.toString('utf8'),
      md5: f[1]!.toString('latin1'),
      chunkS: f[2]!.readInt32BE(0),
      chunkE: f[3] === null ? null : f[3]!.readInt32BE(0),
      embedding,
    };
  }
}

/**
 * Opens a snapshot of the config's vectors on a client of `pool`, hands `fn`
 * the plan (row count, dimension) and the row stream, and ends the
 * transaction when `fn` settles. A config with vectors of two dimensions fails
 * before any row is read, naming them; one with no vectors fails with NOT_FOUND.
 */
export async function withEmbeddingExportRows<T>(pool: pg.Pool, configId: string, per: RowsPer, fn: (plan: ExportPlan, rows: AsyncIterable<ExportRow>) => Promise<T>): Promise<T> {
  const query = rowsQuery(configId, per);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const p = await plan(client, configId, per);
    const result = await fn(p, decode(copyOutBinary(client, query, 5), p.dim));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // a COPY cut short leaves the connection mid-protocol: drop it rather than reuse it
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}
