// The text formats of `protea predictions export` (pure formatting; the
// streaming is lib/predictions-export.ts):
//
// - cafa: the CAFA submission format: AUTHOR / MODEL / KEYWORDS records, one
//   `target<TAB>term<TAB>score` line per (protein, term), END. Scores in
//   (0.00, 1.00] with two decimals by default (CAFA's rule): a score is
//   clamped to [0, 1], rounded, and a line whose score rounds to 0 is left out
//   (0 means "not predicted" to the evaluator). evaluation/files.ts reads these
//   files as they are (it skips the records), so `protea evaluate files` scores
//   an export directly.
// - tsv: a header and one line per row (EXPORT_COLUMNS); an empty field is NULL.
// - gaf: GAF 2.2 (http://geneontology.org/docs/go-annotation-file-gaf-format-2.2/),
//   one line per (protein, term, qualifier) transferred: see gafLine.
import type { CafaHeader } from './export-options.js';
import { FEATURE_COLUMNS, type FeatureColumn } from './queries/prediction-export.js';

/** A row of the row-level exports (tsv, arrow): one go_prediction row, or a term added by propagation. */
export interface ExportRecord {
  protein: string;
  go_id: string;
  go_name: string | null;
  aspect: string | null;
  /** the (protein, term) score: max over its rows, raised by descendants under --propagate */
  term_score: number | null;
  /** the term has no row of its own: an ancestor added by --propagate (the row's other fields are null) */
  propagated: boolean;
  /** this row's own score */
  score: number | null;
  ref_protein: string | null;
  distance: number | null;
  evidence_code: string | null;
  qualifier: string | null;
  features: Record<FeatureColumn, number | string | null>;
}

export type ColumnKind = 'text' | 'float' | 'int' | 'bool';

/** The columns of the row-level exports, in order, with their kind and nullability. */
export const EXPORT_COLUMNS: readonly { name: string; kind: ColumnKind; nullable: boolean }[] = [
  { name: 'protein', kind: 'text', nullable: false },
  { name: 'go_id', kind: 'text', nullable: false },
  { name: 'go_name', kind: 'text', nullable: true },
  { name: 'aspect', kind: 'text', nullable: true },
  { name: 'term_score', kind: 'float', nullable: true },
  { name: 'propagated', kind: 'bool', nullable: false },
  { name: 'score', kind: 'float', nullable: true },
  { name: 'ref_protein', kind: 'text', nullable: true },
  { name: 'distance', kind: 'float', nullable: true },
  { name: 'evidence_code', kind: 'text', nullable: true },
  { name: 'qualifier', kind: 'text', nullable: true },
  ...FEATURE_COLUMNS.map(([name, kind]) => ({ name, kind, nullable: true })),
];

/** The value of one export column of a record. */
export function columnValue(r: ExportRecord, name: string): string | number | boolean | null {
  if (name in r.features) return r.features[name as FeatureColumn];
  return (r as unknown as Record<string, string | number | boolean | null>)[name] ?? null;
}

// ---------------------------------------------------------------- cafa

export function cafaHeader(h: CafaHeader): string {
  return `AUTHOR\t${h.author}\nMODEL\t${h.model}\nKEYWORDS\t${h.keywords}\n`;
}

export const CAFA_END = 'END\n';

/** The score as CAFA writes it (`decimals` places, clamped to [0, 1]), or null when it rounds to 0. */
export function formatCafaScore(score: number, decimals = 2): string | null {
  if (!(score > 0)) return null; // NaN and negatives too
  const text = Math.min(score, 1).toFixed(decimals);
  return Number(text) > 0 ? text : null;
}

/** One CAFA line, or null when the score is missing or rounds to 0. */
export function cafaLine(protein: string, goId: string, score: number | null, decimals = 2): string | null {
  if (score === null) return null;
  const s = formatCafaScore(score, decimals);
  return s === null ? null : `${protein}\t${goId}\t${s}\n`;
}

// ---------------------------------------------------------------- tsv

/** A text field with tabs and line breaks turned into spaces (they would split the line). */
function clean(text: string): string {
  return /[\t\r\n]/.test(text) ? text.replace(/[\t\r\n]/g, ' ') : text;
}

function tsvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'string') return clean(v);
  return String(v); // numbers: the shortest form that reads back to the same double
}

export function tsvHeader(): string {
  return `${EXPORT_COLUMNS.map((c) => c.name).join('\t')}\n`;
}

export function tsvLine(r: ExportRecord): string {
  return `${EXPORT_COLUMNS.map((c) => tsvField(columnValue(r, c.name))).join('\t')}\n`;
}

// ---------------------------------------------------------------- gaf

/** The relation written when the reference annotation had none (GAF 2.1 rows may leave it empty). */
export const DEFAULT_QUALIFIER: Readonly<Record<string, string>> = Object.freeze({ F: 'enables', P: 'involved_in', C: 'located_in' });

export interface GafOptions {
  /** column 6 */
  reference: string;
  /** column 14, YYYYMMDD */
  date: string;
  /** column 1 and the prefix of with/from (default UniProtKB) */
  db?: string;
  /** column 15 (default PROTEA) */
  assignedBy?: string;
}

export function gafHeader(meta: { setId: string; generated: Date }): string {
  return [
    '!gaf-version: 2.2',
    '!generated-by: PROTEA',
    `!date-generated: ${meta.generated.toISOString().slice(0, 10)}`,
    `!prediction-set: ${meta.setId}`,
    '!evidence: IEA (electronic), transferred from the reference proteins in column 8 (With/From)',
    '',
  ].join('\n');
}

/** The relation of a transferred row: the reference annotation's, or the aspect's default; null for a NOT (never transferred). */
export function gafQualifier(qualifier: string | null, aspect: string | null): string | null {
  const q = (qualifier ?? '').trim();
  if (/(^|\|)NOT(\||$)/.test(q)) return null;
  if (q !== '') return q;
  return (aspect && DEFAULT_QUALIFIER[aspect]) ?? 'enables';
}

/** A date as GAF column 14 writes it (UTC). */
export function gafDate(d: Date): string {
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}

export interface GafAnnotation {
  protein: string;
  symbol: string | null;
  qualifier: string;
  goId: string;
  aspect: string;
  /** reference proteins, best first */
  refs: readonly string[];
  /** NCBI taxon id of the query; null: unknown */
  taxon: number | null;
}

/**
 * One GAF 2.2 line: DB, the query accession, its symbol (gene name, entry name
 * or the accession), the relation, the term, the reference, IEA, with/from =
 * every reference protein it was transferred from (`UniProtKB:P12345`,
 * pipe-separated: each supports it alone), aspect, no name or synonym,
 * `protein`, the taxon (`taxon:1`, the root, when the query's organism is not
 * known), the date, PROTEA, no extension or isoform.
 */
export function gafLine(a: GafAnnotation, o: GafOptions): string {
  const db = o.db ?? 'UniProtKB';
  const withFrom = a.refs.map((r) => `${db}:${r}`).join('|');
  return `${[
    db,
    a.protein,
    a.symbol ?? a.protein,
    a.qualifier,
    a.goId,
    o.reference,
    'IEA',
    withFrom,
    a.aspect,
    '',
    '',
    'protein',
    `taxon:${a.taxon ?? 1}`,
    o.date,
    o.assignedBy ?? 'PROTEA',
    '',
    '',
  ]
    .map((f) => clean(f))
    .join('\t')}\n`;
}
