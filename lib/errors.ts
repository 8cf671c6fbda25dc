// The error catalogue: every failure the project reports has a stable code,
// ONE disposition that decides what a stage does with it, the HTTP status the
// API answers with, and a hint telling the user what to do. README "Error
// codes" lists them all (test/unit/errors.test.ts keeps the two in step).
//
// Dispositions:
//   retry        not the record's fault and likely to pass (a component away, a
//                collision, a release still loading): retried with the one
//                backoff policy (lib/runtime/retry.ts), never dead-lettered
//   dead-letter  the record's fault: it goes to its stage's dead-letter topic
//                with the reason, and the records around it go on
//   fatal        neither: a bug, a refusal or a setting to fix; the operation
//                (or the stage) stops and says so
// `retriable` is derived from the disposition; a throw cannot override it:
// a different outcome needs a different code.

export type Disposition = 'retry' | 'dead-letter' | 'fatal';

export interface CatalogueEntry {
  readonly disposition: Disposition;
  /** disposition === 'retry' */
  readonly retriable: boolean;
  /** the status the HTTP API answers with */
  readonly http: number;
  readonly hint: string;
}

function entry(disposition: Disposition, http: number, hint: string): CatalogueEntry {
  return { disposition, retriable: disposition === 'retry', http, hint };
}

