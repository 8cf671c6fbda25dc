// protea.proteins -> protein (one row per accession, isoforms included). The
// last record of an accession wins; sequence_id is looked up by MD5 when the
// sequence has landed, else left NULL for the sequences sink to fill (the
// MD5 is kept in protein.sequence_md5). protein_name has no column in the
// data model and is not stored.
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { ProteinRecord } from '../schemas/generated/types.js';
import { SOURCE_FILE_HEADER, SOURCE_LINE_HEADER } from '../topics/catalogue.js';
import { jobProgress, lineItem } from './jobs.js';
import type { SinkMapping } from './runner.js';
import { PROTEIN_SEQUENCE_LINK_LOCK } from './sequences.js';

const MD5 = /^[0-9a-f]{32}$/;

/** the protein columns the sink writes from a record (accession, the key, aside) */
export const PROTEIN_DATA_COLUMNS = [
  'canonical_accession', 'is_canonical', 'isoform_index', 'entry_name', 'reviewed', 'taxonomy_id', 'organism',
  'gene_name', 'protein_existence', 'sequence_version', 'length', 'sequence_md5',
] as const;

export const proteinsSink: SinkMapping<ProteinRecord> = {
  name: 'proteins',
  topic: 'proteins',
  staging: {
    table: 'sink_stage_protein',
    columns: `accession text, canonical_accession text, is_canonical boolean, isoform_index integer, entry_name text,
              reviewed boolean, taxonomy_id integer, organism text, gene_name text, protein_existence smallint,
              sequence_version integer, length integer, sequence_md5 char(32), job_id uuid, progress_item text`,
  },
  columns: ['accession', ...PROTEIN_DATA_COLUMNS, 'job_id', 'progress_item'],
  toRow(r) {
    if (!MD5.test(r.sequence_md5)) throw new ProteaError('SINK_WRITE_FAILED', `sequence_md5 ${JSON.stringify(r.sequence_md5)} is not 32 lower-case hex digits`, { field: 'sequence_md5' });
    return [
      r.accession, r.canonical_accession, r.is_canonical, r.isoform_index, r.entry_name, r.reviewed, r.taxonomy_id, r.organism,
      r.gene_name, r.protein_existence, r.sequence_version, r.length, r.sequence_md5, r.job_id,
    ];
  },
  merge: [
    sql.unsafe`
      INSERT INTO protein AS p (accession, canonical_accession, is_canonical, isoform_index, entry_name, reviewed, taxonomy_id,
                                organism, gene_name, protein_existence, sequence_version, length, sequence_md5, sequence_id)
      SELECT DISTINCT ON (st.accession)
             st.accession, st.canonical_accession, st.is_canonical, st.isoform_index, st.entry_name, st.reviewed, st.taxonomy_id,
             st.organism, st.gene_name, st.protein_existence, st.sequence_version, st.length, st.sequence_md5, s.id
        FROM sink_stage_protein st
        LEFT JOIN sequence s ON s.sequence_hash = st.sequence_md5
       ORDER BY st.accession, st.kafka_offset DESC
      ON CONFLICT (accession) DO UPDATE SET
             canonical_accession = EXCLUDED.canonical_accession, is_canonical = EXCLUDED.is_canonical,
             isoform_index = EXCLUDED.isoform_index, entry_name = EXCLUDED.entry_name, reviewed = EXCLUDED.reviewed,
             taxonomy_id = EXCLUDED.taxonomy_id, organism = EXCLUDED.organism, gene_name = EXCLUDED.gene_name,
             protein_existence = EXCLUDED.protein_existence, sequence_version = EXCLUDED.sequence_version,
             length = EXCLUDED.length, sequence_md5 = EXCLUDED.sequence_md5,
             sequence_id = COALESCE(EXCLUDED.sequence_id, CASE WHEN p.sequence_md5 = EXCLUDED.sequence_md5 THEN p.sequence_id END),
             updated_at = now()
       WHERE (p.canonical_accession, p.is_canonical, p.isoform_index, p.entry_name, p.reviewed, p.taxonomy_id, p.organism,
              p.gene_name, p.protein_existence, p.sequence_version, p.length, p.sequence_md5)
             IS DISTINCT FROM
             (EXCLUDED.canonical_accession, EXCLUDED.is_canonical, EXCLUDED.isoform_index, EXCLUDED.entry_name, EXCLUDED.reviewed,
              EXCLUDED.taxonomy_id, EXCLUDED.organism, EXCLUDED.gene_name, EXCLUDED.protein_existence, EXCLUDED.sequence_version,
              EXCLUDED.length, EXCLUDED.sequence_md5)
          OR (p.sequence_id IS NULL AND EXCLUDED.sequence_id IS NOT NULL)`,
    // Proteins of this batch still without a sequence: take the link lock (waits for the
    // sequences transactions in flight), then link again with a fresh snapshot.
    sql.unsafe`
      SELECT pg_advisory_xact_lock(${PROTEIN_SEQUENCE_LINK_LOCK})
       WHERE EXISTS (SELECT 1 FROM protein p JOIN sink_stage_protein st ON st.accession = p.accession
                      WHERE p.sequence_id IS NULL AND p.sequence_md5 IS NOT NULL)`,
    sql.unsafe`
      UPDATE protein p SET sequence_id = s.id, updated_at = now()
        FROM sink_stage_protein st, sequence s
       WHERE p.accession = st.accession AND p.sequence_id IS NULL AND s.sequence_hash = p.sequence_md5`,
    // every protein record is one FASTA entry of its produce job: it has landed
    jobProgress('sink_stage_protein'),
  ],
  jobId: (r) => r.job_id,
  // a protein record is one FASTA entry of its job: the dedup stage names the entry's file
  // and line in headers (redelivered copies carry the same)
  progressItem: (r) => lineItem(r.headers[SOURCE_FILE_HEADER], r.headers[SOURCE_LINE_HEADER] === undefined ? null : Number(r.headers[SOURCE_LINE_HEADER])),
  // a protein record the sink refuses is still one FASTA entry of its job: handled
  jobProgressOnDeadLetters: true,
};
