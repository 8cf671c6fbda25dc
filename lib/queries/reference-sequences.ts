// The reference proteins of an annotation set with their sequences, for the
// identity method (the best alignment hit among them passes on its terms).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

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
