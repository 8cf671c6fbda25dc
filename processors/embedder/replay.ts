// `protea replay embeddings --config ID`: the embeddings of every sequence in
// protea.sequences under one config (active or not), as a job.
//
// The embedder stage runs in this process with a fresh consumer group that
// reads the (compacted) topic from its beginning up to the offsets it had when
// the replay started, restricted to the one config; (sequence, config) pairs
// already stored are skipped, so other configs' rows are untouched and a second
// replay changes nothing. Progress is the share of that offset range read
// (sent to the job and drawn on the terminal with an ETA). The job succeeds
// once the embeddings sink (run by `protea pipeline`) has landed everything the
// replay produced: its stored offsets reach the embeddings topic's ends as they
// were when the replay's last send was acknowledged.
import { config } from '../../lib/config.js';
import { createQueryPool } from '../../lib/db.js';
import { ProteaError, classify } from '../../lib/errors.js';
import { JobReporter } from '../../lib/jobs.js';
import { deleteGroups, topicRanges, type PartitionRange } from '../../lib/kafka-client.js';
import { logger } from '../../lib/log.js';
import { Progress } from '../../lib/progress.js';
import { requireEmbeddingConfig } from '../../lib/queries/embedding-configs.js';
import { embeddingCounts } from '../../lib/queries/sequence-embeddings.js';
import { sinkOffsets } from '../../lib/queries/sink-offsets.js';
import { sleep } from '../../lib/runtime/retry.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { topicName } from '../../topics/catalogue.js';
import type { EmbeddingBackend, EmbeddingRecipe } from './backend.js';
import { runEmbedder, EMBEDDER_STAGE } from './processor.js';

export interface ReplayOptions {
  configId: string;
  namespace?: string;
  dbUrl?: string;
  /** draw a progress bar / lines on stderr (default true) */
  progress?: boolean;
  /** how long to wait for the embeddings sink to land the replay's records (default: no limit) */
  sinkTimeoutMs?: number;
  /** stops the replay early (SIGINT/SIGTERM): the job ends cancelled */
  signal?: AbortSignal;
  openBackend?: (recipe: EmbeddingRecipe) => Promise<EmbeddingBackend>;
}

export interface ReplayResult {
  jobId: string;
  status: 'succeeded' | 'cancelled';
  /** sequence messages read */
  sequences: number;
  deadLetters: number;
  /** rows of the config after the replay landed */
  vectors: number;
  embeddedSequences: number;
  devices: string[];
  seconds: number;
}

/** Share of the ranges read, given the next offset to read per partition. */
export function rangeProgress(ranges: readonly PartitionRange[], next: ReadonlyMap<number, bigint>): { done: number; total: number } {
  let done = 0n;
  let total = 0n;
  for (const r of ranges) {
    const span = r.high - r.low;
    total += span;
    const at = next.get(r.partition) ?? r.low;
    done += (at > r.high ? r.high : at) - r.low;
  }
  return { done: Number(done), total: Number(total) };
}

