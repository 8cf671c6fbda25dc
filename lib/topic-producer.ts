// A typed producer: values are Avro-encoded through the registry under the
// topic's `<topic>-value` subject, keys are UTF-8 strings, sends are batched.
// Part of the Kafka seam (see kafka-client.ts): no kafkajs type leaves it.
import type { CompressionTypes, Message, Producer } from 'kafkajs';
import { config } from './config.js';
import { ProteaError, classify } from './errors.js';
import { createKafkaClient, type KafkaClient } from './kafka-client.js';
import { COMPRESSION_IDS, codecInstallHint, loadCodec, loadFailure, type Compression } from './kafka-codecs.js';
import { createJavaCompatiblePartitioner } from './partitioner.js';
import { AvroRegistry } from './schema-registry.js';

/** Messages per kafkajs send() call. */
const SEND_CHUNK = 1000;
/**
 * Bytes of values per send at most (a larger single message goes alone): one
 * send's messages to a partition travel as one record batch, which the broker
 * refuses above the topic's max.message.bytes (1 MB by default). 256 enriched
 * prediction parts of ~450 KB in one send made a 115 MB batch.
 */
const SEND_BYTES = 900_000;

/** A failed send: transient (retry) or refused for good (fatal), as the client says. */
function produceError(err: unknown, topic: string): ProteaError {
  const e = classify(err, { component: 'kafka', topic });
  if (e.key === 'KAFKA_UNAVAILABLE') return new ProteaError('KAFKA_PRODUCE_FAILED', e.message, { topic }, { cause: err });
  if (e.key === 'KAFKA_REFUSED') return new ProteaError('KAFKA_PRODUCE_REFUSED', e.message, { topic }, { cause: err });
  return e;
}

export interface OutgoingRecord<T> {
  key: string;
  value: T;
  headers?: Record<string, string>;
  partition?: number;
}

export interface TopicProducerOptions {
  kafka?: KafkaClient;
  registry?: AvroRegistry;
  /**
   * Idempotent producer (retries never duplicate within a session). Off by
   * default: delivery is at-least-once with deterministic keys and the sinks
   * absorb duplicates; in-flight requests are limited to 1 so order holds.
   */
  idempotent?: boolean;
  /** Compression of the batches sent (default: PROTEA_KAFKA_COMPRESSION). */
  compression?: Compression;
}

export class TopicProducer {
  private readonly producer: Producer;
  readonly registry: AvroRegistry;
  private connected = false;
  /** The codec the batches are sent with. */
  readonly compression: Compression;
  private readonly codecId: CompressionTypes;

  constructor(opts: TopicProducerOptions = {}) {
    this.compression = opts.compression ?? config().kafkaCompression;
    if (this.compression !== 'none' && this.compression !== 'gzip') {
      // fail at start-up, not on the first send
      const codec = loadCodec(this.compression);
      if (!codec.ok) {
        throw new ProteaError('CONFIG_INVALID', `PROTEA_KAFKA_COMPRESSION=${this.compression}: ${loadFailure(codec)}`, {
          field: 'PROTEA_KAFKA_COMPRESSION',
          hint: codecInstallHint(this.compression, 'PROTEA_KAFKA_COMPRESSION'),
        }, { cause: codec.error });
      }
    }
    this.codecId = COMPRESSION_IDS[this.compression] as CompressionTypes;
    const kafka = opts.kafka ?? createKafkaClient();
    this.registry = opts.registry ?? new AvroRegistry();
    // The Java client's murmur2 partitioner: a key lands on the same partition whoever produces it.
    // Ours chooses as kafkajs's DefaultPartitioner does, without its per-message allocations (lib/partitioner.ts).
    this.producer = kafka.producer({ createPartitioner: createJavaCompatiblePartitioner, idempotent: opts.idempotent ?? false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    try {
      await this.producer.connect();
    } catch (err) {
      throw classify(err, { component: 'kafka' });
    }
    this.connected = true;
  }

  /** Encodes and sends the records to one topic; resolves once the broker acknowledged them all. */
  async send<T>(topic: string, records: readonly OutgoingRecord<T>[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    const subject = `${topic}-value`;
    // one schema lookup for the batch, then each value encoded synchronously
    const values = await this.registry.encodeMany(subject, records.map((r) => r.value), { topic });
    // one object per record (no spread temporaries); headers and partition only when given, as before
    const messages: (Message & { value: Buffer })[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const m: Message & { value: Buffer } = { key: r.key, value: values[i]! };
      if (r.headers) m.headers = r.headers;
      if (r.partition !== undefined) m.partition = r.partition;
      messages.push(m);
    }
    try {
      // kafkajs 2.2.4 groups one send()'s messages by partition in O(n^2): send
      // in chunks. Compressed as PROTEA_KAFKA_COMPRESSION says (none by
      // default: gzip cost more CPU than the bytes it saved on loopback,
      // bench/RESULTS.md).
      for (const chunk of chunks(messages, SEND_CHUNK, SEND_BYTES)) {
        await this.producer.send({ topic, messages: chunk, compression: this.codecId, acks: -1 });
      }
    } catch (err) {
      throw produceError(err, topic);
    }
  }

  /** Raw bytes, already encoded (dead-letter topics keep the original bytes). */
  async sendRaw(topic: string, messages: { key: Buffer | string | null; value: Buffer; headers?: Record<string, string | Buffer> }[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    try {
      await this.producer.send({ topic, messages, compression: this.codecId, acks: -1 });
    } catch (err) {
      throw produceError(err, topic);
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}

/** Consecutive runs of at most `count` messages and about `bytes` bytes of values (a larger message alone). */
export function chunks<M extends { value: Buffer }>(messages: readonly M[], count: number, bytes: number): M[][] {
  const out: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const m of messages) {
    if (current.length > 0 && (current.length >= count || size + m.value.length > bytes)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += m.value.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}
