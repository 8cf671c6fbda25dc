// Prediction sets and their go_prediction rows: creating imported and baseline
// sets, listing and reading them, and streaming a set's predictions to the
// evaluator. KNN sets are written by the predictor's sink (a later issue); they
// are read here the same way.
import { z } from 'zod';
import { copyRows, runSql, type CopyValue, type PgPool } from '../copy.js';
import { sql, type CommonQueryMethods, type DatabasePool } from '../db.js';
import { ProteaError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type PredictionSetKind = 'knn' | 'identity' | 'imported' | 'baseline' | 'scored';

export const PredictionSet = z.object({
  id: z.string(),
  kind: z.enum(['knn', 'identity', 'imported', 'baseline', 'scored']),
  name: z.string().nullable(),
  ontology_snapshot_id: z.string(),
  obo_version: z.string(),
  annotation_set_id: z.string().nullable(),
  embedding_config_id: z.string().nullable(),
  query_set_id: z.string().nullable(),
  limit_per_entry: z.number().nullable(),
  distance_threshold: z.number().nullable(),
  meta: z.record(z.unknown()),
  job_id: z.string().nullable(),
  created_at: z.number(),
});
export type PredictionSetRow = z.infer<typeof PredictionSet>;

const COLUMNS = sql.fragment`
  p.id, p.kind, p.name, p.ontology_snapshot_id, s.obo_version, p.annotation_set_id, p.embedding_config_id, p.query_set_id,
  p.limit_per_entry, p.distance_threshold, p.meta, p.job_id, p.created_at`;

/** The most recent prediction sets first, optionally of one kind. */
export async function listPredictionSets(db: DatabasePool, opts: { kind?: PredictionSetKind; limit?: number } = {}): Promise<readonly PredictionSetRow[]> {
  const where = opts.kind ? sql.fragment`p.kind = ${opts.kind}` : sql.fragment`TRUE`;
  return db.any(sql.type(PredictionSet)`
    SELECT ${COLUMNS} FROM prediction_set p JOIN ontology_snapshot s ON s.id = p.ontology_snapshot_id
     WHERE ${where} ORDER BY p.created_at DESC, p.id DESC LIMIT ${opts.limit ?? 50}`);
}

/** One prediction set, or null (also for a string that is not a UUID). */
export async function getPredictionSet(db: DatabasePool, id: string): Promise<PredictionSetRow | null> {
  if (!UUID.test(id)) return null;
  return db.maybeOne(sql.type(PredictionSet)`
    SELECT ${COLUMNS} FROM prediction_set p JOIN ontology_snapshot s ON s.id = p.ontology_snapshot_id WHERE p.id = ${id}`);
}

/** go_prediction rows of a set (all of them, whatever their score). */
export async function countPredictions(db: CommonQueryMethods, id: string): Promise<number> {
  return db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::integer AS n FROM go_prediction WHERE prediction_set_id = ${id}`);
}

const LIST_HINT = 'List the prediction sets with `protea evaluate run --list-predictions`; give an id, or the name of an imported set.';

/** A prediction set by id, or by name when exactly one set has that name. */
export async function resolvePredictionSet(db: DatabasePool, ref: string, option = '--predictions'): Promise<PredictionSetRow> {
  if (UUID.test(ref)) {
    const row = await getPredictionSet(db, ref);
    if (!row) throw new ProteaError('NOT_FOUND', `${option}: no prediction set has the id ${ref}`, { field: option, hint: LIST_HINT });
    return row;
  }
  const rows = await db.any(sql.type(PredictionSet)`
    SELECT ${COLUMNS} FROM prediction_set p JOIN ontology_snapshot s ON s.id = p.ontology_snapshot_id
     WHERE p.name = ${ref} ORDER BY p.created_at, p.id`);
  const only = rows[0];
  if (!only) throw new ProteaError('NOT_FOUND', `${option}: no prediction set is named "${ref}"`, { field: option, hint: LIST_HINT });
  if (rows.length > 1) {
    throw new ProteaError('USAGE', `${option}: ${rows.length} prediction sets are named "${ref}" (${rows.map((r) => r.id).join(', ')}); give the id`, { field: option, hint: LIST_HINT });
  }
  return only;
}

export interface NewPredictionSet {
  kind: Exclude<PredictionSetKind, 'knn' | 'identity' | 'scored'>;
  name: string;
  ontologySnapshotId: string;
  meta: Record<string, unknown>;
  jobId: string | null;
}

/** Inserts a prediction set without predictions (a baseline's); resolves with its id. */
export async function insertPredictionSet(db: DatabasePool, set: NewPredictionSet): Promise<string> {
  return db.oneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO prediction_set (kind, name, ontology_snapshot_id, meta, job_id)
    VALUES (${set.kind}, ${set.name}, ${set.ontologySnapshotId}, ${sql.jsonb(set.meta as never)}, ${set.jobId})
    RETURNING id`);
}

export interface NewMethodPredictionSet {
  kind: 'knn' | 'identity';
  name: string | null;
  embeddingConfigId: string | null;
  annotationSetId: string;
  ontologySnapshotId: string;
  querySetId: string;
  k: number;
  distanceThreshold: number | null;
  meta: Record<string, unknown>;
  jobId: string;
}