export const CATALOGUE = {
  CONFIG_INVALID: entry('fatal', 500, 'Fix the environment variable named in the message.'),
  STACK_JAVA_MISSING: entry('fatal', 500, 'Install a JDK 17+ (apt-get install openjdk-17-jre-headless) or set PROTEA_JAVA_HOME.'),
  STACK_MAVEN_FAILED: entry('retry', 503, 'Check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml) and see the log named in the message.'),
  STACK_START_FAILED: entry('fatal', 500, 'Read the component log named in the message; a port may be taken by another program.'),
  STACK_UNHEALTHY: entry('retry', 503, 'Run `protea stack status` and read the component log; `protea stack up` starts what is down.'),
  STACK_PORT_TAKEN: entry('fatal', 500, 'Another program listens on this port: stop it, or point the PROTEA_* address at a free port.'),
  KAFKA_UNAVAILABLE: entry('retry', 503, 'Start the stack (`protea stack up`) or check PROTEA_KAFKA_BROKERS.'),
  KAFKA_REFUSED: entry('fatal', 500, 'The broker refused the request for good (authorization, a setting, an unknown topic); see the cause.'),
  KAFKA_PRODUCE_FAILED: entry('retry', 503, 'The broker could not take the records for now (leader moving, broker away); they are retried.'),
  KAFKA_PRODUCE_REFUSED: entry('fatal', 500, 'The broker refused the records for good (too large, not authorised, no such topic); see the cause.'),
  KAFKA_CODEC_UNSUPPORTED: entry('fatal', 500, 'Records are compressed with a codec (snappy, lz4, zstd) whose package did not load in this process: reinstall with optional dependencies (`npm ci`) on a platform the package ships a binary for, or have the producers use another compression.type.'),
  REGISTRY_UNAVAILABLE: entry('retry', 503, 'Start the stack (`protea stack up`) or check PROTEA_REGISTRY_URL.'),
  REGISTRY_REJECTED: entry('fatal', 500, 'The registry refused the schema (compatibility or syntax); see the cause.'),
  SCHEMA_INVALID: entry('fatal', 500, 'Fix the .avsc file named in the message.'),
  SCHEMA_DRIFT: entry('fatal', 500, 'Run `npm run codegen` and commit the regenerated types.'),
  AVRO_ENCODE_FAILED: entry('dead-letter', 500, 'The value does not match the topic schema; the field is named in the message.'),
  AVRO_DECODE_FAILED: entry('dead-letter', 500, 'The record bytes are not Avro of a known schema; it goes to the dead-letter topic.'),
  TOPIC_UNKNOWN: entry('fatal', 400, 'Use a topic of the catalogue (`protea topics list`).'),
  TOPIC_CONFIG_CONFLICT: entry('fatal', 500, 'The topic exists with other settings than the catalogue; delete it or align the catalogue.'),
  DB_UNAVAILABLE: entry('retry', 503, 'Start PostgreSQL or check PROTEA_DB_URL.'),
  DB_QUERY_FAILED: entry('fatal', 500, 'See the cause; a constraint or syntax problem is not retried.'),
  DB_SERIALIZATION: entry('retry', 503, 'Concurrent transactions collided; the batch is retried.'),
  MIGRATION_FAILED: entry('fatal', 500, 'The migration named in the message failed and was rolled back; fix it and rerun `protea db migrate`.'),
  MIGRATION_MISSING: entry('fatal', 500, 'The database has a migration this checkout does not know; use the checkout that applied it.'),
  INPUT_UNREADABLE: entry('fatal', 400, 'Check the file named in the message: it must exist and be plain text or gzip (a truncated .gz cannot be read to the end).'),
  INPUT_INVALID: entry('dead-letter', 400, 'The record at the file and line named is malformed; it went to the dead-letter topic and the records around it were kept. Fix the line and produce the file again.'),
  SEQUENCE_INVALID: entry('dead-letter', 400, 'The sequence breaks the normalisation rules (see README, Bad input); the record went to the dead-letter topic.'),
  ONTOLOGY_TERM_UNKNOWN: entry('dead-letter', 400, 'The GO id is neither a term nor an alt_id of the pinned ontology release; load the release the annotations were made against.'),
  ONTOLOGY_RELEASE_PENDING: entry('retry', 503, 'The ontology release the record names is not loaded (or still loading): the record waits; load it with `protea produce obo`. After the wait limit it goes to the dead-letter topic.'),
  EMBEDDING_CONFIG_INVALID: entry('fatal', 400, 'Fix the field named in the message (see `protea embeddings config create --help` and README, Embeddings); a config is immutable: create a new one.'),
  EMBEDDING_MODEL_UNAVAILABLE: entry('fatal', 503, 'The model file or its model card named by the config cannot be read: put the .onnx export and its .json card under PROTEA_MODELS_DIR (README, Embeddings: the export contract), or deactivate the config.'),
  EMBEDDING_FAILED: entry('dead-letter', 500, 'The model could not embed this sequence; it went to the dead-letter topic with the reason. Other sequences and configs go on.'),
  PREDICTION_SET_INVALID: entry('dead-letter', 422, 'The prediction set named by the request is not one the predictor can run (kind, method or parameters): the request went to the dead-letter topic. Create prediction sets with `protea predict`.'),
  PREDICTION_FAILED: entry('dead-letter', 500, 'The predictor could not predict this query (index search or alignment failed); it went to the dead-letter topic with the reason. Other queries go on.'),
  SEQUENCE_PENDING: entry('retry', 503, 'The embedding names a sequence whose row has not landed yet (the sequences sink is behind or not running): the record waits. Run the sequences sink (`protea pipeline`).'),
  SINK_FENCED: entry('retry', 409, 'Another sink replica owns the partition now (rebalance); this batch was rolled back and is not lost.'),
  SINK_WRITE_FAILED: entry('dead-letter', 422, 'PostgreSQL refused the record (constraint or type); it went to the dead-letter topic with the reason.'),
  PROCESSOR_FAILED: entry('dead-letter', 500, 'The stage could not transform the record; it went to the dead-letter topic with the reason.'),
  STAGE_REBALANCED: entry('retry', 409, 'The consumer group rebalanced during the batch; it was abandoned uncommitted and is redelivered to the partition\'s new owner.'),
  STAGE_BEHIND: entry('retry', 504, 'A stage this command waits for has not caught up in time: is `protea pipeline` running? Nothing is lost: the records wait on their topic.'),
  NOT_FOUND: entry('fatal', 404, 'No row has the id given; list what exists (e.g. `protea evaluate set --list`, `protea jobs`).'),
  EVALUATION_INPUT_INVALID: entry('fatal', 400, 'Fix the line named in the message: ground truth is `target<TAB>term`, predictions `target<TAB>term<TAB>score` with 0 <= score <= 1, IA `term<TAB>ia`.'),
  EVALUATION_EMPTY: entry('fatal', 500, 'Nothing to score: check that the two annotation sets differ in experimental annotations and share an ontology release.'),
  USAGE: entry('fatal', 400, 'See --help of the command.'),
  UNAUTHORIZED: entry('fatal', 401, 'Send a token of PROTEA_API_TOKENS as `Authorization: Bearer SECRET` (README, HTTP API: tokens).'),
  FORBIDDEN: entry('fatal', 403, 'The token is valid but may not do this: GET /audit needs a token marked `:admin` in PROTEA_API_TOKENS.'),
  WRITES_DISABLED: entry('fatal', 403, 'The API has no tokens, so its writes are off: set PROTEA_API_TOKENS (e.g. `me:SECRET-OF-16+-CHARS`) for `protea api` and send `Authorization: Bearer SECRET`.'),
  RATE_LIMITED: entry('retry', 429, 'Too many writes in a minute from this token (PROTEA_API_WRITE_RATE_LIMIT): wait for the Retry-After seconds and send again.'),
  PAYLOAD_TOO_LARGE: entry('fatal', 413, 'The upload is larger than PROTEA_API_UPLOAD_MAX_BYTES: split the FASTA, or raise the limit of the API process.'),
  URI_TOO_LONG: entry('fatal', 414, 'The URL (or one path segment of it) is longer than the API accepts: ids and accessions are short; send long filters in fewer, shorter parameters.'),
  HEADERS_TOO_LARGE: entry('fatal', 431, 'The request headers are larger than the server accepts (16 KiB in all): send fewer or shorter headers (cookies, a very long Authorization).'),
  REQUEST_TIMEOUT: entry('retry', 408, 'The request did not arrive in full in time (slow or stalled client): send it again.'),
  UNSUPPORTED_MEDIA_TYPE: entry('fatal', 415, 'Send the FASTA as multipart/form-data with the file in a part named `file` (curl -F file=@my.fasta); see README, Jobs, live progress and writes.'),
  JOB_ENDED: entry('fatal', 409, 'The job has already ended (succeeded, failed or cancelled): there is nothing to cancel. GET /jobs/ID shows how it ended.'),
  TOO_MANY_STREAMS: entry('retry', 503, 'The API serves PROTEA_API_MAX_STREAMS live job streams at once: retry after the Retry-After seconds, poll GET /jobs/ID instead, or raise the limit of the API process.'),
  QUERY_TIMEOUT: entry('retry', 503, 'The query ran past PROTEA_API_STATEMENT_TIMEOUT_MS and was cancelled: narrow it (filters, a smaller limit) or raise the limit of the API process.'),
  ALIGNMENT_FAILED: entry('fatal', 500, 'The aligner failed: a worker died, or a very long pair ran out of memory for its traceback (about 4 bytes per cell); see the cause.'),
  INTERNAL: entry('fatal', 500, 'This is a bug; please report it with the log.'),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof CATALOGUE;

/** Where a failure happened, as far as it is known. */
export interface ErrorContext {
  file?: string;
  line?: number;
  field?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  component?: string;
  log?: string;
  hint?: string;
  [extra: string]: unknown;
}

export class ProteaError extends Error {
  readonly code: `PROTEA_ERR_${ErrorName}`;
  readonly key: ErrorName;
  readonly disposition: Disposition;
  readonly retriable: boolean;
  readonly context: Readonly<ErrorContext>;
  readonly hint: string;

  constructor(name: ErrorName, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProteaError';
    this.key = name;
    this.code = `PROTEA_ERR_${name}`;
    this.disposition = CATALOGUE[name].disposition;
    this.retriable = CATALOGUE[name].retriable;
    this.hint = context.hint ?? CATALOGUE[name].hint;
    this.context = Object.freeze({ ...context });
  }

  /** One line for a terminal: code, message, where, and what to do. */
  describe(): string {
    const where = ['file', 'line', 'field', 'topic', 'partition', 'offset', 'log']
      .filter((k) => this.context[k] !== undefined)
      .map((k) => `${k}=${String(this.context[k])}`)
      .join(' ');
    return `${this.code}: ${this.message}${where ? ` (${where})` : ''}\n  → ${this.hint}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, disposition: this.disposition, retriable: this.retriable, context: this.context, hint: this.hint };
  }
}

// PostgreSQL SQLSTATE classes that are worth retrying: connection failures,
// serialization failures/deadlocks, admin shutdown, insufficient resources.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

const RETRIABLE_SQLSTATE = /^(08|40|53|57P0[1-3])/;

/** A kafkajs connection failure (or a network error) somewhere in a cause chain. */
function kafkaConnectionFailure(cause: unknown, depth = 0): boolean {
  if (!cause || typeof cause !== 'object' || depth > 5) return false;
  const c = cause as { name?: string; code?: string; cause?: unknown };
  if (c.name === 'KafkaJSConnectionError' || (typeof c.code === 'string' && NETWORK_CODES.has(c.code))) return true;
  return kafkaConnectionFailure(c.cause, depth + 1);
}

/**
 * Maps an error from kafkajs, pg/slonik, the registry client or fastify onto the
 * catalogue, keeping the original as the cause. A ProteaError passes through.
 */
export function classify(err: unknown, context: ErrorContext = {}): ProteaError {
  if (err instanceof ProteaError) return err;
  // ours, thrown inside the client (a codec adapter) and wrapped by it
  if ((err as { cause?: unknown } | null)?.cause instanceof ProteaError && ((err as { name?: string }).name ?? '').startsWith('Kafka')) return (err as { cause: ProteaError }).cause;
  const e = err as { name?: string; message?: string; code?: string; retriable?: boolean; status?: number; cause?: unknown };
  const message = e?.message ?? String(err);
  const name = e?.name ?? '';
  const pgCode = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : (e?.cause as { code?: string } | undefined)?.code;
  if (name.startsWith('Kafka')) {
    // kafkajs says itself whether an error may pass on a retry (its `retriable` flag);
    // but when its own retries ran out it wraps the last error as non-retriable: a
    // broker that could not be reached at all is still away, not refusing
    const refused = e.retriable === false && !kafkaConnectionFailure(e.cause);
    return new ProteaError(refused ? 'KAFKA_REFUSED' : 'KAFKA_UNAVAILABLE', message, context, { cause: err });
  }
  if (typeof e?.status === 'number') {
    if (e.status >= 400 && e.status < 500) return new ProteaError('REGISTRY_REJECTED', message, context, { cause: err });
    return new ProteaError('REGISTRY_UNAVAILABLE', message, context, { cause: err });
  }
  if (name.startsWith('ConfluentSchemaRegistry')) {
    // Without an HTTP status: incompatible or invalid schema, bad argument, invalid value.
    return new ProteaError(name.includes('Validation') ? 'AVRO_ENCODE_FAILED' : 'REGISTRY_REJECTED', message, context, { cause: err });
  }
  if (NETWORK_CODES.has(e?.code ?? '') || NETWORK_CODES.has((e?.cause as { code?: string } | undefined)?.code ?? '') || name === 'ConnectionError') {
    const unavailable = context.component === 'kafka' ? 'KAFKA_UNAVAILABLE' : context.component === 'registry' ? 'REGISTRY_UNAVAILABLE' : 'DB_UNAVAILABLE';
    return new ProteaError(unavailable, message, context, { cause: err });
  }
  if (typeof pgCode === 'string' && /^[0-9A-Z]{5}$/.test(pgCode)) {
    if (pgCode === '40001' || pgCode === '40P01') return new ProteaError('DB_SERIALIZATION', message, { ...context, sqlstate: pgCode }, { cause: err });
    // undefined table or column: a database this checkout has not migrated (yet)
    if (pgCode === '42P01' || pgCode === '42703') {
      return new ProteaError('DB_QUERY_FAILED', message, { ...context, sqlstate: pgCode, hint: 'The database lacks part of the schema: run `protea db migrate` (PROTEA_DB_URL names the database).' }, { cause: err });
    }
    return new ProteaError(RETRIABLE_SQLSTATE.test(pgCode) ? 'DB_UNAVAILABLE' : 'DB_QUERY_FAILED', message, { ...context, sqlstate: pgCode }, { cause: err });
  }
  return new ProteaError('INTERNAL', message, context, { cause: err });
}
