// The consume-transform-produce runner every processor reuses.
//
// Delivery: at-least-once. A batch (the records kafkajs fetched from one
// partition) is transformed, ALL its outputs, dead letters and job events are
// sent and acknowledged by the broker (acks=all), and only then does the
// handler return, which lets kafkajs resolve the batch's last offset and commit
// it (autoCommit, committed after every batch). A batch that fails or is
// abandoned throws out of the handler, so none of its offsets is resolved:
// never a half-done batch committed. A crash after the sends and before the
// commit redelivers the batch; outputs are keyed deterministically (MD5,
// accession, ...) so the redelivery produces the same keys and the compacted
// topics and the sinks absorb it.
//
// Errors: the ProteaError `retriable` flag alone decides. Retriable errors (the
// broker or the registry away) are retried with bounded exponential backoff;
// when the attempts run out the processor stops and `done` rejects (it fails
// loudly; nothing goes to the DLQ for an outage). Undecodable records and
// records whose transform failed with a non-retriable error go to
// `dlq.<stage>` with their original bytes, key and headers, provenance headers,
// and a 'dead_letter' job event when their job is known.
//
// Shutdown: stop() (or SIGTERM/SIGINT) stops fetching and lets the in-flight
// batch finish and commit; when it cannot within the grace period it is
// abandoned uncommitted (its pending sends are cut off, the handler throws),
// then the consumer leaves the group and both clients disconnect.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import { config } from '../lib/config.js';
import { ProteaError, classify } from '../lib/errors.js';
import { createKafkaClient } from '../lib/kafka-client.js';
import { logger } from '../lib/log.js';
import { countDeadLetters, countIn, countOut, observeBatch, setConsumerLag } from '../lib/metrics.js';
import { AvroRegistry } from '../lib/schema-registry.js';
import { TopicConsumer, type BatchContext, type IncomingRecord } from '../lib/topic-consumer.js';
import { TopicProducer } from '../lib/topic-producer.js';
import type { DeadLetterRecord, JobEventRecord } from '../schemas/generated/types.js';
import { KEYS, dlqFor, subjectFor, topicName, type Stage } from '../topics/catalogue.js';