/** Inserts the prediction set of a `protea predict` run (its predictions come through the pipeline); resolves with its id. */
export async function insertMethodPredictionSet(db: CommonQueryMethods, set: NewMethodPredictionSet): Promise<string> {
  return db.oneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO prediction_set (kind, name, embedding_config_id, annotation_set_id, ontology_snapshot_id, query_set_id, limit_per_entry,
                                distance_threshold, meta, job_id)
    VALUES (${set.kind}, ${set.name}, ${set.embeddingConfigId}, ${set.annotationSetId}, ${set.ontologySnapshotId}, ${set.querySetId}, ${set.k},
            ${set.distanceThreshold}, ${sql.jsonb(set.meta as never)}, ${set.jobId})
    RETURNING id`);
}

/**
 * The baseline prediction set of `name` computed from one reference annotation
 * set for one evaluation set: found by kind, name and meta, created when
 * missing, so running a baseline again points its new results at the same row.
 */
export async function ensureBaselinePredictionSet(
  db: CommonQueryMethods,
  b: { name: string; evaluationSetId: string; referenceAnnotationSetId: string; ontologySnapshotId: string; meta?: Record<string, unknown>; jobId: string | null },
): Promise<string> {
  const key = { baseline: b.name, evaluation_set_id: b.evaluationSetId, reference_annotation_set_id: b.referenceAnnotationSetId };
  return db.transaction(async (tx) => {
    // serialise concurrent runs on the same evaluation set, so they do not create two rows
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`protea.baseline.${b.name}.${b.evaluationSetId}`}))`);
    const found = await tx.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id FROM prediction_set
       WHERE kind = 'baseline' AND name = ${b.name} AND meta @> ${sql.jsonb(key)}
       ORDER BY created_at, id LIMIT 1`);
    if (found) return found;
    return tx.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO prediction_set (kind, name, ontology_snapshot_id, meta, job_id)
      VALUES ('baseline', ${b.name}, ${b.ontologySnapshotId}, ${sql.jsonb({ ...(b.meta ?? {}), ...key } as never)}, ${b.jobId})
      RETURNING id`);
  });
}

/** One imported prediction: the go_term row of the set's snapshot and the score. */
export type ImportedPrediction = readonly [protein: string, goTermId: number, score: number];

export interface ImportReport {
  id: string;
  /** rows COPYed (before merging duplicates) */
  staged: number;
  /** go_prediction rows written: one per (protein, term) */
  written: number;
}

/**
 * Writes an imported prediction set in one transaction: the predictions are
 * COPYed batch by batch into a temporary table, then the prediction_set row
 * is inserted (its meta, given as a function, can describe the whole input)
 * and the predictions merged into go_prediction with one row per (protein,
 * term) keeping the maximum score. Memory stays at one batch, whatever the
 * file size; a failure (also one thrown by `check`, called once every batch
 * was copied) leaves nothing behind.
 */
