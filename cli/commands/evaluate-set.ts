// protea evaluate set: the CAFA-style temporal holdout between two annotation
// sets (evaluation/temporal-holdout.ts has the rules), stored as an
// evaluation_set with its ground truth and known terms; listing, showing and
// exporting the ground truth as CAFA-evaluator TSV (`target<TAB>term`).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { buildOntology } from '../../evaluation/ontology.js';
import { DEFAULT_EVIDENCE_CODES, obsoleteIds, TemporalHoldoutBuilder, type EvaluationSetStats, type HoldoutAnnotation, type HoldoutSetStats } from '../../evaluation/temporal-holdout.js';
import { CATEGORIES, type Category } from '../../evaluation/types.js';
import { withQueryPool, type DatabasePool } from '../../lib/db.js';
import { ProteaError, classify } from '../../lib/errors.js';
import { BestEffortJob } from '../../lib/best-effort-job.js';
import type { JobReporter } from '../../lib/jobs.js';
import { logger } from '../../lib/log.js';
import { Progress } from '../../lib/progress.js';
import { listAnnotationSets, loadEvidenceRows, resolveAnnotationSet, type AnnotationSetRow } from '../../lib/queries/annotation-sets.js';
import { getEvaluationSet, groundTruthRows, insertEvaluationSet, knownRows, listEvaluationSets, type EvaluationSetRow } from '../../lib/queries/evaluation-sets.js';
import { goTermIds, loadOntologyTerms, resolveOntologySnapshot } from '../../lib/queries/ontology-terms.js';

export interface EvaluationSetRequest {
  /** older annotation set: id or source@source_version */
  old: string;
  /** newer annotation set: id or source@source_version */
  new: string;
  /** ontology snapshot (id or obo_version) both sets are mapped onto; default: the new set's */
  ontology?: string;
  /** evidence codes of positive annotations; default DEFAULT_EVIDENCE_CODES */
  evidenceCodes?: readonly string[];
}

export interface EvaluationSetRunOptions {
  db: DatabasePool;
  /** reports the build as a job (operation 'evaluation_set'); null or absent: no job */
  job?: BestEffortJob | JobReporter | null;
  /** where progress bars go (stderr by default); null for none */
  progress?: NodeJS.WriteStream | null;
}

export interface EvaluationSetReport {
  id: string;
  jobId: string | null;
  stats: EvaluationSetStats;
  targets: number;
  known: number;
  ms: number;
}

const log = () => logger('evaluate-set');

const STEPS = 5;

/** Evidence codes from a comma- or space-separated list; USAGE for anything that is not a GO evidence code. */
export function parseEvidenceCodes(value: string): string[] {
  const codes = [...new Set(value.split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase()))];
  if (codes.length === 0) throw new ProteaError('USAGE', '--evidence: no evidence code given', { field: '--evidence' });
  for (const c of codes) {
    if (!/^[A-Z]{2,4}$/.test(c)) throw new ProteaError('USAGE', `--evidence: "${c}" is not a GO evidence code (2 to 4 letters, e.g. EXP, IDA, HTP)`, { field: '--evidence' });
  }
  return codes;
}

const NAMESPACE_ALIASES: Record<string, string> = {
  BPO: 'biological_process',
  BP: 'biological_process',
  P: 'biological_process',
  MFO: 'molecular_function',
  MF: 'molecular_function',
  F: 'molecular_function',
  CCO: 'cellular_component',
  CC: 'cellular_component',
  C: 'cellular_component',
};

/** BPO/MFO/CCO (or BP, P, ...) to the GO namespace name; anything else verbatim. */
export function parseNamespace(value: string): string {
  return NAMESPACE_ALIASES[value.toUpperCase()] ?? value;
}

function parseCategory(value: string): Category {
  const c = value.toUpperCase();
  if (!(CATEGORIES as readonly string[]).includes(c)) throw new ProteaError('USAGE', `--category ${value}: expected NK, LK or PK`, { field: '--category' });
  return c as Category;
}

function label(set: AnnotationSetRow): string {
  return `${set.source}@${set.source_version ?? ''}`;
}

/** Streams one set's rows into the builder with a progress bar (total: the set's rows). */
async function readRows(db: DatabasePool, set: AnnotationSetRow, codes: readonly string[], add: (row: HoldoutAnnotation) => void, which: string, progress: NodeJS.WriteStream | null | undefined) {
  let n = 0;
  const bar = progress === null ? undefined : new Progress({ label: `${which} ${label(set)}`, total: set.rows, ...(progress ? { stream: progress } : {}) });
  const report = await loadEvidenceRows(db, set.id, codes, (row) => {
    add(row);
    if ((++n & 0x3fff) === 0) bar?.update(n, n);
  });
  bar?.finish(n);
  return report;
}

