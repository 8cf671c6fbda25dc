// Importing predictions: another tool's predictions (CAFA format) become a
// prediction set (kind 'imported') with one go_prediction row per (protein,
// term), evaluated like any other set by `protea evaluate run`. Shared by
// `protea evaluate import`, the demo and the tests.
//
// Input rules (CAFA submission format; lines parsed by evaluation/files.ts,
// the same parser `protea evaluate files` uses):
// - `target<TAB>term<TAB>score` (any run of tabs/spaces separates fields),
//   plain or gzip; blank lines skipped; columns after the third ignored.
// - the CAFA submission records AUTHOR, MODEL, KEYWORDS, ACCURACY and END are
//   skipped (AUTHOR, MODEL and KEYWORDS are kept in the set's meta), and so is
//   a column header as the first non-blank line.
// - a malformed line (fewer than three fields, a score that is not a number or
//   is outside [0, 1]) ABORTS the import naming file:line and the reason, and
//   nothing is stored: a skipped line would change the metrics silently.
// - GO ids are mapped onto the ontology snapshot: alt_ids to their term; ids
//   obsolete there or unknown to it are left out, counted and reported (with
//   examples), never silently lost.
// - the same target and term more than once (also via an alt_id): one row
//   keeping the maximum score, as the evaluator does with duplicates.
// - ref_protein_accession and distance are NULL (an imported prediction has no
//   reference protein).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { predictionLineParser } from './files.js';
import { buildOntology } from './ontology.js';
import { obsoleteIds } from './temporal-holdout.js';
import type { DatabasePool } from '../lib/db.js';
import type { PgPool } from '../lib/copy.js';
import { ProteaError, classify } from '../lib/errors.js';
import { BestEffortJob } from '../lib/best-effort-job.js';
import { Progress } from '../lib/progress.js';
import { goTermIds, loadOntologyTerms, resolveOntologySnapshot } from '../lib/queries/ontology-terms.js';
import { defaultImportSnapshot, importPredictionSet, type ImportedPrediction } from '../lib/queries/prediction-sets.js';
import { readLines } from '../parsers/lines.js';

export interface ImportRequest {
  file: string;
  format: 'cafa';
  /** the prediction set's name (default: the file's base name) */
  name?: string;
  /** ontology snapshot id or obo_version (default: the only complete one loaded) */
  ontology?: string;
}

export interface ImportSummary {
  predictionSetId: string;
  name: string;
  jobId: string | null;
  ontology: { snapshotId: string; oboVersion: string };
  file: string;
  /** lines of the file */
  lines: number;
  /** prediction lines parsed */
  predictionLines: number;
  /** go_prediction rows written: distinct (target, term) */
  predictions: number;
  proteins: number;
  /** prediction lines that repeat a (target, term) already read: merged, maximum score kept */
  duplicates: number;
  altIdMapped: number;
  obsolete: { lines: number; terms: number; examples: string[] };
  unknown: { lines: number; terms: number; examples: string[] };
  /** the CAFA submission header, when the file has one */
  header: { author: string | null; model: string | null; keywords: string | null };
  ms: number;
}

const BATCH = 50_000;
const EXAMPLES = 5;

/** Term lookup of a snapshot: GO id or alt_id -> go_term.id (kept terms only), and which ids are obsolete. */
async function termLookup(db: DatabasePool, snapshotId: string) {
  const terms = await loadOntologyTerms(db, snapshotId);
  const ontology = buildOntology(terms);
  const ids = await goTermIds(db, snapshotId, Array.from({ length: ontology.size }, (_, i) => ontology.id(i)));
  const obsolete = obsoleteIds(terms);
  return {
    terms: terms.length,
    /** go_term.id and whether the id given was an alt_id; undefined: obsolete or unknown */
    resolve(goId: string): { id: number; alt: boolean } | undefined {
      const i = ontology.resolve(goId);
      if (i === undefined) return undefined;
      const primary = ontology.id(i);
      const id = ids.get(primary);
      return id === undefined ? undefined : { id, alt: primary !== goId };
    },
    isObsolete: (goId: string) => obsolete.has(goId),
  };
}

/**
 * Reads a CAFA prediction file and stores it as an imported prediction set in
 * one transaction (see the rules at the top of this file). EVALUATION_EMPTY
 * when no line names a term of the snapshot.
 */
