// Avro through a Confluent-compatible registry (Apicurio's /apis/ccompat/v7).
// The only module that imports the registry client: producers and consumers
// encode and decode through here, with schema ids cached per subject.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { config } from './config.js';
import { ProteaError, classify, type ErrorContext } from './errors.js';
import { retryPolicy, withRetry } from './runtime/retry.js';

export class AvroRegistry {
  readonly url: string;
  private readonly client: SchemaRegistry;
  private readonly ids = new Map<string, Promise<number>>();
  // The client caches schemas, but a burst of concurrent misses (the first
  // batch of thousands of records) would fetch and parse each one thousands of
  // times: warm each id once, alone.
  private readonly warmed = new Map<number, Promise<unknown>>();

  private warm(id: number): Promise<unknown> {
    let p = this.warmed.get(id);
    if (!p) {
      p = this.client.getSchema(id).catch(async (err: unknown) => {
        this.warmed.delete(id);
        throw await this.failure(err, {});
      });
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
    const id = await this.schemaId(subject);
    await this.warm(id);
    try {
      return await this.client.encode(id, value);
    } catch (err) {
      // Only the client's validation error means a bad value; anything else is the registry.
      if (!/Validation/.test((err as Error).name ?? '')) throw await this.failure(err, { subject });
      const paths = await this.invalidPaths(id, value);
      const where = paths.length > 0 ? `field ${paths.join(', ')}` : (err as Error).message;
      throw new ProteaError('AVRO_ENCODE_FAILED', `value does not match ${subject}: ${where}`, { ...context, subject, field: paths[0] }, { cause: err });
    }
  }

  /** Dotted paths of the fields of value that the schema rejects, with what was found there. */
  private async invalidPaths(id: number, value: unknown): Promise<string[]> {
    const paths: string[] = [];
    try {
      const type = (await this.client.getSchema(id)) as { isValid?: (v: unknown, o: { errorHook: (path: string[], v: unknown) => void }) => boolean };
      type.isValid?.(value, { errorHook: (path, v) => paths.push(`${path.join('.') || '(root)'}=${JSON.stringify(v)?.slice(0, 40)}`) });
    } catch {
      /* the schema lookup failed: fall back to the client's message */
    }
    return paths;
  }

  async decode<T>(buffer: Buffer, context: { topic?: string; partition?: number; offset?: string } = {}): Promise<T> {
    // Confluent wire format: magic byte 0, then the schema id (int32 big-endian).
    if (buffer.length >= 5 && buffer[0] === 0) await this.warm(buffer.readInt32BE(1)).catch(() => undefined);
    try {
      return (await this.client.decode(buffer)) as T;
    } catch (err) {
      const e = await this.failure(err, context);
      // An unreachable registry is transient; anything else means bad bytes.
      if (e.retriable) throw e;
      throw new ProteaError('AVRO_DECODE_FAILED', `cannot decode record: ${(err as Error).message}`, context, { cause: err });
    }
  }
}
