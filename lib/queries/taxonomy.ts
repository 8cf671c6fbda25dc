// NCBI taxonomy lineages (the feature enricher's taxonomy features).
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

const Row = z.object({ start: z.number(), tax_id: z.number(), depth: z.number() });

/** Deeper than any NCBI lineage (about 50 ranks): a guard against a cycle in a hand-made table. */
const MAX_DEPTH = 256;

/**
 * The lineage [taxon, parent, ..., top] of each taxon found in the taxonomy
 * table; the top is the root (its own parent) or the highest loaded ancestor.
 * A taxon not in the table is absent.
 */
export async function taxonomyLineages(db: CommonQueryMethods, taxa: Iterable<number>): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  const wanted = [...new Set(taxa)];
  if (wanted.length === 0) return out;
  const rows = await db.any(sql.type(Row)`
    WITH RECURSIVE up (start, tax_id, parent_tax_id, depth) AS (
      SELECT t.tax_id, t.tax_id, t.parent_tax_id, 0 FROM taxonomy t WHERE t.tax_id = ANY(${sql.array(wanted, 'int4')})
      UNION ALL
      SELECT up.start, t.tax_id, t.parent_tax_id, up.depth + 1
        FROM up JOIN taxonomy t ON t.tax_id = up.parent_tax_id
       WHERE up.parent_tax_id <> up.tax_id AND up.depth < ${MAX_DEPTH})
    SELECT start, tax_id, depth FROM up ORDER BY start, depth`);
  for (const r of rows) {
    const lineage = out.get(r.start) ?? [];
    lineage.push(r.tax_id);
    out.set(r.start, lineage);
  }
  return out;
}
