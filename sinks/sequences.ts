// protea.sequences -> sequence (MD5 -> sequence_hash, sequence, length).
// A sequence's content is fixed by its MD5, so the merge inserts new hashes and
// leaves existing ones alone. It also links the proteins that landed before
// their sequence (protein.sequence_id NULL, sequence_md5 set): see
// PROTEIN_SEQUENCE_LINK_LOCK for why the two sinks take an advisory lock.
import { createHash } from 'node:crypto';
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { SequenceRecord } from '../schemas/generated/types.js';
import { SEQUENCES_QUERY_SET_LINK } from './query-sets.js';
import type { SinkMapping } from './runner.js';

/**
 * Transaction-level advisory lock that orders the two halves of the
 * protein <-> sequence link under READ COMMITTED. Without it a proteins
 * transaction (sequence not visible yet: sequence_id NULL) and a sequences
 * transaction (protein not visible yet: nothing to link) could both commit and
 * leave the protein unlinked forever. The sequences sink takes it shared
 * before linking (sequences transactions never wait for each other); the
 * proteins sink takes it exclusively, and only when some of its proteins
 * found no sequence, before linking them again: whichever is second sees the
 * other's committed rows.
 */
export const PROTEIN_SEQUENCE_LINK_LOCK = 0x50524f54; // 'PROT'

const MD5 = /^[0-9a-f]{32}$/;

export const sequencesSink: SinkMapping<SequenceRecord> = {
  name: 'sequences',
  topic: 'sequences',
  staging: { table: 'sink_stage_sequence', columns: 'sequence_hash char(32), sequence text, length integer' },
  columns: ['sequence_hash', 'sequence', 'length'],
  toRow(r) {
    // The key of the row: the DB checks its format, only here can it be checked against the sequence.
    if (!MD5.test(r.md5) || createHash('md5').update(r.sequence, 'utf8').digest('hex') !== r.md5) {
      throw new ProteaError('SINK_WRITE_FAILED', `md5 ${JSON.stringify(r.md5)} is not the MD5 of the sequence`, { field: 'md5' });
    }
    return [r.md5, r.sequence, r.length];
  },
  merge: [
    sql.unsafe`
      INSERT INTO sequence (sequence, sequence_hash, length)
      SELECT DISTINCT ON (sequence_hash) sequence, sequence_hash, length
        FROM sink_stage_sequence
       ORDER BY sequence_hash, kafka_offset DESC
      ON CONFLICT (sequence_hash) DO NOTHING`,
    sql.unsafe`SELECT pg_advisory_xact_lock_shared(${PROTEIN_SEQUENCE_LINK_LOCK})`,
    // The staged hashes as one array, so the unlinked proteins are looked up by the
    // partial index whatever the statistics: as a join, a protein table without fresh
    // statistics (a bulk load) was scanned whole in every transaction, 40 µs per record
    // at 200,000 proteins and growing with the table (bench/RESULTS.md).
    sql.unsafe`
      UPDATE protein p SET sequence_id = s.id, updated_at = now()
        FROM sequence s
       WHERE p.sequence_md5 = ANY (ARRAY(SELECT sequence_hash FROM sink_stage_sequence))
         AND p.sequence_id IS NULL
         AND s.sequence_hash = p.sequence_md5`,
    // query-set entries waiting for their sequence
    ...SEQUENCES_QUERY_SET_LINK,
  ],
  jobId: (r) => r.first_seen_job_id,
};
