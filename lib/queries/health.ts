// The cheapest round trip to PostgreSQL: what a health check asks.
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';

const Probe = z.object({ ok: z.number() });

export async function ping(db: DatabasePool): Promise<void> {
  await db.oneFirst(sql.type(Probe)`SELECT 1 AS ok`);
}
