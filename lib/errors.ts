// The error catalogue: every failure the project reports has a stable code, a
// retriable flag (the only thing that decides retry vs dead-letter) and a hint
// telling the user what to do.

export const CATALOGUE = {
  CONFIG_INVALID: { retriable: false, hint: 'Fix the environment variable named in the message.' },
  STACK_JAVA_MISSING: { retriable: false, hint: 'Install a JDK 17+ (apt-get install openjdk-17-jre-headless) or set PROTEA_JAVA_HOME.' },
  STACK_MAVEN_FAILED: { retriable: true, hint: 'Check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml) and see the log named in the message.' },
  STACK_START_FAILED: { retriable: false, hint: 'Read the component log named in the message; a port may be taken by another program.' },
  STACK_UNHEALTHY: { retriable: true, hint: 'Run `protea stack status` and read the component log; `protea stack up` starts what is down.' },
  STACK_PORT_TAKEN: { retriable: false, hint: 'Another program listens on this port: stop it, or point the PROTEA_* address at a free port.' },
  KAFKA_UNAVAILABLE: { retriable: true, hint: 'Start the stack (`protea stack up`) or check PROTEA_KAFKA_BROKERS.' },
  KAFKA_PRODUCE_FAILED: { retriable: true, hint: 'The broker refused the record; see the cause; it is retried when transient.' },
  REGISTRY_UNAVAILABLE: { retriable: true, hint: 'Start the stack (`protea stack up`) or check PROTEA_REGISTRY_URL.' },
  REGISTRY_REJECTED: { retriable: false, hint: 'The registry refused the schema (compatibility or syntax); see the cause.' },
  SCHEMA_INVALID: { retriable: false, hint: 'Fix the .avsc file named in the message.' },
  SCHEMA_DRIFT: { retriable: false, hint: 'Run `npm run codegen` and commit the regenerated types.' },
  AVRO_ENCODE_FAILED: { retriable: false, hint: 'The value does not match the topic schema; the field is named in the message.' },
  AVRO_DECODE_FAILED: { retriable: false, hint: 'The record bytes are not Avro of a known schema; it goes to the dead-letter topic.' },
  TOPIC_UNKNOWN: { retriable: false, hint: 'Use a topic of the catalogue (`protea topics list`).' },
  TOPIC_CONFIG_CONFLICT: { retriable: false, hint: 'The topic exists with other settings than the catalogue; delete it or align the catalogue.' },
  DB_UNAVAILABLE: { retriable: true, hint: 'Start PostgreSQL or check PROTEA_DB_URL.' },
  DB_QUERY_FAILED: { retriable: false, hint: 'See the cause; a constraint or syntax problem is not retried.' },
  DB_SERIALIZATION: { retriable: true, hint: 'Concurrent transactions collided; the batch is retried.' },
  MIGRATION_FAILED: { retriable: false, hint: 'The migration named in the message failed and was rolled back; fix it and rerun `protea db migrate`.' },
  MIGRATION_MISSING: { retriable: false, hint: 'The database has a migration this checkout does not know; use the checkout that applied it.' },
  INPUT_UNREADABLE: { retriable: false, hint: 'Check the file named in the message: it must exist and be plain text or gzip (a truncated .gz cannot be read to the end).' },
  INPUT_INVALID: { retriable: false, hint: 'The record at the file and line named is malformed; it went to the dead-letter topic and the records around it were kept. Fix the line and produce the file again.' },
  SEQUENCE_INVALID: { retriable: false, hint: 'The sequence breaks the normalisation rules (see README, Bad input); the record went to the dead-letter topic.' },
  ONTOLOGY_TERM_UNKNOWN: { retriable: false, hint: 'The GO id is neither a term nor an alt_id of the pinned ontology release; load the release the annotations were made against.' },
  SINK_FENCED: { retriable: true, hint: 'Another sink replica owns the partition now (rebalance); this batch was rolled back and is not lost.' },
  SINK_WRITE_FAILED: { retriable: false, hint: 'PostgreSQL refused the record (constraint or type); it went to the dead-letter topic with the reason.' },
  PROCESSOR_FAILED: { retriable: false, hint: 'The stage could not transform the record; it went to the dead-letter topic with the reason.' },
  NOT_FOUND: { retriable: false, hint: 'No row has the id given; list what exists (e.g. `protea evaluate set --list`, `protea jobs`).' },
  EVALUATION_INPUT_INVALID: { retriable: false, hint: 'Fix the line named in the message: ground truth is `target<TAB>term`, predictions `target<TAB>term<TAB>score` with 0 <= score <= 1, IA `term<TAB>ia`.' },
  EVALUATION_EMPTY: { retriable: false, hint: 'Nothing to score: check that the two annotation sets differ in experimental annotations and share an ontology release.' },
  USAGE: { retriable: false, hint: 'See --help of the command.' },
  INTERNAL: { retriable: false, hint: 'This is a bug; please report it with the log.' },
} as const satisfies Record<string, { retriable: boolean; hint: string }>;

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
  readonly retriable: boolean;
  readonly context: Readonly<ErrorContext>;
  readonly hint: string;

  constructor(name: ErrorName, message: string, context: ErrorContext = {}, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProteaError';
    this.key = name;
    this.code = `PROTEA_ERR_${name}`;
    this.retriable = options?.retriable ?? CATALOGUE[name].retriable;
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
    return { code: this.code, message: this.message, retriable: this.retriable, context: this.context, hint: this.hint };
  }
}

// PostgreSQL SQLSTATE classes that are worth retrying: connection failures,
// serialization failures/deadlocks, admin shutdown, insufficient resources.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

const RETRIABLE_SQLSTATE = /^(08|40|53|57P0[1-3])/;

/**
 * Maps an error from kafkajs, pg/slonik, the registry client or fastify onto the
 * catalogue, keeping the original as the cause. A ProteaError passes through.
 */
export function classify(err: unknown, context: ErrorContext = {}): ProteaError {
  if (err instanceof ProteaError) return err;
  const e = err as { name?: string; message?: string; code?: string; retriable?: boolean; status?: number; cause?: unknown };
  const message = e?.message ?? String(err);
  const name = e?.name ?? '';
  const pgCode = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : (e?.cause as { code?: string } | undefined)?.code;
  if (name.startsWith('Kafka')) {
    return new ProteaError('KAFKA_UNAVAILABLE', message, context, { cause: err, retriable: e.retriable ?? true });
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
    return new ProteaError(RETRIABLE_SQLSTATE.test(pgCode) ? 'DB_UNAVAILABLE' : 'DB_QUERY_FAILED', message, { ...context, sqlstate: pgCode }, { cause: err });
  }
  return new ProteaError('INTERNAL', message, context, { cause: err });
}
