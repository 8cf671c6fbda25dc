// Small helpers the route modules share.

/** A timestamp (epoch milliseconds, as slonik returns timestamptz) as ISO 8601, null kept. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export const TSV = 'text/tab-separated-values; charset=utf-8';
export const SVG = 'image/svg+xml; charset=utf-8';
