// The `after` cursors of the newest-first reference lists: (epoch
// microseconds, uuid). decodeCursor checks the JSON shape; this also checks
// the values, so a forged cursor is a 400 naming `after`, never a SQL cast
// error.
import { isUuid } from '../lib/queries/annotation-sets.js';
import type { TimeKey } from '../lib/queries/reference-lists.js';
import { badParameter } from './errors.js';
import { decodeCursor } from './pagination.js';

export function decodeTimeCursor(raw: string | undefined): TimeKey | undefined {
  const key = decodeCursor(raw, ['number', 'string']);
  if (key === undefined) return undefined;
  const [us, id] = key as [number, string];
  if (!Number.isSafeInteger(us) || !isUuid(id)) {
    throw badParameter('after', `query parameter "after" = ${JSON.stringify(String(raw).slice(0, 80))} is not a cursor of this list`, 'after: the `next` value of the previous page, sent back unchanged');
  }
  return [us, id];
}
