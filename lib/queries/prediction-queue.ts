// The predictor's own bookkeeping: queries waiting for their embedding
// (prediction_pending, sql/0013) and the outcome of each query
// (prediction_query, written by the predictions sink).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

export interface PendingQuery {
  predictionSetId: string;
  accession: string;
  md5: string;
  jobId: string;
}

/** Records queries to predict once their input lands; a query already waiting keeps its first request time. */
export async function addPending(db: CommonQueryMethods, rows: readonly PendingQuery[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(sql.unsafe`
    INSERT INTO prediction_pending (prediction_set_id, protein_accession, sequence_md5, job_id)
    SELECT * FROM unnest(${sql.array(rows.map((r) => r.predictionSetId), 'uuid')}, ${sql.array(rows.map((r) => r.accession), 'text')},
                         ${sql.array(rows.map((r) => r.md5), 'text')}, ${sql.array(rows.map((r) => r.jobId), 'uuid')})
    ON CONFLICT ON CONSTRAINT prediction_pending_natural_key DO NOTHING`);
}

const Claimed = z.object({
  prediction_set_id: z.string(),
  protein_accession: z.string(),
  sequence_md5: z.string(),
  job_id: z.string(),
  expired: z.boolean(),
  waited_s: z.number(),
});

export interface ClaimedQuery extends PendingQuery {
  /** waited longer than the limit without its input: report it unpredictable */
  expired: boolean;
  waitedS: number;
}

/**
 * Locks (FOR UPDATE SKIP LOCKED, so replicas share the work) the waiting
 * queries that can be dealt with now: those whose input has landed (the
 * sequence, and for a KNN set its embedding under the set's config) and those
 * that waited longer than `waitS`. Call inside a transaction, and delete what
 * was dealt with (deletePending) before committing.
 */
export async function claimPending(tx: CommonQueryMethods, opts: { waitS: number; limit: number }): Promise<ClaimedQuery[]> {
  const rows = await tx.any(sql.type(Claimed)`
    SELECT p.prediction_set_id, p.protein_accession, p.sequence_md5, p.job_id,
           (p.requested_at < now() - make_interval(secs => ${opts.waitS})) AS expired,
           extract(epoch FROM now() - p.requested_at)::float8 AS waited_s
      FROM prediction_pending p JOIN prediction_set ps ON ps.id = p.prediction_set_id
     WHERE p.requested_at < now() - make_interval(secs => ${opts.waitS})
        OR EXISTS (SELECT 1 FROM sequence s
                    WHERE s.sequence_hash = p.sequence_md5
                      AND (ps.embedding_config_id IS NULL
                           OR EXISTS (SELECT 1 FROM sequence_embedding se WHERE se.sequence_id = s.id AND se.embedding_config_id = ps.embedding_config_id)))
     ORDER BY p.requested_at, p.prediction_set_id, p.protein_accession
     LIMIT ${opts.limit}
       FOR UPDATE OF p SKIP LOCKED`);
  return rows.map((r) => ({
    predictionSetId: r.prediction_set_id, accession: r.protein_accession, md5: r.sequence_md5, jobId: r.job_id, expired: r.expired, waitedS: r.waited_s,
  }));
}

/** Drops the waiting queries of cancelled jobs (POST /jobs/ID/cancel); returns how many. */
export async function dropCancelledPending(tx: CommonQueryMethods): Promise<number> {
  const r = await tx.query(sql.unsafe`
    DELETE FROM prediction_pending p USING job j WHERE j.id = p.job_id AND j.status = 'cancelled'`);
  return r.rowCount;
}

export async function deletePending(tx: CommonQueryMethods, rows: readonly Pick<PendingQuery, 'predictionSetId' | 'accession'>[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(sql.unsafe`
    DELETE FROM prediction_pending p
     USING unnest(${sql.array(rows.map((r) => r.predictionSetId), 'uuid')}, ${sql.array(rows.map((r) => r.accession), 'text')}) AS d(set_id, accession)
     WHERE p.prediction_set_id = d.set_id AND p.protein_accession = d.accession`);
}

/** Waiting queries of a prediction set. */
export async function pendingCount(db: CommonQueryMethods, predictionSetId: string): Promise<number> {
  return db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::integer AS n FROM prediction_pending WHERE prediction_set_id = ${predictionSetId}`);
}

const Outcome = z.object({ status: z.string(), queries: z.number(), terms: z.number() });
const Unpredictable = z.object({ protein_accession: z.string(), reason: z.string() });

export interface PredictionOutcome {
  predicted: number;
  unpredictable: number;
  /** distinct (query, term) pairs predicted */
  terms: number;
  /** a few unpredictable queries with their reasons */
  reasons: { accession: string; reason: string }[];
}

/** What happened to the queries of a prediction set so far. */
export async function predictionOutcome(db: CommonQueryMethods, predictionSetId: string, opts: { reasons?: number } = {}): Promise<PredictionOutcome> {
  const rows = await db.any(sql.type(Outcome)`
    SELECT status, count(*)::integer AS queries, coalesce(sum(terms), 0)::integer AS terms
      FROM prediction_query WHERE prediction_set_id = ${predictionSetId} GROUP BY status`);
  const reasons = await db.any(sql.type(Unpredictable)`
    SELECT protein_accession, reason FROM prediction_query
     WHERE prediction_set_id = ${predictionSetId} AND status = 'unpredictable' ORDER BY protein_accession LIMIT ${opts.reasons ?? 5}`);
  const of = (s: string) => rows.find((r) => r.status === s);
  return {
    predicted: of('predicted')?.queries ?? 0,
    unpredictable: of('unpredictable')?.queries ?? 0,
    terms: of('predicted')?.terms ?? 0,
    reasons: reasons.map((r) => ({ accession: r.protein_accession, reason: r.reason })),
  };
}
