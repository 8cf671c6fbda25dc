// Precision-recall plots as standalone SVG documents (no plotting dependency):
// one curve per method, the best-F point of each marked, iso-F curves in the
// background as in the CAFA papers. Served by the API and written by the CLI.
import type { CurveRow } from './types.js';

export interface PlotSeries {
  label: string;
  /** every threshold of one namespace (ascending tau, as the evaluator stores it) */
  curve: readonly CurveRow[];
  /** the row to mark and whose F goes in the legend; when absent, the plotted row of maximum F */
  best?: CurveRow | null;
}

export interface PrecisionRecallInput {
  title: string;
  series: readonly PlotSeries[];
  /** plot the information-accretion weighted columns (pr_w, rc_w, f_w) */
  weighted?: boolean;
}

// Geometry of the drawing, in SVG user units.
const PLOT = { left: 72, top: 56, size: 440 } as const;
const LEGEND_X = PLOT.left + PLOT.size + 28;
const LEGEND_ROW = 20;
const WIDTH = LEGEND_X + 300;
/** legend text that fits in the 300 units right of the plot at font size 12 */
const LEGEND_CHARS = 36;

// Tableau 10: distinct on screen and in greyscale print; beyond ten series the
// colours repeat with a dash pattern so curves stay distinguishable.
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;
const DASHES = ['', '6 3', '2 3', '8 3 2 3'] as const;

const ISO_F = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1] as const;

/** Text and attribute values come from users (method names): escape every XML-special character. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const num = (v: number): string => String(Math.round(v * 100) / 100);

/** SVG x of a recall value. */
export function xOf(recall: number): number {
  return PLOT.left + clamp01(recall) * PLOT.size;
}

