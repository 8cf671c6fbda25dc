// Keyset pagination: a page answers `next`, an opaque cursor (base64url of the
// last row's sort key), which the client sends back as `?after=`. Rows are
// never skipped or repeated when others are inserted between pages, and deep
// pages cost what the first one does (no OFFSET).
import type { ProteaError } from '../lib/errors.js';
import { badParameter } from './errors.js';

export type CursorKey = readonly (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key of `?after=`, checked against the shape the route expects
 * (`kinds`: one 'string' or 'number' per key column); a 400 naming `after`
 * otherwise.
 */
/** The 400 of an `after` that is no cursor of the list (for routes that check a cursor's values further). */
export function badCursor(raw: string | undefined): ProteaError {
  return badParameter('after', `query parameter "after" = ${JSON.stringify((raw ?? '').slice(0, 80))} is not a cursor of this list`, 'after: the `next` value of the previous page, sent back unchanged');
}

export function decodeCursor(raw: string | undefined, kinds: readonly ('string' | 'number')[]): CursorKey | undefined {
  if (raw === undefined) return undefined;
  const bad = () => badCursor(raw);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(key) || key.length !== kinds.length) throw bad();
  key.forEach((v, i) => {
    // numbers beyond 2^53 are no key this API wrote (ids are bigint, scores small): [1e308] was a 500 from PostgreSQL
    if (typeof v !== kinds[i] || (typeof v === 'number' && !(Math.abs(v) <= Number.MAX_SAFE_INTEGER)) || (typeof v === 'string' && (v.length > 200 || v.includes('\u0000')))) throw bad();
  });
  return key as CursorKey;
}

/**
 * A page from `limit + 1` rows fetched in order: the first `limit`, and the
 * cursor of the last of them when more rows follow.
 */
export function page<T>(rows: readonly T[], limit: number, keyOf: (row: T) => CursorKey): { items: T[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
