// Avro through a Confluent-compatible registry (Apicurio's /apis/ccompat/v7).
// The only module that imports the registry client: producers and consumers
// encode and decode through here, with schema ids cached per subject.
//
// The client resolves ids and parses schemas; once an id is known, records
// are framed and (de)serialized here, synchronously, with the very Type the
// client parsed: its per-record path (a promise chain, a cache lookup, three
// slices per decode, two buffers and a Buffer.concat per encode) was a
// measurable part of the CPU per record (bench/avro-codec.ts, bench/RESULTS.md).
// The bytes are the client's: Confluent's wire format, magic byte 0, the
// schema id as int32 big-endian, the Avro body.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { config } from './config.js';
import { ProteaError, classify, type ErrorContext } from './errors.js';
import { retryPolicy, withRetry } from './runtime/retry.js';

/** What the codec uses of the client's parsed schema: an avsc Type (only Avro schemas are registered here). */
interface ParsedSchema {
  /** Writes value at pos; the end offset, or minus the bytes missing when buf is too short. */
  encode(value: unknown, buf: Buffer, pos: number): number;
  fromBuffer(payload: Buffer): unknown;
  isValid(value: unknown, opts: { errorHook: (path: string[], value: unknown) => void }): boolean;
}

/** Where a decoded record came from, for its error. */
export type DecodeContext = { topic?: string; partition?: number; offset?: string };

/** Magic byte and schema id in front of every Confluent-framed value. */
const HEADER_BYTES = 5;

