// The embeddings export file: Arrow IPC *file* format (the `.arrow` / Feather
// v2 layout: magic, schema, record batches, footer; pyarrow reads it with
// pa.ipc.open_file or pyarrow.feather.read_table). Written batch by batch
// with apache-arrow's RecordBatchFileWriter, read back batch by batch.
//
// Schema (one row per vector):
//   accession      Utf8, not null      (per-protein files only; absent per sequence)
//   sequence_md5   Utf8, not null      (32 lower-case hex digits)
//   chunk_index_s  Int32, not null     (0 for an unchunked vector)
//   chunk_index_e  Int32, nullable     (null for an unchunked vector)
//   embedding      FixedSizeList<item: Float32 not null>[dim], not null
// Schema metadata: embedding_config_id, model_name, backend, dim, rows_per
// (protein | sequence), recipe (the config as JSON), created_by.
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import {
  AsyncByteQueue,
  Field,
  FixedSizeList,
  Float32,
  Int32,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  Schema,
  Struct,
  Utf8,
  makeData,
} from 'apache-arrow';
import { ProteaError } from './errors.js';
import { DEFAULT_BATCH_ROWS, type RowsPer } from './export-options.js';
import type { ExportRow } from './queries/embedding-export.js';

export const CREATED_BY = 'protea-stream';

/** What the schema metadata says about the vectors. */
export interface EmbeddingsFileMeta {
  embeddingConfigId: string;
  modelName: string;
  backend: string;
  dim: number;
  rowsPer: RowsPer;
  /** the embedding config row as JSON (the full recipe) */
  recipe: string;
  createdBy: string;
}

export function embeddingsSchema(meta: EmbeddingsFileMeta): Schema {
  const fields = [
    ...(meta.rowsPer === 'protein' ? [new Field('accession', new Utf8(), false)] : []),
    new Field('sequence_md5', new Utf8(), false),
    new Field('chunk_index_s', new Int32(), false),
    new Field('chunk_index_e', new Int32(), true),
    new Field('embedding', new FixedSizeList(meta.dim, new Field('item', new Float32(), false)), false),
  ];
  const metadata = new Map<string, string>([
    ['embedding_config_id', meta.embeddingConfigId],
    ['model_name', meta.modelName],
    ['backend', meta.backend],
    ['dim', String(meta.dim)],
    ['rows_per', meta.rowsPer],
    ['recipe', meta.recipe],
    ['created_by', meta.createdBy],
  ]);
  return new Schema(fields, metadata);
}

/** Arrow Utf8 column data (offsets + bytes) of non-null strings. */
function utf8Data(values: readonly string[]) {
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += Buffer.byteLength(values[i]!, 'utf8');
    offsets[i + 1] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  for (let i = 0; i < values.length; i++) bytes.write(values[i]!, offsets[i]!, 'utf8');
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: bytes });
}

/** Rows of one record batch, filled in place; the vectors are copied byte for byte (float32 LE in, float32 LE out). */
class BatchBuilder {
  readonly accessions: string[] = [];
  readonly md5s: string[] = [];
  readonly chunkS: Int32Array;
  readonly chunkE: Int32Array;
  readonly chunkEValid: Uint8Array;
  readonly vectors: Float32Array;
  private readonly vectorBytes: Uint8Array;
  length = 0;
  private chunkENulls = 0;

  constructor(
    readonly capacity: number,
    private readonly dim: number,
  ) {
    this.chunkS = new Int32Array(capacity);
    this.chunkE = new Int32Array(capacity);
    this.chunkEValid = new Uint8Array(Math.ceil(capacity / 8));
    this.vectors = new Float32Array(capacity * dim);
    this.vectorBytes = new Uint8Array(this.vectors.buffer);
  }

  add(row: ExportRow, withAccession: boolean): void {
    const i = this.length++;
    if (withAccession) this.accessions.push(row.accession ?? '');
    this.md5s.push(row.md5);
    this.chunkS[i] = row.chunkS;
    if (row.chunkE === null) this.chunkENulls++;
    else {
      this.chunkE[i] = row.chunkE;
      this.chunkEValid[i >> 3]! |= 1 << (i & 7); // Arrow validity bitmaps are LSB first
    }
    this.vectorBytes.set(row.embedding, i * this.dim * 4);
  }

