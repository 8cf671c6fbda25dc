// protea evaluate set: parses the arguments and prints. Building, looking up
// and reading evaluation sets is evaluation/sets.ts's.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { EvaluationSetRequest } from '../../evaluation/sets.js';
import { DEFAULT_EVIDENCE_CODES } from '../../evaluation/temporal-holdout.js';
import { CATEGORIES } from '../../evaluation/types.js';
import { ProteaError } from '../../lib/errors.js';
import type { EvaluationSetRow } from '../../lib/queries/evaluation-sets.js';

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const padL = (s: string | number, n: number) => String(s).padStart(n);
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function setLabel(source: string, version: string | null): string {
  return `${source}@${version ?? ''}`;
}

/** The stats of an evaluation set as a table. */
export function formatEvaluationSet(row: Pick<EvaluationSetRow, 'id' | 'obo_version' | 'ontology_snapshot_id' | 'job_id' | 'created_at' | 'stats'> & {
  old: string;
  new: string;
}): string {
  const s = row.stats;
  const lines = [
    `evaluation set ${row.id}`,
    `  old       ${row.old}`,
    `  new       ${row.new}`,
    `  ontology  ${row.obo_version} (${row.ontology_snapshot_id})`,
    `  evidence  ${s.evidenceCodes.join(',')}`,
    `  created   ${when(row.created_at)}${row.job_id ? `  job ${row.job_id}` : ''}`,
    '',
    `  ${pad('category', 9)}${pad('namespace', 22)}${padL('proteins', 9)}${padL('annotations', 13)}`,
  ];
  for (const c of CATEGORIES) {
    const cat = s.categories[c];
    for (const [ns, n] of Object.entries(cat.namespaces)) lines.push(`  ${pad(c, 9)}${pad(ns, 22)}${padL(n.proteins, 9)}${padL(n.annotations, 13)}`);
    lines.push(`  ${pad(c, 9)}${pad('(all)', 22)}${padL(cat.proteins, 9)}${padL(cat.annotations, 13)}`);
  }
  lines.push(
    '',
    `  delta proteins ${s.deltaProteins}; PK known terms: ${s.known.annotations} of ${s.known.proteins} proteins; ${s.impliedOnly} protein/namespace pairs with new terms all implied by old ones (no target)`,
  );
  for (const side of ['old', 'new'] as const) {
    const x = s.input[side];
    const d = x.dropped;
    lines.push(
      `  ${side} set: ${x.rows} rows, ${x.annotations} experimental annotations (${x.altIdMappedRows} rows via alt_id), ${x.proteins} proteins; ` +
        `dropped: ${d.otherEvidenceRows} rows other evidence, ${d.obsoleteTermRows} rows obsolete term, ${d.unknownTermRows} rows unknown term, ` +
        `${x.notQualifiedRows} NOT rows, ${d.notExcludedAnnotations} annotations excluded by NOT`,
    );
  }
  return lines.join('\n');
}

