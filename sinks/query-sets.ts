// protea.query_sets -> query_set (id, name) and query_set_entry (query_set_id,
// accession, sequence_id).
//
// query_set_entry.sequence_id is NOT NULL (the reference model: every entry
// points at its deduplicated sequence), but the dedup stage sends an entry and
// its sequence to two topics, so the entry may land first. Every entry is
// therefore written to query_set_entry_pending (query_set_id, accession,
// sequence_md5; sql/0008) and moved into query_set_entry by one statement
// (linkPending: DELETE .. RETURNING feeding the upsert) as soon as its
// sequence exists:
// - in this sink's transaction, when the sequence is already there (the usual
//   case once the sequences sink caught up), or after taking the link lock;
// - in the sequences sink's transaction otherwise: it runs
//   SEQUENCES_QUERY_SET_LINK (exported here, appended to sequencesSink.merge)
//   after landing sequences.
// The decision "linked or waiting" is made inside one statement, so under
// READ COMMITTED it cannot see the sequence missing in one statement and
// present in the next (which would drop the entry from both tables).
// A pending table rather than a nullable sequence_id keeps the table's
// invariant for its readers (the predictor, the API): a query_set_entry row
// is always a usable (accession, sequence) pair; what is still missing is in
// one small table, countable per query set.
//
// The link lock (QUERY_SET_SEQUENCE_LINK_LOCK, transaction-level advisory):
// under READ COMMITTED a query-set transaction that does not see a sequence
// yet, and a sequences transaction that does not see the pending entry yet,
// could both commit and leave the entry pending forever. The sequences sink
// takes the lock shared before linking (sequences transactions never wait for
// each other); this sink takes it exclusively, only when entries of its batch
// are pending, then links them again with a fresh statement snapshot:
// whichever of the two is second sees the other's committed rows.
//
// Last record of a key wins (a FASTA with one accession twice in one query
// set): an entry already linked to an older sequence keeps that link until the
// new sequence lands, then moves to it (its id is kept).
//
// Job progress: not counted here. A query-set entry is one more output of a
// FASTA record whose protein record the proteins sink already counts toward
// the produce job (progress_total = FASTA records sent); counting the entry
// too would count each record twice.
import type { FragmentSqlToken } from 'slonik';
import type { SqlStatement } from '../lib/copy.js';
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { QuerySetEntryRecord } from '../schemas/generated/types.js';
import type { SinkMapping } from './runner.js';

/** Advisory lock (single bigint key space) ordering the query-set entry <-> sequence link: 'QSET'. */
export const QUERY_SET_SEQUENCE_LINK_LOCK = 0x51534554;

const STAGE = 'sink_stage_query_set';
const MD5 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One statement (one snapshot, so one decision per entry) that moves the
 * pending entries selected by `where` (over `p`, the pending row) whose
 * sequence exists into query_set_entry: a new entry is inserted, an existing
 * one moves to the new sequence (its id kept), an unchanged one is left alone.
 */
function linkPending(where: FragmentSqlToken): SqlStatement {
  return sql.unsafe`
    WITH moved AS (
      DELETE FROM query_set_entry_pending p
       USING sequence s
       WHERE ${where} AND s.sequence_hash = p.sequence_md5
      RETURNING p.query_set_id, p.accession, s.id AS sequence_id),
    moved_existing AS (
      UPDATE query_set_entry e SET sequence_id = m.sequence_id
        FROM moved m
       WHERE e.query_set_id = m.query_set_id AND e.accession = m.accession AND e.sequence_id <> m.sequence_id)
    INSERT INTO query_set_entry AS e (query_set_id, accession, sequence_id)
    SELECT m.query_set_id, m.accession, m.sequence_id FROM moved m
     WHERE NOT EXISTS (SELECT 1 FROM query_set_entry x WHERE x.query_set_id = m.query_set_id AND x.accession = m.accession)
     ORDER BY m.query_set_id, m.accession
    ON CONFLICT (query_set_id, accession) DO UPDATE SET sequence_id = EXCLUDED.sequence_id
     WHERE e.sequence_id IS DISTINCT FROM EXCLUDED.sequence_id`;
}

