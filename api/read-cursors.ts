// The `after` cursors of the newest-first reference lists: (epoch
// microseconds, uuid). decodeCursor checks the JSON shape; this also checks
// the values, so a forged cursor is a 400 naming `after`, never a SQL cast
// error.
import { isUuid } from '../lib/queries/annotation-sets.js';
import type { TimeKey } from '../lib/queries/reference-lists.js';
import { badCursor, decodeCursor } from './pagination.js';

export function decodeTimeCursor(raw: string | undefined): TimeKey | undefined {
  const key = decodeCursor(raw, ['number', 'string']);
  if (key === undefined) return undefined;
  const [us, id] = key as [number, string];
  if (!Number.isSafeInteger(us) || !isUuid(id)) {
    throw badCursor(raw);
  }
  return [us, id];
}
