// `protea embeddings export` throughput: rows/s from PostgreSQL to an Arrow
// IPC file, and reading the file back.
//
//   npx tsc -p . && node dist/bench/embeddings-export.js [--rows N=50000] [--dim D=512] [--batch-rows N=8192] [--keep]
//
// A fresh migrated database gets N sequences, one protein each, and one
// vector each (D float32, bytes made by SQL: md5 digests repeated, so every
// vector differs) under one config, all by generate_series. Then the export
// runs per protein and per sequence (each timed from the config look-up to
// the renamed file), and readEmbeddingsArrow reads the per-protein file back
// (timed), checking the row count and the first vector's bytes. The database
// and the files are dropped at the end (--keep leaves the database).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchMain, benchProgram, positiveInt } from './cli.js';
import { fmt, freshDatabase, machineLine, table } from './common.js';

interface Options {
  rows: number;
  dim: number;
  batchRows: number;
  keep?: boolean;
}

const program = benchProgram('embeddings-export', 'embeddings export rows/s: PostgreSQL -> Arrow IPC file, and the file read back')
  .option('--rows <n>', 'sequences (= proteins = vectors)', positiveInt, 50_000)
  .option('--dim <d>', 'dimensions per vector (a multiple of 4)', positiveInt, 512)
  .option('--batch-rows <n>', 'rows per record batch', positiveInt, 8192)
  .option('--keep', 'keep the database');

async function run(o: Options): Promise<number> {
  if (o.dim % 4 !== 0) throw new Error('--dim must be a multiple of 4 (vectors are md5 digests repeated)');
  const [{ createCopyPool }, { readEmbeddingsArrow }, { exportEmbeddings }] = await Promise.all([import('../lib/db.js'), import('../lib/embeddings-arrow.js'), import('../lib/embeddings-export.js')]);
  const db = await freshDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-bench-export-'));
  const pool = createCopyPool(db.url, 1);
  try {
    const t0 = performance.now();
    const cfg = (await pool.query(`INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size) VALUES ('bench', 'kmer', 1000, 512) RETURNING id`)).rows[0].id as string;
    await pool.query(`INSERT INTO sequence (sequence, sequence_hash, length) SELECT 'M' || i, md5('M' || i), length('M' || i) FROM generate_series(1, $1::int) i`, [o.rows]);
    await pool.query(`INSERT INTO protein (accession, canonical_accession, sequence_id) SELECT 'B' || lpad(id::text, 9, '0'), 'B' || lpad(id::text, 9, '0'), id FROM sequence`);
    await pool.query(
      `INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim, backend, device)
       SELECT id, $1, decode(repeat(sequence_hash, $2::int / 4), 'hex'), $2::int, 'kmer', 'cpu' FROM sequence`,
      [cfg, o.dim],
    );
    await pool.query('VACUUM ANALYZE');
    process.stderr.write(`filled ${fmt(o.rows)} vectors of dim ${o.dim} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const results: string[][] = [['what', 'rows', 'MB', 'seconds', 'rows/s', 'MB/s']];
    const line = (what: string, rows: number, bytes: number, seconds: number) => results.push([what, fmt(rows), (bytes / 1e6).toFixed(1), seconds.toFixed(2), fmt(rows / seconds), (bytes / 1e6 / seconds).toFixed(0)]);
    const perProtein = path.join(dir, 'per-protein.arrow');
    for (const per of ['protein', 'sequence'] as const) {
      const r = await exportEmbeddings({ configId: cfg, out: per === 'protein' ? perProtein : path.join(dir, 'per-sequence.arrow'), per, batchRows: o.batchRows, dbUrl: db.url, progress: false });
      if (r.rows !== o.rows) throw new Error(`export per ${per} wrote ${r.rows} rows, expected ${o.rows}`);
      line(`export per ${per}`, r.rows, r.bytes, r.seconds);
    }
    const t1 = performance.now();
    let rows = 0;
    let first: Float32Array | undefined;
    let bytes = 0;
    for await (const b of readEmbeddingsArrow(perProtein)) {
      first ??= b.rows[0]?.vector;
      rows += b.rows.length;
      bytes += b.rows.length * o.dim * 4;
    }
    const readSeconds = (performance.now() - t1) / 1000;
    if (rows !== o.rows) throw new Error(`read back ${rows} rows, expected ${o.rows}`);
    const want = Buffer.from(createHash('md5').update('M1').digest('hex').repeat(o.dim / 4), 'hex');
    if (!first || !Buffer.from(first.buffer, first.byteOffset, first.byteLength).equals(want)) throw new Error('the first vector read back differs from the one stored');
    line('read back (vectors only)', rows, bytes, readSeconds);
    console.log(machineLine());
    console.log(`${fmt(o.rows)} vectors, dim ${o.dim}, record batches of ${fmt(o.batchRows)} rows`);
    console.log(table(results));
    return 0;
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    if (!o.keep) await db.drop();
  }
}

benchMain<Options>(import.meta.url, program, run);