/** One record a transform wants produced. */
export interface ProcessorOutput {
  topic: string;
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

/** Per input record: its outputs (possibly none), or why it was rejected. */
export type TransformResult = ProcessorOutput[] | ProteaError;

/** A record that decoded: what a transform receives. */
export type DecodedRecord<T> = IncomingRecord<T> & { value: T; error?: undefined };

export interface Provenance {
  file?: string | null;
  line?: number | null;
  jobId?: string | null;
}

export interface RetryOptions {
  /** attempts in total, the first one included (default 5) */
  maxAttempts?: number;
  /** delay before the second attempt; doubles each time (default 200 ms) */
  initialDelayMs?: number;
  /** cap of one delay (default 10 s) */
  maxDelayMs?: number;
}

export interface ProcessorOptions<TIn> {
  stage: Stage;
  /** full topic name the stage consumes */
  inputTopic: string;
  groupId: string;
  /**
   * Transforms the decoded records of one batch; returns one result per input,
   * in the same order. Must be deterministic in its output keys. A thrown
   * retriable ProteaError retries the batch; any other throw makes the runner
   * transform the records one by one to find the culprit(s).
   */
  transform(records: DecodedRecord<TIn>[]): Promise<TransformResult[]>;
  /** topic namespace of the DLQ and job-events topics (default: PROTEA_TOPIC_NAMESPACE) */
  namespace?: string;
  /** file, line and job of an input (default: the source_file, line and job_id fields when present) */
  provenance?: (value: TIn) => Provenance;
  retry?: RetryOptions;
  /** how long stop() lets the in-flight batch finish before abandoning it (default 10 s) */
  gracePeriodMs?: number;
  /** install SIGTERM/SIGINT handlers that call stop() (default true) */
  handleSignals?: boolean;
  /** where a new consumer group starts (default true: the beginning) */
  fromBeginning?: boolean;
  sessionTimeout?: number;
  /** upper bound of one fetched batch per partition, in bytes (default 4 MiB) */
  maxBytesPerPartition?: number;
  kafka?: Kafka;
  registry?: AvroRegistry;
}

export interface ProcessorStats {
  batches: number;
  recordsIn: number;
  recordsOut: number;
  deadLetters: number;
  jobEvents: number;
  retries: number;
  abandonedBatches: number;
}

export interface StopResult {
  reason: string;
  /** an in-flight batch was abandoned uncommitted (it will be redelivered) */
  abandoned: boolean;
  /** the consumer left the group and both clients disconnected in time */
  clean: boolean;
}

export interface ProcessorHandle {
  readonly stage: Stage;
  readonly groupId: string;
  readonly inputTopic: string;
  readonly stats: Readonly<ProcessorStats>;
  /** Stops gracefully (idempotent): the in-flight batch finishes and commits, or is abandoned after the grace period. */
  stop(reason?: string): Promise<StopResult>;
  /** Settles when the processor has stopped: resolves after stop(), rejects with the error that stopped it otherwise. */
  readonly done: Promise<StopResult>;
}

/** Thrown inside the handler to leave a batch unresolved (nothing of it is committed). */
class BatchAbandoned extends Error {
  constructor(why: string) {
    super(`batch abandoned uncommitted: ${why}`);
    this.name = 'BatchAbandoned';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * A UUIDv7 that is a function of its inputs: the 48-bit time field is `ms`, the
 * 74 "random" bits come from the MD5 of `seed`. The same dead letter redelivered
 * gets the same event id, which the jobs sink stores once.
 */
export function deterministicUuidV7(ms: number, seed: string): string {
  const h = createHash('md5').update(seed).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Math.max(0, Math.floor(ms)) % 2 ** 48, 0, 6);
  b[6] = 0x70 | (h[0]! & 0x0f);
  b[7] = h[1]!;
  b[8] = 0x80 | (h[2]! & 0x3f);
  h.copy(b, 9, 3, 10);
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function defaultProvenance(value: unknown): Provenance {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  return {
    file: typeof v.source_file === 'string' ? v.source_file : null,
    line: typeof v.line === 'number' ? v.line : null,
    jobId: typeof v.job_id === 'string' ? v.job_id : null,
  };
}

/** A non-ProteaError thrown by a transform is a processing failure of that record. */
function asProcessorError(err: unknown, rec: IncomingRecord<unknown>): ProteaError {
  if (err instanceof ProteaError) return err;
  const e = classify(err, { topic: rec.topic, partition: rec.partition, offset: rec.offset });
  if (e.key !== 'INTERNAL') return e;
  return new ProteaError('PROCESSOR_FAILED', `transform failed: ${(err as Error)?.message ?? String(err)}`, { topic: rec.topic, partition: rec.partition, offset: rec.offset }, { cause: err });
}

/** Header values are bytes; keep the reason readable and bounded. */
function headerText(s: string, max = 1024): string {
  const oneLine = s.replace(/[\r\n]+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

interface DeadLetter {
  record: IncomingRecord<unknown>;
  error: ProteaError;
}

class ProcessorRunner<TIn> implements ProcessorHandle {
  readonly stage: Stage;
  readonly groupId: string;
  readonly inputTopic: string;
  readonly stats: ProcessorStats = { batches: 0, recordsIn: 0, recordsOut: 0, deadLetters: 0, jobEvents: 0, retries: 0, abandonedBatches: 0 };
  readonly done: Promise<StopResult>;

  private readonly log;
  private readonly registry: AvroRegistry;
  private readonly consumer: TopicConsumer<TIn>;
  private readonly producer: TopicProducer;
  private readonly dlqTopic: string;
  private readonly jobsTopic: string;
  private readonly provenance: (value: TIn) => Provenance;
  private readonly retry: Required<RetryOptions>;
  private readonly gracePeriodMs: number;

  private inFlight = false;
  /** consumer crashes since the last batch that completed */
  private crashes = 0;
  private abandonReason: string | undefined;
  private abandonWaiters: ((err: BatchAbandoned) => void)[] = [];
  private stopping: Promise<StopResult> | undefined;
  private fatal: ProteaError | undefined;
  private settle!: { resolve: (r: StopResult) => void; reject: (e: unknown) => void };
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();

  constructor(private readonly opts: ProcessorOptions<TIn>) {
    this.stage = opts.stage;
    this.groupId = opts.groupId;
    this.inputTopic = opts.inputTopic;
    this.log = logger('processor').child({ stage: opts.stage, group: opts.groupId });
    const namespace = opts.namespace ?? config().topicNamespace;
    this.dlqTopic = topicName(dlqFor(opts.stage), namespace);
    this.jobsTopic = topicName('jobs.events', namespace);
    this.registry = opts.registry ?? new AvroRegistry();
    const kafka = opts.kafka ?? createKafkaClient();
    this.consumer = new TopicConsumer<TIn>({
      groupId: opts.groupId,
      kafka,
      registry: this.registry,
      ...(opts.sessionTimeout === undefined ? {} : { sessionTimeout: opts.sessionTimeout }),
      ...(opts.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: opts.maxBytesPerPartition }),
    });
    this.producer = new TopicProducer({ kafka, registry: this.registry });
    this.provenance = opts.provenance ?? ((v: TIn) => defaultProvenance(v));
    this.retry = { maxAttempts: opts.retry?.maxAttempts ?? 5, initialDelayMs: opts.retry?.initialDelayMs ?? 200, maxDelayMs: opts.retry?.maxDelayMs ?? 10_000 };
    this.gracePeriodMs = opts.gracePeriodMs ?? 10_000;
    this.done = new Promise<StopResult>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined); // a caller that never awaits done must not crash the process
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect([this.inputTopic], this.opts.fromBeginning ?? true);
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      if (this.stopping) return;
      this.crashes++;
      if (restart && this.crashes < this.retry.maxAttempts) {
        this.log.warn({ err: error, crashes: this.crashes }, 'consumer crashed; kafkajs restarts it (the batch is redelivered)');
        return;
      }
      this.fail(classify(error, { component: 'kafka', topic: this.inputTopic }));
    });
    if (this.opts.handleSignals ?? true) this.installSignalHandlers();
    await this.consumer.run((records, ctx) => this.handleBatch(records, ctx), { autoCommit: true });
    this.log.info({ input: this.inputTopic, dlq: this.dlqTopic }, 'processor started');
  }

