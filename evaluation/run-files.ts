// The evaluator on plain files, like the CAFA-evaluator (`cafaeval OBO
// PRED_DIR GT_FILE`), with our column names: what `protea evaluate files`
// runs (the tests and benchmarks call it too).
//
// Writes OUTDIR/best_f.tsv and best_s.tsv (one row per prediction file and
// namespace: the threshold of maximum f, of minimum s), with --ia also
// best_f_w.tsv and best_s_w.tsv (maximum f_w, minimum s_w) and the weighted
// columns in every file, and OUTDIR/curves.tsv (every threshold of every
// (file, namespace) that has a best row, for plots). A file with no usable
// prediction (no line for a ground-truth protein) is reported on stderr and
// has no rows, as in the reference. Input rules: evaluation/files.ts; a
// malformed prediction line aborts the run naming file:line.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ProteaError } from '../lib/errors.js';
import { Progress } from '../lib/progress.js';
import { readLines } from '../parsers/lines.js';
import { bestTableTsv, predictionLineParser, readGroundTruthTsv, readIaTsv } from './files.js';
import { Evaluator, validateOptions, type EvaluationStats } from './metrics.js';
import { readOboTerms } from './obo-terms.js';
import { buildOntology } from './ontology.js';
import type { Annotation, CurveRow, EvaluationOptions, NamespaceResult, Normalization, Propagation } from './types.js';

export interface EvaluateFilesOptions {
  ontology: string;
  groundTruth: string;
  /** a folder (walked recursively) or one file */
  predictions: string;
  ia?: string | undefined;
  known?: string | undefined;
  prop: Propagation;
  norm: Normalization;
  noRoots: boolean;
  thStep: number;
  out: string;
}

export interface EvaluateFilesReport {
  /** every prediction file found, with its method name and its results (empty when not evaluated) */
  methods: Array<{ method: string; file: string; results: NamespaceResult[]; note?: string }>;
  written: string[];
  weighted: boolean;
}

/** Files under a folder, recursively, sorted by their path; dot files and folders are skipped. */
async function predictionFiles(root: string): Promise<Array<{ file: string; method: string }>> {
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new ProteaError('USAGE', `--predictions ${root}: no such file or folder`, { file: root });
  }
  if (info.isFile()) return [{ file: root, method: path.basename(root) }];
  const out: Array<{ file: string; method: string }> = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
      else if (e.isFile()) out.push({ file: path.join(dir, e.name), method: r.replaceAll('/', '_') });
    }
  };
  await walk(root, '');
  return out;
}

function delta(a: EvaluationStats, b: EvaluationStats): Record<'predictions' | 'otherTarget' | 'unknownTerm' | 'otherNamespace' | 'zero', number> {
  return {
    predictions: b.predictions - a.predictions,
    otherTarget: b.predictionsOtherTarget - a.predictionsOtherTarget,
    unknownTerm: b.predictionsUnknownTerm - a.predictionsUnknownTerm,
    otherNamespace: b.predictionsOtherNamespace - a.predictionsOtherNamespace,
    zero: b.predictionsZeroScore - a.predictionsZeroScore,
  };
}

export interface EvaluateFilesIo {
  /** one warning line (default: stderr) */
  warn?: (line: string) => void;
  /** a progress line on stderr over the prediction files (default: when there are several) */
  progress?: boolean;
}

