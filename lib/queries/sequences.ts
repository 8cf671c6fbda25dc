// Sequences by MD5 (the predictor's identity method aligns them) and by protein
// accession (the evaluation's identity baseline).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

const Row = z.object({ sequence_hash: z.string(), sequence: z.string() });

/** The stored sequences of these MD5s; an MD5 whose sequence has not landed is absent. */
export async function sequencesByMd5(db: CommonQueryMethods, md5s: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (md5s.length === 0) return out;
  const rows = await db.any(sql.type(Row)`SELECT sequence_hash, sequence FROM sequence WHERE sequence_hash = ANY(${sql.array([...new Set(md5s)], 'text')})`);
  for (const r of rows) out.set(r.sequence_hash, r.sequence);
  return out;
}

const ProteinRow = z.object({ accession: z.string(), sequence: z.string() });

/**
 * The stored sequences of these proteins, by accession; a protein that is
 * unknown or whose sequence has not landed is absent.
 */
export async function proteinSequences(db: CommonQueryMethods, accessions: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = [...new Set(accessions)];
  if (wanted.length === 0) return out;
  const rows = await db.any(sql.type(ProteinRow)`
    SELECT p.accession, s.sequence FROM protein p JOIN sequence s ON s.id = p.sequence_id
     WHERE p.accession = ANY(${sql.array(wanted, 'text')})`);
  for (const r of rows) out.set(r.accession, r.sequence);
  return out;
}
