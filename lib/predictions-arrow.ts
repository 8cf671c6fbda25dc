// The Arrow format of `protea predictions export`: an Arrow IPC *stream*
// (pyarrow.ipc.open_stream; it can go to stdout), one record batch per
// `batchRows` rows, with the columns of EXPORT_COLUMNS typed: text -> Utf8,
// float -> Float64, int -> Int32, bool -> Bool; nullable as listed. Schema
// metadata describes the set and the export options.
import { AsyncByteQueue, Bool, Field, Float64, Int32, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8, makeData, vectorFromArray, type DataType } from 'apache-arrow';
import { EXPORT_COLUMNS, columnValue, type ColumnKind, type ExportRecord } from './prediction-formats.js';

function typeOf(kind: ColumnKind): DataType {
  switch (kind) {
    case 'text':
      return new Utf8();
    case 'float':
      return new Float64();
    case 'int':
      return new Int32();
    case 'bool':
      return new Bool();
  }
}

/** A column an Arrow stream adds before EXPORT_COLUMNS (its value is the record's property of that name). */
export interface ExtraColumn {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
}

export function predictionsSchema(metadata: ReadonlyMap<string, string>, extraColumns: readonly ExtraColumn[] = []): Schema {
  return new Schema(
    [...extraColumns, ...EXPORT_COLUMNS].map((c) => new Field(c.name, typeOf(c.kind), c.nullable)),
    new Map(metadata),
  );
}

/** One record batch of the records (column by column). */
export function recordBatchOf(schema: Schema, records: readonly ExportRecord[]): RecordBatch {
  const children = schema.fields.map((f) => {
    const v = vectorFromArray(
      records.map((r) => columnValue(r, f.name)),
      f.type,
    );
    if (v.data.length !== 1) throw new Error(`arrow column ${f.name}: expected one chunk, got ${v.data.length}`);
    return v.data[0]!;
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: records.length, nullCount: 0, children }));
}

// The writer's own byte queue is drained by nothing that paces it: this sink
// keeps each batch's bytes until the caller has written them out.
class ByteSink extends AsyncByteQueue {
  pending: Uint8Array[] = [];
  override write(value: Parameters<AsyncByteQueue['write']>[0]): void {
    if (!(value instanceof Uint8Array)) throw new TypeError('Arrow writer sink: expected bytes');
    if (value.byteLength > 0) this.pending.push(value);
  }
  take(): Uint8Array[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/**
 * An Arrow IPC stream built batch by batch: `add` buffers records and returns
 * the bytes of a full batch when one is complete (else none); `finish`
 * returns the rest, the end-of-stream marker included. The schema goes out
 * with the first bytes, so a set of no rows still gives a readable stream.
 */
export class PredictionsArrowStream {
  private readonly sink = new ByteSink();
  private readonly writer = new RecordBatchStreamWriter();
  private readonly schema: Schema;
  private buffered: ExportRecord[] = [];
  rows = 0;
  batches = 0;

  constructor(
    metadata: ReadonlyMap<string, string>,
    private readonly batchRows = 8192,
    extraColumns: readonly ExtraColumn[] = [],
  ) {
    this.schema = predictionsSchema(metadata, extraColumns);
    this.writer.reset(this.sink, this.schema);
  }

  add(record: ExportRecord): Uint8Array[] {
    this.buffered.push(record);
    return this.buffered.length >= this.batchRows ? this.flush() : [];
  }

  private flush(): Uint8Array[] {
    if (this.buffered.length > 0) {
      this.writer.write(recordBatchOf(this.schema, this.buffered));
      this.rows += this.buffered.length;
      this.batches++;
      this.buffered = [];
    }
    return this.sink.take();
  }

  finish(): Uint8Array[] {
    const out = this.flush();
    this.writer.close();
    return [...out, ...this.sink.take()];
  }
}
