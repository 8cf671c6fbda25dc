// The API's audit log (sql/0014): every write request, refused ones included.
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';

export interface NewAuditRow {
  tokenName: string | null;
  method: string;
  route: string;
  target: string | null;
  jobId: string | null;
  statusCode: number;
  errorCode: string | null;
  clientAddress: string;
}

export async function insertAuditRow(db: DatabasePool, row: NewAuditRow): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO api_audit (token_name, method, route, target, job_id, status_code, error_code, client_address)
    VALUES (${row.tokenName}, ${row.method}, ${row.route}, ${row.target}, ${row.jobId}, ${row.statusCode}, ${row.errorCode}, ${row.clientAddress})`);
}

const AuditRow = z.object({
  id: z.number(),
  ts: z.number(),
  token_name: z.string().nullable(),
  method: z.string(),
  route: z.string(),
  target: z.string().nullable(),
  job_id: z.string().nullable(),
  status_code: z.number(),
  error_code: z.string().nullable(),
  client_address: z.string(),
});
export type AuditRow = z.infer<typeof AuditRow>;

// id is float8 in the answer: pg returns int8 as a BigInt, which JSON cannot
// carry, and an identity stays exact in a double up to 2^53.
/** Newest first (by id: identity order is insertion order); `beforeId` is the keyset cursor. */
export async function listAuditRows(db: DatabasePool, opts: { limit: number; beforeId?: number }): Promise<readonly AuditRow[]> {
  const after = opts.beforeId === undefined ? sql.fragment`` : sql.fragment`WHERE id < ${opts.beforeId}`;
  return db.any(sql.type(AuditRow)`
    SELECT id::float8 AS id, ts, token_name, method, route, target, job_id, status_code, error_code, client_address
      FROM api_audit ${after} ORDER BY id DESC LIMIT ${opts.limit}`);
}
