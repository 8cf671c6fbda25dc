// POST /prediction-sets (a write): starts a prediction job with the parameters
// of `protea predict` (snake_case JSON, validated by PREDICTION_SET_BODY), through
// the same startPrediction (processors/predictor/predict-job.ts): the
// prediction set row, its job, one request per query protein on the requests
// topic. 202 with the set and job ids; the predictor stage does the rest.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_EVIDENCE_CODES } from '../../evaluation/temporal-holdout.js';
import { ProteaError, classify } from '../../lib/errors.js';
import { ensureJobRow, failQueuedJob } from '../../lib/queries/jobs.js';
import { startPrediction } from '../../processors/predictor/predict-job.js';
import { defaultScoreMap } from '../../processors/predictor/transfer.js';
import { PREDICTION_SET_ACCEPTED, PREDICTION_SET_BODY, type PredictionSetBody } from '../job-schemas.js';
import type { ApiDependencies } from '../server.js';

/** The CLI option a startPrediction error names, as the body field of this route. */
const FIELD_OF_OPTION: Record<string, string> = {
  '--query-set': 'query_set',
  '--annotation-set': 'annotation_set',
  '--embedding-config': 'embedding_config',
  '--evidence': 'evidence_codes',
  '--method': 'method',
  '--k': 'k',
  '--distance-threshold': 'distance_threshold',
};

/** A startPrediction error with the body's field names instead of the CLI's options. */
function asBodyError(err: unknown): unknown {
  if (!(err instanceof ProteaError)) return err;
  const option = typeof err.context.field === 'string' ? err.context.field : undefined;
  const field = option ? FIELD_OF_OPTION[option] : undefined;
  if (!option || !field) return err;
  const message = err.message.split(option).join(field);
  const hint = err.hint.replace(/--query-set/g, 'query_set').replace(/--annotation-set/g, 'annotation_set').replace(/--embedding-config/g, 'embedding_config').replace(/--evidence/g, 'evidence_codes');
  return new ProteaError(err.key, message, { ...err.context, field, hint }, { cause: err });
}

export function registerPredictionSetWrites(app: FastifyInstance, deps: ApiDependencies): void {
  app.post<{ Body: PredictionSetBody }>(
    '/prediction-sets',
    {
      config: { write: true },
      schema: {
        summary: 'Start a prediction job for a query set (the parameters of `protea predict`); 202 with the prediction set and its job',
        tags: ['prediction sets'],
        body: PREDICTION_SET_BODY,
        response: { 202: PREDICTION_SET_ACCEPTED },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.method === 'identity' && (b.embedding_config !== undefined || b.distance_threshold !== undefined || b.k !== 5)) {
        throw new ProteaError('USAGE', 'method "identity" takes the best alignment hit: embedding_config, k and distance_threshold do not apply', { field: 'method' });
      }
      const evidenceCodes = b.evidence_codes ? b.evidence_codes.map((c) => c.toUpperCase()) : [...DEFAULT_EVIDENCE_CODES];
      let started;
      try {
        started = await startPrediction({
          method: b.method,
          querySet: b.query_set,
          annotationSet: b.annotation_set,
          ...(b.embedding_config ? { embeddingConfig: b.embedding_config.toLowerCase() } : {}),
          k: b.k,
          threshold: b.distance_threshold ?? null,
          metric: b.metric,
          aspectSeparated: b.aspect_separated,
          evidenceCodes,
          excludeSelf: b.exclude_self,
          aggregation: b.aggregate,
          scoreMap: b.score_map ?? defaultScoreMap(b.metric),
          index: b.index,
          features: b.features,
          ...(b.max_identity !== undefined ? { maxIdentity: b.max_identity } : {}),
          ...(b.name ? { name: b.name } : {}),
          namespace: deps.namespace,
          db: deps.db,
          producer: deps.producer(),
          onInfo: (line) => request.log.info({ route: '/prediction-sets' }, line),
          onJob: async (job) => {
            request.audit.jobId = job.id;
            await ensureJobRow(deps.db, { id: job.id, operation: job.operation, queueName: job.stage, payload: job.payload });
          },
        });
      } catch (err) {
        const jobId = request.audit.jobId;
        if (jobId) {
          const e = classify(err);
          await failQueuedJob(deps.db, jobId, { code: e.code, message: e.message }).catch((failed: unknown) => request.log.warn({ err: failed, jobId }, 'could not mark the job that failed to start'));
        }
        throw asBodyError(err);
      }
      request.audit.target = `prediction_set:${started.predictionSetId}`;
      void reply.code(202).header('location', `/prediction-sets/${started.predictionSetId}`);
      return {
        prediction_set_id: started.predictionSetId,
        job_id: started.jobId,
        queries: started.queries,
        embedding_config_id: started.embeddingConfig?.id ?? null,
        annotation_set_id: started.annotationSet.id,
        links: { prediction_set: `/prediction-sets/${started.predictionSetId}`, job: `/jobs/${started.jobId}`, stream: `/jobs/${started.jobId}/stream` },
      };
    },
  );
}
