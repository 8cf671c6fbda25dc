// protea predictions score --set P --scoring NAME_OR_ID, registered under
// `protea predictions` by cli/commands/predictions.ts. The work is
// scorePredictionSet (lib/queries/scoring-configs.ts); README, Scoring configs.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';
import { Progress } from '../../lib/progress.js';

const EXAMPLES = `
Examples:
  protea scoring list
  protea predictions score --set 0190f1c2-... --scoring alignment-weighted
  # then evaluate or export the scored set (its id is the last line printed)
  protea evaluate run --set EVAL_SET --predictions SCORED_SET_ID
  protea predictions export --set SCORED_SET_ID --format cafa --out scored.tsv
`;

/** `options.dbUrl` overrides PROTEA_DB_URL (tests point it at a fresh database). */
export function registerPredictionsScore(predictions: Command, options: { dbUrl?: string } = {}): void {
  predictions
    .command('score')
    .description(
      'rescore an existing prediction set with a scoring config, without recomputing neighbours: a new set of kind scored with every row of the source and its score ' +
        'recomputed from the feature columns (one transaction). The same set and config again print the existing scored set. Prints the scored set id on the last line.',
    )
    .requiredOption('--set <id>', 'prediction set id, or the name of exactly one set')
    .requiredOption('--scoring <name>', 'scoring config name or id (`protea scoring list`)')
    .option('--batch-rows <n>', 'rows per INSERT (whole proteins; the progress step)', '50000')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: { set: string; scoring: string; batchRows: string }) => {
      if (!/^[1-9]\d*$/.test(flags.batchRows)) throw new ProteaError('USAGE', `--batch-rows ${flags.batchRows}: expected a positive integer`, { field: '--batch-rows' });
      const [{ withQueryPool }, { scorePredictionSet }] = await Promise.all([import('../../lib/db.js'), import('../../lib/queries/scoring-configs.js')]);
      const t0 = Date.now();
      // a bar only on a terminal: a script reads the id from the last line of stdout
      const progress = process.stderr.isTTY ? new Progress({ label: 'score', total: 0 }) : null;
      const r = await withQueryPool(
        (db) =>
          scorePredictionSet(db, {
            set: flags.set,
            scoring: flags.scoring,
            batchRows: Number(flags.batchRows),
            onProgress: (done, total) => {
              progress?.setTotal(total);
              progress?.update(done, done);
            },
          }),
        ...(options.dbUrl ? [options.dbUrl] : []),
      );
      if (r.created) progress?.finish(r.rows);
      console.log(
        r.created
          ? `scored prediction set ${r.sourceId} with ${r.config.name} (${r.config.formula}): ${r.rows} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`
          : `prediction set ${r.sourceId} was already scored with ${r.config.name}: ${r.rows} rows`,
      );
      console.log(r.id);
    });
}
