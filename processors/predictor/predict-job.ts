// `protea predict`: a prediction set and its job, one request per query
// protein on protea.predictions.requests, and (with --wait) the job followed
// to its end. The predictor stage (`protea pipeline`) does the predicting and
// the predictions sink lands the rows; the job succeeds when every query
// protein has been dealt with (predicted, or reported unpredictable with its
// reason).
import { config } from '../../lib/config.js';
import { createQueryPool, type DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { JobReporter } from '../../lib/jobs.js';
import { Progress } from '../../lib/progress.js';
import { resolveAnnotationSet, type AnnotationSetRow } from '../../lib/queries/annotation-sets.js';
import { activeEmbeddingConfigs, createEmbeddingConfig, requireEmbeddingConfig, type EmbeddingConfigRow } from '../../lib/queries/embedding-configs.js';
import { getJob } from '../../lib/queries/jobs.js';
import { insertMethodPredictionSet } from '../../lib/queries/prediction-sets.js';
import { predictionOutcome, type PredictionOutcome } from '../../lib/queries/prediction-queue.js';
import { querySetEntries, resolveQuerySet } from '../../lib/queries/query-sets.js';
import { embeddedPairs, referenceEmbeddingCoverage } from '../../lib/queries/sequence-embeddings.js';
import { sleep } from '../../lib/runtime/retry.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { PredictionRequestRecord } from '../../schemas/generated/types.js';
import { KEYS, topicName } from '../../topics/catalogue.js';
import { recipeFromInput } from '../embedder/recipe.js';
import { paramsMeta, parseMaxIdentity, type PredictionParams } from './params.js';

export const PREDICT_OPERATION = 'predict';

export interface PredictRequest extends Omit<PredictionParams, 'embeddingConfigId' | 'annotationSetId' | 'maxIdentity'> {
  /** --max-identity (default null: no filter) */
  maxIdentity?: number | null;
  querySet: string;
  annotationSet: string;
  /** id; default: the one active config, else the built-in k-mer default */
  embeddingConfig?: string;
  name?: string;
  namespace?: string;
  dbUrl?: string;
  /** informational lines (what was resolved, warnings) */
  onInfo?: (line: string) => void;
  /** a query pool to use (the API's); default a small one of its own on dbUrl, ended at the end */
  db?: DatabasePool;
  /** a producer to send with (the API's, kept connected); default one of its own, disconnected at the end */
  producer?: TopicProducer;
  /** called with the job before its first event is sent (the API makes the job row visible at once) */
  onJob?: (job: { id: string; operation: string; stage: string; payload: Record<string, unknown> }) => Promise<void>;
}

export interface StartedPrediction {
  predictionSetId: string;
  jobId: string;
  queries: number;
  annotationSet: AnnotationSetRow;
  embeddingConfig: EmbeddingConfigRow | null;
}

async function chooseConfig(db: DatabasePool, id: string | undefined): Promise<EmbeddingConfigRow> {
  if (id) return requireEmbeddingConfig(db, id);
  const active = await activeEmbeddingConfigs(db);
  if (active.length === 1) return active[0]!;
  if (active.length > 1) {
    throw new ProteaError('USAGE', `--embedding-config: ${active.length} embedding configs are active (${active.map((c) => `${c.id} ${c.model_name}`).join(', ')}); name one`, {
      field: '--embedding-config',
      hint: 'List them with `protea embeddings config list`.',
    });
  }
  // none active: the built-in weight-free default (found, or recorded inactive)
  return (await createEmbeddingConfig(db, recipeFromInput({ description: 'the built-in weight-free default: k-mer composition' }), { active: false })).row;
}

/** Creates the prediction set and its job and sends one request per query protein. */
export async function startPrediction(req: PredictRequest): Promise<StartedPrediction> {
  const info = req.onInfo ?? (() => undefined);
  // the option's one check and message (a number given by the API or a caller, as the CLI's text)
  const maxIdentity = req.maxIdentity === undefined || req.maxIdentity === null ? null : parseMaxIdentity(String(req.maxIdentity));
  const namespace = req.namespace ?? config().topicNamespace;
  const ownDb = req.db === undefined;
  const db = req.db ?? (await createQueryPool(req.dbUrl ?? config().dbUrl, { maximumPoolSize: 2 }));
  try {
    const querySet = await resolveQuerySet(db, req.querySet);
    const entries = await querySetEntries(db, querySet.id);
    if (entries.length === 0) {
      throw new ProteaError('USAGE', `--query-set ${req.querySet}: the query set has no entries yet`, {
        field: '--query-set',
        hint: 'Its FASTA entries land through `protea pipeline`; wait for `protea produce fasta ... --wait` to finish, then predict.',
      });
    }
    const annotationSet = await resolveAnnotationSet(db, req.annotationSet, '--annotation-set');
    let embeddingConfig: EmbeddingConfigRow | null = null;
    if (req.method === 'knn') {
      embeddingConfig = await chooseConfig(db, req.embeddingConfig);
      const c = embeddingConfig;
      const done = await embeddedPairs(db, [...new Set(entries.map((e) => e.sequence_md5))], [c.id]);
      const missing = entries.filter((e) => !done.has(`${e.sequence_md5}|${c.id}`)).length;
      if (missing > 0 && !c.active) {
        throw new ProteaError('USAGE', `--embedding-config ${c.id}: ${missing} of ${entries.length} queries have no embedding under it and the config is not active, so none would come`, {
          field: '--embedding-config',
          hint: `Activate it (\`protea embeddings config activate ${c.id}\`) for new sequences and embed the stored ones (\`protea replay embeddings --config ${c.id}\`), then predict again.`,
        });
      }
      const refs = await referenceEmbeddingCoverage(db, annotationSet.id, req.evidenceCodes, c.id);
      if (refs.proteins === 0) {
        throw new ProteaError('USAGE', `--annotation-set ${req.annotationSet}: no protein has an annotation with the evidence codes ${req.evidenceCodes.join(',')}`, {
          field: '--evidence',
          hint: 'Name other codes with --evidence, or another annotation set.',
        });
      }
      info(`embedding config ${c.id} (${c.model_name}); ${entries.length - missing} of ${entries.length} queries embedded already${missing ? ', the others as their embeddings land' : ''}`);
      if (refs.embedded < refs.proteins) {
        info(`warning: ${refs.proteins - refs.embedded} of ${refs.proteins} reference proteins have no embedding under this config yet: they cannot be neighbours in this prediction set`);
      }
    }
    const producer = req.producer ?? new TopicProducer();
    try {
      const payload = { query_set_id: querySet.id, annotation_set_id: annotationSet.id, embedding_config_id: embeddingConfig?.id ?? null, method: req.method };
      const job = new JobReporter(producer, { operation: PREDICT_OPERATION, stage: 'predictor', namespace, payload });
      await req.onJob?.({ id: job.id, operation: PREDICT_OPERATION, stage: 'predictor', payload });
      const params: PredictionParams = { ...req, embeddingConfigId: embeddingConfig?.id ?? null, annotationSetId: annotationSet.id, maxIdentity };
      const predictionSetId = await insertMethodPredictionSet(db, {
        kind: req.method,
        name: req.name ?? null,
        embeddingConfigId: params.embeddingConfigId,
        annotationSetId: annotationSet.id,
        ontologySnapshotId: annotationSet.ontology_snapshot_id,
        querySetId: querySet.id,
        k: req.method === 'identity' ? 1 : req.k,
        distanceThreshold: req.method === 'identity' ? null : req.threshold,
        meta: paramsMeta(params),
        jobId: job.id,
      });
      await job.created(`predict ${entries.length} queries of ${querySet.name} from ${annotationSet.source}@${annotationSet.source_version ?? ''} (${req.method})`);
      await job.started(entries.length);
      const topic = topicName('predictions.requests', namespace);
      const requests = entries.map((e): { key: string; value: PredictionRequestRecord } => {
        const value: PredictionRequestRecord = { prediction_set_id: predictionSetId, job_id: job.id, query_accession: e.accession, query_md5: e.sequence_md5 };
        return { key: KEYS.predictionRequest(value), value };
      });
      await producer.send(topic, requests);
      await job.send([job.event('produced', { progress_total: entries.length, message: `${entries.length} query proteins requested` })]);
      return { predictionSetId, jobId: job.id, queries: entries.length, annotationSet, embeddingConfig };
    } finally {
      if (!req.producer) await producer.disconnect().catch(() => undefined);
    }
  } finally {
    if (ownDb) await db.end();
  }
}

export interface PredictionResult extends PredictionOutcome {
  status: string;
  seconds: number;
  /** queries the job counted that are neither predicted nor unpredictable: dead-lettered (see `protea jobs ID`) */
  deadLettered: number;
}

/**
 * Follows a prediction job to its end with a progress bar (queries dealt
 * with), and says what each query came to. STAGE_BEHIND when nothing moves
 * for `stallMs` (is `protea pipeline` running?).
 */
export async function waitForPrediction(started: StartedPrediction, opts: { dbUrl?: string; progress?: boolean; signal?: AbortSignal; stallMs?: number } = {}): Promise<PredictionResult> {
  const t0 = Date.now();
  const db = await createQueryPool(opts.dbUrl ?? config().dbUrl, { maximumPoolSize: 1 });
  const bar = opts.progress === false ? undefined : new Progress({ label: 'predict', total: started.queries });
  try {
    let last = -1;
    let movedAt = Date.now();
    for (;;) {
      const job = await getJob(db, started.jobId);
      const current = job?.progress_current ?? 0;
      bar?.update(current, current);
      if (current !== last) {
        last = current;
        movedAt = Date.now();
      }
      if (job && ['succeeded', 'failed', 'cancelled'].includes(job.status)) {
        bar?.finish(current);
        const outcome = await predictionOutcome(db, started.predictionSetId);
        return { status: job.status, seconds: (Date.now() - t0) / 1000, ...outcome, deadLettered: Math.max(0, current - outcome.predicted - outcome.unpredictable) };
      }
      if (opts.stallMs !== undefined && Date.now() - movedAt > opts.stallMs) {
        throw new ProteaError('STAGE_BEHIND', `prediction job ${started.jobId}: no query was predicted for ${Math.round(opts.stallMs / 1000)} s (${current} of ${started.queries} done)`, {
          hint: 'Is `protea pipeline` running (its predictor stage and predictions sink)? See `protea jobs ' + started.jobId + '`.',
        });
      }
      if (opts.signal?.aborted) return { status: 'waiting', seconds: (Date.now() - t0) / 1000, ...(await predictionOutcome(db, started.predictionSetId)), deadLettered: 0 };
      await sleep(500, opts.signal).catch(() => undefined);
    }
  } finally {
    await db.end();
  }
}