export async function replayEmbeddings(opts: ReplayOptions): Promise<ReplayResult> {
  const namespace = opts.namespace ?? config().topicNamespace;
  const dbUrl = opts.dbUrl ?? config().dbUrl;
  const db = await createQueryPool(dbUrl, { maximumPoolSize: 1 });
  const producer = new TopicProducer();
  const started = Date.now();
  try {
    const conf = await requireEmbeddingConfig(db, opts.configId);
    const sequencesTopic = topicName('sequences', namespace);
    const embeddingsTopic = topicName('embeddings', namespace);
    const ranges = await topicRanges(sequencesTopic);
    const total = ranges.reduce((a, r) => a + Number(r.high - r.low), 0);
    await producer.connect();
    const job = new JobReporter(producer, { operation: 'replay_embeddings', stage: EMBEDDER_STAGE, namespace, payload: { embedding_config_id: conf.id, model_name: conf.model_name, topic: sequencesTopic } });
    await job.created(`replay of ${sequencesTopic} under embedding config ${conf.id}`);
    await job.started(total);
    const bar = opts.progress === false ? undefined : new Progress({ label: `replay ${conf.model_name}`, total });
    const groupId = `${namespace}.replay.${job.id}`;
    const next = new Map<number, bigint>();
    let sequences = 0;
    let finished: () => void = () => undefined;
    const caughtUp = new Promise<void>((resolve) => (finished = resolve));
    const isCaughtUp = () => ranges.every((r) => (next.get(r.partition) ?? r.low) >= r.high);
    let lastSent = 0;
    const progressNow = () => {
      const p = rangeProgress(ranges, next);
      return { current: p.done, total: p.total };
    };
    let handle: Awaited<ReturnType<typeof runEmbedder>>;
    try {
      handle = await runEmbedder({
        namespace,
        dbUrl,
        groupId,
        configIds: [conf.id],
        jobId: job.id,
        fromBeginning: true,
        onRecords: (records) => {
          for (const r of records) {
            const o = BigInt(r.offset) + 1n;
            if (o > (next.get(r.partition) ?? 0n)) next.set(r.partition, o);
          }
          sequences += records.length;
          const p = rangeProgress(ranges, next);
          bar?.update(p.done, sequences);
          if (Date.now() - lastSent > 2000) {
            lastSent = Date.now();
            job.progress(p.done, p.total).catch((err) => logger('replay').warn({ err: classify(err).toJSON() }, 'replay progress event not sent'));
          }
          if (isCaughtUp()) finished();
        },
        ...(opts.openBackend ? { openBackend: opts.openBackend } : {}),
      });
      if (isCaughtUp()) finished(); // an empty topic
      const aborted = new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([caughtUp, aborted, handle.done.then(() => undefined)]);
      // the batch that reached the end has been acknowledged once the stage stops gracefully
      await handle.stop(opts.signal?.aborted ? 'replay cancelled' : 'replay reached the end of the topic');
      await handle.done;
    } catch (err) {
      // the stage could not start or failed (a model that cannot be opened): the job says so
      const e = classify(err);
      await job.finished('failed', { ...progressNow(), message: e.message, errorCode: e.code }).catch(() => undefined);
      await deleteGroups([groupId]).catch(() => undefined);
      throw e;
    }
    bar?.finish(sequences);
    await deleteGroups([groupId]);
    if (opts.signal?.aborted) {
      await job.finished('cancelled', { ...progressNow(), message: 'cancelled by a signal' }).catch(() => undefined);
      const counts = await embeddingCounts(db, conf.id);
      return { jobId: job.id, status: 'cancelled', sequences, deadLetters: handle.stats.deadLetters, vectors: counts.vectors, embeddedSequences: counts.sequences, devices: counts.devices, seconds: (Date.now() - started) / 1000 };
    }
    // wait for the sink to land what the replay produced
    const ends = await topicRanges(embeddingsTopic);
    const deadline = opts.sinkTimeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.sinkTimeoutMs;
    let warned = false;
    for (;;) {
      const stored = await sinkOffsets(db, 'embeddings', embeddingsTopic);
      if (ends.every((e) => e.high === e.low || (stored.get(e.partition) ?? 0n) >= e.high)) break;
      if (Date.now() > deadline) {
        const msg = `the embeddings sink has not landed the replay's vectors within ${opts.sinkTimeoutMs} ms`;
        await job.finished('failed', { message: msg, errorCode: 'PROTEA_ERR_STAGE_BEHIND' }).catch(() => undefined);
        throw new ProteaError('STAGE_BEHIND', msg, { hint: 'Is `protea pipeline` (or its sink:embeddings stage) running? The vectors are on the embeddings topic and land when it runs.' });
      }
      if (!warned && Date.now() - started > 10_000) {
        warned = true;
        logger('replay').info('waiting for the embeddings sink to land the vectors (is `protea pipeline` running?)');
      }
      await sleep(500);
    }
    const counts = await embeddingCounts(db, conf.id);
    const p = rangeProgress(ranges, next);
    await job.finished('succeeded', {
      current: p.total,
      total: p.total,
      message: `${sequences} sequence messages read, ${counts.sequences} sequences have ${counts.vectors} vectors under config ${conf.id} (device ${counts.devices.join(',') || 'none'})${handle.stats.deadLetters ? `, ${handle.stats.deadLetters} dead-lettered` : ''}`,
    });
    return { jobId: job.id, status: 'succeeded', sequences, deadLetters: handle.stats.deadLetters, vectors: counts.vectors, embeddedSequences: counts.sequences, devices: counts.devices, seconds: (Date.now() - started) / 1000 };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await db.end();
  }
}
