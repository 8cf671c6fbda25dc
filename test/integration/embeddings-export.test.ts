// `protea embeddings export` on a fresh migrated database: an embedding config
// with vectors inserted by SQL (a sequence shared by two accessions, a
// sequence in two chunks, a sequence no protein names), exported per protein
// and per sequence in record batches of 3 rows (so batches split, and the last
// one is partial), read back with readEmbeddingsArrow and checked value by
// value, the vectors byte for byte (NaN payloads, -0, subnormals and
// infinities included). Then the failures: a config whose vectors have two
// dimensions, a config with no vectors, an unknown id. The command itself runs
// through registerEmbeddingsExport on a bare commander program.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import { registerEmbeddingsExport } from '../../cli/commands/embeddings-export.js';
import { createCopyPool } from '../../lib/db.js';
import { readEmbeddingsArrow, readEmbeddingsArrowMeta, type EmbeddingsArrowRow } from '../../lib/embeddings-arrow.js';
import { exportEmbeddings } from '../../lib/embeddings-export.js';
import { ProteaError } from '../../lib/errors.js';
import { freshDatabase } from '../helpers/fresh-database.js';

const DIM = 4;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

// float32 bit patterns that a float conversion on the way would change or lose
const SPECIAL = [0x7fc00001 /* NaN with payload */, 0x80000000 /* -0 */, 0x00000001 /* smallest subnormal */, 0xff800000 /* -Infinity */];

function vector(seed: number): Buffer {
  const b = Buffer.alloc(DIM * 4);
  for (let i = 0; i < DIM; i++) b.writeUInt32LE(seed === 0 ? SPECIAL[i]! : (Math.imul(seed * 2654435761 + i, 40503) ^ (seed << 7)) >>> 0, i * 4);
  // keep the seeded ones finite: exponent bits below all-ones
  if (seed !== 0) for (let i = 0; i < DIM; i++) b[i * 4 + 3]! &= 0x7e;
  return b;
}

interface Expected {
  accession: string | null;
  md5: string;
  chunkS: number;
  chunkE: number | null;
  bytes: string;
}

const bytesOf = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');

async function readAll(file: string): Promise<{ rows: EmbeddingsArrowRow[]; batchSizes: number[] }> {
  const rows: EmbeddingsArrowRow[] = [];
  const batchSizes: number[] = [];
  for await (const b of readEmbeddingsArrow(file)) {
    batchSizes.push(b.rows.length);
    rows.push(...b.rows);
  }
  return { rows, batchSizes };
}

const asExpected = (rows: EmbeddingsArrowRow[]): Expected[] => rows.map((r) => ({ accession: r.accession, md5: r.md5, chunkS: r.chunkS, chunkE: r.chunkE, bytes: bytesOf(r.vector) }));

