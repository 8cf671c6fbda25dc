// protea evaluate set|run|import|files: CAFA-style evaluation of prediction sets.
// Each sub-command lives in its own file.
import type { Command } from 'commander';
import { registerEvaluateFiles } from './evaluate-files.js';
import { registerEvaluateImport } from './evaluate-import.js';
import { registerEvaluateRun } from './evaluate-run.js';
import { registerEvaluateSet } from './evaluate-set.js';

export function registerEvaluate(program: Command): void {
  const evaluate = program
    .command('evaluate')
    .description('CAFA-style evaluation: temporal holdout sets, metrics (Fmax, S-min, coverage), baselines, PR plots');
  registerEvaluateSet(evaluate);
  registerEvaluateRun(evaluate);
  registerEvaluateImport(evaluate);
  registerEvaluateFiles(evaluate);
}
