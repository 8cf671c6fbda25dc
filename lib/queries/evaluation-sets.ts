// Evaluation sets (CAFA-style temporal holdouts): writing one with its ground
// truth (evaluation_target) and known terms (evaluation_known), and reading
// them back for `protea evaluate set|run`, baselines and the API.
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';

/** A target's category (evaluation_target.category): no knowledge, limited knowledge, partial knowledge. */
export type Category = 'NK' | 'LK' | 'PK';

// evaluation_set.stats (JSONB) and its parts: the temporal holdout
// (evaluation/temporal-holdout.ts) computes them, evaluation/sets.ts adds the
// provenance; their layout is stored, so it is defined here.

/** What happened to one annotation set's rows. Rows are GAF rows; annotations are distinct (protein, term) pairs after mapping. */
export interface HoldoutSetStats {
  /** GAF rows of the set (also those filtered before they reached the holdout, when the caller says so) */
  rows: number;
  /** rows whose qualifier carries NOT: never ground truth, they exclude positives */
  notQualifiedRows: number;
  /** rows whose GO id is an alt_id of a term of the snapshot (kept, mapped to the term) */
  altIdMappedRows: number;
  /** positive experimental annotations on terms of the snapshot, before NOT exclusion */
  annotations: number;
  /** proteins with at least one annotation left after NOT exclusion */
  proteins: number;
  dropped: {
    /** positive rows whose evidence code is not one of evidenceCodes */
    otherEvidenceRows: number;
    /** rows (positive or NOT) whose term is obsolete in the snapshot */
    obsoleteTermRows: number;
    /** rows (positive or NOT) whose GO id is neither a term (with a GO namespace) nor an alt_id of the snapshot */
    unknownTermRows: number;
    /** annotations removed by a NOT annotation of the same protein to the term or one of its ancestors */
    notExcludedAnnotations: number;
  };
}

/** Targets of one category: proteins, annotations (target rows), and the same per namespace. */
export interface CategoryStats {
  proteins: number;
  annotations: number;
  namespaces: Record<string, { proteins: number; annotations: number }>;
}

/** What the holdout computed (the part of evaluation_set.stats that does not depend on the database). */
export interface HoldoutStats {
  /** the document's layout version */
  version: 1;
  evidenceCodes: string[];
  /** distinct proteins that are a target in any category and namespace */
  deltaProteins: number;
  /** every category, also an empty one */
  categories: Record<Category, CategoryStats>;
  /** evaluation_known: proteins and annotations (all PK), and per namespace */
  known: CategoryStats;
  /** (protein, namespace) pairs with old and new annotations whose new terms were all implied by the old ones: no target */
  impliedOnly: number;
  /** per annotation set: what was read and what was dropped */
  input: { old: HoldoutSetStats; new: HoldoutSetStats };
}

/**
 * evaluation_set.stats (JSONB): the holdout's counts plus the provenance the
 * evaluation-set builder (evaluation/sets.ts) adds. Example (abridged):
 *   { version: 1, evidenceCodes: ['EXP', ...],
 *     ontology: { snapshotId, oboVersion },
 *     annotationSets: { old: { id, source, sourceVersion, oboVersion }, new: {...} },
 *     deltaProteins: 120,
 *     categories: { NK: { proteins: 80, annotations: 210, namespaces: { biological_process: { proteins: 60, annotations: 150 }, ... } },
 *                   LK: {...}, PK: {...} },
 *     known: { proteins: 12, annotations: 40, namespaces: {...} },
 *     impliedOnly: 7,
 *     input: { old: { rows, notQualifiedRows, altIdMappedRows, annotations, proteins,
 *                     dropped: { otherEvidenceRows, obsoleteTermRows, unknownTermRows, notExcludedAnnotations } },
 *              new: {...} } }
 */
export interface EvaluationSetStats extends HoldoutStats {
  ontology: { snapshotId: string; oboVersion: string };
  annotationSets: Record<'old' | 'new', { id: string; source: string; sourceVersion: string | null; oboVersion: string }>;
}

/** Rows per multi-row INSERT (unnest arrays): large enough to amortise round trips, small enough for one message. */
const INSERT_BATCH = 10_000;

export interface NewEvaluationSet {
  oldAnnotationSetId: string;
  newAnnotationSetId: string;
  ontologySnapshotId: string;
  stats: EvaluationSetStats;
  jobId: string | null;
  /** ground truth: go_term ids of the ontology snapshot */
  targets: readonly { category: Category; namespace: string; protein: string; goTermId: number }[];
  known: readonly { namespace: string; protein: string; goTermId: number }[];
}