/**
 * Statements that move the pending entries waiting for the sequences of a
 * staging table (`md5Column`: their MD5s) into query_set_entry. The sequences
 * sink appends them to its merges, after the sequences are inserted:
 * `merge: [...sequencesMerge, ...SEQUENCES_QUERY_SET_LINK]`.
 */
export function querySetSequenceLink(stagingTable: string, md5Column: string): SqlStatement[] {
  const table = sql.identifier([stagingTable]);
  const md5 = sql.identifier([md5Column]);
  return [sql.unsafe`SELECT pg_advisory_xact_lock_shared(${QUERY_SET_SEQUENCE_LINK_LOCK})`, linkPending(sql.fragment`p.sequence_md5 IN (SELECT ${md5} FROM ${table})`)];
}

/** What the lead appends to sequencesSink.merge (staging sink_stage_sequence, column sequence_hash). */
export const SEQUENCES_QUERY_SET_LINK: readonly SqlStatement[] = querySetSequenceLink('sink_stage_sequence', 'sequence_hash');

// the pending entries of this batch's keys
const BATCH_KEYS = sql.fragment`(p.query_set_id, p.accession) IN (SELECT query_set_id, accession FROM sink_stage_query_set)`;

export const querySetsSink: SinkMapping<QuerySetEntryRecord> = {
  name: 'query_sets',
  topic: 'query_sets',
  staging: { table: STAGE, columns: 'query_set_id uuid, query_set_name text, accession text, sequence_md5 char(32)' },
  columns: ['query_set_id', 'query_set_name', 'accession', 'sequence_md5'],
  toRow(r) {
    if (!UUID.test(r.query_set_id)) throw new ProteaError('SINK_WRITE_FAILED', `query_set_id ${JSON.stringify(r.query_set_id)} is not a UUID`, { field: 'query_set_id' });
    if (r.accession === '') throw new ProteaError('SINK_WRITE_FAILED', 'accession is empty', { field: 'accession' });
    if (!MD5.test(r.sequence_md5)) throw new ProteaError('SINK_WRITE_FAILED', `sequence_md5 ${JSON.stringify(r.sequence_md5)} is not 32 lower-case hex digits`, { field: 'sequence_md5' });
    return [r.query_set_id.toLowerCase(), r.query_set_name === '' ? r.query_set_id : r.query_set_name, r.accession, r.sequence_md5];
  },
  merge: [
    // query sets: created by the first entry to land, renamed when the name changes (no row lock otherwise)
    sql.unsafe`
      INSERT INTO query_set (id, name)
      SELECT DISTINCT ON (query_set_id) query_set_id, query_set_name FROM sink_stage_query_set
       ORDER BY query_set_id, kafka_offset DESC
      ON CONFLICT (id) DO NOTHING`,
    sql.unsafe`
      UPDATE query_set q SET name = n.query_set_name
        FROM (SELECT DISTINCT ON (query_set_id) query_set_id, query_set_name FROM sink_stage_query_set
               ORDER BY query_set_id, kafka_offset DESC) n
       WHERE q.id = n.query_set_id AND q.name IS DISTINCT FROM n.query_set_name`,
    // every entry (the last record of its key) goes through pending ...
    sql.unsafe`
      INSERT INTO query_set_entry_pending AS p (query_set_id, accession, sequence_md5)
      SELECT DISTINCT ON (query_set_id, accession) query_set_id, accession, sequence_md5
        FROM sink_stage_query_set
       ORDER BY query_set_id, accession, kafka_offset DESC
      ON CONFLICT (query_set_id, accession) DO UPDATE SET sequence_md5 = EXCLUDED.sequence_md5
       WHERE p.sequence_md5 IS DISTINCT FROM EXCLUDED.sequence_md5`,
    // ... and leaves it at once when its sequence is there (the usual case)
    linkPending(BATCH_KEYS),
    // some still wait: take the link lock (waits for the sequences transactions in flight), then link again
    sql.unsafe`
      SELECT pg_advisory_xact_lock(${QUERY_SET_SEQUENCE_LINK_LOCK})
       WHERE EXISTS (SELECT 1 FROM query_set_entry_pending p WHERE ${BATCH_KEYS})`,
    linkPending(BATCH_KEYS),
  ],
  jobId: (r) => r.job_id,
};
