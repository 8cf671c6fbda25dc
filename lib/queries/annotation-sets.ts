// Reading annotation sets and their GAF rows (evaluation sets, the API).
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';
import { ProteaError } from '../errors.js';
import { isUuid } from '../ids.js';

export const AnnotationSet = z.object({
  id: z.string(),
  source: z.string(),
  source_version: z.string().nullable(),
  ontology_snapshot_id: z.string(),
  obo_version: z.string(),
  job_id: z.string().nullable(),
  created_at: z.number(),
  /** protein_go_annotation rows of the set */
  rows: z.number(),
});
export type AnnotationSetRow = z.infer<typeof AnnotationSet>;

const COLUMNS = sql.fragment`
  a.id, a.source, a.source_version, a.ontology_snapshot_id, s.obo_version, a.job_id, a.created_at,
  (SELECT count(*) FROM protein_go_annotation p WHERE p.annotation_set_id = a.id)::integer AS rows`;

export { isUuid };

/** The most recent annotation sets first, with their row counts. */
export async function listAnnotationSets(db: DatabasePool, opts: { limit?: number } = {}): Promise<readonly AnnotationSetRow[]> {
  return db.any(sql.type(AnnotationSet)`
    SELECT ${COLUMNS}
      FROM annotation_set a JOIN ontology_snapshot s ON s.id = a.ontology_snapshot_id
     ORDER BY a.created_at DESC, a.id DESC LIMIT ${opts.limit ?? 50}`);
}

export async function getAnnotationSet(db: DatabasePool, id: string): Promise<AnnotationSetRow | null> {
  if (!isUuid(id)) return null;
  return db.maybeOne(sql.type(AnnotationSet)`
    SELECT ${COLUMNS}
      FROM annotation_set a JOIN ontology_snapshot s ON s.id = a.ontology_snapshot_id
     WHERE a.id = ${id}`);
}

const LIST_HINT = 'List the annotation sets with `protea evaluate set --list-annotation-sets`; give an id or source@source_version.';

/**
 * One annotation set by id, or by `source@source_version` (`source@` for a set
 * without a version). `option` names the command-line option in errors.
 * Unknown: NOT_FOUND; a source@version loaded against several releases: USAGE.
 */
export async function resolveAnnotationSet(db: DatabasePool, ref: string, option = 'annotation set'): Promise<AnnotationSetRow> {
  if (isUuid(ref)) {
    const row = await getAnnotationSet(db, ref);
    if (!row) throw new ProteaError('NOT_FOUND', `${option}: no annotation set has the id ${ref}`, { field: option, hint: LIST_HINT });
    return row;
  }
  const at = ref.lastIndexOf('@');
  if (at <= 0) throw new ProteaError('USAGE', `${option} "${ref}": expected an annotation set id (a UUID) or source@source_version`, { field: option, hint: LIST_HINT });
  const source = ref.slice(0, at);
  const version = ref.slice(at + 1);
  const rows = await db.any(sql.type(AnnotationSet)`
    SELECT ${COLUMNS}
      FROM annotation_set a JOIN ontology_snapshot s ON s.id = a.ontology_snapshot_id
     WHERE a.source = ${source} AND a.source_version IS NOT DISTINCT FROM ${version === '' ? null : version}
     ORDER BY a.created_at, a.id`);
  const only = rows[0];
  if (!only) throw new ProteaError('NOT_FOUND', `${option}: no annotation set ${ref} (source "${source}", version "${version}")`, { field: option, hint: LIST_HINT });
  if (rows.length > 1) {
    throw new ProteaError('USAGE', `${option}: ${ref} was loaded against ${rows.length} ontology releases (${rows.map((r) => `${r.id} on ${r.obo_version}`).join(', ')}); give the id`, {
      field: option,
      hint: LIST_HINT,
    });
  }
  return only;
}

/** One GAF row as the evaluation set builder needs it; go_id as in the set's own release. */
export interface AnnotationEvidenceRow {
  protein: string;
  goId: string;
  qualifier: string;
  evidenceCode: string;
}

const EvidenceRow = z.object({ protein_accession: z.string(), go_id: z.string(), qualifier: z.string(), evidence_code: z.string() });

/** What loadEvidenceRows read, and what it left in the database. */
export interface EvidenceLoadReport {
  /** rows of the set: loaded + otherEvidence */
  total: number;
  /** rows read: positive ones with a wanted evidence code, and every NOT-qualified one */
  loaded: number;
  /** positive rows left out because their evidence code is not a wanted one */
  otherEvidence: number;
}

/** The NOT token of a GAF qualifier ('NOT', 'NOT|enables'), as a regular expression for PostgreSQL. */
const NOT_QUALIFIER = '(^|\\|)NOT(\\||$)';

/**
 * Streams the rows of an annotation set that the evaluation needs: positive
 * rows whose evidence code is one of `evidenceCodes` (filtered in SQL), and
 * NOT-qualified rows whatever their evidence (a curator's NOT, often IKR or
 * IBA, contradicts an experimental positive all the same). Rows are handed to
 * onRow as they arrive from a server-side cursor, so a large set is never held
 * twice in memory.
 */
export async function loadEvidenceRows(
  db: DatabasePool,
  annotationSetId: string,
  evidenceCodes: readonly string[],
  onRow: (row: AnnotationEvidenceRow) => void,
): Promise<EvidenceLoadReport> {
  const codes = sql.array([...evidenceCodes], 'text');
  let loaded = 0;
  await db.stream(
    sql.type(EvidenceRow)`
      SELECT p.protein_accession, g.go_id, p.qualifier, p.evidence_code
        FROM protein_go_annotation p JOIN go_term g ON g.id = p.go_term_id
       WHERE p.annotation_set_id = ${annotationSetId}
         AND (p.evidence_code = ANY(${codes}) OR p.qualifier ~ ${NOT_QUALIFIER})`,
    (stream) => {
      stream.on('data', ({ data }) => {
        loaded += 1;
        onRow({ protein: data.protein_accession, goId: data.go_id, qualifier: data.qualifier, evidenceCode: data.evidence_code });
      });
    },
  );
  // every row is either streamed above or counted here (the two conditions are complements)
  const otherEvidence = await db.oneFirst(sql.type(z.object({ n: z.number() }))`
    SELECT count(*)::integer AS n
      FROM protein_go_annotation p
     WHERE p.annotation_set_id = ${annotationSetId}
       AND NOT (p.evidence_code = ANY(${codes}) OR p.qualifier ~ ${NOT_QUALIFIER})`);
  return { total: loaded + otherEvidence, loaded, otherEvidence };
}