t.test('embeddings export', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const pool = createCopyPool(url, 1);
  t.teardown(() => pool.end());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-export-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  const seqs = { shared: 'MKTAYIAKQR', chunked: 'MSEQVENCEWITHCHUNKS', orphan: 'MNOPROTEIN' };
  const ids: Record<string, number> = {};
  for (const [k, s] of Object.entries(seqs)) {
    ids[k] = (await pool.query('INSERT INTO sequence (sequence, sequence_hash, length) VALUES ($1, $2, $3) RETURNING id', [s, md5(s), s.length])).rows[0].id;
  }
  // accessions sort as Q2 < Q9 < X1: the shared sequence's two accessions are not adjacent to each other by chance only
  for (const [acc, k] of [['Q9', 'shared'], ['Q2', 'shared'], ['X1', 'chunked']] as const) {
    await pool.query('INSERT INTO protein (accession, canonical_accession, sequence_id) VALUES ($1, $1, $2)', [acc, ids[k]]);
  }
  const newConfig = async (name: string) =>
    (await pool.query(`INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size, use_chunking) VALUES ($1, 'kmer', 1000, 8, true) RETURNING id`, [name])).rows[0].id as string;
  const cfg = await newConfig('kmer-test');
  const mixed = await newConfig('kmer-mixed');
  const empty = await newConfig('kmer-empty');
  const insertVector = (seq: number, config: string, s: number, e: number | null, v: Buffer) =>
    pool.query(`INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim, chunk_index_s, chunk_index_e, backend, device) VALUES ($1, $2, $3, $4, $5, $6, 'kmer', 'cpu')`, [seq, config, v, v.length / 4, s, e]);

  const vShared = vector(0);
  const vChunk0 = vector(1);
  const vChunk1 = vector(2);
  const vOrphan = vector(3);
  await insertVector(ids.shared!, cfg, 0, null, vShared);
  await insertVector(ids.chunked!, cfg, 8, 19, vChunk1); // inserted out of order: the export orders by chunk start
  await insertVector(ids.chunked!, cfg, 0, 10, vChunk0);
  await insertVector(ids.orphan!, cfg, 0, null, vOrphan);
  // the other configs: their vectors must not leak into cfg's export
  await insertVector(ids.shared!, mixed, 0, null, vector(4));
  await insertVector(ids.orphan!, mixed, 0, null, vector(5).subarray(0, 12));

  const row = (accession: string | null, k: keyof typeof seqs, chunkS: number, chunkE: number | null, v: Buffer): Expected => ({ accession, md5: md5(seqs[k]), chunkS, chunkE, bytes: v.toString('hex') });

  await t.test('per protein: one row per accession and chunk, sequences without a protein left out', async (t) => {
    const file = path.join(dir, 'per-protein.arrow');
    const r = await exportEmbeddings({ configId: cfg, out: file, per: 'protein', batchRows: 3, dbUrl: url, progress: false });
    t.match(r, { rows: 4, batches: 2, dim: DIM, per: 'protein', sequencesWithoutProtein: 1 });
    const { rows, batchSizes } = await readAll(file);
    t.same(batchSizes, [3, 1]);
    t.same(asExpected(rows), [row('Q2', 'shared', 0, null, vShared), row('Q9', 'shared', 0, null, vShared), row('X1', 'chunked', 0, 10, vChunk0), row('X1', 'chunked', 8, 19, vChunk1)]);
    const meta = await readEmbeddingsArrowMeta(file);
    t.match(meta, { embeddingConfigId: cfg, modelName: 'kmer-test', backend: 'kmer', dim: DIM, rowsPer: 'protein', createdBy: 'protea-stream' });
    t.equal(JSON.parse(meta.recipe).chunk_size, 8, 'the recipe travels as JSON');
    t.same(readdirSync(dir).filter((f) => f.includes('.partial')), [], 'no temporary file left');
  });

  await t.test('per sequence: one row per sequence and chunk, no accession, orphans included', async (t) => {
    const file = path.join(dir, 'per-sequence.arrow');
    const r = await exportEmbeddings({ configId: cfg, out: file, per: 'sequence', batchRows: 3, dbUrl: url, progress: false });
    t.match(r, { rows: 4, batches: 2, dim: DIM, per: 'sequence' });
    const { rows } = await readAll(file);
    const expected = [row(null, 'shared', 0, null, vShared), row(null, 'chunked', 0, 10, vChunk0), row(null, 'chunked', 8, 19, vChunk1), row(null, 'orphan', 0, null, vOrphan)];
    expected.sort((a, b) => (a.md5 < b.md5 ? -1 : a.md5 > b.md5 ? 1 : a.chunkS - b.chunkS));
    t.same(asExpected(rows), expected);
    t.equal((await readEmbeddingsArrowMeta(file)).rowsPer, 'sequence');
  });

  const pyarrow = spawnSync('/usr/bin/python3', ['-c', 'import pyarrow'], { encoding: 'utf8' }).status === 0;
  const noPyarrow = 'pyarrow is not installed (/usr/bin/python3 -c "import pyarrow" fails; Debian has no python3-pyarrow package)';
  await t.test('pyarrow reads the file with the same values', { skip: pyarrow ? false : noPyarrow }, async (t) => {
    const file = path.join(dir, 'per-protein.arrow');
    const script = [
      'import json, sys, pyarrow as pa',
      'with pa.memory_map(sys.argv[1]) as src:',
      '    table = pa.ipc.open_file(src).read_all()',
      'meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}',
      'emb = table.column("embedding").combine_chunks()',
      'dim = emb.type.list_size',
      'flat = emb.flatten()  # the float values of the rows, in order',
      'data = flat.buffers()[1].to_pybytes()[flat.offset * 4:]',
      'rows = []',
      'for i in range(table.num_rows):',
      '    start = i * dim * 4',
      '    rows.append({"accession": table.column("accession")[i].as_py(), "md5": table.column("sequence_md5")[i].as_py(),',
      '                 "chunkS": table.column("chunk_index_s")[i].as_py(), "chunkE": table.column("chunk_index_e")[i].as_py(),',
      '                 "bytes": data[start:start + dim * 4].hex()})',
      'print(json.dumps({"meta": meta, "type": str(emb.type), "rows": rows}))',
    ].join('\n');
    const out = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
    t.equal(out.status, 0, out.stderr);
    const got = JSON.parse(out.stdout) as { meta: Record<string, string>; type: string; rows: Expected[] };
    t.equal(got.type, `fixed_size_list<item: float not null>[${DIM}]`);
    t.match(got.meta, { embedding_config_id: cfg, dim: String(DIM), rows_per: 'protein' });
    t.same(got.rows, [row('Q2', 'shared', 0, null, vShared), row('Q9', 'shared', 0, null, vShared), row('X1', 'chunked', 0, 10, vChunk0), row('X1', 'chunked', 8, 19, vChunk1)]);
  });

  await t.test('the reader refuses a file that is not an export', async (t) => {
    const junk = path.join(dir, 'junk.arrow');
    writeFileSync(junk, 'not arrow at all\n');
    await t.rejects(readEmbeddingsArrowMeta(junk), { key: 'INPUT_UNREADABLE', message: /not a protea embeddings export/ });
    await t.rejects(readEmbeddingsArrowMeta(path.join(dir, 'missing.arrow')), { key: 'INPUT_UNREADABLE', message: /cannot open/ });
  });

  await t.test('a config with vectors of two dimensions fails naming both, and writes nothing', async (t) => {
    const file = path.join(dir, 'mixed.arrow');
    const err = await exportEmbeddings({ configId: mixed, out: file, per: 'sequence', dbUrl: url, progress: false }).catch((e: unknown) => e);
    t.ok(err instanceof ProteaError && err.key === 'EMBEDDING_CONFIG_INVALID', String(err));
    t.match((err as Error).message, /3 \(1 vectors\), 4 \(1 vectors\)/);
    t.notOk(existsSync(file));
    t.same(readdirSync(dir).filter((f) => f.includes('.partial')), []);
  });

  await t.test('a config with no vectors and an unknown config are NOT_FOUND', async (t) => {
    for (const id of [empty, '00000000-0000-7000-8000-000000000000']) {
      const err = await exportEmbeddings({ configId: id, out: path.join(dir, 'none.arrow'), per: 'protein', dbUrl: url, progress: false }).catch((e: unknown) => e);
      t.ok(err instanceof ProteaError && err.key === 'NOT_FOUND', String(err));
    }
  });

  await t.test('the export command writes the file, reports it on stdout and its progress on stderr', async (t) => {
    const file = path.join(dir, 'cli.arrow');
    const program = new Command().exitOverride();
    registerEmbeddingsExport(program.command('embeddings'), { dbUrl: url });
    const stdout: string[] = [];
    const stderr: string[] = [];
    const log = console.log;
    const write = process.stderr.write;
    console.log = (s: string) => void stdout.push(s);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await program.parseAsync(['embeddings', 'export', '--config', cfg, '--out', file], { from: 'user' });
    } finally {
      console.log = log;
      process.stderr.write = write;
    }
    t.match(stdout.join('\n'), /^wrote 4 rows \(protein, dim 4, 1 batches, [\d.]+ MB\) to .*cli\.arrow in [\d.]+ s; 1 sequences no protein names left out/);
    t.match(stderr.join(''), /export .*4 records/, 'progress on stderr');
    t.same(asExpected((await readAll(file)).rows).map((r) => r.accession), ['Q2', 'Q9', 'X1', 'X1']);
  });

  await t.test('the export command refuses a bad --per and --batch-rows before touching the database', async (t) => {
    const program = new Command().exitOverride();
    registerEmbeddingsExport(program.command('embeddings'));
    const base = ['embeddings', 'export', '--config', cfg, '--out', path.join(dir, 'never.arrow')];
    await t.rejects(program.parseAsync([...base, '--per', 'chunk'], { from: 'user' }), { key: 'USAGE', message: /--per chunk/, context: { field: '--per' } });
    await t.rejects(program.parseAsync([...base, '--batch-rows', '0'], { from: 'user' }), { key: 'USAGE', message: /--batch-rows 0/, context: { field: '--batch-rows' } });
    t.notOk(existsSync(path.join(dir, 'never.arrow')));
  });
});
