// The precision-recall SVG: a well-formed XML document whose curves sit where
// the recall/precision values put them, one per series, with user text escaped.
import t from 'tap';
import { precisionRecallSvg, xOf, yOf } from '../../evaluation/plot.js';
import type { CurveRow } from '../../evaluation/types.js';

// ---- a small XML parser: enough to prove well-formedness and to query the tree ----

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '<') throw new Error(`raw '<' in ${where}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const end = raw.indexOf(';', i);
    if (end < 0) throw new Error(`unterminated entity in ${where}`);
    const name = raw.slice(i + 1, end);
    if (name.startsWith('#')) out += String.fromCodePoint(Number(name.startsWith('#x') ? `0x${name.slice(2)}` : name.slice(1)));
    else if (name in ENTITIES) out += ENTITIES[name];
    else throw new Error(`unknown entity &${name}; in ${where}`);
    i = end;
  }
  return out;
}

const isNameChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_:.-]/.test(c);

/** Parses a document (prolog, one root element); throws on anything not well-formed. */
function parseXml(doc: string): XmlElement {
  let i = 0;
  const skipSpace = () => {
    while (i < doc.length && ' \t\r\n'.includes(doc[i]!)) i++;
  };
  const readName = () => {
    const start = i;
    while (isNameChar(doc[i])) i++;
    if (i === start) throw new Error(`expected a name at ${i}`);
    return doc.slice(start, i);
  };
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  skipSpace();
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < doc.length) {
    if (doc[i] !== '<') {
      const end = doc.indexOf('<', i);
      const raw = doc.slice(i, end < 0 ? doc.length : end);
      const top = stack.at(-1);
      if (!top) {
        if (raw.trim() !== '') throw new Error('text outside the root element');
      } else top.text += decode(raw, `text of <${top.name}>`);
      i = end < 0 ? doc.length : end;
      continue;
    }
    if (doc.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (doc[i] !== '>') throw new Error(`bad end tag </${name}`);
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    i++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (doc.startsWith('/>', i) || doc[i] === '>') break;
      const attr = readName();
      if (attr in el.attrs) throw new Error(`duplicate attribute ${attr} on <${el.name}>`);
      skipSpace();
      if (doc[i] !== '=') throw new Error(`attribute ${attr} without a value`);
      i++;
      skipSpace();
      const q = doc[i];
      if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${attr}`);
      const end = doc.indexOf(q, i + 1);
      if (end < 0) throw new Error(`unterminated attribute ${attr}`);
      el.attrs[attr] = decode(doc.slice(i + 1, end), `attribute ${attr}`);
      i = end + 1;
    }
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else if (root) throw new Error('a second root element');
    else root = el;
    if (doc.startsWith('/>', i)) i += 2;
    else {
      i++;
      stack.push(el);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  return [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => findAll(c, pred))];
}

const byClass = (cls: string) => (e: XmlElement) => (e.attrs.class ?? '').split(' ').includes(cls);

/** The (x, y) vertices of a path's d attribute ("M x y L x y ..."). */
function vertices(d: string): Array<[number, number]> {
  const nums = d.split(/[ML ]+/).filter(Boolean).map(Number);
  const out: Array<[number, number]> = [];
  for (let k = 0; k + 1 < nums.length; k += 2) out.push([nums[k]!, nums[k + 1]!]);
  return out;
}

/** A curve row with only the fields the plot reads set meaningfully. */
function row(tau: number, n: number, pr: number, rc: number, extra: Partial<CurveRow> = {}): CurveRow {
  const f = pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0;
  return { tau, n, tp: 0, fp: 0, fn: 0, pr, rc, cov: 0, mi: 0, ru: 0, f, s: 0, pr_micro: 0, rc_micro: 0, f_micro: 0, ...extra };
}

// ---- the tests ----

t.test('the parser used below rejects malformed documents (so a passing parse means something)', async (t) => {
  t.throws(() => parseXml('<svg><g></svg>'), /closes/);
  t.throws(() => parseXml('<svg><text>a < b</text></svg>'), /expected a name|raw/);
  t.throws(() => parseXml('<svg a="1" a="2"/>'), /duplicate/);
  t.throws(() => parseXml('<svg><text>&nbsp;</text></svg>'), /unknown entity/);
  t.throws(() => parseXml('<svg x=1/>'), /unquoted/);
  t.equal(parseXml('<a><b c="&lt;&amp;"/>x&gt;</a>').children[0]!.attrs.c, '<&');
});

