// protea evaluate files: parses the arguments and prints. The evaluation on
// files (inputs, outputs, rules) is evaluation/run-files.ts's.
import { Option, type Command } from 'commander';
import type { EvaluateFilesReport } from '../../evaluation/run-files.js';
import type { Normalization, Propagation } from '../../evaluation/types.js';
import { ProteaError } from '../../lib/errors.js';

/** The short table printed on stdout: one line per (method, namespace). */
export function summaryTable(report: EvaluateFilesReport): string {
  const head = ['method', 'ns', 'Fmax', 'tau', 'cov', 'Smin', 'tau'];
  if (report.weighted) head.push('wFmax', 'tau', 'wSmin', 'tau');
  const rows: string[][] = [head];
  const x = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
  const tau = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  for (const m of report.methods) {
    for (const r of m.results) {
      const row = [m.method, r.namespace, x(r.bestF?.f), tau(r.bestF?.tau), x(r.bestF?.cov), x(r.bestS?.s), tau(r.bestS?.tau)];
      if (report.weighted) row.push(x(r.bestFW?.f_w), tau(r.bestFW?.tau), x(r.bestSW?.s_w), tau(r.bestSW?.tau));
      rows.push(row);
    }
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

interface CliOptions {
  ontology: string;
  groundTruth: string;
  predictions: string;
  ia?: string;
  known?: string;
  prop: Propagation;
  norm: Normalization;
  roots: boolean;
  thStep: string;
  out: string;
}

export function registerEvaluateFiles(evaluate: Command): void {
  evaluate
    .command('files')
    .description(
      'evaluate prediction files against a ground truth like the CAFA-evaluator: per file and namespace the threshold of best F and of least S ' +
        '(OUTDIR/best_f.tsv, best_s.tsv, with --ia also best_f_w.tsv, best_s_w.tsv), every threshold in OUTDIR/curves.tsv',
    )
    .requiredOption('--ontology <obo>', 'the ontology (OBO, plain or gzip); is_a and part_of propagate within a namespace; obsolete terms are dropped, alt_ids mapped')
    .requiredOption('--ground-truth <tsv>', 'ground truth, `target<TAB>term` per line (more columns are ignored)')
    .requiredOption('--predictions <dir>', 'folder of prediction files `target<TAB>term<TAB>score` (walked recursively; method = path with / as _), or one file')
    .requiredOption('--out <dir>', 'output folder (created when missing; files in it are overwritten)')
    .option('--ia <tsv>', 'information accretion `term<TAB>ia`: adds the weighted (_w) columns and best_f_w.tsv / best_s_w.tsv')
    .option('--known <tsv>', 'terms each target already had, `target<TAB>term` (partial-knowledge scoring: removed, propagated, from ground truth and predictions)')
    .addOption(new Option('--prop <mode>', 'propagation of scores to ancestors: max = every ancestor gets the maximum of its descendants, fill = only ancestors without a score of their own').choices(['max', 'fill']).default('max'))
    .addOption(new Option('--norm <mode>', 'averaging: cafa = precision over proteins with a prediction at tau, the rest over all ground-truth proteins; pred = all over proteins with a prediction; gt = all over ground-truth proteins').choices(['cafa', 'pred', 'gt']).default('cafa'))
    .option('--no-roots', 'leave each namespace\'s root terms out of the scoring (the reference tool\'s -no_orphans; weighted columns use the IA > 0 terms either way)')
    .option('--th-step <step>', 'threshold step in [0.0001, 1): thresholds step, 2*step, ... below 1, as numpy.arange(step, 1, step)', '0.01')
    .action(async (opts: CliOptions) => {
      const thStep = Number(opts.thStep);
      if (opts.thStep.trim() === '' || Number.isNaN(thStep)) throw new ProteaError('USAGE', `--th-step must be a number, got ${JSON.stringify(opts.thStep)}`, { field: 'th-step' });
      const { evaluateFiles } = await import('../../evaluation/run-files.js');
      const report = await evaluateFiles({
        ontology: opts.ontology,
        groundTruth: opts.groundTruth,
        predictions: opts.predictions,
        ia: opts.ia,
        known: opts.known,
        prop: opts.prop,
        norm: opts.norm,
        noRoots: opts.roots === false,
        thStep,
        out: opts.out,
      });
      process.stdout.write(`${summaryTable(report)}\n\nwritten: ${report.written.join(', ')}\n`);
    });
}