/** What the sets held, for an EVALUATION_EMPTY message. */
function describeInput(which: string, set: AnnotationSetRow, s: HoldoutSetStats): string {
  const d = s.dropped;
  return (
    `${which} ${label(set)}: ${s.rows} rows, ${s.annotations} experimental annotations, ${s.proteins} proteins with annotations left ` +
    `(dropped: ${d.otherEvidenceRows} rows with other evidence, ${d.obsoleteTermRows} on obsolete and ${d.unknownTermRows} on unknown terms, ` +
    `${d.notExcludedAnnotations} annotations excluded by NOT)`
  );
}

/**
 * Builds and stores the evaluation set of two annotation sets; throws
 * NOT_FOUND (unknown set or snapshot), USAGE (the same set twice),
 * EVALUATION_EMPTY (no target; the message says what was found).
 */
export async function createEvaluationSet(req: EvaluationSetRequest, opts: EvaluationSetRunOptions): Promise<EvaluationSetReport> {
  const t0 = Date.now();
  const { db } = opts;
  const job = opts.job instanceof BestEffortJob ? opts.job : BestEffortJob.of(opts.job ?? null);
  const evidenceCodes = [...(req.evidenceCodes ?? DEFAULT_EVIDENCE_CODES)];
  let last = t0;
  // each step: a log line with its duration, and a job progress event
  const step = async (n: number, message: string) => {
    log().info({ step: n, of: STEPS, ms: Date.now() - last }, message);
    last = Date.now();
    await job.emit('progress', (j) => j.progress(n, STEPS, message));
  };
  await job.emit('created', (j) => j.created(`evaluation set ${req.old} -> ${req.new}`));
  await job.emit('started', (j) => j.started(STEPS));
  try {
    const oldSet = await resolveAnnotationSet(db, req.old, '--old');
    const newSet = await resolveAnnotationSet(db, req.new, '--new');
    if (oldSet.id === newSet.id) {
      throw new ProteaError('USAGE', `--old and --new are the same annotation set (${oldSet.id}, ${label(oldSet)}): a temporal holdout needs an older and a newer set`, { field: '--new' });
    }
    const snapshot = await resolveOntologySnapshot(db, req.ontology ?? newSet.ontology_snapshot_id, '--ontology');
    if (!snapshot.complete) log().warn({ snapshot: snapshot.id, terms: snapshot.terms_loaded, expected: snapshot.term_count }, 'the ontology snapshot is not completely loaded; terms it lacks are dropped');

    const terms = await loadOntologyTerms(db, snapshot.id);
    const ontology = buildOntology(terms);
    const obsolete = obsoleteIds(terms);
    await step(1, `ontology ${snapshot.obo_version}: ${terms.length} terms`);

    const builder = new TemporalHoldoutBuilder(ontology, { evidenceCodes, isObsolete: (id) => obsolete.has(id) });
    const before = await readRows(db, oldSet, evidenceCodes, (row) => builder.addOld(row), 'old', opts.progress);
    await step(2, `old set ${label(oldSet)}: ${before.loaded} rows read`);
    const after = await readRows(db, newSet, evidenceCodes, (row) => builder.addNew(row), 'new', opts.progress);
    await step(3, `new set ${label(newSet)}: ${after.loaded} rows read`);
    // rows the SQL filter left out: counted in, so the stats describe the whole sets
    builder.skipped('old', { rows: before.total - before.loaded, otherEvidenceRows: before.otherEvidence });
    builder.skipped('new', { rows: after.total - after.loaded, otherEvidenceRows: after.otherEvidence });
    const holdout = builder.finish();
    await step(4, `${holdout.targets.length} ground-truth annotations of ${holdout.stats.deltaProteins} proteins`);

    if (holdout.targets.length === 0) {
      throw new ProteaError(
        'EVALUATION_EMPTY',
        `no target between ${label(oldSet)} and ${label(newSet)} on ${snapshot.obo_version} with evidence ${evidenceCodes.join(',')}: ` +
          `${describeInput('old', oldSet, holdout.stats.input.old)}; ${describeInput('new', newSet, holdout.stats.input.new)}; ` +
          `${holdout.stats.impliedOnly} protein/namespace pairs had new annotations that the old ones already implied`,
        { field: '--new' },
      );
    }

    const stats: EvaluationSetStats = {
      ...holdout.stats,
      ontology: { snapshotId: snapshot.id, oboVersion: snapshot.obo_version },
      annotationSets: {
        old: { id: oldSet.id, source: oldSet.source, sourceVersion: oldSet.source_version, oboVersion: oldSet.obo_version },
        new: { id: newSet.id, source: newSet.source, sourceVersion: newSet.source_version, oboVersion: newSet.obo_version },
      },
    };
    const ids = await goTermIds(db, snapshot.id, [...holdout.targets.map((t) => t.term), ...holdout.known.map((k) => k.term)]);
    const termId = (goId: string): number => {
      const id = ids.get(goId);
      if (id === undefined) throw new ProteaError('INTERNAL', `term ${goId} of snapshot ${snapshot.id} has no go_term row`);
      return id;
    };
    const id = await insertEvaluationSet(db, {
      oldAnnotationSetId: oldSet.id,
      newAnnotationSetId: newSet.id,
      ontologySnapshotId: snapshot.id,
      stats,
      jobId: job.id,
      targets: holdout.targets.map((t) => ({ category: t.category, namespace: t.namespace, protein: t.protein, goTermId: termId(t.term) })),
      known: holdout.known.map((k) => ({ namespace: k.namespace, protein: k.protein, goTermId: termId(k.term) })),
    });
    log().info({ step: STEPS, of: STEPS, ms: Date.now() - last }, `stored evaluation set ${id}`);
    const ms = Date.now() - t0;
    await job.emit('finished', (j) =>
      j.finished('succeeded', { current: STEPS, total: STEPS, message: `evaluation set ${id}: ${holdout.targets.length} ground-truth annotations of ${stats.deltaProteins} proteins` }),
    );
    return { id, jobId: job.id, stats, targets: holdout.targets.length, known: holdout.known.length, ms };
  } catch (err) {
    const e = classify(err);
    await job.emit('finished', (j) => j.finished('failed', { message: e.message, errorCode: e.code }));
    throw e;
  }
}

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