export async function importPredictions(req: ImportRequest, opts: { db: DatabasePool; copyPool: PgPool; job?: BestEffortJob | null; progress?: NodeJS.WriteStream | null }): Promise<ImportSummary> {
  const t0 = Date.now();
  const { db } = opts;
  const job = opts.job ?? null;
  if (req.format !== 'cafa') throw new ProteaError('USAGE', `--format ${String(req.format)}: only cafa is supported`, { field: '--format' });
  const name = req.name ?? path.basename(req.file);
  // the file first: a wrong path should not wait on the database to be named
  const info = await stat(req.file).catch(() => null);
  if (!info?.isFile()) throw new ProteaError('INPUT_UNREADABLE', `cannot read ${req.file}: ${info ? 'not a regular file' : 'no such file'}`, { file: req.file });
  await job?.emit('created', (j) => j.created(`import ${req.file} as prediction set "${name}"`));
  await job?.emit('started', (j) => j.started());
  try {
    const snapshot = req.ontology ? await resolveOntologySnapshot(db, req.ontology, '--ontology') : await defaultImportSnapshot(db);
    const lookup = await termLookup(db, snapshot.id);

    const reader = readLines(req.file);
    const bar = opts.progress === null ? undefined : new Progress({ label: path.basename(req.file), total: 0, ...(opts.progress ? { stream: opts.progress } : {}) });
    const parse = predictionLineParser(req.file);
    const header: ImportSummary['header'] = { author: null, model: null, keywords: null };
    const obsolete = { lines: 0, ids: new Set<string>() };
    const unknown = { lines: 0, ids: new Set<string>() };
    const proteins = new Set<string>();
    let lines = 0;
    let predictionLines = 0;
    let altIdMapped = 0;
    let usable = 0;
    let lastEvent = Date.now();

    async function* batches(): AsyncGenerator<ImportedPrediction[]> {
      let batch: ImportedPrediction[] = [];
      for await (const { text, line } of reader) {
        lines = line;
        const record = /^(AUTHOR|MODEL|KEYWORDS)\s+(.*)$/.exec(text.trim());
        if (record) header[record[1]!.toLowerCase() as keyof typeof header] = record[2]!.trim();
        const p = parse(text, line);
        if (!p) continue;
        predictionLines += 1;
        const term = lookup.resolve(p.term);
        if (!term) {
          const into = lookup.isObsolete(p.term) ? obsolete : unknown;
          into.lines += 1;
          into.ids.add(p.term);
          continue;
        }
        if (term.alt) altIdMapped += 1;
        usable += 1;
        proteins.add(p.target);
        batch.push([p.target, term.id, p.score]);
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
          const pr = reader.progress();
          bar?.setTotal(pr.totalBytes);
          bar?.update(pr.bytesRead, predictionLines);
          if (Date.now() - lastEvent >= 2000) {
            lastEvent = Date.now();
            await job?.emit('progress', (j) => j.progress(predictionLines, null, `${predictionLines} prediction lines read`));
          }
        }
      }
      if (batch.length > 0) yield batch;
    }

    const summaryMeta = () => ({
      format: 'cafa',
      file: path.resolve(req.file),
      header,
      lines,
      prediction_lines: predictionLines,
      alt_id_mapped: altIdMapped,
      obsolete: { lines: obsolete.lines, terms: obsolete.ids.size, examples: [...obsolete.ids].slice(0, EXAMPLES) },
      unknown: { lines: unknown.lines, terms: unknown.ids.size, examples: [...unknown.ids].slice(0, EXAMPLES) },
    });
    const report = await importPredictionSet(opts.copyPool, { kind: 'imported', name, ontologySnapshotId: snapshot.id, meta: summaryMeta, jobId: job?.id ?? null }, batches(), () => {
      if (usable === 0) {
        throw new ProteaError(
          'EVALUATION_EMPTY',
          `${req.file}: no prediction names a term of ontology ${snapshot.obo_version} (${predictionLines} prediction lines: ${obsolete.lines} on obsolete terms, ${unknown.lines} on unknown ids, e.g. ${[...unknown.ids, ...obsolete.ids].slice(0, EXAMPLES).join(', ') || 'none'})`,
          { file: req.file, hint: 'Import against the GO release the predictions were made with (--ontology), or check the file is target<TAB>GO id<TAB>score.' },
        );
      }
    });
    bar?.finish(predictionLines);
    const summary: ImportSummary = {
      predictionSetId: report.id,
      name,
      jobId: job?.id ?? null,
      ontology: { snapshotId: snapshot.id, oboVersion: snapshot.obo_version },
      file: req.file,
      lines,
      predictionLines,
      predictions: report.written,
      proteins: proteins.size,
      duplicates: report.staged - report.written,
      altIdMapped,
      obsolete: { lines: obsolete.lines, terms: obsolete.ids.size, examples: [...obsolete.ids].slice(0, EXAMPLES) },
      unknown: { lines: unknown.lines, terms: unknown.ids.size, examples: [...unknown.ids].slice(0, EXAMPLES) },
      header,
      ms: Date.now() - t0,
    };
    if (obsolete.lines + unknown.lines > 0) {
      await job?.warn('terms_left_out', `${obsolete.lines} prediction lines on obsolete terms and ${unknown.lines} on ids unknown to ${snapshot.obo_version} were left out`, {
        file: req.file,
        obsolete: summary.obsolete,
        unknown: summary.unknown,
      });
    }
    await job?.emit('finished', (j) => j.finished('succeeded', { current: predictionLines, total: predictionLines, message: `prediction set ${report.id}: ${report.written} predictions of ${proteins.size} proteins` }));
    return summary;
  } catch (err) {
    const e = classify(err);
    await job?.emit('finished', (j) => j.finished('failed', { message: e.message, errorCode: e.code }));
    throw e;
  }
}
