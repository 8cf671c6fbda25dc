// The one place that reads PROTEA_* environment variables. Everything else
// receives a frozen Config, so a process never sees two different settings.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProteaError } from './errors.js';
import { COMPRESSIONS, type Compression } from './kafka-codecs.js';

// lib/ in the sources, dist/lib/ once compiled: the project root is one or two levels up.
const here = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '..', '..') : path.resolve(here, '..');

type Kind = 'string' | 'int' | 'url' | 'list' | 'enum';

export interface Setting {
  readonly env: string;
  readonly kind: Kind;
  readonly default: string;
  readonly doc: string;
  readonly values?: readonly string[];
}

// The documented defaults: README's configuration table is generated from this list.
export const SETTINGS = {
  kafkaBrokers: { env: 'PROTEA_KAFKA_BROKERS', kind: 'list', default: '127.0.0.1:9092', doc: 'Kafka bootstrap servers, comma-separated host:port. The local stack listens on the first one.' },
  kafkaControllerPort: { env: 'PROTEA_KAFKA_CONTROLLER_PORT', kind: 'int', default: '9093', doc: 'KRaft controller port of the local stack broker.' },
  kafkaClientId: { env: 'PROTEA_KAFKA_CLIENT_ID', kind: 'string', default: 'protea', doc: 'Kafka client id prefix.' },
  kafkaCompression: { env: 'PROTEA_KAFKA_COMPRESSION', kind: 'enum', default: 'none', values: COMPRESSIONS, doc: 'Compression of the record batches PROTEA\'s producers send: `none`, `gzip`, `snappy`, `lz4` or `zstd` (consumers read all five whatever this says). None by default: on a single node or over loopback the network is not what limits throughput, and every codec costs CPU on each send and again on each fetch, in every stage (gzip cost more than the bytes it saved, bench/RESULTS.md). Compress + decompress per ~420-byte FASTA record, 2 shared cores (bench/kafka-codecs.ts): lz4 ~2 µs CPU (61% of the bytes left), snappy ~6 µs (62%), zstd ~7 µs (37%), gzip ~20 µs (38%). lz4, or zstd where bytes count most, pays off where brokers are across a real network or disk is short.' },
  kafkaVersion: { env: 'PROTEA_KAFKA_VERSION', kind: 'string', default: '3.9.1', doc: 'Apache Kafka version the local stack fetches from Maven Central.' },
  registryUrl: { env: 'PROTEA_REGISTRY_URL', kind: 'url', default: 'http://127.0.0.1:8080/apis/ccompat/v7', doc: 'Confluent-compatible schema registry API (Apicurio: /apis/ccompat/v7).' },
  registryVersion: { env: 'PROTEA_REGISTRY_VERSION', kind: 'string', default: '3.0.9', doc: 'Apicurio Registry version the local stack fetches from Maven Central.' },
  dbUrl: { env: 'PROTEA_DB_URL', kind: 'url', default: 'postgres://postgres@127.0.0.1:5432/protea', doc: 'PostgreSQL connection string; the database is created on demand by the stack.' },
  topicNamespace: { env: 'PROTEA_TOPIC_NAMESPACE', kind: 'string', default: 'protea', doc: 'Prefix of every topic name (tests use a fresh one each).' },
  stateDir: { env: 'PROTEA_STATE_DIR', kind: 'string', default: '.protea', doc: 'Local stack state, logs and cached jars (relative to the project root).' },
  javaHome: { env: 'PROTEA_JAVA_HOME', kind: 'string', default: '', doc: 'JDK used by the local stack (default: JAVA_HOME, then java on PATH).' },
  kafkaHeap: { env: 'PROTEA_KAFKA_HEAP', kind: 'string', default: '768m', doc: 'Max heap of the local Kafka broker.' },
  registryHeap: { env: 'PROTEA_REGISTRY_HEAP', kind: 'string', default: '512m', doc: 'Max heap of the local schema registry.' },
  stackTimeoutMs: { env: 'PROTEA_STACK_TIMEOUT_MS', kind: 'int', default: '120000', doc: 'How long stack up waits for each health check.' },
  logLevel: { env: 'PROTEA_LOG_LEVEL', kind: 'enum', default: 'info', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], doc: 'pino log level.' },
  logFormat: { env: 'PROTEA_LOG_FORMAT', kind: 'enum', default: 'auto', values: ['auto', 'json', 'pretty'], doc: 'Log lines on stderr: `json` (one JSON object a line), `pretty` (one readable line each, pino-pretty) or `auto` (pretty when stderr is a terminal and CI is not set, else JSON).' },
  metricsPort: { env: 'PROTEA_METRICS_PORT', kind: 'int', default: '9464', doc: 'Port of the Prometheus /metrics endpoint of `protea pipeline` (0 = off).' },
  apiHost: { env: 'PROTEA_API_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address `protea api` listens on (0.0.0.0 to serve other hosts).' },
  apiPort: { env: 'PROTEA_API_PORT', kind: 'int', default: '3000', doc: 'Port of the HTTP API (`protea api`).' },
  apiTokens: { env: 'PROTEA_API_TOKENS', kind: 'string', default: '', doc: 'Bearer tokens of the API\'s writes, comma-separated `name:secret` (writes) or `name:secret:admin` (writes and GET /audit); the name is what the audit log records, the secret at least 16 characters. Unset: writes are off and say so.' },
  apiCorsOrigins: { env: 'PROTEA_API_CORS_ORIGINS', kind: 'string', default: '', doc: 'Origins allowed to call the API from a browser (CORS), comma-separated, or `*` for any; unset: no CORS headers.' },
  apiWriteRateLimit: { env: 'PROTEA_API_WRITE_RATE_LIMIT', kind: 'int', default: '30', doc: 'Writes per minute per token (per client address without one) before the API answers 429.' },
  apiUploadMaxBytes: { env: 'PROTEA_API_UPLOAD_MAX_BYTES', kind: 'int', default: '104857600', doc: 'Largest FASTA upload POST /query-sets accepts, in bytes (413 beyond).' },
  apiMaxStreams: { env: 'PROTEA_API_MAX_STREAMS', kind: 'int', default: '100', doc: 'Live job streams (GET /jobs/ID/stream, Server-Sent Events) the API serves at once; one more is answered 503 TOO_MANY_STREAMS.' },
  apiStatementTimeoutMs: { env: 'PROTEA_API_STATEMENT_TIMEOUT_MS', kind: 'int', default: '15000', doc: 'PostgreSQL statement timeout of the API\'s queries, in milliseconds (a query past it is cancelled and answered 503).' },
  apiDbPoolSize: { env: 'PROTEA_API_DB_POOL_SIZE', kind: 'int', default: '10', doc: 'PostgreSQL connections the API holds at most (1 or more); requests beyond wait for one.' },
  apiSubgraphMaxNodes: { env: 'PROTEA_API_SUBGRAPH_MAX_NODES', kind: 'int', default: '2000', doc: 'Most terms GET /ontology-snapshots/ID/subgraph answers (the GO ids asked and all their ancestors); a larger subgraph is refused with 400: ask for fewer terms.' },
  retryMaxAttempts: { env: 'PROTEA_RETRY_MAX_ATTEMPTS', kind: 'int', default: '10', doc: 'Attempts in all (the first included) of a stage step that fails with a retry-disposition error, before the stage gives the batch back.' },
  retryInitialDelayMs: { env: 'PROTEA_RETRY_INITIAL_DELAY_MS', kind: 'int', default: '200', doc: 'Backoff before the second attempt; it doubles per attempt, with jitter (a delay is drawn between half and all of it).' },
  retryMaxDelayMs: { env: 'PROTEA_RETRY_MAX_DELAY_MS', kind: 'int', default: '5000', doc: 'Cap of one backoff delay.' },
  stageGraceMs: { env: 'PROTEA_STAGE_GRACE_MS', kind: 'int', default: '15000', doc: 'How long a stopping stage lets its in-flight batch finish before abandoning it uncommitted.' },
  stageSessionTimeoutMs: { env: 'PROTEA_STAGE_SESSION_TIMEOUT_MS', kind: 'int', default: '10000', doc: 'Consumer group session timeout of a stage: how soon a dead replica\'s partitions move (a running batch heartbeats on its own).' },
  sinkPartitionsAtOnce: { env: 'PROTEA_SINK_PARTITIONS_AT_ONCE', kind: 'int', default: '2', doc: 'Partitions whose batches a sink writes at once (1 or more), each in its own transaction on its own PostgreSQL connection: with 2, one batch\'s decoding and COPY overlap the other\'s merge and commit (the GAF annotations sink alone: 16,445–16,799 rows/s with 1, 20,752–20,788 with 2 on 2 cores, bench/RESULTS.md).' },
  modelsDir: { env: 'PROTEA_MODELS_DIR', kind: 'string', default: 'models', doc: 'Where ONNX embedding models live: `<model_name>.onnx` beside its model card `<model_name>.json` (relative to the project root).' },
  embedDevice: { env: 'PROTEA_EMBED_DEVICE', kind: 'enum', default: 'auto', values: ['auto', 'cpu', 'cuda'], doc: 'ONNX Runtime execution provider of the embedder: `auto` tries CUDA and falls back to CPU, `cuda` fails when CUDA cannot be loaded.' },
  embedTokenBudget: { env: 'PROTEA_EMBED_TOKEN_BUDGET', kind: 'int', default: '8192', doc: 'Padded tokens (batch size x longest sequence) per model call of the embedder; sequences are batched by length under it.' },
  indexDir: { env: 'PROTEA_INDEX_DIR', kind: 'string', default: '', doc: 'Where the KNN predictor caches its faiss reference indexes, one pair of files per (embedding config, annotation set and its content, evidence, aspect, metric, index kind); default `<PROTEA_STATE_DIR>/indexes` (relative to the project root). Safe to delete: an index is rebuilt when missing.' },
  embedSpinWait: { env: 'PROTEA_EMBED_SPIN_WAIT', kind: 'enum', default: 'off', values: ['off', 'on'], doc: 'Whether ONNX Runtime\'s CPU threads spin-wait for work between model calls (its own default is on). Off leaves the cores to the stage\'s own work between calls (tokenising, pooling, Kafka) and to other processes; measured faster on 2 shared cores (bench/RESULTS.md). On may cut latency on a dedicated many-core machine.' },
  embedThreads: { env: 'PROTEA_EMBED_THREADS', kind: 'int', default: '0', doc: 'Intra-op threads of the ONNX Runtime CPU provider (0 = ONNX Runtime decides).' },
  embedPartitionsAtOnce: { env: 'PROTEA_EMBED_PARTITIONS_AT_ONCE', kind: 'int', default: '2', doc: 'Partitions whose batches the embedder handles at once (1 or more): with 2, one batch\'s sends, commit and database look-ups overlap the other\'s model calls (stage ÷ bare model loop 0.90–1.00 with 1, 0.96–0.97 with 2 on 2 cores, bench/RESULTS.md).' },
  predictThreads: { env: 'PROTEA_PREDICT_THREADS', kind: 'int', default: '0', doc: 'Worker threads of the predictor for alignments (the identity method); 0 = one per CPU core less one, at least one. faiss searches run on one thread that faiss parallelises itself.' },
  predictEmbedWaitS: { env: 'PROTEA_PREDICT_EMBED_WAIT_S', kind: 'int', default: '900', doc: 'How long the predictor waits for a query\'s embedding (or sequence) to land before it reports the query unpredictable, in seconds.' },
  predictSweepMs: { env: 'PROTEA_PREDICT_SWEEP_MS', kind: 'int', default: '2000', doc: 'How often the predictor looks for waiting queries whose embedding has landed, in milliseconds.' },
  enrichThreads: { env: 'PROTEA_ENRICH_THREADS', kind: 'int', default: '0', doc: 'Worker threads of the feature enricher for alignments; 0 = one per CPU core less one, at least one.' },
  enrichMaxAlignCells: { env: 'PROTEA_ENRICH_MAX_ALIGN_CELLS', kind: 'int', default: '25000000', doc: 'Largest pair the enricher aligns, as query length x reference length in residues (the traceback takes 1-4 bytes per cell); a larger pair gets null alignment features, counted in protea_enricher_feature_nulls_total.' },
  enrichPartitionsAtOnce: { env: 'PROTEA_ENRICH_PARTITIONS_AT_ONCE', kind: 'int', default: '1', doc: 'Partitions whose batches the enricher handles at once: above 1, one batch can encode and send while another aligns (worth trying with several alignment threads; on 2 cores 2 measured no faster than 1, bench/RESULTS.md).' },
  enrichAlignCache: { env: 'PROTEA_ENRICH_ALIGN_CACHE', kind: 'int', default: '100000', doc: 'Alignments the enricher keeps, per (query, reference) pair of sequence MD5s (least recently used out first); 0 = no cache.' },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

