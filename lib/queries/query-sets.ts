// Query sets (the FASTA a user asked predictions for) and their entries.
import { z } from 'zod';
import { sql, type CommonQueryMethods, type DatabasePool } from '../db.js';
import { ProteaError } from '../errors.js';
import { isUuid } from './annotation-sets.js';

const QuerySet = z.object({ id: z.string(), name: z.string(), created_at: z.number(), entries: z.number(), pending: z.number() });
export type QuerySetRow = z.infer<typeof QuerySet>;

const COLUMNS = sql.fragment`
  q.id, q.name, q.created_at,
  (SELECT count(*) FROM query_set_entry e WHERE e.query_set_id = q.id)::integer AS entries,
  (SELECT count(*) FROM query_set_entry_pending e WHERE e.query_set_id = q.id)::integer AS pending`;

export async function listQuerySets(db: DatabasePool, opts: { limit?: number } = {}): Promise<readonly QuerySetRow[]> {
  return db.any(sql.type(QuerySet)`SELECT ${COLUMNS} FROM query_set q ORDER BY q.created_at DESC, q.id DESC LIMIT ${opts.limit ?? 50}`);
}

const LIST_HINT = 'Query sets are made by `protea produce fasta FILE --query-set NAME`; give its id or its name.';

/** A query set by id, or by name when exactly one set has it. */
export async function resolveQuerySet(db: DatabasePool, ref: string, option = '--query-set'): Promise<QuerySetRow> {
  const rows = isUuid(ref)
    ? await db.any(sql.type(QuerySet)`SELECT ${COLUMNS} FROM query_set q WHERE q.id = ${ref}`)
    : await db.any(sql.type(QuerySet)`SELECT ${COLUMNS} FROM query_set q WHERE q.name = ${ref} ORDER BY q.created_at, q.id`);
  const only = rows[0];
  if (!only) throw new ProteaError('NOT_FOUND', `${option}: no query set ${isUuid(ref) ? 'has the id' : 'is named'} ${JSON.stringify(ref)}`, { field: option, hint: LIST_HINT });
  if (rows.length > 1) {
    throw new ProteaError('USAGE', `${option}: ${rows.length} query sets are named ${JSON.stringify(ref)} (${rows.map((r) => r.id).join(', ')}); give the id`, { field: option, hint: LIST_HINT });
  }
  return only;
}

const Entry = z.object({ accession: z.string(), sequence_md5: z.string() });
export type QuerySetEntry = z.infer<typeof Entry>;

/**
 * Every entry of a query set with the MD5 of its sequence, including entries
 * whose sequence row has not landed yet (query_set_entry_pending), by accession.
 */
export async function querySetEntries(db: CommonQueryMethods, querySetId: string): Promise<readonly QuerySetEntry[]> {
  return db.any(sql.type(Entry)`
    SELECT e.accession, s.sequence_hash AS sequence_md5 FROM query_set_entry e JOIN sequence s ON s.id = e.sequence_id WHERE e.query_set_id = ${querySetId}
    UNION ALL
    SELECT p.accession, p.sequence_md5 FROM query_set_entry_pending p WHERE p.query_set_id = ${querySetId}
    ORDER BY 1`);
}
