// The processor delivery rule, on the shared stage runtime (lib/runtime/):
// consume, transform, produce, at-least-once.
//
// A fetched batch (one partition) is cut into micro-batches (count, bytes or a
// stage-defined cost); each is transformed with an AbortSignal and a
// heartbeat (the runtime also heartbeats on a timer, so a transform longer than
// the session timeout keeps the membership). ALL outputs, dead letters and job
// events of the batch are sent and acknowledged by the broker (acks=all), and
// only then does the handler return, which lets the client resolve the
// batch's last offset and commit it. A batch that fails or is abandoned
// (stop past the grace period, a rebalance) throws out of the handler, so none
// of its offsets is committed: never a half-done batch. A crash after the
// sends and before the commit redelivers the batch; outputs are keyed
// deterministically (MD5, accession, ...) so the redelivery produces the same
// keys and the compacted topics and the sinks absorb it.
//
// Errors, by their code's disposition (lib/errors.ts): `retry` (the broker or
// the registry away) is retried with the one policy; when the attempts run out
// the processor stops and `done` rejects (nothing goes to the DLQ for an
// outage). A micro-batch whose transform throws anything else is bisected by
// halving until the records that fail alone are found; those, undecodable
// records and records the transform rejects go to `dlq.<stage>` (built by
// lib/runtime/dead-letters.ts) with a 'dead_letter' job event when their job
// is known.
import { performance } from 'node:perf_hooks';
import { config } from '../lib/config.js';
import { ProteaError, classify } from '../lib/errors.js';
import { bisect } from '../lib/runtime/bisect.js';
import { buildDeadLetter, deadLetterJobEvent, sendDeadLetters, type DeadLetter } from '../lib/runtime/dead-letters.js';
import { emitStageEvent, lagOf } from '../lib/runtime/instrumentation.js';
import { microBatches, type MicroBatchLimits } from '../lib/runtime/micro-batches.js';
import type { RetryOptions } from '../lib/runtime/retry.js';
import { BatchAbandoned, StageRuntime, isRebalance, type StageBatch, type StageOptions, type StopResult } from '../lib/runtime/stage-runtime.js';
import type { IncomingRecord } from '../lib/topic-consumer.js';
import type { JobEventRecord } from '../schemas/generated/types.js';
import { dlqFor, topicName, type Stage } from '../topics/catalogue.js';

export type { RetryOptions, StopResult };
export { deterministicUuidV7 } from '../lib/runtime/dead-letters.js';

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

/** What a transform gets besides its records. */
export interface TransformContext {
  /** aborts when the batch is abandoned (stop past the grace period, a rebalance): stop early, nothing is committed */
  signal: AbortSignal;
  /** an extra heartbeat for a long step (the runtime heartbeats on a timer anyway) */
  heartbeat(): Promise<void>;
}

export interface Provenance {
  file?: string | null;
  line?: number | null;
  jobId?: string | null;
}

export interface ProcessorOptions<TIn> extends StageOptions {
  stage: Stage;
  /** full topic name the stage consumes */
  inputTopic: string;
  groupId: string;
  /**
   * Transforms the decoded records of one micro-batch; returns one result per
   * input, in the same order. Must be deterministic in its output keys. A
   * thrown error whose code is `retry` retries the micro-batch; any other
   * throw makes the runner bisect it to find the culprit(s).
   */
  transform(records: DecodedRecord<TIn>[], ctx: TransformContext): Promise<TransformResult[]>;
  /** what the stage holds (a model session, an index, a pool): opened before joining, closed after leaving */
  open?(): Promise<void>;
  close?(): Promise<void>;
  /** micro-batches inside a fetched batch (default: the whole batch in one) */
  microBatch?: MicroBatchLimits<DecodedRecord<TIn>>;
  /** topic namespace of the DLQ and job-events topics (default: PROTEA_TOPIC_NAMESPACE) */
  namespace?: string;
  /** file, line and job of an input (default: the source_file, line and job_id fields when present) */
  provenance?: (value: TIn) => Provenance;
  /** where a new consumer group starts (default true: the beginning) */
  fromBeginning?: boolean;
  /** batches of different partitions transformed at once (default 1; see StageRuntimeOptions) */
  partitionsAtOnce?: number;
}

