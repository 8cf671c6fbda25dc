// protea embeddings export --config ID --out FILE.arrow, registered under
// `protea embeddings` by cli/commands/embeddings.ts. The work is
// lib/embeddings-export.ts.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';
import { DEFAULT_BATCH_ROWS, ROWS_PER, type RowsPer } from '../../lib/export-options.js';

interface ExportFlags {
  config: string;
  out: string;
  per: string;
  batchRows: string;
  progress: boolean;
}

/** `options.dbUrl` overrides PROTEA_DB_URL (tests point it at a fresh database). */
export function registerEmbeddingsExport(embeddings: Command, options: { dbUrl?: string } = {}): void {
  embeddings
    .command('export')
    .description(
      'write the vectors of one embedding config to an Arrow IPC file (file format: pyarrow.ipc.open_file / pyarrow.feather.read_table), streamed batch by batch. ' +
        'Columns: accession (per protein only), sequence_md5, chunk_index_s, chunk_index_e, embedding (fixed-size list of float32). Progress on stderr.',
    )
    .requiredOption('--config <id>', 'embedding config id (UUID)')
    .requiredOption('--out <file>', 'the .arrow file to write (replaced if it exists)')
    .option('--per <what>', `${ROWS_PER.join(' | ')}: one row per (protein accession, chunk), or per (sequence MD5, chunk) with no accession column; sequences no protein names appear only per sequence`, 'protein')
    .option('--batch-rows <n>', 'rows per record batch', String(DEFAULT_BATCH_ROWS))
    .option('--no-progress', 'no progress lines on stderr')
    .action(async (flags: ExportFlags) => {
      if (!(ROWS_PER as readonly string[]).includes(flags.per)) throw new ProteaError('USAGE', `--per ${flags.per}: expected ${ROWS_PER.join(' or ')}`, { field: '--per' });
      if (!/^[1-9]\d*$/.test(flags.batchRows)) throw new ProteaError('USAGE', `--batch-rows ${flags.batchRows}: expected a positive integer`, { field: '--batch-rows' });
      const { exportEmbeddings } = await import('../../lib/embeddings-export.js');
      const r = await exportEmbeddings({ configId: flags.config, out: flags.out, per: flags.per as RowsPer, batchRows: Number(flags.batchRows), progress: flags.progress, ...(options.dbUrl ? { dbUrl: options.dbUrl } : {}) });
      const skipped = r.per === 'protein' && r.sequencesWithoutProtein > 0 ? `; ${r.sequencesWithoutProtein} sequences no protein names left out (--per sequence includes them)` : '';
      console.log(`wrote ${r.rows} rows (${r.per}, dim ${r.dim}, ${r.batches} batches, ${(r.bytes / 1e6).toFixed(1)} MB) to ${r.file} in ${r.seconds.toFixed(1)} s${skipped}`);
    });
}
