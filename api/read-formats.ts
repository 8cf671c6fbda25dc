// Which format a prediction read answers in: JSON (paginated), TSV (CAFA
// `target<TAB>term<TAB>score` lines) or an Arrow IPC stream. `?format=` wins;
// without it the Accept header chooses (by q-value, then order); neither:
// JSON. A `?format=` the Accept header rules out is a 400 (the client asked
// for two different things), and so is an Accept header that allows none of
// the three. Pure logic, no I/O.
import { ProteaError } from '../lib/errors.js';

export type ReadFormat = 'json' | 'tsv' | 'arrow';

export const READ_FORMATS: readonly ReadFormat[] = ['json', 'tsv', 'arrow'];

/** The media type each format is sent as. */
export const MEDIA_TYPE: Readonly<Record<ReadFormat, string>> = {
  json: 'application/json; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.stream',
};

/** Media types (lower case, without parameters) that name a format. */
const FORMAT_OF_MEDIA: Readonly<Record<string, ReadFormat>> = {
  'application/json': 'json',
  'text/tab-separated-values': 'tsv',
  'text/tsv': 'tsv',
  'application/vnd.apache.arrow.stream': 'arrow',
};

export interface AcceptEntry {
  type: string;
  q: number;
}

/** The media ranges of an Accept header with their q-values (default 1), in header order; malformed ranges are skipped. */
export function parseAccept(header: string): AcceptEntry[] {
  const out: AcceptEntry[] = [];
  for (const part of header.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    if (!range || !/^[\w.+*-]+\/[\w.+*-]+$/.test(range)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*(.*)$/i.exec(p);
      // an unreadable q-value counts as 0 (not acceptable), never as the default 1
      if (m) q = Math.min(1, Math.max(0, /^[0-9.]+$/.test(m[1]!) ? Number(m[1]) || 0 : 0));
    }
    out.push({ type: range.toLowerCase(), q });
  }
  return out;
}

/** Whether `range` (e.g. text/*) covers the format's media type. */
function covers(range: string, format: ReadFormat): boolean {
  if (range === '*/*') return true;
  if (FORMAT_OF_MEDIA[range] === format) return true;
  const media = MEDIA_TYPE[format].split(';')[0]!;
  return range.endsWith('/*') && media.startsWith(range.slice(0, -1));
}

/** The format an Accept range picks: an exact media type, else JSON for `*\/*` and `application/*`, TSV for `text/*`. */
function formatOfRange(range: string): ReadFormat | undefined {
  return FORMAT_OF_MEDIA[range] ?? (range === '*/*' || range === 'application/*' ? 'json' : range === 'text/*' ? 'tsv' : undefined);
}

const HINT = 'Send ?format=json|tsv|arrow, or Accept: application/json, text/tab-separated-values or application/vnd.apache.arrow.stream.';

/** The format of a request from its Accept header and ?format= (either may be absent). */
export function negotiateFormat(accept: string | undefined, format: ReadFormat | undefined): ReadFormat {
  const entries = accept === undefined || accept.trim() === '' ? [] : parseAccept(accept);
  const allowed = entries.filter((e) => e.q > 0);
  if (format !== undefined) {
    if (entries.length > 0 && !allowed.some((e) => covers(e.type, format))) {
      throw new ProteaError('USAGE', `query parameter "format" = "${format}" conflicts with the Accept header ${JSON.stringify(accept)}, which does not allow ${MEDIA_TYPE[format].split(';')[0]}`, {
        field: 'format',
        hint: `Leave out one of the two, or make them agree. ${HINT}`,
      });
    }
    return format;
  }
  if (entries.length === 0) return 'json';
  // stable sort: equal q-values keep the header's order
  const ranked = allowed.map((e, i) => ({ ...e, i })).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const e of ranked) {
    const f = formatOfRange(e.type);
    if (f) return f;
  }
  throw new ProteaError('USAGE', `the Accept header ${JSON.stringify(accept)} allows none of the formats of this route (JSON, TSV, Arrow)`, { field: 'accept', hint: HINT });
}

/**
 * TSV and Arrow stream the whole filtered result: paging parameters belong
 * to JSON only, and are refused with the other formats rather than ignored.
 */
export function checkPaging(format: ReadFormat, query: { limit?: number; after?: string }): void {
  if (format === 'json') return;
  const name = query.limit !== undefined ? 'limit' : query.after !== undefined ? 'after' : undefined;
  if (name === undefined) return;
  throw new ProteaError('USAGE', `query parameter "${name}" pages the JSON format; ${format === 'tsv' ? 'TSV' : 'Arrow'} streams the whole filtered result and has no pages`, {
    field: name,
    hint: 'Leave out limit and after with format=tsv or format=arrow (narrow the result with protein, aspect, min_score, go_id or top instead), or ask for format=json.',
  });
}

const ASPECTS: Readonly<Record<string, 'P' | 'F' | 'C'>> = {
  P: 'P', BP: 'P', BPO: 'P', BIOLOGICAL_PROCESS: 'P',
  F: 'F', MF: 'F', MFO: 'F', MOLECULAR_FUNCTION: 'F',
  C: 'C', CC: 'C', CCO: 'C', CELLULAR_COMPONENT: 'C',
};

/** The aspect letter of P/F/C, BP/MF/CC, BPO/MFO/CCO or a namespace name (any case); undefined for anything else. */
export function parseAspect(value: string): 'P' | 'F' | 'C' | undefined {
  return ASPECTS[value.toUpperCase()];
}
