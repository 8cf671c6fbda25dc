// The lifecycle every stage shares, processors and sinks alike: connect, join
// the consumer group and run batches; heartbeat on a timer while a batch runs
// (a transform longer than the session timeout keeps the membership); signal
// the batch when the group rebalances: a stage abandons what it has not begun
// to deliver (uncommitted, redelivered to the partition's new owner) and
// finishes what it has begun (a processor's sends, a sink's transaction), so
// nothing it already sent is sent again; stop gracefully on stop() or
// SIGTERM/SIGINT within ONE grace period; report a crash through `done`.
//
// What a batch does, and when its offsets count as done, is the stage's own
// delivery rule (processors/runner.ts, sinks/runner.ts): the runtime hands it
// the records with an AbortSignal and a heartbeat, and only looks at how it
// ended:
//   returned           done (a processor's offsets are then committed), also
//                      after a rebalance signal
//   aborted            abandoned uncommitted (stop, grace over, rebalance)
//   threw `retry`      the retries ran out: with `onExhausted: 'redeliver'` the
//                      batch goes back to the client, which refetches it later;
//                      with 'fail' the stage stops and `done` rejects
//   threw anything else the stage stops and `done` rejects (fails loudly)
import '../metrics.js'; // every stage's events become Prometheus metrics
import { config } from '../config.js';
import { ProteaError, classify } from '../errors.js';
import { createKafkaClient, type KafkaClient } from '../kafka-client.js';
import { logger } from '../log.js';
import { AvroRegistry } from '../schema-registry.js';
import { TopicConsumer, type BatchContext, type IncomingRecord } from '../topic-consumer.js';
import { TopicProducer } from '../topic-producer.js';
import { emitStageEvent } from './instrumentation.js';
import { retryPolicy, within, withRetry, type RetryOptions, type RetryPolicy } from './retry.js';

/** Thrown (as an abort reason) when a batch is left unresolved on purpose: nothing of it is committed. */
export class BatchAbandoned extends Error {
  constructor(why: string) {
    super(`batch abandoned uncommitted: ${why}`);
    this.name = 'BatchAbandoned';
  }
}

/** One fetched batch of one partition, as a stage handles it. */
export interface StageBatch<T> {
  records: IncomingRecord<T>[];
  topic: string;
  partition: number;
  /** the offset after the batch */
  nextOffset: string;
  highWatermark: string;
  /** aborts when the batch must be abandoned: stop past the grace period, or a rebalance */
  signal: AbortSignal;
  /** an extra heartbeat (the runtime sends them on a timer anyway); rejects with STAGE_REBALANCED */
  heartbeat(): Promise<void>;
  /** a seek is pending for the partition: the batch predates it */
  isStale(): boolean;
}

/** Options every stage takes, whatever its delivery rule. */
export interface StageOptions {
  /** how long stop() lets the in-flight batch finish before abandoning it (default PROTEA_STAGE_GRACE_MS) */
  gracePeriodMs?: number;
  /** install SIGTERM/SIGINT handlers that call stop() (default true) */
  handleSignals?: boolean;
  /** consumer session timeout (default PROTEA_STAGE_SESSION_TIMEOUT_MS) */
  sessionTimeoutMs?: number;
  /** upper bound of one fetched batch per partition, in bytes (default 4 MiB) */
  maxBytesPerPartition?: number;
  /** the one retry policy's settings (defaults PROTEA_RETRY_*) */
  retry?: RetryOptions;
  kafka?: KafkaClient;
  registry?: AvroRegistry;
}

