// protea predictions export --set ID --format cafa|tsv|arrow|gaf --out FILE,
// registered under `protea predictions` by cli/commands/predictions.ts. The
// work is lib/predictions-export.ts; the formats are described in README
// (Predictions: export).
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';
import { DEFAULT_CAFA_HEADER, DEFAULT_GAF_REFERENCE, EXPORT_FORMATS, type ExportFormat } from '../../lib/export-options.js';

interface ExportFlags {
  set: string;
  format: string;
  out: string;
  propagate?: boolean;
  top?: string;
  minScore?: string;
  decimals: string;
  header: boolean;
  author: string;
  model: string;
  keywords: string;
  gafReference: string;
  batchRows: string;
}

const EXAMPLES = `
Examples:
  # CAFA file (AUTHOR/MODEL/KEYWORDS ... END), scores propagated to ancestors, scored with protea evaluate files
  protea predictions export --set 0190f1c2-... --format cafa --propagate --out preds/knn.tsv
  # the 5 best terms per protein, every neighbour's row and feature, as TSV on stdout
  protea predictions export --set my-set --format tsv --top 5 --out - | column -t -s $'\\t' | less -S
  # Arrow IPC stream for pandas/polars: pyarrow.ipc.open_stream("preds.arrows").read_all()
  protea predictions export --set 0190f1c2-... --format arrow --min-score 0.3 --out preds.arrows
  # GAF 2.2 (IEA, the neighbours in With/From) under your own reference
  protea predictions export --set 0190f1c2-... --format gaf --gaf-reference PMID:12345678 --out preds.gaf
`;

function positiveInt(flag: string, raw: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[1-9]\d*$/.test(raw) || Number(raw) > max) throw new ProteaError('USAGE', `${flag} ${raw}: expected a positive integer${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`, { field: flag });
  return Number(raw);
}

/** `options.dbUrl` overrides PROTEA_DB_URL (tests point it at a fresh database). */
export function registerPredictionsExport(predictions: Command, options: { dbUrl?: string } = {}): void {
  predictions
    .command('export')
    .description(
      'write one prediction set as CAFA (target term score, max over its neighbours), TSV or an Arrow IPC stream (one row per predicted term and neighbour, with every feature column), ' +
        'or GAF 2.2 (IEA rows, the neighbours in With/From); streamed protein by protein. The summary goes to stdout, or to stderr with --out -.',
    )
    .requiredOption('--set <id>', 'prediction set id, or the name of exactly one set')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(' | '))
    .requiredOption('--out <file>', 'the file to write (replaced when complete), or - for stdout')
    .option('--propagate', 'scores consistent along the ontology: every is_a/part_of ancestor gets max(own, descendants\') score, ancestors added (cafa, tsv, arrow)')
    .option('--top <n>', 'keep the n best terms per protein (score, then GO id; after --propagate)')
    .option('--min-score <s>', 'keep terms scoring at least s (after --propagate)')
    .option('--decimals <n>', 'cafa: decimals of a score (CAFA asks for 2)', '2')
    .option('--no-header', 'cafa: no AUTHOR/MODEL/KEYWORDS and END records')
    .option('--author <name>', 'cafa: the AUTHOR record', DEFAULT_CAFA_HEADER.author)
    .option('--model <n>', 'cafa: the MODEL record', String(DEFAULT_CAFA_HEADER.model))
    .option('--keywords <text>', 'cafa: the KEYWORDS record', DEFAULT_CAFA_HEADER.keywords)
    .option('--gaf-reference <ref>', 'gaf: the DB:Reference column (README says why this default)', DEFAULT_GAF_REFERENCE)
    .option('--batch-rows <n>', 'arrow: rows per record batch', '8192')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: ExportFlags) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format)) {
        throw new ProteaError('USAGE', `--format ${flags.format}: expected one of ${EXPORT_FORMATS.join(', ')}`, { field: '--format' });
      }
      let minScore: number | undefined;
      if (flags.minScore !== undefined) {
        minScore = Number(flags.minScore);
        if (flags.minScore.trim() === '' || !Number.isFinite(minScore)) throw new ProteaError('USAGE', `--min-score ${flags.minScore}: expected a number`, { field: '--min-score' });
      }
      const { exportPredictions } = await import('../../lib/predictions-export.js');
      const r = await exportPredictions({
        set: flags.set,
        format: flags.format as ExportFormat,
        out: flags.out,
        propagate: Boolean(flags.propagate),
        ...(flags.top === undefined ? {} : { top: positiveInt('--top', flags.top) }),
        ...(minScore === undefined ? {} : { minScore }),
        decimals: positiveInt('--decimals', flags.decimals, 6),
        cafaHeader: flags.header ? { author: flags.author, model: positiveInt('--model', flags.model), keywords: flags.keywords } : false,
        gafReference: flags.gafReference,
        batchRows: positiveInt('--batch-rows', flags.batchRows),
        ...(options.dbUrl ? { dbUrl: options.dbUrl } : {}),
      });
      const line = `wrote ${r.rows} ${r.format} ${r.format === 'arrow' ? 'rows' : 'lines'} (${r.terms} terms of ${r.proteins} proteins${r.skipped ? `, ${r.skipped} terms left out` : ''}; ${(r.bytes / 1e6).toFixed(2)} MB) of prediction set ${r.setId} to ${r.file === '-' ? 'stdout' : r.file} in ${r.seconds.toFixed(1)} s`;
      if (r.file === '-') console.error(line);
      else console.log(line);
    });
}