function formatRow(row: EvaluationSetRow): string {
  return formatEvaluationSet({ ...row, old: `${setLabel(row.old_source, row.old_source_version)} (${row.old_annotation_set_id})`, new: `${setLabel(row.new_source, row.new_source_version)} (${row.new_annotation_set_id})` });
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Writes rows as `a<TAB>b` lines to a file or stdout; resolves with the line count. */
async function writeTsv(file: string | undefined, rows: Iterable<readonly [string, string]>): Promise<number> {
  const out: Writable = file ? createWriteStream(file) : process.stdout;
  const opened = file ? once(out, 'open').catch((err: unknown) => {
    throw new ProteaError('INPUT_UNREADABLE', `--out ${file}: cannot write: ${(err as Error).message}`, { file, field: '--out', hint: 'Give a writable path for --out.' });
  }) : Promise.resolve();
  await opened;
  let n = 0;
  let chunk = '';
  for (const [a, b] of rows) {
    chunk += `${a}\t${b}\n`;
    n += 1;
    if (chunk.length >= 1 << 16) {
      await write(out, chunk);
      chunk = '';
    }
  }
  if (chunk) await write(out, chunk);
  if (file) {
    out.end();
    await once(out, 'finish');
  }
  return n;
}

interface SetOptions {
  old?: string;
  new?: string;
  ontology?: string;
  evidence?: string;
  list?: boolean;
  listAnnotationSets?: boolean;
  show?: string;
  export?: string;
  known?: boolean;
  category?: string;
  namespace?: string;
  out?: string;
  json?: boolean;
  limit: string;
}

export async function runEvaluateSet(opts: SetOptions): Promise<void> {
  const modes = [opts.old !== undefined || opts.new !== undefined ? '--old/--new' : null, opts.list ? '--list' : null, opts.listAnnotationSets ? '--list-annotation-sets' : null, opts.show ? '--show' : null, opts.export ? '--export' : null].filter(
    (m): m is string => m !== null,
  );
  if (modes.length !== 1) {
    throw new ProteaError('USAGE', modes.length === 0 ? 'nothing to do: give --old and --new (or --list, --list-annotation-sets, --show ID, --export ID)' : `${modes.join(' and ')} cannot be combined`);
  }
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit <= 0) throw new ProteaError('USAGE', `--limit ${opts.limit}: expected a positive integer`, { field: '--limit' });
  const exportOnly = ['category', 'namespace', 'out', 'known'] as const;
  for (const k of exportOnly) if (opts[k] !== undefined && !opts.export) throw new ProteaError('USAGE', `--${k} goes with --export`, { field: `--${k}` });
  const createOnly = ['ontology', 'evidence'] as const;
  for (const k of createOnly) if (opts[k] !== undefined && opts.old === undefined) throw new ProteaError('USAGE', `--${k} goes with --old and --new`, { field: `--${k}` });
  const [{ annotationSetLabel, createEvaluationSet, evaluationSetPairs, parseCategory, parseEvidenceCodes, parseNamespace, requireEvaluationSet }, { BestEffortJob }, { withQueryPool }, { listAnnotationSets }, { listEvaluationSets }] = await Promise.all([
    import('../../evaluation/sets.js'),
    import('../../lib/best-effort-job.js'),
    import('../../lib/db.js'),
    import('../../lib/queries/annotation-sets.js'),
    import('../../lib/queries/evaluation-sets.js'),
  ]);

  if (opts.old !== undefined || opts.new !== undefined) {
    if (opts.old === undefined || opts.new === undefined) throw new ProteaError('USAGE', 'give both --old and --new', { field: opts.old === undefined ? '--old' : '--new' });
    const req: EvaluationSetRequest = { old: opts.old, new: opts.new, ...(opts.ontology ? { ontology: opts.ontology } : {}), ...(opts.evidence ? { evidenceCodes: parseEvidenceCodes(opts.evidence) } : {}) };
    await withQueryPool(async (db) => {
      const job = await BestEffortJob.start('evaluation_set', { old: req.old, new: req.new, ontology: req.ontology ?? null, evidence: req.evidenceCodes ?? DEFAULT_EVIDENCE_CODES });
      try {
        const report = await createEvaluationSet(req, { db, job });
        const row = await requireEvaluationSet(db, report.id, '--new');
        if (opts.json) console.log(JSON.stringify({ ...row, targets: report.targets, known: report.known, ms: report.ms }, null, 2));
        else console.log(`${formatRow(row)}\n\n${report.targets} ground-truth and ${report.known} known rows stored in ${(report.ms / 1000).toFixed(1)} s`);
      } finally {
        await job.close();
      }
    });
    return;
  }

  await withQueryPool(async (db) => {
    if (opts.listAnnotationSets) {
      const sets = await listAnnotationSets(db, { limit });
      if (opts.json) return void console.log(JSON.stringify(sets, null, 2));
      if (sets.length === 0) return void console.log('no annotation sets yet (protea produce gaf loads one)');
      for (const s of sets) console.log(`${s.id}  ${pad(annotationSetLabel(s), 30)}  ${pad(s.obo_version, 24)}  ${padL(s.rows, 10)} rows  ${when(s.created_at)}`);
      return;
    }
    if (opts.list) {
      const sets = await listEvaluationSets(db, { limit });
      if (opts.json) return void console.log(JSON.stringify(sets, null, 2));
      if (sets.length === 0) return void console.log('no evaluation sets yet (protea evaluate set --old A1 --new A2 builds one)');
      for (const s of sets) {
        const c = s.stats.categories;
        console.log(
          `${s.id}  ${setLabel(s.old_source, s.old_source_version)} -> ${setLabel(s.new_source, s.new_source_version)}  ${s.obo_version}  ` +
            `NK ${c.NK.proteins} LK ${c.LK.proteins} PK ${c.PK.proteins} proteins (delta ${s.stats.deltaProteins})  ${when(s.created_at)}`,
        );
      }
      return;
    }
    if (opts.show) {
      const row = await requireEvaluationSet(db, opts.show, '--show');
      console.log(opts.json ? JSON.stringify(row, null, 2) : formatRow(row));
      return;
    }
    const id = opts.export!;
    await requireEvaluationSet(db, id, '--export');
    if (opts.known && opts.category !== undefined) throw new ProteaError('USAGE', '--category does not go with --known (known terms are PK only)', { field: '--category' });
    const namespace = opts.namespace === undefined ? undefined : parseNamespace(opts.namespace);
    const category = opts.category === undefined ? undefined : parseCategory(opts.category);
    const pairs = await evaluationSetPairs(db, id, { ...(opts.known ? { known: true } : {}), ...(category ? { category } : {}), ...(namespace ? { namespace } : {}) });
    const n = await writeTsv(opts.out, pairs);
    if (opts.out) console.error(`${n} rows written to ${opts.out}`);
  });
}