async function requireSet(db: DatabasePool, id: string, option: string): Promise<EvaluationSetRow> {
  const row = await getEvaluationSet(db, id);
  if (!row) throw new ProteaError('NOT_FOUND', `${option}: no evaluation set has the id ${id}`, { field: option, hint: 'List the evaluation sets with `protea evaluate set --list`.' });
  return row;
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

  if (opts.old !== undefined || opts.new !== undefined) {
    if (opts.old === undefined || opts.new === undefined) throw new ProteaError('USAGE', 'give both --old and --new', { field: opts.old === undefined ? '--old' : '--new' });
    const req: EvaluationSetRequest = { old: opts.old, new: opts.new, ...(opts.ontology ? { ontology: opts.ontology } : {}), ...(opts.evidence ? { evidenceCodes: parseEvidenceCodes(opts.evidence) } : {}) };
    await withQueryPool(async (db) => {
      const job = await BestEffortJob.start('evaluation_set', { old: req.old, new: req.new, ontology: req.ontology ?? null, evidence: req.evidenceCodes ?? DEFAULT_EVIDENCE_CODES });
      try {
        const report = await createEvaluationSet(req, { db, job });
        const row = await requireSet(db, report.id, '--new');
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
      for (const s of sets) console.log(`${s.id}  ${pad(label(s), 30)}  ${pad(s.obo_version, 24)}  ${padL(s.rows, 10)} rows  ${when(s.created_at)}`);
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
      const row = await requireSet(db, opts.show, '--show');
      console.log(opts.json ? JSON.stringify(row, null, 2) : formatRow(row));
      return;
    }
    const id = opts.export!;
    await requireSet(db, id, '--export');
    const namespace = opts.namespace === undefined ? undefined : parseNamespace(opts.namespace);
    let n: number;
    if (opts.known) {
      if (opts.category !== undefined) throw new ProteaError('USAGE', '--category does not go with --known (known terms are PK only)', { field: '--category' });
      const rows = await knownRows(db, id, namespace ? { namespace } : {});
      n = await writeTsv(opts.out, rows.map((r) => [r.protein_accession, r.go_id] as const));
    } else {
      const category = opts.category === undefined ? undefined : parseCategory(opts.category);
      const rows = await groundTruthRows(db, id, { ...(category ? { category } : {}), ...(namespace ? { namespace } : {}) });
      n = await writeTsv(opts.out, rows.map((r) => [r.protein_accession, r.go_id] as const));
    }
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
