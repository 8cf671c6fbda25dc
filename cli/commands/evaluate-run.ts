// protea evaluate run: parses the arguments and prints; also lists and shows
// stored results and lists prediction sets. Scoring and storing a run is
// evaluation/run.ts's.
import { Option, type Command } from 'commander';
import { BASELINES, DEFAULT_MAX_TERMS_PER_NAMESPACE, parseBaselines } from '../../evaluation/baselines.js';
import type { RunRequest } from '../../evaluation/run.js';
import type { Normalization, Propagation } from '../../evaluation/types.js';
import { ProteaError } from '../../lib/errors.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

interface RunCliOptions {
  set?: string;
  predictions?: string;
  ia?: string;
  prop: Propagation;
  norm: Normalization;
  thStep: string;
  roots: boolean;
  baselines: string;
  baselineMaxTerms: string;
  out?: string;
  list?: boolean;
  listPredictions?: boolean;
  show?: string;
  json?: boolean;
  tsv?: boolean;
  limit: string;
}


function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ProteaError('USAGE', `${option} ${value}: expected a positive integer`, { field: option });
  return n;
}

export async function runEvaluateRun(opts: RunCliOptions): Promise<void> {
  const modes = [opts.show ? '--show' : null, opts.list ? '--list' : null, opts.listPredictions ? '--list-predictions' : null].filter((m): m is string => m !== null);
  if (modes.length > 1) throw new ProteaError('USAGE', `${modes.join(' and ')} cannot be combined`);
  if (opts.tsv && !opts.show) throw new ProteaError('USAGE', '--tsv goes with --show', { field: '--tsv' });
  const limit = positiveInt(opts.limit, '--limit');
  const [{ formatResultsTable, resultsTsv }, { evaluationSetLabel, runEvaluation, writeRunOutputs }, { BestEffortJob }, { withQueryPool }, { getEvaluationResult, listEvaluationResults }, { countPredictions, listPredictionSets, resolvePredictionSet }] =
    await Promise.all([
      import('../../evaluation/report.js'),
      import('../../evaluation/run.js'),
      import('../../lib/best-effort-job.js'),
      import('../../lib/db.js'),
      import('../../lib/queries/evaluation-results.js'),
      import('../../lib/queries/prediction-sets.js'),
    ]);

  if (opts.show) {
    const id = opts.show;
    await withQueryPool(async (db) => {
      const row = await getEvaluationResult(db, id);
      if (!row) throw new ProteaError('NOT_FOUND', `--show: no evaluation result has the id ${id}`, { field: '--show', hint: 'List the results with `protea evaluate run --list`.' });
      if (opts.json) console.log(JSON.stringify(row, null, 2));
      else if (opts.tsv) process.stdout.write(resultsTsv([row.results]));
      else {
        console.log(`evaluation result ${row.id}  ${when(row.created_at)}${row.job_id ? `  job ${row.job_id}` : ''}`);
        console.log(`  evaluation set ${row.evaluation_set_id}, prediction set ${row.prediction_set_id} (${row.prediction_set_kind}${row.baseline ? ` ${row.baseline}` : ''})`);
        const o = row.results.options;
        console.log(`  options: prop ${o.prop}, norm ${o.norm}, th-step ${o.thStep}${o.noRoots ? ', no roots' : ''}${o.ia ? `, ia ${o.ia}` : ''}\n`);
        console.log(formatResultsTable([row.results]));
      }
    });
    return;
  }
  if (opts.list) {
    await withQueryPool(async (db) => {
      const predictionSetId = opts.predictions ? (await resolvePredictionSet(db, opts.predictions)).id : undefined;
      const rows = await listEvaluationResults(db, { ...(opts.set ? { evaluationSetId: opts.set } : {}), ...(predictionSetId ? { predictionSetId } : {}), limit });
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return void console.log('no evaluation results yet (protea evaluate run --set E --predictions P computes some)');
      for (const r of rows) {
        console.log(`${r.id}  ${when(r.created_at)}  set ${r.evaluation_set_id}  ${r.baseline ? `baseline ${r.baseline}` : `${r.prediction_set_kind} ${r.method ?? r.prediction_set_id}`}  (prediction set ${r.prediction_set_id})`);
      }
    });
    return;
  }
  if (opts.listPredictions) {
    await withQueryPool(async (db) => {
      const rows = await listPredictionSets(db, { limit });
      const withCounts = await Promise.all(rows.map(async (r) => ({ ...r, predictions: await countPredictions(db, r.id) })));
      if (opts.json) return void console.log(JSON.stringify(withCounts, null, 2));
      if (rows.length === 0) return void console.log('no prediction sets yet (protea evaluate import --format cafa FILE stores one)');
      for (const r of withCounts) console.log(`${r.id}  ${when(r.created_at)}  ${r.kind.padEnd(8)}  ${(r.name ?? '-').padEnd(24)}  ${r.obo_version}  ${r.predictions} predictions`);
    });
    return;
  }

  if (!opts.set) throw new ProteaError('USAGE', 'give --set (and --predictions), or --list, --list-predictions or --show ID', { field: '--set' });
  const thStep = Number(opts.thStep);
  if (opts.thStep.trim() === '' || Number.isNaN(thStep)) throw new ProteaError('USAGE', `--th-step must be a number, got ${JSON.stringify(opts.thStep)}`, { field: '--th-step' });
  const req: RunRequest = {
    set: opts.set,
    ...(opts.predictions ? { predictions: opts.predictions } : {}),
    ...(opts.ia ? { ia: opts.ia } : {}),
    prop: opts.prop,
    norm: opts.norm,
    thStep,
    noRoots: opts.roots === false,
    baselines: parseBaselines(opts.baselines),
    maxBaselineTerms: positiveInt(opts.baselineMaxTerms, '--baseline-max-terms'),
  };
  await withQueryPool(async (db) => {
    const job = await BestEffortJob.start('evaluation_run', { set: req.set, predictions: req.predictions ?? null, ia: req.ia ?? null, prop: req.prop, norm: req.norm, th_step: req.thStep, no_roots: req.noRoots, baselines: req.baselines.map((b) => b.name) });
    try {
      const report = await runEvaluation(req, { db, job });
      const docs = report.results.map((r) => r.document);
      const written = opts.out ? await writeRunOutputs(opts.out, docs, evaluationSetLabel(report.evaluationSet)) : [];
      if (opts.json) {
        console.log(JSON.stringify({ evaluationSetId: report.evaluationSet.id, jobId: report.jobId, results: report.results, warnings: report.warnings, written, ms: report.ms }, null, 2));
        return;
      }
      console.log(`evaluation set ${report.evaluationSet.id} (${evaluationSetLabel(report.evaluationSet)}, ontology ${report.evaluationSet.obo_version})${report.jobId ? `  job ${report.jobId}` : ''}\n`);
      console.log(formatResultsTable(docs));
      console.log('');
      for (const r of report.results) console.log(`stored evaluation result ${r.id}: ${r.document.method}${r.document.baseline ? ' (baseline)' : ''} (prediction set ${r.predictionSetId})`);
      for (const w of report.warnings) console.log(`note: ${w}`);
      if (written.length > 0) console.log(`written: ${written.join(', ')}`);
    } finally {
      await job.close();
    }
  });
}