export interface Config {
  readonly kafkaBrokers: readonly string[];
  readonly kafkaControllerPort: number;
  readonly kafkaClientId: string;
  readonly kafkaCompression: Compression;
  readonly kafkaVersion: string;
  readonly registryUrl: string;
  readonly registryVersion: string;
  readonly dbUrl: string;
  readonly topicNamespace: string;
  readonly stateDir: string;
  readonly javaHome: string;
  readonly kafkaHeap: string;
  readonly registryHeap: string;
  readonly stackTimeoutMs: number;
  readonly logLevel: string;
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly metricsPort: number;
  readonly apiHost: string;
  readonly apiPort: number;
  readonly apiTokens: string;
  readonly apiCorsOrigins: string;
  readonly apiWriteRateLimit: number;
  readonly apiUploadMaxBytes: number;
  readonly apiStatementTimeoutMs: number;
  readonly apiDbPoolSize: number;
  readonly apiMaxStreams: number;
  readonly apiSubgraphMaxNodes: number;
  readonly retryMaxAttempts: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly stageGraceMs: number;
  readonly stageSessionTimeoutMs: number;
  readonly sinkPartitionsAtOnce: number;
  readonly modelsDir: string;
  readonly embedDevice: 'auto' | 'cpu' | 'cuda';
  readonly embedTokenBudget: number;
  readonly embedThreads: number;
  readonly embedPartitionsAtOnce: number;
  readonly embedSpinWait: 'off' | 'on';
  readonly predictThreads: number;
  readonly predictEmbedWaitS: number;
  readonly predictSweepMs: number;
  readonly enrichThreads: number;
  readonly enrichMaxAlignCells: number;
  readonly enrichAlignCache: number;
  readonly enrichPartitionsAtOnce: number;
  readonly indexDir: string;
}