  // ── shutdown ──────────────────────────────────────────────────────────────

  private installSignalHandlers(): void {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => {
        if (!this.stopping) {
          this.log.info({ signal: sig, graceMs: this.gracePeriodMs }, 'signal received: stopping (the in-flight batch finishes or is abandoned uncommitted)');
          void this.stop(sig);
        } else {
          this.log.warn({ signal: sig }, 'second signal: abandoning the in-flight batch now');
          this.abandon(`second ${sig}`);
        }
      };
      this.signalHandlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  private removeSignalHandlers(): void {
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.signalHandlers.clear();
  }

  /** Cuts off whatever the in-flight batch awaits; its handler throws and nothing of it is committed. */
  private abandon(why: string): void {
    if (this.abandonReason) return;
    this.abandonReason = why;
    const err = new BatchAbandoned(why);
    for (const w of this.abandonWaiters.splice(0)) w(err);
  }

  /** The promise, or a rejection as soon as the batch is abandoned. */
  private abortable<T>(p: Promise<T>): Promise<T> {
    if (this.abandonReason) {
      p.catch(() => undefined);
      return Promise.reject(new BatchAbandoned(this.abandonReason));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = (err: BatchAbandoned) => reject(err);
      this.abandonWaiters.push(waiter);
      p.then(resolve, reject).finally(() => {
        const i = this.abandonWaiters.indexOf(waiter);
        if (i >= 0) this.abandonWaiters.splice(i, 1);
      });
    });
  }

  stop(reason = 'stop requested'): Promise<StopResult> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private fail(err: ProteaError): void {
    if (this.fatal) return;
    this.fatal = err;
    this.log.error({ err: err.toJSON() }, `processor failing: ${err.message}`);
    this.abandon(`processor failed: ${err.message}`);
    void this.stop(`failed: ${err.code}`);
  }