export function registerEvaluateSet(evaluate: Command): void {
  evaluate
    .command('set')
    .description(
      'build a CAFA-style temporal holdout between two annotation sets (NK/LK/PK targets per protein and namespace, experimental evidence only, ' +
        'NOT annotations excluded with their descendants), or list, show and export evaluation sets',
    )
    .option('--old <set>', 'the older annotation set: id or source@source_version')
    .option('--new <set>', 'the newer annotation set: id or source@source_version')
    .option('--ontology <snapshot>', "ontology snapshot (id or obo_version) both sets are mapped onto by GO id and alt_id (default: the new set's)")
    .option(
      '--evidence <codes>',
      `evidence codes of positive annotations, comma-separated (default: ${DEFAULT_EVIDENCE_CODES.join(',')}: experimental and high-throughput; ` +
        'TAS and IC, which CAFA3 also used, are not included; NOT annotations count with any code)',
    )
    .option('--list', 'list evaluation sets, most recent first')
    .option('--list-annotation-sets', 'list annotation sets (the ids for --old and --new), most recent first')
    .option('--limit <n>', 'rows for --list and --list-annotation-sets', '20')
    .option('--show <id>', "show an evaluation set's stats")
    .option('--export <id>', "write an evaluation set's ground truth as CAFA-evaluator TSV (target<TAB>GO id, no header)")
    .option('--category <category>', 'with --export: only this category, NK, LK or PK (default: all)')
    .option('--namespace <namespace>', 'with --export: only this namespace: BPO, MFO, CCO or the namespace name (default: all)')
    .option('--known', "with --export: write the PK targets' known terms (evaluation_known) instead of the ground truth")
    .option('--out <file>', 'with --export: the TSV file (default: stdout)')
    .option('--json', 'print JSON (building, --list, --list-annotation-sets, --show)')
    .addHelpText(
      'after',
      `
Categories per (protein, namespace) of the new set: NK (no experimental annotation in the old
set), LK (some, none in this namespace), PK (some in this namespace, and the new set adds a term
they do not imply). A NOT annotation drops the positive annotations of the same protein, in the
same set, to its term and to every descendant; a NOT in the old set does not affect the new set.
Terms obsolete or unknown in the ontology snapshot are dropped and counted in the stats.

Examples:
  protea evaluate set --list-annotation-sets
  protea evaluate set --old goa@2023-01-01 --new goa@2024-01-01
  protea evaluate set --export ID --category NK --namespace BPO --out nk_bpo.tsv`,
    )
    .action(async (opts: SetOptions) => runEvaluateSet(opts));
}