export class AvroRegistry {
  readonly url: string;
  private readonly client: SchemaRegistry;
  private readonly ids = new Map<string, Promise<number>>();
  // The client caches schemas, but a burst of concurrent misses (the first
  // batch of thousands of records) would fetch and parse each one thousands of
  // times: warm each id once, alone.
  private readonly warmed = new Map<number, Promise<ParsedSchema>>();
  /** The schemas warmed so far, for the synchronous paths (an id never changes meaning). */
  private readonly types = new Map<number, ParsedSchema>();
  /**
   * Where values are encoded before they are copied out at their size: the
   * Type's toBuffer() would allocate a zero-filled, unpooled buffer per
   * record and frame it with a second copy. Grows to the largest record.
   */
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);

  private warm(id: number): Promise<ParsedSchema> {
    let p = this.warmed.get(id);
    if (!p) {
      p = this.client.getSchema(id).then(
        (schema) => {
          const type = schema as unknown as ParsedSchema;
          this.types.set(id, type);
          return type;
        },
        async (err: unknown) => {
          this.warmed.delete(id);
          throw await this.failure(err, {});
        },
      );
      this.warmed.set(id, p);
    }
    return p;
  }

  /**
   * The catalogue error of a failed registry call. The client reports a
   * request that got no HTTP answer at all (connection refused or reset: the
   * registry restarting) as status 400, like a request the registry refused;
   * a 400 is therefore checked against the registry itself: when it does not
   * answer now, the failure is REGISTRY_UNAVAILABLE (retry), never a verdict
   * on a record (found by the chaos test: good records dead-lettered as
   * undecodable while the registry restarted).
   */
  private async failure(err: unknown, context: ErrorContext): Promise<ProteaError> {
    const e = classify(err, { component: 'registry', ...context });
    if (e.key !== 'REGISTRY_REJECTED' || (err as { status?: unknown }).status !== 400) return e;
    if (await this.answers()) return e;
    return new ProteaError('REGISTRY_UNAVAILABLE', `the schema registry at ${this.url} does not answer`, { component: 'registry', ...context }, { cause: err });
  }

  /** Whether the registry gives any HTTP answer below 500 within 2 s. */
  private async answers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/subjects`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.status < 500;
    } catch {
      return false;
    }
  }

  constructor(url: string = config().registryUrl) {
    this.url = url;
    this.client = new SchemaRegistry({ host: url, retry: { retries: 3, initialRetryTimeInSecs: 0.2 } });
  }

  /** Registers (or finds) the schema under the subject; the same schema twice returns the same id. */
  async register(subject: string, schema: object): Promise<number> {
    // Apicurio answers 500 (a foreign-key violation in its own storage) when two subjects
    // register the same content at the same moment, as parallel test files and replicas
    // starting together do: a transient failure, retried with the one policy.
    const { id } = await withRetry(
      async () => {
        try {
          return await this.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
        } catch (err) {
          throw await this.failure(err, { subject });
        }
      },
      { policy: retryPolicy({ maxAttempts: 5 }) },
    );
    this.ids.set(subject, Promise.resolve(id));
    return id;
  }

  /** The latest schema id of a subject (cached: ids never change meaning). */
  schemaId(subject: string): Promise<number> {
    let id = this.ids.get(subject);
    if (!id) {
      id = this.client.getLatestSchemaId(subject).catch(async (err: unknown) => {
        this.ids.delete(subject);
        const e = await this.failure(err, { subject });
        if (e.key === 'REGISTRY_REJECTED') {
          throw new ProteaError('REGISTRY_REJECTED', `subject ${subject} has no schema in the registry`, { subject, hint: 'Run `protea topics create` to create the topics and register their schemas.' }, { cause: err });
        }
        throw e;
      });
      this.ids.set(subject, id);
    }
    return id;
  }

  async encode(subject: string, value: unknown, context: { topic?: string } = {}): Promise<Buffer> {
    return (await this.encodeMany(subject, [value], context))[0]!;
  }

  /**
   * Encodes values of one subject, in order: the id and schema are resolved
   * once, then every value synchronously. The first value that does not match
   * the schema rejects the call (AVRO_ENCODE_FAILED), as encode() would.
   */
  async encodeMany(subject: string, values: readonly unknown[], context: { topic?: string } = {}): Promise<Buffer[]> {
    const id = await this.schemaId(subject);
    const type = this.types.get(id) ?? (await this.warm(id));
    return values.map((value) => this.encodeWith(id, type, subject, value, context));
  }

  private encodeWith(id: number, type: ParsedSchema, subject: string, value: unknown, context: { topic?: string }): Buffer {
    let end: number;
    try {
      end = type.encode(value, this.scratch, HEADER_BYTES);
      if (end < 0) {
        this.scratch = Buffer.allocUnsafeSlow(Math.max(2 * this.scratch.length, this.scratch.length - end));
        end = type.encode(value, this.scratch, HEADER_BYTES);
      }
    } catch (err) {
      // the schema is in hand, so a throw here is always the value's fault
      const paths = invalidPaths(type, value);
      const where = paths.length > 0 ? `field ${paths.join(', ')}` : (err as Error).message;
      throw new ProteaError('AVRO_ENCODE_FAILED', `value does not match ${subject}: ${where}`, { ...context, subject, field: paths[0] }, { cause: err });
    }
    this.scratch[0] = 0;
    this.scratch.writeInt32BE(id, 1);
    const framed = Buffer.allocUnsafe(end);
    this.scratch.copy(framed, 0, 0, end);
    return framed;
  }

  async decode<T>(buffer: Buffer, context: DecodeContext = {}): Promise<T> {
    const known = this.typeOf(buffer);
    if (known) return decodeWith(known, buffer, context) as T;
    // Confluent wire format: magic byte 0, then the schema id (int32 big-endian).
    if (buffer.length >= HEADER_BYTES && buffer[0] === 0) {
      const type = await this.warm(buffer.readInt32BE(1)).catch(() => undefined);
      if (type) return decodeWith(type, buffer, context) as T;
    }
    // Not framed, or the id could not be fetched: the client's own attempt
    // says which (an unreachable registry, or bytes of no known schema).
    try {
      return (await this.client.decode(buffer)) as T;
    } catch (err) {
      const e = await this.failure(err, context);
      // An unreachable registry is transient; anything else means bad bytes.
      if (e.retriable) throw e;
      throw new ProteaError('AVRO_DECODE_FAILED', `cannot decode record: ${(err as Error).message}`, context, { cause: err });
    }
  }

  /**
   * Decodes a fetched batch, in order. Each entry is the value, the error that
   * dead-letters that record (AVRO_DECODE_FAILED), or undefined for a null
   * buffer (a tombstone, the caller's to judge). An unreachable registry
   * rejects the whole call: no record is judged during an outage.
   */
  async decodeMany<T>(buffers: readonly (Buffer | null)[], context: (index: number) => DecodeContext): Promise<(T | ProteaError | undefined)[]> {
    const out = new Array<T | ProteaError | undefined>(buffers.length);
    let missed: number[] | undefined;
    for (let i = 0; i < buffers.length; i++) {
      const buffer = buffers[i];
      if (!buffer) continue;
      const type = this.typeOf(buffer);
      if (!type) {
        (missed ??= []).push(i);
        continue;
      }
      try {
        out[i] = type.fromBuffer(buffer.subarray(HEADER_BYTES)) as T;
      } catch (err) {
        out[i] = decodeFailed(err, context(i));
      }
    }
    // ids not seen before (the first batch) and bytes that are not framed:
    // concurrently through decode(), which warms each id once
    if (missed) {
      await Promise.all(
        missed.map(async (i) => {
          try {
            out[i] = await this.decode<T>(buffers[i]!, context(i));
          } catch (err) {
            const e = classify(err, context(i));
            if (e.retriable) throw e;
            out[i] = e;
          }
        }),
      );
    }
    return out;
  }

  /** The warmed schema a framed buffer names, if any. */
  private typeOf(buffer: Buffer): ParsedSchema | undefined {
    return buffer.length >= HEADER_BYTES && buffer[0] === 0 ? this.types.get(buffer.readInt32BE(1)) : undefined;
  }
}

/** Dotted paths of the fields of value that the schema rejects, with what was found there. */
function invalidPaths(type: ParsedSchema, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path, v) => paths.push(`${path.join('.') || '(root)'}=${JSON.stringify(v)?.slice(0, 40)}`) });
  return paths;
}

function decodeWith(type: ParsedSchema, buffer: Buffer, context: DecodeContext): unknown {
  try {
    return type.fromBuffer(buffer.subarray(HEADER_BYTES));
  } catch (err) {
    throw decodeFailed(err, context);
  }
}

/** Bytes framed with a known id that the schema cannot read (truncated, trailing data, bad values). */
function decodeFailed(err: unknown, context: DecodeContext): ProteaError {
  return new ProteaError('AVRO_DECODE_FAILED', `cannot decode record: ${(err as Error).message}`, context, { cause: err });
}