t.test('a plot of two methods is well-formed SVG with one curve per series and a legend with each Fmax', async (t) => {
  const a = [row(0, 10, 0.2, 1), row(0.5, 8, 0.5, 0.6), row(0.9, 3, 0.9, 0.1)];
  const b = [row(0, 10, 0.1, 0.9), row(0.5, 5, 0.3, 0.3)];
  const svg = precisionRecallSvg({ title: 'NK biological_process', series: [{ label: 'knn', curve: a, best: a[1] }, { label: 'naive', curve: b, best: b[0] }] });
  const root = parseXml(svg);
  t.equal(root.name, 'svg');
  t.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  t.equal(findAll(root, (e) => e.name === 'title')[0]!.text, 'NK biological_process');
  const series = findAll(root, byClass('series'));
  t.same(series.map((s) => s.attrs['data-label']), ['knn', 'naive']);
  const curves = findAll(root, byClass('pr-curve'));
  t.equal(curves.length, 2, 'one path per series');
  t.equal(vertices(curves[0]!.attrs.d!).length, 3);
  t.equal(vertices(curves[1]!.attrs.d!).length, 2);
  t.not(curves[0]!.attrs.stroke, curves[1]!.attrs.stroke, 'series get distinct colours');
  const legend = findAll(root, byClass('legend')).map((e) => e.text);
  t.same(legend, [`knn (${a[1]!.f.toFixed(3)})`, `naive (${b[0]!.f.toFixed(3)})`]);
  t.equal(findAll(root, byClass('iso-f'))[0]!.children.filter((e) => e.name === 'polyline').length, 9, 'iso-F curves 0.1 .. 0.9');
  const ticks = findAll(root, byClass('axes'))[0]!.children.filter((e) => e.name === 'text').map((e) => e.text);
  t.same([...new Set(ticks)], ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0'], 'ticks on both axes');
  t.equal(findAll(root, byClass('x-label'))[0]!.text, 'Recall');
  t.equal(findAll(root, byClass('y-label'))[0]!.text, 'Precision');
});

t.test('known points land where recall (x) and precision (y) put them', async (t) => {
  const curve = [row(0, 4, 0, 1), row(0.3, 4, 0.5, 0.5), row(0.6, 2, 1, 0.25)];
  const root = parseXml(precisionRecallSvg({ title: 't', series: [{ label: 'm', curve, best: curve[1] }] }));
  const pts = vertices(findAll(root, byClass('pr-curve'))[0]!.attrs.d!);
  // the corners of the plot frame are (recall 0, precision 1) and (recall 1, precision 0)
  const frame = findAll(root, byClass('axes'))[0]!.children.find((e) => e.name === 'rect')!;
  const left = Number(frame.attrs.x), top = Number(frame.attrs.y), size = Number(frame.attrs.width);
  t.equal(Number(frame.attrs.height), size, 'the plot area is square');
  t.same(pts[0], [left + size, top + size], 'recall 1, precision 0: bottom right');
  t.same(pts[1], [left + size / 2, top + size / 2], 'recall 0.5, precision 0.5: centre');
  t.same(pts[2], [left + size / 4, top], 'recall 0.25, precision 1: top, a quarter across');
  t.equal(xOf(0.25), left + size / 4);
  t.equal(yOf(1), top);
  const best = findAll(root, byClass('best'))[0]!;
  t.same([Number(best.attrs.cx), Number(best.attrs.cy)], pts[1], 'the best-F point is marked on the curve');
});

t.test('thresholds without predictions (n == 0) are left out of the curve', async (t) => {
  const curve = [row(0, 5, 0.2, 0.8), row(0.5, 2, 0.6, 0.4), row(0.8, 0, 0, 0), row(0.9, 0, 0, 0)];
  const root = parseXml(precisionRecallSvg({ title: 't', series: [{ label: 'm', curve }] }));
  const series = findAll(root, byClass('series'))[0]!;
  t.equal(series.attrs['data-points'], '2');
  t.equal(vertices(findAll(root, byClass('pr-curve'))[0]!.attrs.d!).length, 2);
  // without a given best row, the plotted row of maximum F is marked
  const best = findAll(root, byClass('best'))[0]!;
  t.same([Number(best.attrs.cx), Number(best.attrs.cy)], [xOf(0.4), yOf(0.6)]);
});

t.test('weighted plots use pr_w, rc_w and f_w', async (t) => {
  const curve = [row(0, 3, 0.1, 0.9, { n_w: 3, pr_w: 0.3, rc_w: 0.7, f_w: 0.42 }), row(0.5, 2, 0.4, 0.4, { n_w: 2, pr_w: 0.8, rc_w: 0.2, f_w: 0.32 })];
  const root = parseXml(precisionRecallSvg({ title: 't', weighted: true, series: [{ label: 'm', curve, best: curve[0] }] }));
  const pts = vertices(findAll(root, byClass('pr-curve'))[0]!.attrs.d!);
  t.same(pts, [[xOf(0.7), yOf(0.3)], [xOf(0.2), yOf(0.8)]].map(([x, y]) => [Math.round(x! * 100) / 100, Math.round(y! * 100) / 100]));
  t.equal(findAll(root, byClass('legend'))[0]!.text, 'm (0.420)');
  t.equal(findAll(root, byClass('x-label'))[0]!.text, 'Weighted recall');
  // rows without weighted columns have no weighted point
  const plain = parseXml(precisionRecallSvg({ title: 't', weighted: true, series: [{ label: 'm', curve: [row(0, 3, 0.5, 0.5)] }] }));
  t.equal(findAll(plain, byClass('pr-curve')).length, 0);
});

t.test('labels and titles from users are escaped', async (t) => {
  const nasty = `<script>alert("x")</script> & 'co'`;
  const svg = precisionRecallSvg({ title: `${nasty} title`, series: [{ label: nasty, curve: [row(0, 1, 0.5, 0.5)] }] });
  t.notMatch(svg, /<script>/);
  const root = parseXml(svg);
  t.equal(findAll(root, byClass('series'))[0]!.attrs['data-label'], nasty, 'the attribute decodes back to the label');
  t.equal(findAll(root, byClass('legend'))[0]!.text, `${nasty} (0.500)`);
  t.equal(findAll(root, byClass('title'))[0]!.text, `${nasty} title`);
});

t.test('no series, or a series without any prediction, still gives a valid plot saying so', async (t) => {
  const empty = parseXml(precisionRecallSvg({ title: 'nothing', series: [] }));
  t.equal(findAll(empty, byClass('series')).length, 0);
  t.equal(findAll(empty, byClass('empty'))[0]!.text, 'no results to plot');
  const none = parseXml(precisionRecallSvg({ title: 't', series: [{ label: 'silent', curve: [row(0, 0, 0, 0)], best: null }] }));
  t.equal(findAll(none, byClass('series')).length, 1);
  t.equal(findAll(none, byClass('pr-curve')).length, 0, 'no path without a point');
  t.equal(findAll(none, byClass('best')).length, 0);
  t.equal(findAll(none, byClass('legend'))[0]!.text, 'silent (no predictions)');
});

t.test('many series get a legend that fits and dash patterns once colours repeat', async (t) => {
  const series = Array.from({ length: 30 }, (_, i) => ({ label: `m${i}`, curve: [row(0, 1, 0.5, 0.5)] }));
  const root = parseXml(precisionRecallSvg({ title: 't', series }));
  const height = Number(root.attrs.height);
  const ys = findAll(root, byClass('legend')).map((e) => Number(e.attrs.y));
  t.equal(ys.length, 30);
  t.ok(Math.max(...ys) < height, 'the last legend entry is inside the drawing');
  const curves = findAll(root, byClass('pr-curve'));
  t.equal(curves[0]!.attrs.stroke, curves[10]!.attrs.stroke);
  t.not(curves[0]!.attrs['stroke-dasharray'], curves[10]!.attrs['stroke-dasharray'], 'the same colour again comes dashed');
});

t.test('a long method name is shortened in the legend and kept whole in its tooltip and data-label', async (t) => {
  const long = 'an-imported-prediction-set-with-a-very-long-file-name-2026-01-01.tsv';
  const root = parseXml(precisionRecallSvg({ title: 't', series: [{ label: long, curve: [row(0, 1, 0.5, 0.5)] }] }));
  const legend = findAll(root, byClass('legend'))[0]!;
  t.equal(legend.text, `${long.slice(0, 35)}… (0.500)`);
  t.equal(legend.children.find((e) => e.name === 'title')!.text, long);
  t.equal(findAll(root, byClass('series'))[0]!.attrs['data-label'], long);
});
