// Our evaluator against the reference tool's own output (CAFA-evaluator,
// `cafaeval` 1.2.x), for every option set of every fixture's
// reference/OPTIONS.json: the example data of the reference repository and a
// hand-made edge-case dataset (see each fixture's README).
//
// What is compared, by key (method, ns) or (method, ns, tau):
// - our OUTDIR/best_f.tsv  <-> reference evaluation_best_f.tsv
// - our OUTDIR/best_s.tsv  <-> reference evaluation_best_s.tsv
// - our OUTDIR/best_f_w.tsv <-> reference evaluation_best_f_w.tsv (with IA)
// - our OUTDIR/best_s_w.tsv <-> the first row of minimum s_w per (filename, ns)
//   of the reference evaluation_all.tsv (the tool writes no best_s_w file; its
//   rows are those with cov > 0, tau ascending)
// - our OUTDIR/curves.tsv rows with cov > 0 <-> reference evaluation_all.tsv
//   (same set of (method, ns, tau) and every value)
// Column mapping: reference `filename` = our `method` (path under predictions/
// with / as _), every other column has the same name; the reference's
// `cov_max` (best files only) has no counterpart and is not compared.
// Numbers: the tool's printed files (%.3f) within 5e-4 (their rounding), and
// the full-precision/ copies of the same results (float64 repr), when
// present, within 1e-9 relative (we agree to ~1e-13).
// A fixture or option set whose reference files are missing fails the test.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { evaluateFiles } from '../../evaluation/run-files.js';
import { PROJECT_ROOT } from '../../lib/config.js';

const FIXTURES = ['cafa-evaluator-example', 'evaluation-edge-cases'];

interface OptionSet {
  args: string[];
  ia: boolean;
  prop: 'max' | 'fill';
  norm: 'cafa' | 'pred' | 'gt';
  noRoots: boolean;
  thStep: number;
}

type Row = Record<string, string>;

async function readTsv(file: string): Promise<{ columns: string[]; rows: Row[] }> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  const columns = lines[0]!.split('\t');
  const rows = lines.slice(1).map((l) => {
    const cells = l.split('\t');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
  return { columns, rows };
}

const refMethod = (r: Row) => r.filename ?? '';
const ourMethod = (r: Row) => r.method ?? '';

/** Every mismatch between reference rows and ours, keyed by method+ns(+tau). */
function compareRows(refCols: string[], ref: Row[], ours: Row[], keyTau: boolean, tol: number): { mismatches: string[]; cells: number; maxDiff: number } {
  const key = (method: string, r: Row) => `${method}|${r.ns}${keyTau ? `|${Number(r.tau).toFixed(6)}` : ''}`;
  const mine = new Map(ours.map((r) => [key(ourMethod(r), r), r]));
  const mismatches: string[] = [];
  let cells = 0;
  let maxDiff = 0;
  const seen = new Set<string>();
  for (const r of ref) {
    const k = key(refMethod(r), r);
    seen.add(k);
    const o = mine.get(k);
    if (!o) {
      mismatches.push(`${k}: row missing in ours`);
      continue;
    }
    for (const c of refCols) {
      if (c === 'filename' || c === 'ns' || c === 'cov_max') continue;
      cells++;
      const want = Number(r[c]);
      const got = Number(o[c]);
      maxDiff = Math.max(maxDiff, Math.abs(got - want));
      if (!(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)))) mismatches.push(`${k} ${c}: ours ${o[c]} reference ${r[c]}`);
    }
  }
  for (const k of mine.keys()) if (!seen.has(k)) mismatches.push(`${k}: row in ours, not in the reference`);
  return { mismatches, cells, maxDiff };
}

/** The reference's best_s_w rows: per (filename, ns) the first row of minimum s_w in evaluation_all (cov > 0 rows, tau ascending). */
function bestSwFromAll(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${refMethod(r)}|${r.ns}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: Row[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => Number(a.tau) - Number(b.tau));
    let best = g[0]!;
    for (const r of g) if (Number(r.s_w) < Number(best.s_w)) best = r;
    out.push(best);
  }
  return out;
}