/** Runs the evaluation and writes OUTDIR. */
export async function evaluateFiles(o: EvaluateFilesOptions, io: EvaluateFilesIo = {}): Promise<EvaluateFilesReport> {
  const warn = io.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
  const options: EvaluationOptions = { prop: o.prop, norm: o.norm, thStep: o.thStep, noRoots: o.noRoots };
  validateOptions(options);
  const files = await predictionFiles(o.predictions);
  if (files.length === 0) throw new ProteaError('USAGE', `--predictions ${o.predictions}: the folder holds no prediction file`, { file: o.predictions });

  const ontology = buildOntology(await readOboTerms(o.ontology));
  if (ontology.size === 0) throw new ProteaError('EVALUATION_INPUT_INVALID', `${o.ontology}: no usable term (every term is obsolete or has no namespace)`, { file: o.ontology });
  if (o.ia) options.ia = await readIaTsv(o.ia);
  const groundTruth = await readGroundTruthTsv(o.groundTruth);
  let known: Annotation[] | undefined;
  if (o.known) known = await readGroundTruthTsv(o.known);
  const evaluator = new Evaluator(ontology, groundTruth, options, known);
  const st = evaluator.stats;
  if (st.groundTruthUnknownTerms > 0) {
    warn(`${o.groundTruth}: ${st.groundTruthUnknownTerms} of ${st.groundTruthAnnotations} lines name a term that is not in the ontology or is obsolete; ignored (e.g. ${st.unknownTermExamples.join(', ')})`);
  }
  if (known && st.knownIgnored > 0) warn(`${o.known}: ${st.knownIgnored} of ${st.knownAnnotations} lines name a protein without ground truth or an unknown term; ignored`);
  if (evaluator.namespaces().length === 0) {
    throw new ProteaError('EVALUATION_EMPTY', `${o.groundTruth}: no ground-truth protein has a term of the ontology${known ? ' that was not known already' : ''}`, { file: o.groundTruth });
  }

  const progress = (io.progress ?? true) && files.length > 1 ? new Progress({ label: 'evaluate', total: files.length }) : undefined;
  const report: EvaluateFilesReport = { methods: [], written: [], weighted: Boolean(options.ia) };
  let lines = 0;
  for (const [i, f] of files.entries()) {
    const before = { ...st };
    const run = evaluator.start();
    const parse = predictionLineParser(f.file);
    for await (const { text, line } of readLines(f.file)) {
      const p = parse(text, line);
      if (p) run.add(p.target, p.term, p.score);
      lines++;
    }
    const results = run.finish().filter((r) => r.bestF !== null);
    const d = delta(before, st);
    const ignored = [
      d.otherTarget ? `${d.otherTarget} for proteins not in the ground truth` : '',
      d.unknownTerm ? `${d.unknownTerm} with terms not in the ontology or obsolete` : '',
      d.otherNamespace ? `${d.otherNamespace} in a namespace where the protein has no ground truth` : '',
    ].filter(Boolean);
    const entry: EvaluateFilesReport['methods'][number] = { method: f.method, file: f.file, results };
    if (results.length === 0) {
      entry.note = `not evaluated: none of its ${d.predictions} predictions scores a ground-truth protein above 0${ignored.length ? ` (${ignored.join(', ')})` : ''}`;
      warn(`${f.file}: ${entry.note}`);
    } else if (ignored.length) {
      warn(`${f.file}: of ${d.predictions} predictions, ignored ${ignored.join(', ')}`);
    }
    report.methods.push(entry);
    progress?.update(i + 1, lines);
  }
  progress?.finish(lines);

  const evaluated = report.methods.filter((m) => m.results.length > 0);
  if (evaluated.length === 0) {
    throw new ProteaError('EVALUATION_EMPTY', `no prediction file under ${o.predictions} has a prediction for a ground-truth protein (targets and term ids must match the ground truth and the ontology)`, { file: o.predictions });
  }
  await mkdir(o.out, { recursive: true });
  const weighted = report.weighted;
  const pick = (get: (r: NamespaceResult) => CurveRow | null | undefined) =>
    evaluated.flatMap((m) => m.results.flatMap((r) => {
      const row = get(r);
      return row ? [{ method: m.method, namespace: r.namespace, row }] : [];
    }));
  const outputs: Array<[string, string]> = [
    ['best_f.tsv', bestTableTsv(pick((r) => r.bestF), weighted)],
    ['best_s.tsv', bestTableTsv(pick((r) => r.bestS), weighted)],
  ];
  if (weighted) {
    outputs.push(['best_f_w.tsv', bestTableTsv(pick((r) => r.bestFW), weighted)]);
    outputs.push(['best_s_w.tsv', bestTableTsv(pick((r) => r.bestSW), weighted)]);
  }
  outputs.push(['curves.tsv', bestTableTsv(evaluated.flatMap((m) => m.results.flatMap((r) => r.curve.map((row) => ({ method: m.method, namespace: r.namespace, row })))), weighted)]);
  for (const [name, text] of outputs) {
    const file = path.join(o.out, name);
    await writeFile(file, text);
    report.written.push(file);
  }
  return report;
}
