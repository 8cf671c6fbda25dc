// A typed consumer: batches of records decoded through the registry. A record
// that cannot be decoded is handed over with its error instead of a value, so
// the caller can dead-letter it without stopping the partition.
//
// Part of the Kafka seam (with topic-producer.ts and kafka-client.ts): callers
// see our types, hooks (assigned, revoked, crashed) and errors only; the
// client library's types, events and errors stay in these modules, so
// replacing the client touches them alone.
import type { Consumer, EachBatchPayload, IHeaders } from 'kafkajs';
import { ProteaError, classify } from './errors.js';
import { createKafkaClient, type KafkaClient } from './kafka-client.js';
import { codecUnsupported, findCodecUnsupported } from './kafka-codecs.js';
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
  /**
   * Tells the group this member is alive (sent at most once per heartbeat
   * interval, however often it is called). Rejects with STAGE_REBALANCED
   * when the group rebalanced or forgot the member: the batch must be
   * abandoned (throw it on; the consumer rejoins and the batch is redelivered).
   */
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** a seek is pending for the partition: the batch predates it */
  isStale(): boolean;
}

/** What the consumer tells its owner about its group membership. */
export interface ConsumerHooks {
  /** this member's partitions after a (re)join, by topic */
  assigned?(partitions: ReadonlyMap<string, readonly number[]>): void;
  /** a rebalance started (or the group forgot this member): every partition is revoked until the next assignment */
  revoked?(): void;
  /** the consumer crashed; `restart`: it rejoins by itself, otherwise it stopped for good */
  crashed?(error: ProteaError, restart: boolean): void;
}

export interface TopicConsumerOptions {
  groupId: string;
  kafka?: KafkaClient;
  registry?: AvroRegistry;
  sessionTimeout?: number;
  maxBytesPerPartition?: number;
  hooks?: ConsumerHooks;
}

// The client's error types that mean this member lost its partitions.
const MEMBERSHIP_LOST = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/** A fetched message's headers as strings (a repeated header's values joined with ','); a new object per record. */
function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    const text = Array.isArray(v) ? v.map(String).join(',') : String(v ?? '');
    // a header named __proto__ is an own property, as Object.fromEntries made it (assignment would set the prototype)
    if (k === '__proto__') Object.defineProperty(out, k, { value: text, enumerable: true, writable: true, configurable: true });
    else out[k] = text;
  }
  return out;
}

function membershipLost(err: unknown): boolean {
  return MEMBERSHIP_LOST.has((err as { type?: string } | null)?.type ?? '');
}

export class TopicConsumer<T> {
  private readonly consumer: Consumer;
  readonly registry: AvroRegistry;

  private readonly hooks: ConsumerHooks;
  /** true between a group join and the client's stop (a crash-restart or a disconnect) */
  private joined = false;
  /** this member's partitions by topic, as of the last join */
  private assignment: ReadonlyMap<string, readonly number[]> = new Map();
  /** how often a heartbeat is worth sending (the client sends at most one per interval) */
  readonly heartbeatIntervalMs: number;

  constructor(opts: TopicConsumerOptions) {
    const kafka = opts.kafka ?? createKafkaClient();
    this.registry = opts.registry ?? new AvroRegistry();
    this.hooks = opts.hooks ?? {};
    const sessionTimeout = opts.sessionTimeout ?? 30_000;
    this.heartbeatIntervalMs = Math.max(500, Math.min(3_000, Math.floor(sessionTimeout / 3)));
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    const events = this.consumer.events;
    this.consumer.on(events.GROUP_JOIN, (event) => {
      const payload = event.payload as { memberAssignment: Record<string, number[]> };
      const byTopic = new Map(Object.entries(payload.memberAssignment).map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)] as const));
      this.joined = true;
      this.assignment = byTopic;
      this.hooks.assigned?.(byTopic);
    });
    this.consumer.on(events.REBALANCING, () => this.hooks.revoked?.());
    // the client drops its group state before it emits STOP, so a seek after it would throw
    this.consumer.on(events.STOP, () => {
      this.joined = false;
    });
    this.consumer.on(events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.hooks.crashed?.(this.codecError(error) ?? classify(error, { component: 'kafka' }), restart);
    });
  }

  /** A fetched batch in a codec whose package did not load: KAFKA_CODEC_UNSUPPORTED naming this member's partitions. */
  private codecError(error: unknown): ProteaError | undefined {
    const found = findCodecUnsupported(error);
    if (!found) return undefined;
    return codecUnsupported(String(found.context.codec), String(found.context.reason), this.assignment, found.cause);
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
  async run(handler: (records: IncomingRecord<T>[], ctx: BatchContext) => Promise<void>, opts: { autoCommit?: boolean; partitionsAtOnce?: number } = {}): Promise<void> {
    await this.consumer.run({
      autoCommit: opts.autoCommit ?? true,
      // batches of different partitions handled at once (each partition stays in order)
      partitionsConsumedConcurrently: opts.partitionsAtOnce ?? 1,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }: EachBatchPayload) => {
        if (batch.messages.length === 0) return;
        // decoded in one call: synchronous for every schema id seen before; an
        // unreachable registry rejects it (retry the batch, do not dead-letter it)
        const decoded = await this.registry.decodeMany<T>(
          batch.messages.map((m) => m.value),
          (i) => ({ topic: batch.topic, partition: batch.partition, offset: batch.messages[i]!.offset }),
        );
        // one object per record, built in place (no base object spread into a second one)
        const records: IncomingRecord<T>[] = [];
        for (let i = 0; i < batch.messages.length; i++) {
          const m = batch.messages[i]!;
          const record: IncomingRecord<T> = {
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ? m.key.toString('utf8') : null,
            raw: m.value,
            headers: headersOf(m.headers),
            timestamp: m.timestamp,
            value: undefined,
          };
          const value = decoded[i];
          if (!m.value) record.error = new ProteaError('AVRO_DECODE_FAILED', 'record has no value (tombstone)', { topic: batch.topic, partition: batch.partition, offset: m.offset });
          else if (value instanceof ProteaError) record.error = value;
          else record.value = value;
          records.push(record);
        }
        const last = batch.messages[batch.messages.length - 1]!;
        const ourHeartbeat = async (): Promise<void> => {
          try {
            await heartbeat();
          } catch (err) {
            if (!membershipLost(err)) throw classify(err, { component: 'kafka', topic: batch.topic, partition: batch.partition });
            throw new ProteaError('STAGE_REBALANCED', `the group rebalanced during a batch of ${batch.topic}[${batch.partition}]`, { component: 'kafka', topic: batch.topic, partition: batch.partition }, { cause: err });
          }
        };
        try {
          await handler(records, {
            topic: batch.topic,
            partition: batch.partition,
            nextOffset: (BigInt(last.offset) + 1n).toString(),
            highWatermark: batch.highWatermark,
            heartbeat: ourHeartbeat,
            isRunning,
            isStale,
          });
        } catch (err) {
          // the client rejoins on its own rebalance error: hand that back, not ours
          if (err instanceof ProteaError && err.key === 'STAGE_REBALANCED' && membershipLost(err.cause)) throw err.cause;
          throw err;
        }
      },
    });
  }

  /**
   * Moves the partition's fetch position. False when the member is not in a
   * group any more (stopped, or restarting after a crash): the next join
   * assigns the partitions again, and whoever seeks on assignment seeks then.
   */
  seek(topic: string, partition: number, offset: string): boolean {
    if (!this.joined) return false;
    this.consumer.seek({ topic, partition, offset });
    return true;
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }
}