  toRecordBatch(schema: Schema): RecordBatch {
    const n = this.length;
    const children = [
      ...(schema.fields[0]!.name === 'accession' ? [utf8Data(this.accessions)] : []),
      utf8Data(this.md5s),
      makeData({ type: new Int32(), length: n, nullCount: 0, data: this.chunkS.subarray(0, n) }),
      makeData({ type: new Int32(), length: n, nullCount: this.chunkENulls, nullBitmap: this.chunkEValid.subarray(0, Math.ceil(n / 8)), data: this.chunkE.subarray(0, n) }),
      makeData({
        type: schema.fields[schema.fields.length - 1]!.type as FixedSizeList<Float32>,
        length: n,
        nullCount: 0,
        child: makeData({ type: new Float32(), length: n * this.dim, nullCount: 0, data: this.vectors.subarray(0, n * this.dim) }),
      }),
    ];
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
  }
}

// The writer's own byte queue only ever grows (it is drained by a reader that
// nothing paces); this sink collects each batch's bytes so that they are
// written to the file, and awaited, before the next batch is built.
class CollectingSink extends AsyncByteQueue {
  pending: Uint8Array[] = [];
  // the writer hands it Uint8Arrays only (its _write converts every chunk)
  override write(value: Parameters<AsyncByteQueue['write']>[0]): void {
    if (!(value instanceof Uint8Array)) throw new TypeError('Arrow writer sink: expected bytes');
    const bytes = value;
    if (bytes.byteLength > 0) this.pending.push(bytes);
  }
  take(): Uint8Array[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

async function drain(fh: FileHandle, sink: CollectingSink): Promise<number> {
  const chunks = sink.take();
  let bytes = 0;
  for (const c of chunks) bytes += c.byteLength;
  // writev may write less than asked: write the rest
  let written = (await fh.writev(chunks)).bytesWritten;
  if (written < bytes) {
    const all = Buffer.concat(chunks);
    while (written < bytes) written += (await fh.write(all, written, bytes - written)).bytesWritten;
  }
  return bytes;
}

export interface WriteResult {
  rows: number;
  batches: number;
  bytes: number;
}

/**
 * Writes the rows to `file` (created or truncated) as an Arrow IPC file, in
 * record batches of `batchRows`; memory holds one batch. `onRows` is told the
 * rows written so far after each batch.
 */
export async function writeEmbeddingsArrow(
  file: string,
  meta: EmbeddingsFileMeta,
  rows: AsyncIterable<ExportRow>,
  opts: { batchRows?: number; onRows?: (rows: number) => void } = {},
): Promise<WriteResult> {
  // the vectors are copied as bytes into a Float32Array: on a big-endian host they would not read back as floats
  if (endianness() !== 'LE') throw new ProteaError('INTERNAL', 'the Arrow export copies float32 little-endian bytes and needs a little-endian host');
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new ProteaError('USAGE', `batch rows ${batchRows}: expected a positive integer`, { field: 'batchRows' });
  const schema = embeddingsSchema(meta);
  const withAccession = meta.rowsPer === 'protein';
  const sink = new CollectingSink();
  const writer = new RecordBatchFileWriter();
  const fh = await open(file, 'w');
  const result: WriteResult = { rows: 0, batches: 0, bytes: 0 };
  try {
    // the schema is written up front, so a file of no rows still has schema and footer
    writer.reset(sink, schema);
    let batch = new BatchBuilder(batchRows, meta.dim);
    const flush = async () => {
      writer.write(batch.toRecordBatch(schema));
      result.bytes += await drain(fh, sink);
      result.rows += batch.length;
      result.batches++;
      opts.onRows?.(result.rows);
      batch = new BatchBuilder(batchRows, meta.dim);
    };
    for await (const row of rows) {
      batch.add(row, withAccession);
      if (batch.length === batchRows) await flush();
    }
    if (batch.length > 0) await flush();
    writer.close();
    result.bytes += await drain(fh, sink);
  } finally {
    await fh.close();
  }
  return result;
}

/** One vector as read back. `vector` is a view into its record batch (no copy). */
export interface EmbeddingsArrowRow {
  accession: string | null;
  md5: string;
  chunkS: number;
  chunkE: number | null;
  vector: Float32Array;
}

function unreadable(file: string, why: string): ProteaError {
  return new ProteaError('INPUT_UNREADABLE', `${file} is not a protea embeddings export: ${why}`, { file });
}

function metaOf(schema: Schema, file: string): EmbeddingsFileMeta {
  const m = schema.metadata;
  const need = (k: string): string => {
    const v = m.get(k);
    if (v === undefined) throw unreadable(file, `schema metadata has no ${k}`);
    return v;
  };
  const rowsPer = need('rows_per');
  if (rowsPer !== 'protein' && rowsPer !== 'sequence') throw unreadable(file, `rows_per ${JSON.stringify(rowsPer)}`);
  const meta: EmbeddingsFileMeta = {
    embeddingConfigId: need('embedding_config_id'),
    modelName: need('model_name'),
    backend: need('backend'),
    dim: Number(need('dim')),
    rowsPer,
    recipe: m.get('recipe') ?? '',
    createdBy: m.get('created_by') ?? '',
  };
  const expected = embeddingsSchema(meta).fields;
  const names = schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(', ');
  const want = expected.map((f) => `${f.name}:${String(f.type)}`).join(', ');
  if (names !== want) throw unreadable(file, `columns ${names}, expected ${want}`);
  return meta;
}

type FileReader = AsyncIterable<RecordBatch> & { schema: Schema };

/** Opens an export and checks its schema; the caller closes `fh`. */
async function openExport(file: string): Promise<{ fh: FileHandle; reader: FileReader; meta: EmbeddingsFileMeta }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new ProteaError('INPUT_UNREADABLE', `cannot open ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    let reader;
    try {
      reader = await (await RecordBatchReader.from(fh)).open();
    } catch (err) {
      throw unreadable(file, `not an Arrow IPC file (${(err as Error).message})`);
    }
    if (!reader.isFile()) throw unreadable(file, 'an Arrow IPC stream, not the file format');
    return { fh, reader: reader as unknown as FileReader, meta: metaOf(reader.schema, file) };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

/** The schema metadata of an export, without reading its rows. */
export async function readEmbeddingsArrowMeta(file: string): Promise<EmbeddingsFileMeta> {
  const { fh, meta } = await openExport(file);
  await fh.close().catch(() => {});
  return meta;
}

/**
 * Reads an export batch by batch (one record batch at a time in memory): each
 * yield is the file's metadata and that batch's rows.
 */
export async function* readEmbeddingsArrow(file: string): AsyncGenerator<{ meta: EmbeddingsFileMeta; rows: EmbeddingsArrowRow[] }> {
  const { fh, reader, meta } = await openExport(file);
  try {
    const dim = meta.dim;
    for await (const batch of reader) {
      const n = batch.numRows;
      const acc = meta.rowsPer === 'protein' ? batch.getChild('accession') : null;
      const md5 = batch.getChild('sequence_md5')!;
      const s = batch.getChild('chunk_index_s')!;
      const e = batch.getChild('chunk_index_e')!;
      const emb = batch.getChild('embedding')!;
      const rows: EmbeddingsArrowRow[] = new Array(n);
      // a batch read from a file is one contiguous chunk from offset 0: index the float values directly
      const data = emb.data.length === 1 ? emb.data[0]! : null;
      const child = data?.children[0];
      const direct = data !== null && data.offset === 0 && child !== undefined && child.offset === 0;
      const values = direct ? (child.values as Float32Array) : null;
      for (let i = 0; i < n; i++) {
        const vector = values ? values.subarray(i * dim, (i + 1) * dim) : (emb.get(i)!.toArray() as Float32Array);
        rows[i] = { accession: acc ? (acc.get(i) as string) : null, md5: md5.get(i) as string, chunkS: s.get(i) as number, chunkE: (e.get(i) as number | null) ?? null, vector };
      }
      yield { meta, rows };
    }
  } finally {
    await fh.close().catch(() => {}); // the reader may have closed it at its end
  }
}