export interface ProcessorStats {
  batches: number;
  recordsIn: number;
  recordsOut: number;
  deadLetters: number;
  jobEvents: number;
  retries: number;
  abandonedBatches: number;
  /** transform calls, bisection included */
  transformCalls: number;
  /** micro-batches split in halves to find a failing record */
  bisections: number;
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

function defaultProvenance(value: unknown): Provenance {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  return {
    file: typeof v.source_file === 'string' ? v.source_file : null,
    line: typeof v.line === 'number' ? v.line : null,
    jobId: typeof v.job_id === 'string' ? v.job_id : null,
  };
}

/** The promise, or a rejection with the abort reason as soon as the signal aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const isAbort = (err: unknown) => err instanceof BatchAbandoned || isRebalance(err);

interface Rejected {
  record: IncomingRecord<unknown>;
  error: ProteaError;
}

class ProcessorRunner<TIn> implements ProcessorHandle {
  readonly stage: Stage;
  readonly groupId: string;
  readonly inputTopic: string;
  private readonly counts: Omit<ProcessorStats, 'abandonedBatches'> = { batches: 0, recordsIn: 0, recordsOut: 0, deadLetters: 0, jobEvents: 0, retries: 0, transformCalls: 0, bisections: 0 };
  readonly runtime: StageRuntime<TIn>;
  readonly done: Promise<StopResult>;

  private readonly dlqTopic: string;
  private readonly jobsTopic: string;
  private readonly provenance: (value: TIn) => Provenance;

  constructor(private readonly opts: ProcessorOptions<TIn>) {
    this.stage = opts.stage;
    this.groupId = opts.groupId;
    this.inputTopic = opts.inputTopic;
    const namespace = opts.namespace ?? config().topicNamespace;
    this.dlqTopic = topicName(dlqFor(opts.stage), namespace);
    this.jobsTopic = topicName('jobs.events', namespace);
    this.provenance = opts.provenance ?? ((v: TIn) => defaultProvenance(v));
    const { transform: _t, microBatch: _m, namespace: _n, provenance: _p, inputTopic, stage, ...rest } = opts;
    this.runtime = new StageRuntime<TIn>({
      ...rest,
      stage,
      topics: [inputTopic],
      autoCommit: true,
      onExhausted: 'fail',
      handle: (batch) => this.handleBatch(batch),
    });
    this.done = this.runtime.done;
  }

  get stats(): Readonly<ProcessorStats> {
    return { ...this.counts, abandonedBatches: this.runtime.abandonedBatches };
  }

  stop(reason?: string): Promise<StopResult> {
    return this.runtime.stop(reason);
  }

  private retrying<T>(step: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    return this.runtime.retrying(step, () => abortable(fn(), signal), { signal, counted: () => this.counts.retries++ });
  }

  private async handleBatch(batch: StageBatch<TIn>): Promise<void> {
    const { records, signal } = batch;
    const t0 = performance.now();
    const decoded: DecodedRecord<TIn>[] = [];
    const rejected: Rejected[] = [];
    for (const r of records) {
      if (r.error) rejected.push({ record: r as IncomingRecord<unknown>, error: r.error });
      else decoded.push(r as DecodedRecord<TIn>);
    }
    const perInput: { record: DecodedRecord<TIn>; outputs: ProcessorOutput[] }[] = [];
    for (const part of microBatches(decoded, this.opts.microBatch)) {
      const results = await this.transformPart(part, batch);
      results.forEach((res, i) => {
        const record = part[i]!;
        if (res instanceof ProteaError) rejected.push({ record: record as IncomingRecord<unknown>, error: res });
        else perInput.push({ record, outputs: res });
      });
    }
    const tTransform = performance.now();
    // Once the batch sends, a rebalance no longer cuts it: its sends finish and the client
    // commits it (a commit while the group prepares a rebalance still counts), so the
    // partition's next owner does not send its outputs and dead letters a second time.
    // A stop past the grace period still cuts the sends.
    const sending = unlessRebalanced(signal);
    const sent = await this.sendOutputs(perInput, rejected, sending);
    await this.sendRejected(rejected, sending);
    const tSend = performance.now();

    // Everything of the batch is acknowledged: returning lets the client resolve and commit it.
    const seconds = (performance.now() - t0) / 1000;
    emitStageEvent({ type: 'batch', stage: this.stage, topic: batch.topic, partition: batch.partition, records: records.length, seconds, outputs: Object.fromEntries(sent) });
    for (const [code, n] of countBy(rejected.map((d) => d.error.code))) emitStageEvent({ type: 'dead_letter', stage: this.stage, topic: batch.topic, code, count: n });
    const lag = lagOf(batch.highWatermark, batch.nextOffset);
    if (lag !== undefined) emitStageEvent({ type: 'lag', stage: this.stage, topic: batch.topic, partition: batch.partition, lag });
    this.counts.batches++;
    this.counts.recordsIn += records.length;
    this.counts.recordsOut += [...sent.values()].reduce((a, b) => a + b, 0);
    this.counts.deadLetters += rejected.length;
    this.runtime.log.debug(
      { partition: batch.partition, records: records.length, dead: rejected.length, lag, ms: Math.round(seconds * 1000), transformMs: Math.round(tTransform - t0), sendMs: Math.round(tSend - tTransform) },
      'batch done',
    );
  }

  /** One result per record of the micro-batch: retried as a whole on `retry` failures, bisected on any other. */
  private transformPart(part: DecodedRecord<TIn>[], batch: StageBatch<TIn>): Promise<TransformResult[]> {
    const ctx: TransformContext = { signal: batch.signal, heartbeat: batch.heartbeat };
    const once = async (recs: readonly DecodedRecord<TIn>[]): Promise<TransformResult[]> => {
      this.counts.transformCalls++;
      const res = await this.opts.transform([...recs], ctx);
      if (!Array.isArray(res) || res.length !== recs.length) {
        throw new ProteaError('INTERNAL', `the ${this.stage} transform returned ${Array.isArray(res) ? res.length : typeof res} results for ${recs.length} records`, { contract: true });
      }
      const transient = res.find((r): r is ProteaError => r instanceof ProteaError && r.disposition === 'retry');
      if (transient) throw transient; // a transient failure of one record retries the micro-batch
      return res;
    };
    return bisect(part, (recs) => this.retrying(`${this.stage} transform`, batch.signal, () => once(recs)), {
      // outages (retries exhausted), aborts, fatal errors (a model that cannot load) and broken contracts are not a record's fault
      splittable: (err) => !isAbort(err) && !(err instanceof ProteaError && (err.disposition !== 'dead-letter' || err.context.contract === true)),
      single: (record, err) => this.asRecordError(err, record as IncomingRecord<unknown>),
      onSplit: (size, err) => {
        this.counts.bisections++;
        this.runtime.log.warn({ err: classify(err).toJSON(), records: size }, `the ${this.stage} transform failed for ${size} records; bisecting`);
      },
    });
  }

