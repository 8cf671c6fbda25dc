// What `protea evaluate run` prints and writes from evaluation results (pure):
// the results table, results TSVs (the best-F or best-S row of every
// category/namespace/method, in the columns of `protea evaluate files`), the
// curves TSV and one precision-recall plot per category and namespace with
// every method as a series.
import { CURVE_COLUMNS, WEIGHTED_COLUMNS, formatTau, formatValue } from './files.js';
import { precisionRecallSvg } from './plot.js';
import { CATEGORIES, type Category, type CurveRow, type EvaluationResultDocument, type NamespaceResult, type StoredNamespaceResult } from './types.js';

/** A namespace result as stored in EvaluationResultDocument.categories. */
export function toStored(r: NamespaceResult): StoredNamespaceResult {
  const out: StoredNamespaceResult = { groundTruthTargets: r.groundTruthTargets, predictedTargets: r.predictedTargets, bestF: r.bestF, bestS: r.bestS, curve: r.curve };
  if (r.bestFW !== undefined) out.bestFW = r.bestFW;
  if (r.bestSW !== undefined) out.bestSW = r.bestSW;
  return out;
}

/** True when the document was computed with information accretion (weighted columns present). */
export function isWeighted(doc: EvaluationResultDocument): boolean {
  return doc.options.ia !== null;
}

export interface ResultEntry {
  category: Category;
  namespace: string;
  method: string;
  /** the baseline's name, null for a prediction set */
  baseline: string | null;
  result: StoredNamespaceResult;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every (category, namespace, method) of the documents: categories NK, LK, PK, namespaces sorted, methods in the order given. */
export function resultEntries(docs: readonly EvaluationResultDocument[]): ResultEntry[] {
  const out: ResultEntry[] = [];
  for (const category of CATEGORIES) {
    const namespaces = new Set<string>();
    for (const d of docs) for (const ns of Object.keys(d.categories[category] ?? {})) namespaces.add(ns);
    for (const namespace of [...namespaces].sort(byString)) {
      for (const d of docs) {
        const result = d.categories[category]?.[namespace];
        if (result) out.push({ category, namespace, method: d.method, baseline: d.baseline, result });
      }
    }
  }
  return out;
}

const fixed = (v: number | undefined | null): string => (v === undefined || v === null || !Number.isFinite(v) ? '-' : v.toFixed(3));

/**
 * The results table: one line per category, namespace and method with Fmax and
 * its threshold, precision, recall and coverage there, S-min, (weighted Fmax
 * and S-min when IA was given) and n, the ground-truth proteins.
 */
export function formatResultsTable(docs: readonly EvaluationResultDocument[]): string {
  const weighted = docs.some(isWeighted);
  const header = ['category', 'namespace', 'method', 'Fmax', 'tau', 'precision', 'recall', 'coverage', 'S-min', ...(weighted ? ['wFmax', 'wS-min'] : []), 'n'];
  const rows: string[][] = [header];
  for (const e of resultEntries(docs)) {
    const f = e.result.bestF;
    const method = e.baseline ? `${e.method} (baseline)` : e.method;
    rows.push([
      e.category,
      e.namespace,
      method,
      fixed(f?.f),
      f ? formatTau(f.tau) : '-',
      fixed(f?.pr),
      fixed(f?.rc),
      // coverage at the best threshold; without any prediction, 0
      f ? fixed(f.cov) : fixed(0),
      fixed(e.result.bestS?.s),
      ...(weighted ? [fixed(e.result.bestFW?.f_w), fixed(e.result.bestSW?.s_w)] : []),
      String(e.result.groundTruthTargets),
    ]);
  }
  const numeric = new Set(header.map((h, i) => (i >= 3 ? i : -1)));
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function columns(weighted: boolean): readonly (keyof CurveRow)[] {
  return weighted ? [...CURVE_COLUMNS, ...WEIGHTED_COLUMNS] : CURVE_COLUMNS;
}

function cells(row: CurveRow, cols: readonly (keyof CurveRow)[]): string[] {
  return cols.map((c) => {
    const v = row[c];
    if (v === undefined) return '';
    return c === 'tau' ? formatTau(v) : formatValue(v);
  });
}

/** Which best row a results TSV holds. */
export type BestKind = 'bestF' | 'bestS' | 'bestFW' | 'bestSW';

/**
 * `category method ns` and the curve columns of one best row per category,
 * namespace and method (the columns and number format of `protea evaluate
 * files`' best_f.tsv). A method without predictions for the targets there has
 * no best row and no line, as in the files command.
 */
export function resultsTsv(docs: readonly EvaluationResultDocument[], which: BestKind = 'bestF'): string {
  const cols = columns(docs.some(isWeighted));
  const lines = [['category', 'method', 'ns', ...cols].join('\t')];
  for (const e of resultEntries(docs)) {
    const row = e.result[which];
    if (row) lines.push([e.category, e.method, e.namespace, ...cells(row, cols)].join('\t'));
  }
  return `${lines.join('\n')}\n`;
}

/** Every threshold of every category, namespace and method: `category method ns` and the curve columns. */
export function curvesTsv(docs: readonly EvaluationResultDocument[]): string {
  const cols = columns(docs.some(isWeighted));
  const lines = [['category', 'method', 'ns', ...cols].join('\t')];
  for (const e of resultEntries(docs)) for (const row of e.result.curve) lines.push([e.category, e.method, e.namespace, ...cells(row, cols)].join('\t'));
  return `${lines.join('\n')}\n`;
}

/** A file name for a namespace: lower-case letters, digits, '-' and '_' only. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

export interface PlotFile {
  file: string;
  category: Category;
  namespace: string;
  weighted: boolean;
  /** the series' labels, in order */
  methods: string[];
  svg: string;
}

/**
 * One precision-recall plot per category and namespace (`pr_<category>_<namespace>.svg`),
 * every method a series with its best-F point marked; with IA also the
 * weighted plot (`pr_w_<category>_<namespace>.svg`).
 */
export function resultPlots(docs: readonly EvaluationResultDocument[], setLabel?: string): PlotFile[] {
  const entries = resultEntries(docs);
  const weighted = docs.some(isWeighted);
  const groups = new Map<string, ResultEntry[]>();
  for (const e of entries) {
    const key = `${e.category}\t${e.namespace}`;
    const list = groups.get(key) ?? [];
    if (list.length === 0) groups.set(key, list);
    list.push(e);
  }
  const out: PlotFile[] = [];
  for (const list of groups.values()) {
    const { category, namespace } = list[0]!;
    const labels = list.map((e) => (e.baseline ? `${e.method} (baseline)` : e.method));
    for (const w of weighted ? [false, true] : [false]) {
      const title = `${category} ${namespace}${w ? ' (IA-weighted)' : ''}${setLabel ? ` · ${setLabel}` : ''}`;
      const svg = precisionRecallSvg({
        title,
        weighted: w,
        series: list.map((e, i) => ({ label: labels[i]!, curve: e.result.curve, best: w ? (e.result.bestFW ?? null) : e.result.bestF })),
      });
      out.push({ file: `pr_${w ? 'w_' : ''}${category}_${slug(namespace)}.svg`, category, namespace, weighted: w, methods: labels, svg });
    }
  }
  return out;
}