export interface StageRuntimeOptions<T> extends StageOptions {
  /** label of logs and metrics: 'dedup', 'sink:sequences', ... */
  stage: string;
  groupId: string;
  topics: readonly string[];
  /** where a new consumer group starts (default true: the beginning) */
  fromBeginning?: boolean;
  /** commit resolved offsets to Kafka after each batch (processors) or never (sinks keep them in PostgreSQL) */
  autoCommit: boolean;
  /**
   * batches of different partitions handled at once (default 1): a stage whose
   * batch alternates between its own CPU work and a pool's (the enricher's
   * alignment threads) can overlap one partition's encode and send with
   * another's alignments. Each partition stays in order.
   */
  partitionsAtOnce?: number;
  /** what a batch whose retries ran out does: stop the stage, or go back to the client for a later refetch */
  onExhausted: 'fail' | 'redeliver';
  /** the stage's resources (a pool, a model session, an index): opened before joining, closed after leaving */
  open?(): Promise<void>;
  close?(): Promise<void>;
  /** partitions assigned after a (re)join */
  assigned?(partitions: ReadonlyMap<string, readonly number[]>): void;
  /** the stage's delivery rule for one batch */
  handle(batch: StageBatch<T>): Promise<void>;
}

export interface StopResult {
  reason: string;
  /** an in-flight batch was abandoned uncommitted (it will be redelivered) */
  abandoned: boolean;
  /** the consumer left the group and the clients disconnected in time */
  clean: boolean;
}

interface InFlight {
  controller: AbortController;
}

/** Whether an abort reason is the group rebalancing (not a stop). */
export function isRebalance(reason: unknown): boolean {
  return reason instanceof ProteaError && reason.key === 'STAGE_REBALANCED';
}

export class StageRuntime<T> {
  readonly stage: string;
  readonly groupId: string;
  readonly kafka: KafkaClient;
  readonly registry: AvroRegistry;
  readonly consumer: TopicConsumer<T>;
  readonly producer: TopicProducer;
  readonly retry: RetryPolicy;
  readonly gracePeriodMs: number;
  readonly log: ReturnType<typeof logger>;
  /** settles when the stage stopped: resolves after stop(), rejects with the error that stopped it otherwise */
  readonly done: Promise<StopResult>;
  /** batches abandoned uncommitted so far */
  abandonedBatches = 0;

  private readonly inFlight = new Set<InFlight>();
  private stopped: Promise<StopResult> | undefined;
  private fatal: ProteaError | undefined;
  private settle!: { resolve: (r: StopResult) => void; reject: (e: unknown) => void };
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  private opened = false;

