// The predictor stage: protea.predictions.requests -> protea.predictions.raw
// (key '<job_id>|<query_accession>'), one request per query protein of a
// prediction job (`protea predict`).
//
// A request is predicted at once when its input is stored (the query's
// embedding under the set's config for KNN, its sequence for the identity
// method). Otherwise it is recorded in prediction_pending and this stage's
// sweeper predicts it as soon as the input lands: every PROTEA_PREDICT_SWEEP_MS
// it claims (FOR UPDATE SKIP LOCKED: replicas share the work) the waiting
// queries whose input exists, sends their predictions and deletes them in the
// same transaction, so a crash leaves them waiting, never lost. A query still
// without its input after PROTEA_PREDICT_EMBED_WAIT_S is reported
// unpredictable with the reason: a job never waits forever.
//
// Outputs are deterministic for a prediction set (its parameters live on its
// row, its references are fixed when its index is first opened), so a
// redelivered request yields the same messages and the sink absorbs them.
import { config } from '../../lib/config.js';
import type { PgPool } from '../../lib/copy.js';
import { createCopyPool, createQueryPool, type DatabasePool } from '../../lib/db.js';
import { ProteaError, classify } from '../../lib/errors.js';
import { logger } from '../../lib/log.js';
import { cancelledJobs } from '../../lib/queries/jobs.js';
import { getPredictionSet } from '../../lib/queries/prediction-sets.js';
import { addPending, claimPending, deletePending, dropCancelledPending, type ClaimedQuery, type PendingQuery } from '../../lib/queries/prediction-queue.js';
import { sleep } from '../../lib/runtime/retry.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { PredictionRequestRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { runProcessor, type DecodedRecord, type ProcessorHandle, type ProcessorOptions, type ProcessorOutput, type TransformResult } from '../runner.js';
import { AlignmentPool, alignmentThreads } from '../alignment/index.js';
import { IdentityMethod } from './identity-method.js';
import { KnnMethod } from './knn-method.js';
import type { PredictionMethod, QueryInput, QueryOutcome } from './method.js';
import { paramsOf, type PredictionParams } from './params.js';
import { predictionMessages, type QueryRequest } from './records.js';
import { SearchPool } from './search-pool.js';

export const PREDICTOR_STAGE = 'predictor' as const;

/** Worker threads for alignments: PROTEA_PREDICT_THREADS, or one per core less one (faiss searches run on one thread that faiss parallelises itself). */
export function predictorThreads(): number {
  return alignmentThreads(config().predictThreads);
}

interface OpenSet {
  params: PredictionParams;
  method: PredictionMethod;
}

/** The prediction sets this process predicts for, each with its method opened once. */
class SetCatalogue {
  private readonly sets = new Map<string, Promise<OpenSet>>();
  private search?: SearchPool;
  private align?: AlignmentPool;

  constructor(
    private readonly db: () => DatabasePool,
    private readonly copyPool: () => PgPool,
    private readonly threads: number,
    private readonly indexDir?: string,
  ) {}

  get(id: string): Promise<OpenSet> {
    let open = this.sets.get(id);
    if (!open) {
      open = this.open(id);
      open.catch(() => this.sets.delete(id));
      this.sets.set(id, open);
    }
    return open;
  }

