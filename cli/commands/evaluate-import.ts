// protea evaluate import: parses the arguments and prints. The import (rules,
// mapping onto the ontology, storing) is evaluation/import.ts's.
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { ImportSummary } from '../../evaluation/import.js';
import { config } from '../../lib/config.js';

/** The import's outcome for a terminal. */
export function formatImportSummary(s: ImportSummary): string {
  const examples = (x: { examples: string[] }) => (x.examples.length > 0 ? ` (e.g. ${x.examples.join(', ')})` : '');
  const lines = [
    `prediction set ${s.predictionSetId} "${s.name}"${s.jobId ? `  job ${s.jobId}` : ''}`,
    `  ${s.predictions} predictions of ${s.proteins} proteins from ${s.predictionLines} prediction lines of ${s.file} (${s.lines} lines), ontology ${s.ontology.oboVersion}`,
    `  ${s.duplicates} duplicate lines merged (maximum score kept), ${s.altIdMapped} lines via alt_id`,
    `  left out: ${s.obsolete.lines} lines on ${s.obsolete.terms} obsolete terms${examples(s.obsolete)}, ${s.unknown.lines} lines on ${s.unknown.terms} unknown ids${examples(s.unknown)}`,
  ];
  if (s.header.author || s.header.model) lines.push(`  CAFA header: AUTHOR ${s.header.author ?? '-'}, MODEL ${s.header.model ?? '-'}${s.header.keywords ? `, KEYWORDS ${s.header.keywords}` : ''}`);
  return lines.join('\n');
}

interface ImportOptions {
  format: 'cafa';
  name?: string;
  ontology?: string;
  json?: boolean;
}

export function registerEvaluateImport(evaluate: Command): void {
  evaluate
    .command('import')
    .description("store another tool's predictions (CAFA format: target, GO id, score) as a prediction set for `protea evaluate run`")
    .argument('<file>', 'prediction file, plain or gzip: target<TAB>GO id<TAB>score per line (CAFA submission header lines allowed)')
    .addOption(new Option('--format <format>', 'input format').choices(['cafa']).makeOptionMandatory())
    .option('--name <name>', "the prediction set's name (default: the file's base name)")
    .option('--ontology <snapshot>', 'ontology snapshot (id or obo_version) the GO ids are mapped onto (default: the only complete one loaded; required when several are)')
    .option('--json', 'print the import summary as JSON')
    .addHelpText(
      'after',
      `
Lines: target, GO id and score in [0, 1], separated by tabs or spaces. Skipped: blank lines,
the CAFA records AUTHOR, MODEL, KEYWORDS, ACCURACY and END, and a column header as the first
line. Any other malformed line stops the import with file:line and the reason; nothing is stored.
alt_ids are mapped to their term; ids obsolete in or unknown to the snapshot are left out and
reported; a target and term given twice keep the maximum score. Reported as a job when Kafka
is reachable.

Example:
  protea evaluate import --format cafa model1_predictions.tsv --name model1`,
    )
    .action(async (file: string, opts: ImportOptions) => {
      const [{ importPredictions }, { createCopyPool, createQueryPool }, { BestEffortJob }] = await Promise.all([
        import('../../evaluation/import.js'),
        import('../../lib/db.js'),
        import('../../lib/best-effort-job.js'),
      ]);
      const db = await createQueryPool(config().dbUrl, { maximumPoolSize: 2 });
      const copyPool = createCopyPool(config().dbUrl, 1);
      const name = opts.name ?? path.basename(file);
      const job = await BestEffortJob.start('evaluation_import', { file: path.resolve(file), format: opts.format, name, ontology: opts.ontology ?? null });
      try {
        const summary = await importPredictions({ file, format: opts.format, name, ...(opts.ontology ? { ontology: opts.ontology } : {}) }, { db, copyPool, job });
        console.log(opts.json ? JSON.stringify(summary, null, 2) : formatImportSummary(summary));
      } finally {
        await job.close();
        await copyPool.end();
        await db.end();
      }
    });
}