  /**
   * The whole shutdown fits in the grace period: the in-flight batch may run
   * until the last quarter of it (at most 3 s before its end); then it is
   * abandoned and the rest of the period is left for leaving the group and
   * disconnecting. kafkajs also waits for a pending fetch (its long poll, up to
   * 5 s) before it leaves, so an idle stop takes up to that long.
   */
  private async shutdown(reason: string): Promise<StopResult> {
    this.removeSignalHandlers();
    const t0 = Date.now();
    const abandonedBefore = this.stats.abandonedBatches;
    const reserve = Math.min(3_000, Math.max(250, Math.round(this.gracePeriodMs / 4)));
    let abandoned = false;
    let clean = true;
    const disconnected = this.consumer.disconnect().then(
      () => true,
      (err: unknown) => {
        this.log.warn({ err }, 'consumer disconnect failed');
        return false;
      },
    );
    const within = async <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
      });
      try {
        return await Promise.race([p, timeout]);
      } finally {
        clearTimeout(timer);
      }
    };
    let left = await within(disconnected, this.gracePeriodMs - reserve);
    if (left === 'timeout') {
      abandoned = this.inFlight;
      this.log.warn({ graceMs: this.gracePeriodMs, inFlight: abandoned }, 'grace period running out: abandoning the in-flight batch uncommitted');
      this.abandon('grace period over');
      left = await within(disconnected, this.gracePeriodMs - (Date.now() - t0));
    }
    if (left !== true) {
      clean = false;
      if (left === 'timeout') this.log.warn({ graceMs: this.gracePeriodMs }, 'the consumer did not leave the group within the grace period; going on (the group coordinator expires the member)');
    }
    abandoned ||= this.stats.abandonedBatches > abandonedBefore;
    try {
      const done = await within(this.producer.disconnect(), Math.max(500, this.gracePeriodMs - (Date.now() - t0)));
      if (done === 'timeout') clean = false;
    } catch (err) {
      this.log.warn({ err }, 'producer disconnect failed');
      clean = false;
    }
    const result: StopResult = { reason, abandoned, clean };
    this.log.info({ ...result, ms: Date.now() - t0, stats: this.stats }, 'processor stopped');
    if (this.fatal) this.settle.reject(this.fatal);
    else this.settle.resolve(result);
    return result;
  }

  // ── one batch ─────────────────────────────────────────────────────────────

  private async handleBatch(records: IncomingRecord<TIn>[], ctx: BatchContext): Promise<void> {
    if (this.stopping && this.abandonReason) {
      this.stats.abandonedBatches++;
      throw new BatchAbandoned(this.abandonReason);
    }
    this.inFlight = true;
    const t0 = performance.now();
    try {
      countIn(this.stage, ctx.topic, records.length);
      const decoded: DecodedRecord<TIn>[] = [];
      const dead: DeadLetter[] = [];
      for (const r of records) {
        if (r.error) dead.push({ record: r as IncomingRecord<unknown>, error: r.error });
        else decoded.push(r as DecodedRecord<TIn>);
      }
      const results = await this.transformBatch(decoded);
      const tTransform = performance.now();
      const perInput: { record: DecodedRecord<TIn>; outputs: ProcessorOutput[] }[] = [];
      results.forEach((res, i) => {
        const record = decoded[i]!;
        if (res instanceof ProteaError) dead.push({ record: record as IncomingRecord<unknown>, error: res });
        else perInput.push({ record, outputs: res });
      });
      await ctx.heartbeat(); // a long transform must not cost the group membership

      const sent = await this.sendOutputs(perInput, dead);
      await this.sendDeadLetters(dead);
      const tSend = performance.now();

      // Everything of the batch is acknowledged: returning lets kafkajs resolve and commit it.
      for (const [topic, n] of sent) countOut(this.stage, topic, n);
      countDeadLetters(this.stage, ctx.topic, dead.length);
      const seconds = (performance.now() - t0) / 1000;
      observeBatch(this.stage, seconds);
      const lag = setConsumerLag(this.stage, ctx.topic, ctx.partition, ctx.highWatermark, ctx.nextOffset);
      this.stats.batches++;
      this.crashes = 0;
      this.stats.recordsIn += records.length;
      this.stats.recordsOut += [...sent.values()].reduce((a, b) => a + b, 0);
      this.stats.deadLetters += dead.length;
      this.log.debug(
        { partition: ctx.partition, records: records.length, dead: dead.length, lag, ms: Math.round(seconds * 1000), transformMs: Math.round(tTransform - t0), sendMs: Math.round(tSend - tTransform) },
        'batch done',
      );
    } catch (err) {
      if (err instanceof BatchAbandoned) {
        this.stats.abandonedBatches++;
        this.log.warn({ partition: ctx.partition, firstOffset: records[0]?.offset, nextOffset: ctx.nextOffset }, err.message);
        throw err;
      }
      // kafkajs' own errors come from heartbeats (a rebalance): kafkajs rejoins and redelivers.
      if ((err as Error)?.name?.startsWith('KafkaJS')) throw err;
      // Record-level failures became dead letters; what escapes is an outage the retries could
      // not ride out, or a failure of the stage itself: stop and fail loudly, uncommitted.
      this.fail(classify(err, { topic: ctx.topic, partition: ctx.partition }));
      throw err;
    } finally {
      this.inFlight = false;
    }
  }

  /** Runs fn; retriable failures are retried with exponential backoff, up to maxAttempts in total. */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let delay = this.retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.abortable(fn());
      } catch (err) {
        if (err instanceof BatchAbandoned) throw err;
        const e = err instanceof ProteaError ? err : classify(err, { component: 'kafka' });
        if (!e.retriable) throw err;
        if (attempt >= this.retry.maxAttempts) {
          this.log.error({ err: e.toJSON(), attempts: attempt }, `${what}: retries exhausted`);
          throw e;
        }
        this.stats.retries++;
        this.log.warn({ code: e.code, attempt, nextDelayMs: delay }, `${what} failed, retrying: ${e.message}`);
        await this.abortable(sleep(delay));
        delay = Math.min(this.retry.maxDelayMs, delay * 2);
      }
    }
  }

  /** One result per decoded record; a batch-level non-retriable throw is narrowed down record by record. */
  private async transformBatch(decoded: DecodedRecord<TIn>[]): Promise<TransformResult[]> {
    if (decoded.length === 0) return [];
    const once = async (recs: DecodedRecord<TIn>[]): Promise<TransformResult[]> => {
      const res = await this.opts.transform(recs);
      if (!Array.isArray(res) || res.length !== recs.length) {
        throw new ProteaError('INTERNAL', `the ${this.stage} transform returned ${Array.isArray(res) ? res.length : typeof res} results for ${recs.length} records`, { contract: true });
      }
      const retriable = res.find((r): r is ProteaError => r instanceof ProteaError && r.retriable);
      if (retriable) throw retriable; // a transient failure of one record retries the batch
      return res;
    };
    try {
      return await this.retrying(`${this.stage} transform`, () => once(decoded));
    } catch (err) {
      if (err instanceof BatchAbandoned) throw err;
      if (err instanceof ProteaError && (err.retriable || err.context.contract === true)) throw err;
      this.log.warn({ err, records: decoded.length }, `the ${this.stage} transform failed for the batch; transforming its records one by one`);
    }
    const out: TransformResult[] = [];
    for (const r of decoded) {
      try {
        const [res] = await this.retrying(`${this.stage} transform`, () => once([r]));
        out.push(res!);
      } catch (err) {
        if (err instanceof BatchAbandoned) throw err;
        const e = asProcessorError(err, r as IncomingRecord<unknown>);
        if (e.retriable) throw e;
        out.push(e);
      }
    }
    return out;
  }

  /**
   * Sends every output, grouped per topic in input order, and waits for the
   * acknowledgements. A value a topic's schema refuses (AVRO_ENCODE_FAILED) is
   * narrowed down to its input, which is dead-lettered; the other inputs'
   * outputs are sent. Returns the counts sent per topic.
   */
  private async sendOutputs(perInput: { record: DecodedRecord<TIn>; outputs: ProcessorOutput[] }[], dead: DeadLetter[]): Promise<Map<string, number>> {
    const all = perInput.flatMap((p) => p.outputs);
    try {
      await this.retrying(`${this.stage} send`, () => this.sendGrouped(all));
      return countByTopic(all);
    } catch (err) {
      if (err instanceof BatchAbandoned) throw err;
      const e = err as ProteaError;
      if (e.key !== 'AVRO_ENCODE_FAILED') throw e;
      this.log.warn({ err: e.toJSON() }, 'an output does not match its topic schema; sending input by input to find it');
    }
    const sent: ProcessorOutput[] = [];
    for (const p of perInput) {
      try {
        await this.retrying(`${this.stage} send`, () => this.sendGrouped(p.outputs));
        sent.push(...p.outputs);
      } catch (err) {
        if (err instanceof BatchAbandoned) throw err;
        const e = err as ProteaError;
        if (e.key !== 'AVRO_ENCODE_FAILED') throw e;
        dead.push({ record: p.record as IncomingRecord<unknown>, error: e });
      }
    }
    return countByTopic(sent);
  }

  private async sendGrouped(outputs: readonly ProcessorOutput[]): Promise<void> {
    const groups = new Map<string, { key: string; value: unknown; headers?: Record<string, string> }[]>();
    for (const o of outputs) {
      let g = groups.get(o.topic);
      if (!g) groups.set(o.topic, (g = []));
      g.push(o.headers ? { key: o.key, value: o.value, headers: o.headers } : { key: o.key, value: o.value });
    }
    await Promise.all(
      [...groups].map(async ([topic, recs]) => {
        await this.producer.send(topic, recs);
      }),
    );
  }

  private async sendDeadLetters(dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0) return;
    const now = Date.now();
    const subject = subjectFor(this.dlqTopic);
    const letters: { key: string | null; value: DeadLetterRecord; headers: Record<string, string | Buffer> }[] = [];
    const events: { key: string; value: JobEventRecord }[] = [];
    for (const { record, error } of dead) {
      const prov = record.value !== undefined ? this.provenance(record.value as TIn) : {};
      const file = typeof error.context.file === 'string' ? error.context.file : (prov.file ?? null);
      const line = typeof error.context.line === 'number' ? error.context.line : (prov.line ?? null);
      const jobId = prov.jobId ?? record.headers['protea-job-id'] ?? null;
      const reason = error.message;
      const value: DeadLetterRecord = {
        stage: this.stage,
        source_topic: record.topic,
        source_partition: record.partition,
        source_offset: record.offset,
        error_code: error.code,
        reason,
        retriable: error.retriable,
        original_key: record.key === null ? null : Buffer.from(record.key, 'utf8'),
        original_value: record.raw,
        original_headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
        file,
        line,
        job_id: jobId,
        failed_at: now,
      };
      const headers: Record<string, string | Buffer> = {
        'protea-stage': this.stage,
        'protea-source-topic': record.topic,
        'protea-source-partition': String(record.partition),
        'protea-source-offset': record.offset,
        'protea-error-code': error.code,
        'protea-error-reason': headerText(reason),
      };
      if (file !== null) headers['protea-source-file'] = file;
      if (line !== null) headers['protea-source-line'] = String(line);
      if (jobId !== null) headers['protea-job-id'] = jobId;
      letters.push({ key: record.key, value, headers });
      this.log.warn({ topic: record.topic, partition: record.partition, offset: record.offset, code: error.code, file, line }, `dead-lettered: ${reason}`);
      if (jobId !== null) {
        const fields: Record<string, unknown> = { file, line, source_topic: record.topic, source_partition: record.partition, source_offset: record.offset, dlq_topic: this.dlqTopic };
        events.push({
          key: KEYS.jobEvent({ job_id: jobId }),
          value: {
            event_id: deterministicUuidV7(Number(record.timestamp) || now, `${this.stage}|dead_letter|${record.topic}|${record.partition}|${record.offset}`),
            job_id: jobId,
            event: 'dead_letter',
            status: null,
            operation: null,
            stage: this.stage,
            progress_current: null,
            progress_total: null,
            level: 'warn',
            message: reason,
            error_code: error.code,
            fields_json: JSON.stringify(fields),
            ts: now,
            parent_job_id: null,
            payload_json: null,
          },
        });
      }
    }
    await this.retrying(`${this.stage} dead-letter send`, async () => {
      const messages = await Promise.all(letters.map(async (l) => ({ key: l.key, value: await this.registry.encode(subject, l.value, { topic: this.dlqTopic }), headers: l.headers })));
      await Promise.all([this.producer.sendRaw(this.dlqTopic, messages), this.producer.send(this.jobsTopic, events)]);
    });
    this.stats.jobEvents += events.length;
  }
}

function countByTopic(outputs: readonly ProcessorOutput[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of outputs) m.set(o.topic, (m.get(o.topic) ?? 0) + 1);
  return m;
}

/**
 * Starts a processor: connects, joins the consumer group and runs batches
 * until stop() (or SIGTERM/SIGINT). Resolves once the group is joined.
 */
export async function runProcessor<TIn>(opts: ProcessorOptions<TIn>): Promise<ProcessorHandle> {
  const runner = new ProcessorRunner<TIn>(opts);
  try {
    await runner.start();
  } catch (err) {
    await runner.stop('start failed').catch(() => undefined);
    throw classify(err, { component: 'kafka', topic: opts.inputTopic });
  }
  return runner;
}