  private async open(id: string): Promise<OpenSet> {
    const row = await getPredictionSet(this.db(), id);
    if (!row) throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${id} does not exist (deleted since the request was made?)`, { field: 'prediction_set_id' });
    const params = paramsOf(row);
    let method: PredictionMethod;
    if (params.method === 'knn') {
      // one faiss thread per process (faiss-thread.ts); faiss spreads a batch over the cores itself
      this.search ??= new SearchPool();
      // --max-identity aligns queries against candidate references on the alignment workers
      const leakage = params.maxIdentity !== null ? { db: this.db(), align: (this.align ??= new AlignmentPool({ threads: this.threads })) } : undefined;
      method = new KnnMethod(this.copyPool(), this.search, params, this.indexDir, leakage);
    } else {
      this.align ??= new AlignmentPool({ threads: this.threads });
      method = new IdentityMethod(this.db(), this.align, params);
    }
    logger('predictor').info({ predictionSet: id, ...params }, 'predicting for prediction set');
    return { params, method };
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled([...this.sets.values()]);
    this.sets.clear();
    for (const s of all) if (s.status === 'fulfilled') await s.value.method.close();
    await this.search?.close();
    await this.align?.close();
    this.search = undefined;
    this.align = undefined;
  }
}

/** Outcomes of requests grouped by prediction set; a set that cannot be opened rejects its requests with the reason. */
async function predictGrouped(catalogue: SetCatalogue, requests: readonly QueryRequest[], signal?: AbortSignal): Promise<(QueryOutcome | ProteaError)[]> {
  const out: (QueryOutcome | ProteaError)[] = new Array(requests.length);
  const bySet = new Map<string, number[]>();
  requests.forEach((r, i) => {
    const at = bySet.get(r.predictionSetId);
    if (at) at.push(i);
    else bySet.set(r.predictionSetId, [i]);
  });
  for (const [setId, at] of bySet) {
    let set: OpenSet;
    try {
      set = await catalogue.get(setId);
    } catch (err) {
      const e = err instanceof ProteaError ? err : classify(err);
      if (e.disposition !== 'dead-letter') throw e;
      for (const i of at) out[i] = e;
      continue;
    }
    // a query requested twice in one batch is predicted once
    const unique = new Map<string, QueryInput>();
    for (const i of at) unique.set(requests[i]!.accession, { accession: requests[i]!.accession, md5: requests[i]!.md5 });
    const inputs = [...unique.values()];
    let outcomes: QueryOutcome[];
    try {
      outcomes = await set.method.predict(inputs, signal);
    } catch (err) {
      // an outage (database, broker) keeps its retry disposition; anything else is this
      // batch's failure: the runner bisects down to the query and dead-letters it
      const e = classify(err);
      if (e.key !== 'INTERNAL') throw e;
      throw new ProteaError('PREDICTION_FAILED', `prediction set ${setId}: ${e.message}`, { field: 'query_accession' }, { cause: err });
    }
    const byAccession = new Map(inputs.map((q, j) => [q.accession, outcomes[j]!]));
    for (const i of at) out[i] = byAccession.get(requests[i]!.accession)!;
  }
  return out;
}

export interface PredictorOptions extends Partial<Omit<ProcessorOptions<PredictionRequestRecord>, 'stage' | 'transform' | 'open' | 'close'>> {
  dbUrl?: string;
  /** where reference indexes are kept (default PROTEA_INDEX_DIR) */
  indexDir?: string;
  /** sweep interval (default PROTEA_PREDICT_SWEEP_MS) */
  sweepMs?: number;
  /** seconds a query waits for its input (default PROTEA_PREDICT_EMBED_WAIT_S) */
  waitS?: number;
}

/** Starts the predictor stage (consumer group `<namespace>.predictor` unless given); resolves once it joined the group. */
export async function runPredictor(opts: PredictorOptions = {}): Promise<ProcessorHandle> {
  const namespace = opts.namespace ?? config().topicNamespace;
  const outTopic = topicName('predictions.raw', namespace);
  const { dbUrl, indexDir, sweepMs, waitS, ...runner } = opts;
  let db: DatabasePool | undefined;
  let copyPool: PgPool | undefined;
  const pool = () => {
    if (!db) throw new ProteaError('INTERNAL', 'the predictor used its database pool before opening');
    return db;
  };
  const copies = () => {
    if (!copyPool) throw new ProteaError('INTERNAL', 'the predictor used its copy pool before opening');
    return copyPool;
  };
  const catalogue = new SetCatalogue(pool, copies, predictorThreads(), indexDir);
  const sweeper = new PendingSweeper(pool, catalogue, outTopic, { sweepMs: sweepMs ?? config().predictSweepMs, waitS: waitS ?? config().predictEmbedWaitS });
  const handle = await runProcessor<PredictionRequestRecord>({
    ...runner,
    namespace,
    stage: PREDICTOR_STAGE,
    inputTopic: opts.inputTopic ?? topicName('predictions.requests', namespace),
    groupId: opts.groupId ?? `${namespace}.${PREDICTOR_STAGE}`,
    // a search is cheapest on many queries at once (one matrix product per index)
    microBatch: opts.microBatch ?? { maxRecords: 1024 },
    provenance: (v) => ({ jobId: v.job_id }),
    async open() {
      db = await createQueryPool(dbUrl ?? config().dbUrl, { maximumPoolSize: 3 });
      copyPool = createCopyPool(dbUrl ?? config().dbUrl, 2);
    },
    async close() {
      await sweeper.stop();
      await catalogue.close();
      await db?.end();
      await copyPool?.end();
      db = undefined;
      copyPool = undefined;
    },
    async transform(records: DecodedRecord<PredictionRequestRecord>[], ctx) {
      const all = records.map((r): QueryRequest => ({ predictionSetId: r.value.prediction_set_id, jobId: r.value.job_id, accession: r.value.query_accession, md5: r.value.query_md5 }));
      // requests of a cancelled job (POST /jobs/ID/cancel) are dropped: acknowledged, not predicted
      const cancelled = await cancelledJobs(pool(), all.map((r) => r.jobId));
      const live = all.map((r, i) => ({ r, i })).filter(({ r }) => !cancelled.has(r.jobId));
      const outcomes = await predictGrouped(catalogue, live.map(({ r }) => r), ctx.signal);
      const waiting: PendingQuery[] = [];
      const results: TransformResult[] = all.map(() => []);
      outcomes.forEach((o, j) => {
        const { r, i } = live[j]!;
        if (o instanceof ProteaError) results[i] = o;
        else if (o.kind === 'pending') waiting.push(r);
        else results[i] = predictionMessages(r, o, outTopic);
      });
      await addPending(pool(), waiting);
      return results;
    },
  });
  sweeper.start();
  return handle;
}

/** Predicts the waiting queries whose input has landed, and reports those that waited too long. */
class PendingSweeper {
  private stopped = false;
  private abort = new AbortController();
  private loop?: Promise<void>;
  private producer?: TopicProducer;

  constructor(
    private readonly db: () => DatabasePool,
    private readonly catalogue: SetCatalogue,
    private readonly topic: string,
    private readonly opts: { sweepMs: number; waitS: number },
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.opts.sweepMs, this.abort.signal).catch(() => undefined);
      if (this.stopped) break;
      try {
        // a full sweep means more may be ready: sweep again at once
        while (!this.stopped && (await this.sweepOnce()) === SWEEP_LIMIT);
      } catch (err) {
        logger('predictor').warn({ err: classify(err).message }, 'sweeping the queries that wait for their embedding failed; retrying at the next sweep');
      }
    }
  }

  /** One claim: returns how many waiting queries it dealt with. */
  async sweepOnce(): Promise<number> {
    return this.db().transaction(async (tx) => {
      // the waiting queries of cancelled jobs are dropped (the cancel deletes them too; this catches a request that was being added meanwhile)
      await dropCancelledPending(tx);
      const claimed = await claimPending(tx, { waitS: this.opts.waitS, limit: SWEEP_LIMIT });
      if (claimed.length === 0) return 0;
      const requests: QueryRequest[] = claimed.map((c) => ({ predictionSetId: c.predictionSetId, jobId: c.jobId, accession: c.accession, md5: c.md5 }));
      const outcomes = await this.predictEach(requests);
      const outputs: ProcessorOutput[] = [];
      const done: ClaimedQuery[] = [];
      outcomes.forEach((o, i) => {
        const c = claimed[i]!;
        let final: Exclude<QueryOutcome, { kind: 'pending' }>;
        if (o instanceof ProteaError) final = { kind: 'unpredictable', reason: `${o.code}: ${o.message}` };
        else if (o.kind !== 'pending') final = o;
        else if (c.expired) final = { kind: 'unpredictable', reason: `no ${o.waitingFor} after waiting ${Math.round(c.waitedS)} s (PROTEA_PREDICT_EMBED_WAIT_S=${this.opts.waitS}); is the embedder running with this config active?` };
        else return; // landed between the claim and the read: the next sweep takes it
        outputs.push(...predictionMessages(requests[i]!, final, this.topic));
        done.push(c);
      });
      if (outputs.length > 0) {
        this.producer ??= new TopicProducer();
        await this.producer.send(this.topic, outputs.map((o) => ({ key: o.key, value: o.value })));
      }
      await deletePending(tx, done);
      logger('predictor').debug({ claimed: claimed.length, done: done.length }, 'swept waiting queries');
      return done.length;
    });
  }

  /**
   * The outcomes of claimed queries; when the batch fails for a reason that is
   * a query's (not an outage), query by query, so the one that fails is
   * reported with its error instead of failing every sweep after it.
   */
  private async predictEach(requests: readonly QueryRequest[]): Promise<(QueryOutcome | ProteaError)[]> {
    try {
      return await predictGrouped(this.catalogue, requests, this.abort.signal);
    } catch (err) {
      const e = classify(err);
      if (e.disposition !== 'dead-letter' || requests.length === 1) {
        if (e.disposition === 'dead-letter') return [e];
        throw e;
      }
      const out: (QueryOutcome | ProteaError)[] = [];
      for (const r of requests) out.push(...(await this.predictEach([r])));
      return out;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }
}

const SWEEP_LIMIT = 512;
