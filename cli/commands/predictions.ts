// protea predictions …: reading prediction sets out (export) and rescoring them (score).
import type { Command } from 'commander';
import { registerPredictionsExport } from './predictions-export.js';
import { registerPredictionsScore } from './predictions-score.js';

export function registerPredictions(program: Command): void {
  const predictions = program.command('predictions').description('prediction sets and their predicted GO terms');
  registerPredictionsExport(predictions);
  registerPredictionsScore(predictions);
}