for (const fixture of FIXTURES) {
  t.test(`${fixture}: every option set of reference/OPTIONS.json agrees with the reference tool`, async (t) => {
    const dir = path.join(PROJECT_ROOT, 'test/fixtures', fixture);
    const optionsFile = path.join(dir, 'reference/OPTIONS.json');
    if (!existsSync(optionsFile)) {
      t.fail(`${optionsFile} is missing: the reference outputs must be committed`);
      return;
    }
    const sets = JSON.parse(await readFile(optionsFile, 'utf8')) as Record<string, OptionSet>;
    t.ok(Object.keys(sets).length >= 5, `${Object.keys(sets).length} option sets`);
    const obo = (await readdir(dir)).filter((f) => f.endsWith('.obo'));
    t.equal(obo.length, 1, 'one ontology file in the fixture');

    for (const [name, set] of Object.entries(sets)) {
      t.test(name, async (t) => {
        const refDir = path.join(dir, 'reference', name);
        const need = ['evaluation_all.tsv', 'evaluation_best_f.tsv', 'evaluation_best_s.tsv', ...(set.ia ? ['evaluation_best_f_w.tsv'] : [])];
        // the tool's own printed files (%.3f), and the full-precision copies of the same results when present
        const bases = [{ base: refDir, tol: 5e-4 + 1e-9, label: 'printed' }];
        if (existsSync(path.join(refDir, 'full-precision'))) bases.push({ base: path.join(refDir, 'full-precision'), tol: 1e-9, label: 'full precision' });
        for (const { base } of bases) for (const f of need) t.ok(existsSync(path.join(base, f)), `reference ${path.relative(dir, base)}/${f} exists`);
        if (!bases.every(({ base }) => need.every((f) => existsSync(path.join(base, f))))) return;

        const out = await mkdtemp(path.join(os.tmpdir(), 'protea-eval-ref-'));
        t.teardown(() => rm(out, { recursive: true, force: true }));
        await evaluateFiles(
          {
            ontology: path.join(dir, obo[0]!),
            groundTruth: path.join(dir, 'ground_truth.tsv'),
            predictions: path.join(dir, 'predictions'),
            ia: set.ia ? path.join(dir, 'ia.tsv') : undefined,
            prop: set.prop,
            norm: set.norm,
            noRoots: set.noRoots,
            thStep: set.thStep,
            out,
          },
          { warn: () => {}, progress: false },
        );

        for (const { base, tol, label: precision } of bases) {
          const refAll = await readTsv(path.join(base, 'evaluation_all.tsv'));
          const pairs: Array<[string, { columns: string[]; rows: Row[] }, string]> = [
            ['best_f', await readTsv(path.join(base, 'evaluation_best_f.tsv')), 'best_f.tsv'],
            ['best_s', await readTsv(path.join(base, 'evaluation_best_s.tsv')), 'best_s.tsv'],
          ];
          if (set.ia) {
            pairs.push(['best_f_w', await readTsv(path.join(base, 'evaluation_best_f_w.tsv')), 'best_f_w.tsv']);
            pairs.push(['best_s_w (from evaluation_all)', { columns: refAll.columns, rows: bestSwFromAll(refAll.rows) }, 'best_s_w.tsv']);
          }
          for (const [label, ref, ourFile] of pairs) {
            const ours = await readTsv(path.join(out, ourFile));
            t.same(ours.columns.slice(0, 2), ['method', 'ns'], `${ourFile} starts with method, ns`);
            const { mismatches, cells, maxDiff } = compareRows(ref.columns, ref.rows, ours.rows, false, tol);
            t.ok(ref.rows.length > 0 && cells > 0, `${precision} ${label}: ${ref.rows.length} reference rows, ${cells} values compared (largest difference ${maxDiff.toExponential(1)})`);
            t.same(mismatches, [], `${precision} ${label}: every value of every row agrees within ${tol}`);
          }
          const curves = await readTsv(path.join(out, 'curves.tsv'));
          const covered = curves.rows.filter((r) => Number(r.cov) > 0);
          const all = compareRows(refAll.columns, refAll.rows, covered, true, tol);
          t.ok(all.cells > 0, `${precision} evaluation_all: ${refAll.rows.length} rows, ${all.cells} values compared (largest difference ${all.maxDiff.toExponential(1)})`);
          t.same(all.mismatches.slice(0, 20), [], `${precision} evaluation_all: every threshold row with cov > 0 agrees within ${tol}`);
        }
      });
    }
  });
}
