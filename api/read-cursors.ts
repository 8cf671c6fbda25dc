// The `after` cursors of the newest-first reference lists: (epoch
// microseconds, uuid). decodeCursor checks the JSON shape; this also checks
// the values, so a forged cursor is a 400 naming `after`, never a SQL cast
// error.
import { isUuid } from '../lib/queries/annotation-sets.js';
import type { TimeKey } from '../lib/queries/reference-lists.js';
import { badCursor, decodeCursor, page } from './pagination.js';
import { READ_DEFAULT_LIMIT } from './read-schemas.js';

export function decodeTimeCursor(raw: string | undefined): TimeKey | undefined {
  const key = decodeCursor(raw, ['number', 'string']);
  if (key === undefined) return undefined;
  const [us, id] = key as [number, string];
  if (!Number.isSafeInteger(us) || !isUuid(id)) {
    throw badCursor(raw);
  }
  return [us, id];
}

/**
 * One page of a newest-first reference list: `fetch` gets `limit + 1` and the
 * decoded cursor; the page's rows lose their cursor column.
 */
export async function timeKeyedPage<R extends { cursor_us: number; id: string }>(
  query: { limit?: number; after?: string },
  fetch: (opts: { limit: number; after?: TimeKey }) => Promise<readonly R[]>,
): Promise<{ items: Omit<R, 'cursor_us'>[]; next: string | null }> {
  const limit = query.limit ?? READ_DEFAULT_LIMIT;
  const key = decodeTimeCursor(query.after);
  const rows = await fetch({ limit: limit + 1, ...(key ? { after: key } : {}) });
  const { items, next } = page(rows, limit, (r) => [r.cursor_us, r.id]);
  return { items: items.map(({ cursor_us: _c, ...r }) => r), next };
}