export async function importPredictionSet(
  pool: PgPool,
  set: Omit<NewPredictionSet, 'meta'> & { meta: Record<string, unknown> | (() => Record<string, unknown>) },
  batches: AsyncIterable<readonly ImportedPrediction[]>,
  check?: () => void,
): Promise<ImportReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await runSql(client, sql.unsafe`CREATE TEMPORARY TABLE protea_import_prediction (protein_accession text, go_term_id integer, score double precision) ON COMMIT DROP`);
    let staged = 0;
    for await (const batch of batches) {
      if (batch.length === 0) continue;
      staged += await copyRows(client, 'protea_import_prediction', ['protein_accession', 'go_term_id', 'score'], batch as readonly (readonly CopyValue[])[]);
    }
    check?.();
    const meta = typeof set.meta === 'function' ? set.meta() : set.meta;
    const inserted = await runSql(
      client,
      sql.unsafe`INSERT INTO prediction_set (kind, name, ontology_snapshot_id, meta, job_id)
                 VALUES (${set.kind}, ${set.name}, ${set.ontologySnapshotId}, ${sql.jsonb(meta as never)}, ${set.jobId}) RETURNING id`,
    );
    const id = String((inserted.rows[0] as { id: string }).id);
    const merged = await runSql(
      client,
      sql.unsafe`INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, score)
                 SELECT ${id}, protein_accession, go_term_id, max(score) FROM protea_import_prediction GROUP BY protein_accession, go_term_id`,
    );
    await client.query('COMMIT');
    return { id, staged, written: merged.rowCount ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const Prediction = z.object({ protein_accession: z.string(), go_id: z.string(), score: z.number().nullable() });

export interface PredictionStreamReport {
  /** (protein, term) pairs handed over */
  predictions: number;
  /** (protein, term) pairs left out because no row of theirs has a score */
  withoutScore: number;
}

/**
 * Streams a set's predictions as (protein, GO id, score), one per (protein,
 * term) with the maximum score over its rows (a KNN set has a row per
 * reference protein), in one pass over the set. Pairs without any score are
 * skipped and counted. With `targetsOf`, only proteins that are targets of
 * that evaluation set.
 */
export async function streamPredictions(
  db: DatabasePool,
  id: string,
  onRow: (protein: string, goId: string, score: number) => void,
  opts: { targetsOf?: string } = {},
): Promise<PredictionStreamReport> {
  const targets = opts.targetsOf
    ? sql.fragment`AND p.protein_accession IN (SELECT DISTINCT protein_accession FROM evaluation_target WHERE evaluation_set_id = ${opts.targetsOf})`
    : sql.fragment``;
  const report: PredictionStreamReport = { predictions: 0, withoutScore: 0 };
  await db.stream(
    sql.type(Prediction)`
      SELECT p.protein_accession, g.go_id, max(p.score) AS score
        FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
       WHERE p.prediction_set_id = ${id} ${targets}
       GROUP BY p.protein_accession, g.go_id`,
    (stream) => {
      stream.on('data', ({ data }) => {
        if (data.score === null) {
          report.withoutScore += 1;
          return;
        }
        report.predictions += 1;
        onRow(data.protein_accession, data.go_id, data.score);
      });
    },
  );
  return report;
}

const Snapshot = z.object({ id: z.string(), obo_version: z.string(), complete: z.boolean() });

/**
 * The ontology snapshot predictions are imported against when none is named:
 * the only complete one. Several loaded: USAGE naming them, since picking one
 * silently would make an import depend on what else is loaded.
 */
export async function defaultImportSnapshot(db: DatabasePool): Promise<{ id: string; obo_version: string }> {
  const rows = await db.any(sql.type(Snapshot)`
    SELECT ontology_snapshot_id AS id, obo_version, complete FROM ontology_snapshot_status WHERE complete ORDER BY loaded_at DESC`);
  const only = rows[0];
  if (!only) throw new ProteaError('NOT_FOUND', 'no complete ontology snapshot is loaded', { hint: 'Load the GO release the predictions use: `protea produce obo FILE` (with `protea pipeline` running).' });
  if (rows.length > 1) {
    throw new ProteaError('USAGE', `${rows.length} ontology snapshots are loaded (${rows.map((r) => `${r.obo_version} = ${r.id}`).join(', ')}): name one with --ontology`, { field: '--ontology' });
  }
  return only;
}

const TopPrediction = z.object({
  protein: z.string(),
  go_id: z.string(),
  go_name: z.string().nullable(),
  aspect: z.string().nullable(),
  score: z.number().nullable(),
  ref_protein: z.string().nullable(),
  distance: z.number().nullable(),
  /** the enricher's features of that row (null when not computed) */
  identity_sw: z.number().nullable(),
  vote_count: z.number().nullable(),
  taxonomic_relation: z.string().nullable(),
});
export type TopPredictionRow = z.infer<typeof TopPrediction>;

/**
 * The best `perProtein` terms of each protein of a set (all proteins, or
 * those given), with the term's name and aspect and the neighbour it came
 * from. A term's score is the max over its rows; its neighbour is the row
 * that gives it (the nearest on a tie, then the lowest accession). Terms rank
 * by score descending (no score last), then GO id; rows come by protein, then
 * rank. Scores as stored: not propagated (`protea predictions export
 * --propagate` does that).
 */
export async function topPredictions(
  db: CommonQueryMethods,
  setId: string,
  opts: { proteins?: readonly string[]; perProtein: number },
): Promise<readonly TopPredictionRow[]> {
  if (!Number.isInteger(opts.perProtein) || opts.perProtein < 1) throw new ProteaError('USAGE', `perProtein ${opts.perProtein}: expected a positive integer`, { field: 'perProtein' });
  const proteins = opts.proteins ? sql.fragment`AND p.protein_accession = ANY(${sql.array([...opts.proteins], 'text')})` : sql.fragment``;
  return db.any(sql.type(TopPrediction)`
    WITH best AS (
      SELECT DISTINCT ON (p.protein_accession, p.go_term_id)
             p.protein_accession AS protein, p.go_term_id, p.score, p.ref_protein_accession AS ref_protein, p.distance,
             p.identity_sw, p.vote_count, p.taxonomic_relation
        FROM go_prediction p
       WHERE p.prediction_set_id = ${setId} ${proteins}
       ORDER BY p.protein_accession, p.go_term_id, p.score DESC NULLS LAST, p.distance ASC NULLS LAST, p.ref_protein_accession ASC NULLS LAST
    ), ranked AS (
      SELECT b.protein, g.go_id, g.name AS go_name, g.aspect, b.score, b.ref_protein, b.distance, b.identity_sw, b.vote_count, b.taxonomic_relation,
             row_number() OVER (PARTITION BY b.protein ORDER BY b.score DESC NULLS LAST, g.go_id) AS rank
        FROM best b JOIN go_term g ON g.id = b.go_term_id
    )
    SELECT protein, go_id, go_name, aspect, score, ref_protein, distance, identity_sw, vote_count, taxonomic_relation
      FROM ranked WHERE rank <= ${opts.perProtein}
     ORDER BY protein, rank`);
}
