// Reading an ontology snapshot's terms and DAG edges (the evaluator's
// ontology, evaluation sets, the API).
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';
import { ProteaError } from '../errors.js';

export const Snapshot = z.object({
  id: z.string(),
  obo_version: z.string(),
  obo_url: z.string(),
  loaded_at: z.number(),
  term_count: z.number().nullable(),
  terms_loaded: z.number(),
  relationships: z.number(),
  complete: z.boolean(),
});
export type OntologySnapshotRow = z.infer<typeof Snapshot>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One snapshot with its load state (ontology_snapshot_status), or null. */
export async function getOntologySnapshot(db: DatabasePool, id: string): Promise<OntologySnapshotRow | null> {
  if (!UUID.test(id)) return null;
  return db.maybeOne(sql.type(Snapshot)`
    SELECT ontology_snapshot_id AS id, obo_version, obo_url, loaded_at, term_count, terms_loaded, relationships, complete
      FROM ontology_snapshot_status WHERE ontology_snapshot_id = ${id}`);
}

/** A snapshot by id or by obo_version (the release's data-version); NOT_FOUND when neither matches. */
export async function resolveOntologySnapshot(db: DatabasePool, ref: string, option = 'ontology'): Promise<OntologySnapshotRow> {
  const row = UUID.test(ref)
    ? await getOntologySnapshot(db, ref)
    : await db.maybeOne(sql.type(Snapshot)`
        SELECT ontology_snapshot_id AS id, obo_version, obo_url, loaded_at, term_count, terms_loaded, relationships, complete
          FROM ontology_snapshot_status WHERE obo_version = ${ref}`);
  if (!row) {
    throw new ProteaError('NOT_FOUND', `${option}: no ontology snapshot has the id or obo_version "${ref}"`, {
      field: option,
      hint: 'Give the id or data-version of a loaded GO release (`protea produce obo FILE` loads one).',
    });
  }
  return row;
}

const TermRow = z.object({
  go_id: z.string(),
  name: z.string().nullable(),
  namespace: z.string().nullable(),
  is_obsolete: z.boolean(),
  alt_ids: z.array(z.string()),
  is_a: z.array(z.string()),
  part_of: z.array(z.string()),
});

/** A go_term row with its is_a and part_of parents; the evaluator takes it as its ontology input as it is. */
export interface OntologyTermRow {
  id: string;
  namespace: string | null;
  name: string | null;
  obsolete: boolean;
  altIds: string[];
  isA: string[];
  partOf: string[];
}

/**
 * Every term of a snapshot as the evaluator's ontology input: alt_ids,
 * obsolete flag, and is_a / part_of parents (other relations do not propagate
 * annotations and are left out).
 */
export async function loadOntologyTerms(db: DatabasePool, snapshotId: string): Promise<OntologyTermRow[]> {
  const rows = await db.any(sql.type(TermRow)`
    SELECT t.go_id, t.name, t.namespace, t.is_obsolete, t.alt_ids,
           coalesce(array_agg(p.go_id ORDER BY p.go_id) FILTER (WHERE r.relation_type = 'is_a'), '{}') AS is_a,
           coalesce(array_agg(p.go_id ORDER BY p.go_id) FILTER (WHERE r.relation_type = 'part_of'), '{}') AS part_of
      FROM go_term t
      LEFT JOIN go_term_relationship r ON r.child_go_term_id = t.id AND r.relation_type IN ('is_a', 'part_of')
      LEFT JOIN go_term p ON p.id = r.parent_go_term_id
     WHERE t.ontology_snapshot_id = ${snapshotId}
     GROUP BY t.id
     ORDER BY t.go_id`);
  return rows.map((r) => ({
    id: r.go_id,
    namespace: r.namespace,
    name: r.name,
    obsolete: r.is_obsolete,
    altIds: r.alt_ids,
    isA: r.is_a,
    partOf: r.part_of,
  }));
}

/** go_id -> go_term.id in a snapshot, for the ids given (primary ids only). */
export async function goTermIds(db: DatabasePool, snapshotId: string, goIds: Iterable<string>): Promise<Map<string, number>> {
  const ids = [...new Set(goIds)];
  const out = new Map<string, number>();
  const BATCH = 20_000;
  for (let i = 0; i < ids.length; i += BATCH) {
    const rows = await db.any(sql.type(z.object({ id: z.number(), go_id: z.string() }))`
      SELECT id, go_id FROM go_term
       WHERE ontology_snapshot_id = ${snapshotId} AND go_id = ANY(${sql.array(ids.slice(i, i + BATCH), 'text')})`);
    for (const r of rows) out.set(r.go_id, r.id);
  }
  return out;
}