function invalid(setting: Setting, raw: string, why: string): ProteaError {
  return new ProteaError('CONFIG_INVALID', `${setting.env}=${JSON.stringify(raw)}: ${why}`, {
    field: setting.env,
    hint: `${setting.env}: ${setting.doc} Unset it for the default ${JSON.stringify(setting.default)}.`,
  });
}

function parse(setting: Setting, raw: string): string | number | readonly string[] {
  switch (setting.kind) {
    case 'int': {
      if (!/^\d+$/.test(raw)) throw invalid(setting, raw, 'expected a non-negative integer');
      return Number(raw);
    }
    case 'url': {
      try {
        new URL(raw);
      } catch {
        throw invalid(setting, raw, 'not a valid URL');
      }
      return raw.replace(/\/+$/, '');
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw invalid(setting, raw, 'expected at least one host:port');
      for (const item of items) {
        if (!/^[^:\s]+:\d+$/.test(item)) throw invalid(setting, raw, `"${item}" is not host:port`);
      }
      return Object.freeze(items);
    }
    case 'enum': {
      if (!setting.values?.includes(raw)) throw invalid(setting, raw, `expected one of ${setting.values?.join(', ')}`);
      return raw;
    }
    default:
      return raw;
  }
}

/** Reads, validates and freezes the configuration from an environment (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    const raw = env[setting.env];
    out[name] = parse(setting, raw === undefined || raw === '' ? setting.default : raw);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(out.topicNamespace as string)) {
    throw invalid(SETTINGS.topicNamespace, out.topicNamespace as string, 'only letters, digits, ".", "_" and "-" are legal in Kafka topic names');
  }
  out.stateDir = path.resolve(PROJECT_ROOT, out.stateDir as string);
  out.modelsDir = path.resolve(PROJECT_ROOT, out.modelsDir as string);
  if ((out.predictSweepMs as number) < 100) throw invalid(SETTINGS.predictSweepMs, String(out.predictSweepMs), 'expected at least 100 ms');
  out.indexDir = out.indexDir === '' ? path.join(out.stateDir as string, 'indexes') : path.resolve(PROJECT_ROOT, out.indexDir as string);
  if ((out.embedTokenBudget as number) < 1) throw invalid(SETTINGS.embedTokenBudget, String(out.embedTokenBudget), 'expected at least 1');
  if ((out.sinkPartitionsAtOnce as number) < 1) throw invalid(SETTINGS.sinkPartitionsAtOnce, String(out.sinkPartitionsAtOnce), 'expected at least 1');
  if ((out.embedPartitionsAtOnce as number) < 1) throw invalid(SETTINGS.embedPartitionsAtOnce, String(out.embedPartitionsAtOnce), 'expected at least 1');
  return Object.freeze(out) as unknown as Config;
}

let cached: Config | undefined;
/** The process-wide configuration, read once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** host and port of a "host:port" string. */
export function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}