/** SVG y of a precision value (SVG y grows downwards). */
export function yOf(precision: number): number {
  return PLOT.top + (1 - clamp01(precision)) * PLOT.size;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

interface Point {
  row: CurveRow;
  pr: number;
  rc: number;
  f: number;
}

/**
 * The rows that have a precision-recall point. A threshold at which no protein
 * has a prediction (n == 0; n_w for weighted) has no precision at all (it is an
 * average over zero proteins), so the reference tool leaves it out of its curves
 * and so do we; so are rows whose weighted columns are missing or not finite.
 */
export function plottablePoints(curve: readonly CurveRow[], weighted = false): Point[] {
  const out: Point[] = [];
  for (const row of curve) {
    const n = weighted ? (row.n_w ?? row.n) : row.n;
    const pr = weighted ? row.pr_w : row.pr;
    const rc = weighted ? row.rc_w : row.rc;
    const f = weighted ? row.f_w : row.f;
    if (!(n > 0) || pr === undefined || rc === undefined || !Number.isFinite(pr) || !Number.isFinite(rc)) continue;
    out.push({ row, pr, rc, f: f !== undefined && Number.isFinite(f) ? f : 0 });
  }
  return out;
}

function bestPoint(series: PlotSeries, points: readonly Point[], weighted: boolean): Point | null {
  const b = series.best;
  if (b) {
    const pr = weighted ? b.pr_w : b.pr;
    const rc = weighted ? b.rc_w : b.rc;
    const f = weighted ? b.f_w : b.f;
    if (pr !== undefined && rc !== undefined && Number.isFinite(pr) && Number.isFinite(rc)) return { row: b, pr, rc, f: f ?? 0 };
  }
  let best: Point | null = null;
  for (const p of points) if (best === null || p.f > best.f) best = p;
  return best;
}

/** Points of the iso-F curve F = 2pr/(p+r): p = F r / (2r - F), from p = 1 down to r = 1. */
function isoF(f: number): string {
  const start = f / (2 - f); // recall where precision reaches 1
  const steps = 48;
  const pts: string[] = [];
  for (let i = 0; i <= steps; i++) {
    // denser where the curve bends (near p = 1), so low-F curves stay smooth
    const r = start + (1 - start) * (i / steps) ** 2;
    const p = (f * r) / (2 * r - f);
    pts.push(`${num(xOf(r))},${num(yOf(p))}`);
  }
  return pts.join(' ');
}

/** A standalone SVG document: axes recall (x) and precision (y), one curve per series, legend with Fmax. */
export function precisionRecallSvg(input: PrecisionRecallInput): string {
  const weighted = input.weighted ?? false;
  const fName = weighted ? 'weighted Fmax' : 'Fmax';
  const legendHeight = 30 + input.series.length * LEGEND_ROW;
  const height = Math.max(PLOT.top + PLOT.size + 64, PLOT.top + legendHeight + 16);
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(input.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="12" y="${PLOT.top - 24}" text-anchor="start" font-size="15" font-weight="bold">${escapeXml(input.title)}</text>`);

  // iso-F curves behind everything else
  out.push('<g class="iso-f" fill="none" stroke="#d0d0d0" stroke-width="1">');
  for (const f of ISO_F) {
    out.push(`<polyline points="${isoF(f)}"/>`);
    out.push(`<text x="${num(xOf(1) + 3)}" y="${num(yOf(f / (2 - f)) + 4)}" fill="#a0a0a0" stroke="none" font-size="10">F=${f}</text>`);
  }
  out.push('</g>');

  // axes, ticks and labels
  const bottom = yOf(0);
  out.push('<g class="axes" stroke="#333333" stroke-width="1">');
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.size}" height="${PLOT.size}" fill="none"/>`);
  for (const v of TICKS) {
    out.push(`<line x1="${num(xOf(v))}" y1="${num(bottom)}" x2="${num(xOf(v))}" y2="${num(bottom + 5)}"/>`);
    out.push(`<text x="${num(xOf(v))}" y="${num(bottom + 19)}" text-anchor="middle" stroke="none" fill="#333333">${v.toFixed(1)}</text>`);
    out.push(`<line x1="${PLOT.left - 5}" y1="${num(yOf(v))}" x2="${PLOT.left}" y2="${num(yOf(v))}"/>`);
    out.push(`<text x="${PLOT.left - 8}" y="${num(yOf(v) + 4)}" text-anchor="end" stroke="none" fill="#333333">${v.toFixed(1)}</text>`);
  }
  out.push('</g>');
  out.push(`<text class="x-label" x="${PLOT.left + PLOT.size / 2}" y="${num(bottom + 42)}" text-anchor="middle" font-size="13">${weighted ? 'Weighted recall' : 'Recall'}</text>`);
  out.push(`<text class="y-label" x="${PLOT.left - 46}" y="${PLOT.top + PLOT.size / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 ${PLOT.left - 46} ${PLOT.top + PLOT.size / 2})">${weighted ? 'Weighted precision' : 'Precision'}</text>`);

  if (input.series.length === 0) {
    out.push(`<text class="empty" x="${PLOT.left + PLOT.size / 2}" y="${PLOT.top + PLOT.size / 2}" text-anchor="middle" fill="#666666">no results to plot</text>`);
  }

  // one group per series: its curve (when it has points), its best point, its legend entry
  out.push(`<text class="legend-title" x="${LEGEND_X}" y="${PLOT.top + 4}" font-weight="bold">Method (${fName})</text>`);
  input.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const dash = DASHES[Math.floor(i / COLOURS.length) % DASHES.length]!;
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    const points = plottablePoints(s.curve, weighted);
    const best = bestPoint(s, points, weighted);
    out.push(`<g class="series" data-label="${escapeXml(s.label)}" data-points="${points.length}">`);
    if (points.length > 0) {
      const d = points.map((p, j) => `${j === 0 ? 'M' : 'L'}${num(xOf(p.rc))} ${num(yOf(p.pr))}`).join(' ');
      out.push(`<path class="pr-curve" d="${d}" fill="none" stroke="${colour}" stroke-width="2"${dashAttr}/>`);
    }
    if (best) {
      out.push(`<circle class="best" cx="${num(xOf(best.rc))}" cy="${num(yOf(best.pr))}" r="4.5" fill="${colour}" stroke="#ffffff" stroke-width="1.5"><title>${escapeXml(`${s.label}: ${fName} ${best.f.toFixed(3)} at tau ${best.row.tau}`)}</title></circle>`);
    }
    const y = PLOT.top + 24 + i * LEGEND_ROW;
    out.push(`<line x1="${LEGEND_X}" y1="${y - 4}" x2="${LEGEND_X + 24}" y2="${y - 4}" stroke="${colour}" stroke-width="2"${dashAttr}/>`);
    // long names are shortened in the legend (the series' data-label and tooltip keep them whole)
    const name = s.label.length > LEGEND_CHARS ? `${s.label.slice(0, LEGEND_CHARS - 1)}…` : s.label;
    const legend = best ? `${name} (${best.f.toFixed(3)})` : `${name} (no predictions)`;
    out.push(`<text class="legend" x="${LEGEND_X + 30}" y="${y}"><title>${escapeXml(s.label)}</title>${escapeXml(legend)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