  /** A record that fails alone: its own dead-letter error, else PROCESSOR_FAILED; a fatal ProteaError stops the stage. */
  private asRecordError(err: unknown, rec: IncomingRecord<unknown>): ProteaError {
    const where = { topic: rec.topic, partition: rec.partition, offset: rec.offset };
    if (err instanceof ProteaError) {
      if (err.disposition === 'dead-letter') return err;
      throw err;
    }
    const e = classify(err, where);
    if (e.disposition === 'dead-letter') return e;
    if (e.key !== 'INTERNAL') throw e;
    return new ProteaError('PROCESSOR_FAILED', `transform failed: ${(err as Error)?.message ?? String(err)}`, where, { cause: err });
  }

  /**
   * Sends every output, grouped per topic in input order, and waits for the
   * acknowledgements. A value a topic's schema refuses (AVRO_ENCODE_FAILED) is
   * narrowed down to its input, which is dead-lettered; the other inputs'
   * outputs are sent. Returns the counts sent per topic.
   */
  private async sendOutputs(perInput: { record: DecodedRecord<TIn>; outputs: ProcessorOutput[] }[], rejected: Rejected[], signal: AbortSignal): Promise<Map<string, number>> {
    const sendAll = (outputs: readonly ProcessorOutput[]) => this.retrying(`${this.stage} send`, signal, () => this.sendGrouped(outputs));
    const refused = (err: unknown) => err instanceof ProteaError && err.key === 'AVRO_ENCODE_FAILED';
    const sent: ProcessorOutput[] = [];
    await bisect(perInput, async (part) => {
      const outputs = part.flatMap((p) => p.outputs);
      await sendAll(outputs);
      sent.push(...outputs);
      return part.map(() => undefined);
    }, {
      splittable: refused,
      single: (p, err) => {
        rejected.push({ record: p.record as IncomingRecord<unknown>, error: err as ProteaError });
        return undefined;
      },
    });
    return countBy(sent.map((o) => o.topic));
  }

