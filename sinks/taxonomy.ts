// protea.ingest.taxonomy -> taxonomy (tax_id, parent_tax_id, rank,
// scientific_name). One row per node, the last record of a tax_id winning; a
// node equal to the stored one is left alone, so producing the same dump again
// changes no row. A node the reader kept without a scientific name (an empty
// string, see parsers/taxonomy.ts) is stored with scientific_name NULL.
// There is no parent foreign key (sql/0002): a subtree's root points at a
// parent that is not loaded, and nodes land in any partition order.
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { IngestTaxonomyRecord } from '../schemas/generated/types.js';
import { jobProgress } from './jobs.js';
import type { SinkMapping } from './runner.js';

const INT4_MAX = 2 ** 31 - 1;

function taxId(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > INT4_MAX) throw new ProteaError('SINK_WRITE_FAILED', `${field} ${value} is not a positive 32-bit taxonomy id`, { field });
  return value;
}

export const taxonomySink: SinkMapping<IngestTaxonomyRecord> = {
  name: 'taxonomy',
  topic: 'ingest.taxonomy',
  staging: { table: 'sink_stage_taxonomy', columns: 'tax_id integer, parent_tax_id integer, rank text, scientific_name text, job_id uuid, progress_item text' },
  columns: ['tax_id', 'parent_tax_id', 'rank', 'scientific_name', 'job_id', 'progress_item'],
  toRow: (r) => [taxId(r.tax_id, 'tax_id'), taxId(r.parent_tax_id, 'parent_tax_id'), r.rank === '' ? null : r.rank, r.scientific_name === '' ? null : r.scientific_name, r.job_id],
  merge: [
    sql.unsafe`
      INSERT INTO taxonomy AS x (tax_id, parent_tax_id, rank, scientific_name)
      SELECT DISTINCT ON (tax_id) tax_id, parent_tax_id, rank, scientific_name
        FROM sink_stage_taxonomy
       ORDER BY tax_id, kafka_offset DESC
      ON CONFLICT (tax_id) DO UPDATE SET
             parent_tax_id = EXCLUDED.parent_tax_id, rank = EXCLUDED.rank, scientific_name = EXCLUDED.scientific_name
       WHERE (x.parent_tax_id, x.rank, x.scientific_name) IS DISTINCT FROM (EXCLUDED.parent_tax_id, EXCLUDED.rank, EXCLUDED.scientific_name)`,
    // every record is one node its produce job sent
    jobProgress('sink_stage_taxonomy'),
  ],
  jobId: (r) => r.job_id,
  // a node record carries no file position: the message's own offset identifies it (a
  // producer retry after a broker failure may then count a node twice)
  progressItem: () => null,
};
