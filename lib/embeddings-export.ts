// protea embeddings export: the vectors of one config from PostgreSQL
// (lib/queries/embedding-export.ts) into an Arrow IPC file
// (lib/embeddings-arrow.ts), streamed batch by batch. The file is written
// under a temporary name and renamed when complete, so an interrupted export
// never leaves a truncated file under the name asked for.
import { rename, rm } from 'node:fs/promises';
import { config } from './config.js';
import { createCopyPool, withQueryPool } from './db.js';
import { ProteaError } from './errors.js';
import { CREATED_BY, writeEmbeddingsArrow } from './embeddings-arrow.js';
import { DEFAULT_BATCH_ROWS, type RowsPer } from './export-options.js';
import { Progress } from './progress.js';
import { requireEmbeddingConfig } from './queries/embedding-configs.js';
import { withEmbeddingExportRows } from './queries/embedding-export.js';

export interface ExportEmbeddingsOptions {
  configId: string;
  out: string;
  /** one row per (protein accession, chunk) or per (sequence, chunk) */
  per: RowsPer;
  batchRows?: number;
  dbUrl?: string;
  /** progress on stderr (default true) */
  progress?: boolean;
}

export interface ExportEmbeddingsResult {
  file: string;
  per: RowsPer;
  rows: number;
  batches: number;
  bytes: number;
  dim: number;
  seconds: number;
  /** sequences with vectors that no protein row names: not in a per-protein file */
  sequencesWithoutProtein: number;
}

export async function exportEmbeddings(opts: ExportEmbeddingsOptions): Promise<ExportEmbeddingsResult> {
  const url = opts.dbUrl ?? config().dbUrl;
  const cfg = await withQueryPool((db) => requireEmbeddingConfig(db, opts.configId), url);
  const started = Date.now();
  const partial = `${opts.out}.partial-${process.pid}`;
  const pool = createCopyPool(url, 1);
  try {
    const written = await withEmbeddingExportRows(pool, cfg.id, opts.per, async (plan, rows) => {
      const progress = opts.progress === false ? null : new Progress({ label: 'export', total: plan.rows });
      const meta = {
        embeddingConfigId: cfg.id,
        modelName: cfg.model_name,
        backend: cfg.model_backend,
        dim: plan.dim,
        rowsPer: opts.per,
        recipe: JSON.stringify({ ...cfg, created_at: new Date(cfg.created_at).toISOString() }),
        createdBy: CREATED_BY,
      };
      const r = await writeEmbeddingsArrow(partial, meta, rows, { batchRows: opts.batchRows ?? DEFAULT_BATCH_ROWS, onRows: (n) => progress?.update(n, n) });
      progress?.finish(r.rows);
      // one snapshot gives both numbers: a difference is a bug in the queries
      if (r.rows !== plan.rows) throw new ProteaError('INTERNAL', `exported ${r.rows} rows, the count said ${plan.rows}`);
      return { ...r, plan };
    });
    await rename(partial, opts.out);
    return {
      file: opts.out,
      per: opts.per,
      rows: written.rows,
      batches: written.batches,
      bytes: written.bytes,
      dim: written.plan.dim,
      seconds: (Date.now() - started) / 1000,
      sequencesWithoutProtein: written.plan.sequencesWithoutProtein,
    };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await pool.end();
  }
}