export function registerEvaluateRun(evaluate: Command): void {
  evaluate
    .command('run')
    .description(
      'score a prediction set and the baselines on an evaluation set per category (NK, LK, PK) and namespace: Fmax, S-min, coverage, ' +
        'weighted Fmax/S-min with --ia, the precision-recall curve; stored as evaluation results; also lists and shows stored results',
    )
    .option('--set <id>', 'the evaluation set (id; `protea evaluate set --list`); with --list: only its results')
    .option('--predictions <set>', 'the prediction set: id, or the name of an imported set (`--list-predictions`); absent: baselines only')
    .option('--ia <tsv>', 'information accretion `term<TAB>ia`: adds weighted Fmax and S-min (the _w columns)')
    .addOption(new Option('--prop <mode>', 'propagation of scores to ancestors: max = every ancestor gets the maximum of its descendants, fill = only ancestors without a score of their own').choices(['max', 'fill']).default('max'))
    .addOption(
      new Option('--norm <mode>', 'averaging: cafa = precision over proteins with a prediction at tau, the rest over all ground-truth proteins; pred = all over proteins with a prediction; gt = all over ground-truth proteins')
        .choices(['cafa', 'pred', 'gt'])
        .default('cafa'),
    )
    .option('--th-step <step>', 'threshold step in [0.0001, 1): thresholds step, 2*step, ... below 1', '0.01')
    .option('--no-roots', "leave each namespace's root terms out of the scoring (default: roots kept)")
    .option('--baselines <names>', `baselines scored beside the prediction set, comma-separated, or none (known: ${[...BASELINES.keys()].join(', ')})`, 'naive')
    .option('--baseline-max-terms <n>', 'the naive baseline keeps at most this many terms per namespace (the most frequent; terms below the lowest threshold never count)', String(DEFAULT_MAX_TERMS_PER_NAMESPACE))
    .option('--out <dir>', 'also write results.tsv (best-F row per category/namespace/method), results_best_s.tsv, curves.tsv and pr_<category>_<namespace>.svg plots (created when missing)')
    .option('--list', 'list stored evaluation results, most recent first (filter with --set and/or --predictions)')
    .option('--list-predictions', 'list prediction sets (imported, baseline, knn), most recent first')
    .option('--show <result>', 'show one stored evaluation result (the table; --json: the whole document; --tsv: results.tsv rows)')
    .option('--tsv', 'with --show: print the best-F rows as TSV')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'rows for --list and --list-predictions', '20')
    .addHelpText(
      'after',
      `
Definitions (CAFA-evaluator, Piovesan et al. 2024): thresholds step, 2*step, ... below 1; a term
is predicted at tau when its propagated score >= tau; precision is averaged over targets with a
prediction at tau, recall over all targets of the namespace; Fmax is the maximum F over
thresholds, S-min the minimum of sqrt(ru^2 + mi^2); PK targets are scored with the terms they
already had (propagated) removed from ground truth and predictions. Baseline naive: each term
scored by its frequency in the evaluation set's old annotation set (experimental, propagated),
the same terms for every target. Baseline identity: each target's best Smith-Waterman hit among
the old set's proteins annotated in the namespace (itself and identical sequences left out)
passes on its terms with score = identity; targets without a stored sequence get none.
Reported as a job when Kafka is reachable.

Examples:
  protea evaluate run --set SET_ID --predictions model1 --out results/
  protea evaluate run --set SET_ID --predictions model1 --ia IA.txt --baselines naive,identity
  protea evaluate run --list --set SET_ID
  protea evaluate run --show RESULT_ID --tsv`,
    )
    .action(async (opts: RunCliOptions) => runEvaluateRun(opts));
}
