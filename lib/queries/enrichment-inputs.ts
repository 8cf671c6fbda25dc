// What the feature enricher reads besides its input records: proteins' taxa and
// sequences, and how often the annotation set uses each term and protein.
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

const ProteinRow = z.object({ accession: z.string(), taxonomy_id: z.number().nullable(), sequence_md5: z.string().nullable(), sequence: z.string().nullable() });

export interface ProteinInput {
  taxonomyId: number | null;
  /** null while the protein's sequence has not landed */
  sequence: { md5: string; sequence: string } | null;
}

/** Taxon and sequence of each known protein, by accession; an unknown accession is absent. */
export async function proteinInputs(db: CommonQueryMethods, accessions: Iterable<string>): Promise<Map<string, ProteinInput>> {
  const out = new Map<string, ProteinInput>();
  const wanted = [...new Set(accessions)];
  if (wanted.length === 0) return out;
  const rows = await db.any(sql.type(ProteinRow)`
    SELECT p.accession, p.taxonomy_id, s.sequence_hash AS sequence_md5, s.sequence
      FROM protein p LEFT JOIN sequence s ON s.id = p.sequence_id
     WHERE p.accession = ANY(${sql.array(wanted, 'text')})`);
  for (const r of rows) {
    out.set(r.accession, { taxonomyId: r.taxonomy_id, sequence: r.sequence_md5 !== null && r.sequence !== null ? { md5: r.sequence_md5, sequence: r.sequence } : null });
  }
  return out;
}

const TermRow = z.object({ go_id: z.string(), proteins: z.number() });
const ProteinTermsRow = z.object({ accession: z.string(), terms: z.number() });

/**
 * Per GO term, the reference proteins annotated with it, and per reference
 * protein, its distinct GO terms: over the annotations the predictor transfers
 * (these evidence codes, NOT-qualified rows excluded).
 */
export async function annotationSetUsage(db: CommonQueryMethods, annotationSetId: string, evidenceCodes: readonly string[]): Promise<{ proteinsWithTerm: Map<string, number>; termsOfProtein: Map<string, number> }> {
  const codes = sql.array([...evidenceCodes], 'text');
  const terms = await db.any(sql.type(TermRow)`
    SELECT g.go_id, count(DISTINCT a.protein_accession)::int AS proteins
      FROM protein_go_annotation a JOIN go_term g ON g.id = a.go_term_id
     WHERE a.annotation_set_id = ${annotationSetId} AND a.evidence_code = ANY(${codes}) AND a.qualifier !~ '(^|\\|)NOT(\\||$)'
     GROUP BY g.go_id`);
  const proteins = await db.any(sql.type(ProteinTermsRow)`
    SELECT a.protein_accession AS accession, count(DISTINCT a.go_term_id)::int AS terms
      FROM protein_go_annotation a
     WHERE a.annotation_set_id = ${annotationSetId} AND a.evidence_code = ANY(${codes}) AND a.qualifier !~ '(^|\\|)NOT(\\||$)'
     GROUP BY a.protein_accession`);
  return {
    proteinsWithTerm: new Map(terms.map((r) => [r.go_id, r.proteins])),
    termsOfProtein: new Map(proteins.map((r) => [r.accession, r.terms])),
  };
}