  private async sendGrouped(outputs: readonly ProcessorOutput[]): Promise<void> {
    // the outputs go as they are (TopicProducer.send reads key, value and headers; no copy per record)
    const groups = new Map<string, ProcessorOutput[]>();
    for (const o of outputs) {
      let g = groups.get(o.topic);
      if (!g) groups.set(o.topic, (g = []));
      g.push(o);
    }
    await Promise.all([...groups].map(([topic, recs]) => this.runtime.producer.send(topic, recs)));
  }

  private async sendRejected(rejected: readonly Rejected[], signal: AbortSignal): Promise<void> {
    if (rejected.length === 0) return;
    const now = Date.now();
    const letters: DeadLetter[] = [];
    const events: { key: string; value: JobEventRecord }[] = [];
    for (const { record, error } of rejected) {
      const prov = record.value !== undefined ? this.provenance(record.value as TIn) : {};
      const letter = buildDeadLetter({ stage: this.stage, source: record, error, file: prov.file ?? null, line: prov.line ?? null, jobId: prov.jobId ?? null, now });
      letters.push(letter);
      this.runtime.log.warn({ topic: record.topic, partition: record.partition, offset: record.offset, code: error.code, file: letter.value.file, line: letter.value.line }, `dead-lettered: ${error.message}`);
      const event = deadLetterJobEvent(letter, this.dlqTopic, Number(record.timestamp));
      if (event) events.push(event);
    }
    await this.retrying(`${this.stage} dead-letter send`, signal, () =>
      Promise.all([sendDeadLetters(this.runtime.producer, this.dlqTopic, letters), this.runtime.producer.send(this.jobsTopic, events)]).then(() => undefined),
    );
    this.counts.jobEvents += events.length;
  }
}

/** A signal that follows `signal`, except for an abort because the group rebalanced. */
function unlessRebalanced(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const follow = () => {
    if (!isRebalance(signal.reason)) controller.abort(signal.reason);
  };
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  return controller.signal;
}

function countBy(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of items) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/**
 * Starts a processor: opens what it holds, connects, joins the consumer group
 * and runs batches until stop() (or SIGTERM/SIGINT). Resolves once joined.
 */
export async function runProcessor<TIn>(opts: ProcessorOptions<TIn>): Promise<ProcessorHandle> {
  const runner = new ProcessorRunner<TIn>(opts);
  await runner.runtime.start();
  return runner;
}
