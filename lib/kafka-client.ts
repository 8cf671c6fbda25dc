// The only module that constructs kafkajs clients. With topic-consumer.ts and
// topic-producer.ts it is the Kafka seam: no kafkajs type or value is imported
// anywhere else (test/unit/kafka-seam.test.ts checks), so replacing the client
// library (e.g. with @confluentinc/kafka-javascript) touches these modules only.
import kafkajs, { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import { config } from './config.js';
import { ProteaError, classify } from './errors.js';
import { COMPRESSION_IDS, NATIVE_COMPRESSIONS, codecUnsupported, loadCodec, loadFailure } from './kafka-codecs.js';
import { logger } from './log.js';

/** A connection factory to one cluster, shared by a stage's consumer, producer and admin calls. Opaque outside the seam. */
export type KafkaClient = Kafka;
export type { Admin };

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs ships gzip only; snappy, lz4 and zstd come from lib/kafka-codecs.ts,
// registered process-wide once, here, before any client exists: every consumer
// reads batches written with any of them. kafkajs looks the codec up per batch;
// the adapter's package loads on the first lookup. A codec whose package cannot
// load throws the client's "not implemented" error (which the client gives up
// on at once, not retrying forever) carrying our KAFKA_CODEC_UNSUPPORTED as
// its cause; topic-consumer.ts names the topic and partitions.
// (Both are properties of the CommonJS exports that Node's named-import
// detection does not see, hence the default import.)
const NotImplemented = kafkajs.KafkaJSNotImplemented as unknown as new (message: string, options: { cause: unknown }) => Error;
const codecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
for (const name of NATIVE_COMPRESSIONS) {
  codecs[COMPRESSION_IDS[name]] = () => {
    const codec = loadCodec(name);
    if (codec.ok) return codec.adapter;
    const err = codecUnsupported(name, loadFailure(codec), undefined, codec.error);
    throw new NotImplemented(err.message, { cause: err });
  };
}

export interface KafkaClientOptions {
  brokers?: readonly string[];
  clientId?: string;
  /** Fail fast (health checks) instead of kafkajs' long default retry. */
  quick?: boolean;
}

export function createKafkaClient(opts: KafkaClientOptions = {}): KafkaClient {
  const log = logger('kafka');
  return new Kafka({
    clientId: opts.clientId ?? config().kafkaClientId,
    brokers: [...(opts.brokers ?? config().kafkaBrokers)],
    connectionTimeout: opts.quick ? 1500 : 5000,
    requestTimeout: opts.quick ? 3000 : 30000,
    retry: opts.quick ? { retries: 0 } : { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    // kafkajs logs through pino; its INFO chatter (joins, commits) goes to debug.
    logLevel: opts.quick ? logLevel.NOTHING : logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry, namespace }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info']({ namespace, ...rest }, message);
      },
  });
}

/** Runs fn with a connected admin client and always disconnects. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>, opts: KafkaClientOptions = {}): Promise<T> {
  const admin = createKafkaClient(opts).admin();
  try {
    await admin.connect();
  } catch (err) {
    throw classify(err, { component: 'kafka', hint: `No Kafka broker at ${(opts.brokers ?? config().kafkaBrokers).join(',')}: run \`protea stack up\` or set PROTEA_KAFKA_BROKERS.` });
  }
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Broker count and controller, or throws when no broker answers. */
export async function describeCluster(opts: KafkaClientOptions = {}): Promise<{ brokers: number; controller: number | null; clusterId: string }> {
  return withAdmin(async (admin) => {
    const c = await admin.describeCluster();
    return { brokers: c.brokers.length, controller: c.controller, clusterId: c.clusterId };
  }, opts);
}

/** The cluster id of the brokers a client talks to (admin describeCluster). */
export async function clusterIdOf(kafka: KafkaClient): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface TopicDefinition {
  name: string;
  partitions: number;
  config: Record<string, string>;
}

export interface EnsureTopicsResult {
  created: string[];
  unchanged: string[];
  updated: string[];
}

/**
 * Creates missing topics and aligns the configs of existing ones, so running
 * it twice changes nothing. Partition counts are only ever raised (Kafka cannot
 * lower them).
 */
export async function ensureTopics(topics: readonly TopicDefinition[], opts: KafkaClientOptions = {}): Promise<EnsureTopicsResult> {
  return withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const result: EnsureTopicsResult = { created: [], unchanged: [], updated: [] };
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false, // ours below: kafkajs gives up on UNKNOWN_TOPIC_OR_PARTITION
        topics: missing.map(
          (t): ITopicConfig => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: -1, // broker default: 1 locally, the cluster's setting elsewhere
            configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
          }),
        ),
      });
      result.created.push(...missing.map((t) => t.name));
      // KRaft spreads new metadata asynchronously; kafkajs' waitForLeaders does
      // not retry UNKNOWN_TOPIC_OR_PARTITION, so wait until every partition has a leader.
      await waitForLeaders(admin, missing);
    }
    const present = topics.filter((t) => existing.has(t.name));
    if (present.length === 0) return result;
    const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((t) => ({ type: 2 /* TOPIC */, name: t.name, configNames: Object.keys(t.config) })),
    });
    for (const t of present) {
      const have = new Map(configs.resources.find((r) => r.resourceName === t.name)?.configEntries.map((e) => [e.configName, e.configValue]) ?? []);
      const drift = Object.entries(t.config).filter(([k, v]) => have.get(k) !== v);
      const partitions = meta.topics.find((m) => m.name === t.name)?.partitions.length ?? 0;
      let changed = false;
      if (drift.length > 0) {
        await admin.alterConfigs({
          validateOnly: false,
          // alterConfigs replaces the topic's dynamic config: send the whole set
          resources: [{ type: 2, name: t.name, configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })) }],
        });
        changed = true;
      }
      if (partitions < t.partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: t.name, count: t.partitions }] });
        changed = true;
      }
      (changed ? result.updated : result.unchanged).push(t.name);
    }
    return result;
  }, opts);
}

async function waitForLeaders(admin: Admin, topics: readonly TopicDefinition[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      const ready = topics.every((t) => {
        const m = meta.topics.find((x) => x.name === t.name);
        return m !== undefined && m.partitions.length >= t.partitions && m.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (err) {
      if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION' && !(err as { retriable?: boolean }).retriable) throw err;
    }
    if (Date.now() > deadline) throw new ProteaError('KAFKA_UNAVAILABLE', `topics ${topics.map((t) => t.name).join(', ')} have no leader after ${timeoutMs} ms`, { component: 'kafka' });
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function deleteTopics(names: readonly string[], opts: KafkaClientOptions = {}): Promise<void> {
  if (names.length === 0) return;
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const doomed = names.filter((n) => existing.has(n));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  }, opts);
}

/** Offsets of one partition: the first still in the log and the next to be written. */
export interface PartitionRange {
  partition: number;
  low: bigint;
  high: bigint;
}

/** The offset range of every partition of a topic, now. */
export async function topicRanges(topic: string, opts: KafkaClientOptions = {}): Promise<PartitionRange[]> {
  return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) })), opts);
}

/** Deletes consumer groups (a finished replay's), ignoring those already gone. */
export async function deleteGroups(groupIds: readonly string[], opts: KafkaClientOptions = {}): Promise<void> {
  if (groupIds.length === 0) return;
  await withAdmin(async (admin) => {
    await admin.deleteGroups([...groupIds]).catch(() => undefined);
  }, opts);
}