/** Inserts the set, its targets and its known terms in one transaction; resolves with the set's id. */
export async function insertEvaluationSet(db: DatabasePool, set: NewEvaluationSet): Promise<string> {
  return db.transaction(async (tx) => {
    const id = await tx.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO evaluation_set (old_annotation_set_id, new_annotation_set_id, ontology_snapshot_id, stats, job_id)
      VALUES (${set.oldAnnotationSetId}, ${set.newAnnotationSetId}, ${set.ontologySnapshotId}, ${sql.jsonb(set.stats as never)}, ${set.jobId})
      RETURNING id`);
    for (let i = 0; i < set.targets.length; i += INSERT_BATCH) {
      const rows = set.targets.slice(i, i + INSERT_BATCH).map((r) => [r.category, r.namespace, r.protein, r.goTermId]);
      await tx.query(sql.unsafe`
        INSERT INTO evaluation_target (evaluation_set_id, category, namespace, protein_accession, go_term_id)
        SELECT ${id}, u.category, u.namespace, u.protein, u.go_term_id
          FROM ${sql.unnest(rows, ['text', 'text', 'text', 'int4'])} AS u(category, namespace, protein, go_term_id)`);
    }
    for (let i = 0; i < set.known.length; i += INSERT_BATCH) {
      const rows = set.known.slice(i, i + INSERT_BATCH).map((r) => [r.namespace, r.protein, r.goTermId]);
      await tx.query(sql.unsafe`
        INSERT INTO evaluation_known (evaluation_set_id, namespace, protein_accession, go_term_id)
        SELECT ${id}, u.namespace, u.protein, u.go_term_id
          FROM ${sql.unnest(rows, ['text', 'text', 'int4'])} AS u(namespace, protein, go_term_id)`);
    }
    return id;
  });
}

const EvaluationSet = z.object({
  id: z.string(),
  old_annotation_set_id: z.string(),
  new_annotation_set_id: z.string(),
  ontology_snapshot_id: z.string(),
  obo_version: z.string(),
  old_source: z.string(),
  old_source_version: z.string().nullable(),
  new_source: z.string(),
  new_source_version: z.string().nullable(),
  stats: z.record(z.unknown()),
  job_id: z.string().nullable(),
  created_at: z.number(),
});

/** An evaluation_set row with the names of its annotation sets and ontology release. */
export type EvaluationSetRow = Omit<z.infer<typeof EvaluationSet>, 'stats'> & { stats: EvaluationSetStats };

const SELECT_SET = sql.fragment`
  SELECT e.id, e.old_annotation_set_id, e.new_annotation_set_id, e.ontology_snapshot_id, s.obo_version,
         o.source AS old_source, o.source_version AS old_source_version,
         n.source AS new_source, n.source_version AS new_source_version,
         e.stats, e.job_id, e.created_at
    FROM evaluation_set e
    JOIN ontology_snapshot s ON s.id = e.ontology_snapshot_id
    JOIN annotation_set o ON o.id = e.old_annotation_set_id
    JOIN annotation_set n ON n.id = e.new_annotation_set_id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The most recent evaluation sets first. */
export async function listEvaluationSets(db: DatabasePool, opts: { limit?: number } = {}): Promise<readonly EvaluationSetRow[]> {
  const rows = await db.any(sql.type(EvaluationSet)`${SELECT_SET} ORDER BY e.created_at DESC, e.id DESC LIMIT ${opts.limit ?? 20}`);
  return rows as unknown as readonly EvaluationSetRow[]; // stats: written by insertEvaluationSet only
}

/** One evaluation set, or null (also for a string that is not a UUID). */
export async function getEvaluationSet(db: DatabasePool, id: string): Promise<EvaluationSetRow | null> {
  if (!UUID.test(id)) return null;
  const row = await db.maybeOne(sql.type(EvaluationSet)`${SELECT_SET} WHERE e.id = ${id}`);
  return row as unknown as EvaluationSetRow | null;
}

const GroundTruthRow = z.object({ protein_accession: z.string(), go_id: z.string(), namespace: z.string(), category: z.enum(['NK', 'LK', 'PK']) });
export type GroundTruthRow = z.infer<typeof GroundTruthRow>;

/**
 * The ground truth of an evaluation set (terms as annotated, not propagated;
 * GO ids of the set's ontology snapshot), ordered by category, namespace,
 * protein and term.
 */
export async function groundTruthRows(db: DatabasePool, id: string, opts: { category?: Category; namespace?: string } = {}): Promise<readonly GroundTruthRow[]> {
  const where = [sql.fragment`t.evaluation_set_id = ${id}`];
  if (opts.category) where.push(sql.fragment`t.category = ${opts.category}`);
  if (opts.namespace) where.push(sql.fragment`t.namespace = ${opts.namespace}`);
  return db.any(sql.type(GroundTruthRow)`
    SELECT t.protein_accession, g.go_id, t.namespace, t.category
      FROM evaluation_target t JOIN go_term g ON g.id = t.go_term_id
     WHERE ${sql.join(where, sql.fragment` AND `)}
     ORDER BY t.category, t.namespace, t.protein_accession, g.go_id`);
}

const KnownRow = z.object({ protein_accession: z.string(), go_id: z.string(), namespace: z.string() });
export type KnownRow = z.infer<typeof KnownRow>;

/** What the PK targets already had in the old set (as annotated), ordered by namespace, protein and term. */
export async function knownRows(db: DatabasePool, id: string, opts: { namespace?: string } = {}): Promise<readonly KnownRow[]> {
  const where = [sql.fragment`k.evaluation_set_id = ${id}`];
  if (opts.namespace) where.push(sql.fragment`k.namespace = ${opts.namespace}`);
  return db.any(sql.type(KnownRow)`
    SELECT k.protein_accession, g.go_id, k.namespace
      FROM evaluation_known k JOIN go_term g ON g.id = k.go_term_id
     WHERE ${sql.join(where, sql.fragment` AND `)}
     ORDER BY k.namespace, k.protein_accession, g.go_id`);
}
