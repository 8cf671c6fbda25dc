// Reading proteins for the API: one protein with its isoforms, taxonomy,
// sequence and GO annotations; keyset pages of proteins filtered by taxon,
// reviewed flag and a prefix of the accession, entry name or gene name (the
// prefix indexes of migration 0016).
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';

const ProteinRow = z.object({
  accession: z.string(),
  canonical_accession: z.string(),
  is_canonical: z.boolean(),
  isoform_index: z.number().nullable(),
  entry_name: z.string().nullable(),
  reviewed: z.boolean().nullable(),
  taxonomy_id: z.number().nullable(),
  organism: z.string().nullable(),
  gene_name: z.string().nullable(),
  protein_existence: z.number().nullable(),
  sequence_version: z.number().nullable(),
  length: z.number().nullable(),
});
export type ProteinRow = z.infer<typeof ProteinRow>;

const COLUMNS = sql.fragment`
  p.accession, p.canonical_accession, p.is_canonical, p.isoform_index, p.entry_name, p.reviewed, p.taxonomy_id, p.organism,
  p.gene_name, p.protein_existence, p.sequence_version, p.length`;

/** `LIKE` pattern matching the values that start with `prefix` (its % _ and \ taken literally). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface ProteinFilter {
  taxonomyId?: number;
  reviewed?: boolean;
  /** a prefix of the accession (case-insensitive: accessions are upper case), the entry name or the gene name (case-insensitive) */
  q?: string;
}

/** The SQL of proteinsPage (a fragment: tests EXPLAIN it). */
export function proteinsPageSql(f: ProteinFilter, opts: { limit: number; after?: string }) {
  const parts = [sql.fragment`TRUE`];
  if (f.taxonomyId !== undefined) parts.push(sql.fragment`p.taxonomy_id = ${f.taxonomyId}`);
  if (f.reviewed !== undefined) parts.push(sql.fragment`p.reviewed = ${f.reviewed}`);
  if (f.q !== undefined) {
    // each arm matches one prefix index (text_pattern_ops); the planner ORs their bitmaps
    const upper = prefixPattern(f.q.toUpperCase());
    const lower = prefixPattern(f.q.toLowerCase());
    parts.push(sql.fragment`(p.accession LIKE ${upper} OR lower(p.entry_name) LIKE ${lower} OR lower(p.gene_name) LIKE ${lower})`);
  }
  if (opts.after !== undefined) parts.push(sql.fragment`p.accession > ${opts.after}`);
  return sql.fragment`SELECT ${COLUMNS} FROM protein p WHERE ${sql.join(parts, sql.fragment` AND `)} ORDER BY p.accession LIMIT ${opts.limit}`;
}

/** One page of proteins by accession after `after`. */
export async function proteinsPage(db: DatabasePool, f: ProteinFilter, opts: { limit: number; after?: string }): Promise<readonly ProteinRow[]> {
  return db.any(sql.type(ProteinRow)`${proteinsPageSql(f, opts)}`);
}

const ProteinDetailRow = ProteinRow.extend({
  scientific_name: z.string().nullable(),
  rank: z.string().nullable(),
  parent_tax_id: z.number().nullable(),
  sequence: z.string().nullable(),
  sequence_md5: z.string().nullable(),
  sequence_length: z.number().nullable(),
});
export type ProteinDetailRow = z.infer<typeof ProteinDetailRow>;

/** One protein with its taxon (when loaded) and sequence (when landed), or null. */
export async function getProtein(db: DatabasePool, accession: string): Promise<ProteinDetailRow | null> {
  return db.maybeOne(sql.type(ProteinDetailRow)`
    SELECT ${COLUMNS}, t.scientific_name, t.rank, t.parent_tax_id, s.sequence, s.sequence_hash AS sequence_md5, s.length AS sequence_length
      FROM protein p
      LEFT JOIN taxonomy t ON t.tax_id = p.taxonomy_id
      LEFT JOIN sequence s ON s.id = p.sequence_id
     WHERE p.accession = ${accession}`);
}

const IsoformRow = z.object({ accession: z.string(), is_canonical: z.boolean(), isoform_index: z.number().nullable(), length: z.number().nullable() });
export type IsoformRow = z.infer<typeof IsoformRow>;

/** Every protein sharing a canonical accession (the canonical one first, then isoforms by index). */
export async function proteinFamily(db: DatabasePool, canonical: string): Promise<readonly IsoformRow[]> {
  return db.any(sql.type(IsoformRow)`
    SELECT accession, is_canonical, isoform_index, length FROM protein WHERE canonical_accession = ${canonical}
     ORDER BY is_canonical DESC, isoform_index NULLS FIRST, accession`);
}

const AnnotationRow = z.object({
  annotation_set_id: z.string(),
  source: z.string(),
  source_version: z.string().nullable(),
  obo_version: z.string(),
  protein_accession: z.string(),
  go_id: z.string(),
  go_name: z.string().nullable(),
  aspect: z.string().nullable(),
  qualifier: z.string(),
  evidence_code: z.string(),
  db_reference: z.string(),
  with_from: z.string(),
  assigned_by: z.string(),
  annotation_date: z.string(),
});
export type AnnotationRow = z.infer<typeof AnnotationRow>;

/**
 * The GAF rows of these accessions (a protein and its canonical accession,
 * which GAF files annotate), newest annotation set first, then GO id; at most
 * `limit` rows.
 */
export async function proteinAnnotations(db: DatabasePool, accessions: readonly string[], limit: number): Promise<readonly AnnotationRow[]> {
  return db.any(sql.type(AnnotationRow)`
    SELECT a.annotation_set_id, s.source, s.source_version, o.obo_version, a.protein_accession, g.go_id, g.name AS go_name,
           coalesce(a.aspect, g.aspect) AS aspect, a.qualifier, a.evidence_code, a.db_reference, a.with_from, a.assigned_by, a.annotation_date
      FROM protein_go_annotation a
      JOIN annotation_set s ON s.id = a.annotation_set_id
      JOIN ontology_snapshot o ON o.id = s.ontology_snapshot_id
      JOIN go_term g ON g.id = a.go_term_id
     WHERE a.protein_accession = ANY(${sql.array([...accessions], 'text')})
     ORDER BY s.created_at DESC, s.id, g.go_id, a.protein_accession, a.evidence_code, a.id
     LIMIT ${limit}`);
}

/** Whether the API knows the accession: a protein row, or predictions for it (query-set proteins need not be UniProt rows). */
export async function proteinKnown(db: DatabasePool, accession: string): Promise<boolean> {
  return db.oneFirst(sql.type(z.object({ known: z.boolean() }))`
    SELECT EXISTS (SELECT 1 FROM protein WHERE accession = ${accession})
        OR EXISTS (SELECT 1 FROM go_prediction WHERE protein_accession = ${accession}) AS known`);
}
