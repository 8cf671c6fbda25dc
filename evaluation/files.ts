// The evaluator's TSV files: ground truth, predictions and information
// accretion in, result tables out. Inputs may be plain or gzip.
//
// Input rules (the reference tool's format, stricter where it would go wrong
// silently):
// - fields are separated by tabs or spaces (any run of whitespace); blank
//   lines are skipped; columns after the ones read are ignored.
// - ground truth: `target term`; a line with one field is an error.
// - predictions: `target term score`. Skipped: the CAFA submission records
//   AUTHOR, MODEL, KEYWORDS, ACCURACY and END (first field, upper case), and a
//   column header as the first non-blank line (e.g. `target term score`: its
//   score is not a number). Any other line with fewer than three fields, a
//   score that is not a decimal number, or a score outside [0, 1] is an error
//   that ABORTS the read, naming file:line and the reason: a skipped line
//   would change the metrics without a word (the reference skips short lines
//   and lines of unknown targets silently, and crashes on a non-numeric score
//   of a known target). Duplicates are allowed (the highest score counts); a
//   score of 0 is allowed and never predicted.
// - IA: `term ia`; ia is a decimal number, or nan/inf (which weigh 0, as in
//   the reference); a term listed twice keeps its last value.
// Unknown terms and proteins are not errors here: the evaluator ignores them
// and counts them (see EvaluationStats).
import { ProteaError } from '../lib/errors.js';
import { readLines } from '../parsers/lines.js';
import type { Annotation, CurveRow, ScoredPrediction } from './types.js';

/** Columns of a result row after `method ns`, in the reference tool's order. */
export const CURVE_COLUMNS = ['tau', 'n', 'tp', 'fp', 'fn', 'pr', 'rc', 'cov', 'mi', 'ru', 'f', 's', 'pr_micro', 'rc_micro', 'f_micro'] as const;
/** The weighted columns appended when information accretion is given. */
export const WEIGHTED_COLUMNS = ['n_w', 'tp_w', 'fp_w', 'fn_w', 'pr_w', 'rc_w', 'cov_w', 'mi_w', 'ru_w', 'f_w', 's_w', 'pr_micro_w', 'rc_micro_w', 'f_micro_w'] as const;

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function invalid(file: string, line: number, field: string, reason: string): ProteaError {
  return new ProteaError('EVALUATION_INPUT_INVALID', `${file}:${line}: ${reason}`, { file, line, field });
}

function fieldsOf(text: string): string[] {
  const t = text.trim();
  return t.length === 0 ? [] : t.split(/\s+/);
}

function show(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** One ground-truth line: an Annotation, or null for a blank line. */
export function parseGroundTruthLine(text: string, file: string, line: number): Annotation | null {
  const f = fieldsOf(text);
  if (f.length === 0) return null;
  if (f.length < 2) throw invalid(file, line, 'term', `expected "target<TAB>term", got one field ${show(text)}`);
  return { target: f[0]!, term: f[1]! };
}

const CAFA_RECORDS = new Set(['AUTHOR', 'MODEL', 'KEYWORDS', 'ACCURACY', 'END']);

/**
 * A parser for the lines of one prediction file, in order: each call gives a
 * ScoredPrediction, or null for a line skipped by the rules above.
 */
export function predictionLineParser(file: string): (text: string, line: number) => ScoredPrediction | null {
  let first = true;
  return (text, line) => {
    const f = fieldsOf(text);
    if (f.length === 0) return null;
    const isFirst = first;
    first = false;
    if (CAFA_RECORDS.has(f[0]!)) return null;
    if (f.length < 3) throw invalid(file, line, f.length === 1 ? 'term' : 'score', `expected "target<TAB>term<TAB>score", got ${f.length} field${f.length === 1 ? '' : 's'} ${show(text)}`);
    const raw = f[2]!;
    if (!DECIMAL.test(raw)) {
      if (isFirst) return null; // a column header
      throw invalid(file, line, 'score', `score ${show(raw)} is not a number`);
    }
    const score = Number(raw);
    if (!(score >= 0 && score <= 1)) throw invalid(file, line, 'score', `score ${raw} is outside [0, 1]`);
    return { target: f[0]!, term: f[1]!, score };
  };
}

/** One IA line: [term, ia], or null for a blank line. */
export function parseIaLine(text: string, file: string, line: number): [string, number] | null {
  const f = fieldsOf(text);
  if (f.length === 0) return null;
  if (f.length < 2) throw invalid(file, line, 'ia', `expected "term<TAB>ia", got one field ${show(text)}`);
  const raw = f[1]!;
  const lower = raw.toLowerCase().replace(/^[+-]/, '');
  let value: number;
  if (DECIMAL.test(raw)) value = Number(raw);
  else if (lower === 'nan') value = Number.NaN;
  else if (lower === 'inf' || lower === 'infinity') value = raw.startsWith('-') ? -Infinity : Infinity;
  else throw invalid(file, line, 'ia', `information accretion ${show(raw)} is not a number`);
  return [f[0]!, value];
}

export async function readGroundTruthTsv(file: string): Promise<Annotation[]> {
  const out: Annotation[] = [];
  for await (const { text, line } of readLines(file)) {
    const a = parseGroundTruthLine(text, file, line);
    if (a) out.push(a);
  }
  return out;
}

export async function readPredictionsTsv(file: string): Promise<ScoredPrediction[]> {
  const out: ScoredPrediction[] = [];
  const parse = predictionLineParser(file);
  for await (const { text, line } of readLines(file)) {
    const p = parse(text, line);
    if (p) out.push(p);
  }
  return out;
}

export async function readIaTsv(file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const { text, line } of readLines(file)) {
    const e = parseIaLine(text, file, line);
    if (e) out.set(e[0], e[1]);
  }
  return out;
}

/** A threshold as written: the step's grid value (0.84), not the float artefact (0.8400000000000001). */
export function formatTau(tau: number): string {
  return String(Number(tau.toPrecision(12)));
}

/** A metric as written: shortest round-trip form (full precision). */
export function formatValue(v: number): string {
  return String(v);
}

/** Header + one line per row: `method ns` and the curve columns (and the weighted ones when asked). */
export function bestTableTsv(rows: Array<{ method: string; row: CurveRow; namespace: string }>, weighted: boolean): string {
  const cols: readonly (keyof CurveRow)[] = weighted ? [...CURVE_COLUMNS, ...WEIGHTED_COLUMNS] : CURVE_COLUMNS;
  const lines = [['method', 'ns', ...cols].join('\t')];
  for (const { method, row, namespace } of rows) {
    const cells = [method, namespace];
    for (const c of cols) {
      const v = row[c];
      if (v === undefined) throw new ProteaError('INTERNAL', `result row of ${method} ${namespace} has no ${c} (weighted columns need --ia)`);
      cells.push(c === 'tau' ? formatTau(v) : formatValue(v));
    }
    lines.push(cells.join('\t'));
  }
  return `${lines.join('\n')}\n`;
}