  constructor(private readonly opts: StageRuntimeOptions<T>) {
    this.stage = opts.stage;
    this.groupId = opts.groupId;
    this.log = logger(opts.stage).child({ stage: opts.stage, group: opts.groupId });
    this.kafka = opts.kafka ?? createKafkaClient();
    this.registry = opts.registry ?? new AvroRegistry();
    this.retry = retryPolicy(opts.retry);
    this.gracePeriodMs = opts.gracePeriodMs ?? config().stageGraceMs;
    this.consumer = new TopicConsumer<T>({
      groupId: opts.groupId,
      kafka: this.kafka,
      registry: this.registry,
      sessionTimeout: opts.sessionTimeoutMs ?? config().stageSessionTimeoutMs,
      ...(opts.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: opts.maxBytesPerPartition }),
      hooks: {
        assigned: (partitions) => {
          for (const [topic, ps] of partitions) {
            this.log.info({ topic, assigned: ps }, 'partitions assigned');
            emitStageEvent({ type: 'rebalance', stage: this.stage, change: 'assigned', partitions: ps });
          }
          opts.assigned?.(partitions);
        },
        revoked: () => {
          if (this.inFlight.size > 0) this.log.warn({ inFlight: this.inFlight.size }, 'the group rebalances: abandoning the in-flight batch uncommitted');
          emitStageEvent({ type: 'rebalance', stage: this.stage, change: 'revoked', partitions: [] });
          this.abortAll(new ProteaError('STAGE_REBALANCED', 'the group rebalanced during the batch', { component: 'kafka' }));
        },
        crashed: (error, restart) => {
          if (this.stopping) return;
          if (restart) {
            this.log.warn({ err: error.toJSON() }, 'consumer crashed; the client restarts it (the batch is redelivered)');
            return;
          }
          this.fail(error);
        },
      },
    });
    this.producer = new TopicProducer({ kafka: this.kafka, registry: this.registry });
    this.done = new Promise<StopResult>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined); // a caller that never awaits done must not crash the process
  }

  /** Opens the stage's resources, connects and joins the group; resolves once batches run. */
  async start(): Promise<void> {
    try {
      await this.opts.open?.();
      this.opened = true;
      await this.producer.connect();
      await this.consumer.connect(this.opts.topics, this.opts.fromBeginning ?? true);
      if (this.opts.handleSignals ?? true) this.installSignalHandlers();
      await this.consumer.run((records, ctx) => this.runBatch(records, ctx), { autoCommit: this.opts.autoCommit, partitionsAtOnce: this.opts.partitionsAtOnce ?? 1 });
    } catch (err) {
      await this.stop('start failed').catch(() => undefined);
      throw classify(err, { component: 'kafka', topic: this.opts.topics.join(',') });
    }
    this.log.info({ topics: this.opts.topics }, 'stage started');
  }

  /**
   * fn with the stage's retry policy: `retry` failures are logged, counted
   * (a 'retry' event) and retried until the attempts run out or `signal` aborts.
   */
  retrying<T>(step: string, fn: () => Promise<T>, run: { signal?: AbortSignal; partition?: number; policy?: RetryPolicy; classify?: (err: unknown) => ProteaError; counted?: (e: ProteaError) => void } = {}): Promise<T> {
    return withRetry(fn, {
      policy: run.policy ?? this.retry,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.classify ? { classify: run.classify } : {}),
      onRetry: (e, attempt, delayMs) => {
        run.counted?.(e);
        this.log.warn({ partition: run.partition, code: e.code, attempt, nextDelayMs: delayMs }, `${step} failed, retrying: ${e.message}`);
        emitStageEvent({ type: 'retry', stage: this.stage, step, code: e.code, attempt, delayMs });
      },
    });
  }

  /** stop() was called (or the stage failed): batches are not to be started or continued */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  stop(reason = 'stop requested'): Promise<StopResult> {
    this.stopped ??= this.shutdown(reason);
    return this.stopped;
  }

  /** Stops the stage because of err: the in-flight batch is abandoned and `done` rejects with it. */
  fail(err: ProteaError): void {
    if (this.fatal) return;
    this.fatal = err;
    this.log.error({ err: err.toJSON() }, `stage failing: ${err.message}`);
    this.abortAll(new BatchAbandoned(`stage failed: ${err.message}`));
    void this.stop(`failed: ${err.code}`);
  }

  private abortAll(reason: Error): void {
    for (const f of this.inFlight) if (!f.controller.signal.aborted) f.controller.abort(reason);
  }

  private installSignalHandlers(): void {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => {
        if (!this.stopping) {
          this.log.info({ signal: sig, graceMs: this.gracePeriodMs }, 'signal received: stopping (the in-flight batch finishes or is abandoned uncommitted)');
          void this.stop(sig);
        } else {
          this.log.warn({ signal: sig }, 'second signal: abandoning the in-flight batch now');
          this.abortAll(new BatchAbandoned(`second ${sig}`));
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

  /**
   * The whole shutdown fits in the grace period: the in-flight batch may run
   * until the last quarter of it (at most 3 s before its end); then it is
   * abandoned and the rest is left for leaving the group and disconnecting.
   * The client also waits for a pending fetch (its long poll) before it leaves.
   */
  private async shutdown(reason: string): Promise<StopResult> {
    this.removeSignalHandlers();
    const t0 = Date.now();
    const abandonedBefore = this.abandonedBatches;
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
    let left = await within(disconnected, this.gracePeriodMs - reserve);
    if (left === 'timeout') {
      abandoned = this.inFlight.size > 0;
      this.log.warn({ graceMs: this.gracePeriodMs, inFlight: abandoned }, 'grace period running out: abandoning the in-flight batch uncommitted');
      this.abortAll(new BatchAbandoned('grace period over'));
      left = await within(disconnected, this.gracePeriodMs - (Date.now() - t0));
    }
    if (left !== true) {
      clean = false;
      if (left === 'timeout') this.log.warn({ graceMs: this.gracePeriodMs }, 'the consumer did not leave the group within the grace period; going on (the group coordinator expires the member)');
    }
    abandoned ||= this.abandonedBatches > abandonedBefore;
    try {
      const done = await within(this.producer.disconnect(), Math.max(500, this.gracePeriodMs - (Date.now() - t0)));
      if (done === 'timeout') clean = false;
    } catch (err) {
      this.log.warn({ err }, 'producer disconnect failed');
      clean = false;
    }
    if (this.opened) {
      this.opened = false;
      await this.opts.close?.().catch((err: unknown) => {
        this.log.warn({ err }, 'closing the stage resources failed');
        clean = false;
      });
    }
    const result: StopResult = { reason, abandoned, clean };
    this.log.info({ ...result, ms: Date.now() - t0 }, 'stage stopped');
    if (this.fatal) this.settle.reject(this.fatal);
    else this.settle.resolve(result);
    return result;
  }

  private async runBatch(records: IncomingRecord<T>[], ctx: BatchContext): Promise<void> {
    if (this.stopping || this.fatal) {
      this.abandonedBatches++;
      throw new BatchAbandoned(this.fatal ? `stage failed: ${this.fatal.message}` : 'stopping');
    }
    const flight: InFlight = { controller: new AbortController() };
    const signal = flight.controller.signal;
    this.inFlight.add(flight);
    // The batch's own heartbeats: a long transform or transaction keeps the membership,
    // and a heartbeat that finds the group rebalancing aborts the batch at once.
    const beat = () =>
      ctx.heartbeat().catch((err: unknown) => {
        if (isRebalance(err)) {
          if (!signal.aborted) flight.controller.abort(err);
        } else this.log.debug({ err }, 'heartbeat failed; the next one may pass');
      });
    const timer = setInterval(() => void beat(), this.consumer.heartbeatIntervalMs);
    timer.unref?.();
    try {
      await this.opts.handle({
        records,
        topic: ctx.topic,
        partition: ctx.partition,
        nextOffset: ctx.nextOffset,
        highWatermark: ctx.highWatermark,
        signal,
        heartbeat: ctx.heartbeat,
        isStale: ctx.isStale,
      });
      // finished after a stop cut it: too late to count, leave it uncommitted; finished after a
      // rebalance: hand it back done, the client commits it if the group still lets it
      if (signal.aborted && !isRebalance(signal.reason)) throw signal.reason;
    } catch (thrown) {
      const err = signal.aborted ? signal.reason : thrown;
      if (err instanceof BatchAbandoned || isRebalance(err)) {
        this.abandonedBatches++;
        this.log.warn({ partition: ctx.partition, firstOffset: records[0]?.offset, nextOffset: ctx.nextOffset }, err.message);
        // a rebalance found by our heartbeat carries the client's error: the seam hands it back so the client rejoins
        throw err instanceof ProteaError && isRebalance(thrown) ? thrown : err;
      }
      const e = classify(err, { topic: ctx.topic, partition: ctx.partition });
      if (e.disposition === 'retry' && this.opts.onExhausted === 'redeliver') {
        this.log.warn({ partition: ctx.partition, err: e.toJSON() }, 'retries ran out; the batch goes back to the client, which refetches it');
        throw e;
      }
      // what escapes a batch is an outage the retries could not ride out, or a failure
      // of the stage itself: stop and fail loudly, uncommitted
      this.fail(e);
      throw e;
    } finally {
      clearInterval(timer);
      this.inFlight.delete(flight);
    }
  }
}
