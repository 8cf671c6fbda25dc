// A typed consumer: batches of records decoded through the registry. A record
// that cannot be decoded is handed over with its error instead of a value, so
// the caller can dead-letter it without stopping the partition.
import type { Consumer, Kafka } from 'kafkajs';
import { ProteaError, classify } from './errors.js';
import { createKafkaClient } from './kafka-client.js';
import { AvroRegistry } from './schema-registry.js';

export interface IncomingRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** the decoded value, or undefined when `error` is set */
  value: T | undefined;
  error?: ProteaError;
  raw: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** offset after the last record of the batch (what to commit) */
  nextOffset: string;
  highWatermark: string;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface TopicConsumerOptions {
  groupId: string;
  kafka?: Kafka;
  registry?: AvroRegistry;
  sessionTimeout?: number;
  maxBytesPerPartition?: number;
}

export class TopicConsumer<T> {
  private readonly consumer: Consumer;
  readonly registry: AvroRegistry;

  constructor(opts: TopicConsumerOptions) {
    const kafka = opts.kafka ?? createKafkaClient();
    this.registry = opts.registry ?? new AvroRegistry();
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeout ?? 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
  }

  /** The underlying events (group joins, crashes) for runners that track assignments. */
  get events() {
    return this.consumer.events;
  }

  on(...args: Parameters<Consumer['on']>) {
    return this.consumer.on(...args);
  }

  async connect(topics: readonly string[], fromBeginning = true): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [...topics], fromBeginning });
    } catch (err) {
      throw classify(err, { component: 'kafka' });
    }
  }

  /**
   * Runs handler for each fetched batch of one partition. With autoCommit the
   * group offsets advance after the handler resolves (at-least-once); sinks
   * turn it off and keep offsets in PostgreSQL instead.
   */
  async run(handler: (records: IncomingRecord<T>[], ctx: BatchContext) => Promise<void>, opts: { autoCommit?: boolean } = {}): Promise<void> {
    await this.consumer.run({
      autoCommit: opts.autoCommit ?? true,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0) return;
        const records = await Promise.all(
          batch.messages.map(async (m): Promise<IncomingRecord<T>> => {
            const base = {
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key ? m.key.toString('utf8') : null,
              raw: m.value,
              headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String).join(',') : String(v ?? '')])),
              timestamp: m.timestamp,
            };
            if (!m.value) return { ...base, value: undefined, error: new ProteaError('AVRO_DECODE_FAILED', 'record has no value (tombstone)', { topic: batch.topic, partition: batch.partition, offset: m.offset }) };
            try {
              return { ...base, value: await this.registry.decode<T>(m.value, { topic: batch.topic, partition: batch.partition, offset: m.offset }) };
            } catch (err) {
              const e = classify(err, { topic: batch.topic, partition: batch.partition, offset: m.offset });
              if (e.retriable) throw e; // the registry is down: retry the batch, do not dead-letter it
              return { ...base, value: undefined, error: e };
            }
          }),
        );
        const last = batch.messages[batch.messages.length - 1]!;
        await handler(records, {
          topic: batch.topic,
          partition: batch.partition,
          nextOffset: (BigInt(last.offset) + 1n).toString(),
          highWatermark: batch.highWatermark,
          heartbeat,
          isRunning,
          isStale,
        });
      },
    });
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }
}
