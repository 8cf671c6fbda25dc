// The reference proteins of an annotation set with their sequences, for the
// identity method (the best alignment hit among them passes on its terms).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';
import type { RefAnnotation } from '../../processors/predictor/transfer.js';

const Row = z.object({ accession: z.string(), sequence_md5: z.string(), sequence: z.string(), aspects: z.string() });

export interface ReferenceSequence {
  accession: string;
  md5: string;
  sequence: string;
  /** GO aspects ('F', 'P', 'C') the protein has a transferable annotation in */
  aspects: string;
}

/**
 * Proteins of the set with a positive annotation (not NOT-qualified) carrying
 * one of the evidence codes, whose sequence is stored, by accession.
 */
export async function referenceSequences(db: CommonQueryMethods, annotationSetId: string, evidenceCodes: readonly string[]): Promise<ReferenceSequence[]> {
  const rows = await db.any(sql.type(Row)`
    SELECT p.accession, s.sequence_hash AS sequence_md5, s.sequence, string_agg(DISTINCT g.aspect, '' ORDER BY g.aspect) AS aspects
      FROM protein_go_annotation a
      JOIN go_term g ON g.id = a.go_term_id
      JOIN protein p ON p.accession = a.protein_accession
      JOIN sequence s ON s.id = p.sequence_id
     WHERE a.annotation_set_id = ${annotationSetId} AND a.evidence_code = ANY(${sql.array([...evidenceCodes], 'text')})
       AND a.qualifier !~ '(^|\\|)NOT(\\||$)' AND g.aspect IS NOT NULL
     GROUP BY p.accession, s.sequence_hash, s.sequence
     ORDER BY p.accession`);
  return rows.map((r) => ({ accession: r.accession, md5: r.sequence_md5, sequence: r.sequence, aspects: r.aspects }));
}

const Annotation = z.object({ accession: z.string(), go_id: z.string(), aspect: z.string(), qualifier: z.string().nullable(), evidence_code: z.string().nullable() });

/**
 * The annotations the reference proteins pass on: positive rows (not
 * NOT-qualified) with one of the evidence codes, by accession; a term
 * annotated several times comes first with the evidence code listed first.
 */
export async function referenceAnnotations(db: CommonQueryMethods, annotationSetId: string, evidenceCodes: readonly string[]): Promise<Map<string, RefAnnotation[]>> {
  const rows = await db.any(sql.type(Annotation)`
    SELECT a.protein_accession AS accession, g.go_id, g.aspect, a.qualifier, a.evidence_code
      FROM protein_go_annotation a JOIN go_term g ON g.id = a.go_term_id
     WHERE a.annotation_set_id = ${annotationSetId} AND a.evidence_code = ANY(${sql.array([...evidenceCodes], 'text')})
       AND a.qualifier !~ '(^|\\|)NOT(\\||$)' AND g.aspect IS NOT NULL
     ORDER BY a.protein_accession, g.go_id, array_position(${sql.array([...evidenceCodes], 'text')}, a.evidence_code), a.qualifier`);
  const out = new Map<string, RefAnnotation[]>();
  for (const r of rows) {
    const list = out.get(r.accession) ?? [];
    list.push({ goId: r.go_id, aspect: r.aspect as RefAnnotation['aspect'], qualifier: r.qualifier, evidenceCode: r.evidence_code });
    out.set(r.accession, list);
  }
  return out;
}
