// protea predictions export: one prediction set from PostgreSQL into a CAFA,
// TSV, Arrow IPC stream or GAF 2.2 file (or stdout). Rows come from a
// server-side cursor in protein order (lib/queries/prediction-export.ts) and
// are grouped one protein at a time (lib/prediction-terms.ts: term scores,
// propagation, --min-score, --top), so memory holds one protein's rows and
// one output batch whatever the size of the set; a slow output pauses the
// cursor. A file is written under a temporary name and renamed when
// complete: an interrupted export never leaves a truncated file under the
// name asked for.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { config } from './config.js';
import { withQueryPool } from './db.js';
import { ProteaError } from './errors.js';
import { PredictionsArrowStream } from './predictions-arrow.js';
import { DEFAULT_CAFA_HEADER, DEFAULT_GAF_REFERENCE, EXPORT_FORMATS, type CafaHeader, type ExportFormat } from './export-options.js';
import {
  CAFA_END,
  cafaHeader,
  cafaLine,
  gafDate,
  gafHeader,
  gafLine,
  gafQualifier,
  tsvHeader,
  tsvLine,
  type ExportRecord,
} from './prediction-formats.js';
import { ancestorsFrom, groupTerms, propagateTerms, selectTerms, type AncestorsOf, type ScoredRow, type TermGroup } from './prediction-terms.js';
import { FEATURE_COLUMNS, loadExportOntology, streamFullRows, streamScoreRows, type FeatureColumn, type FullRow } from './queries/prediction-export.js';
import { resolvePredictionSet, type PredictionSetRow } from './queries/prediction-sets.js';

export interface ExportPredictionsOptions {
  /** prediction set id, or the name of exactly one set */
  set: string;
  format: ExportFormat;
  /** file to write, or '-' for stdout */
  out: string;
  /** scores consistent along is_a/part_of: every ancestor gets max(own, descendants') (not with gaf) */
  propagate?: boolean;
  /** the N best terms per protein (after propagation) */
  top?: number;
  /** terms scoring at least this (after propagation) */
  minScore?: number;
  /** only these query proteins */
  proteins?: readonly string[];
  /** cafa: the header records (false: none) and the decimals of scores (default 2) */
  cafaHeader?: Partial<CafaHeader> | false;
  decimals?: number;
  /** gaf: column 6 (default DEFAULT_GAF_REFERENCE) */
  gafReference?: string;
  /** arrow: rows per record batch */
  batchRows?: number;
  dbUrl?: string;
  /** where '-' writes (default process.stdout) */
  stdout?: Writable;
}

export interface ExportPredictionsResult {
  setId: string;
  format: ExportFormat;
  /** the file written, or '-' */
  file: string;
  proteins: number;
  /** (protein, term) pairs kept after --propagate, --min-score and --top */
  terms: number;
  /** data lines or rows written (header and records not counted) */
  rows: number;
  /** pairs left out: cafa, a missing score or one that rounds to 0; gaf, a NOT-qualified or aspect-less row's term */
  skipped: number;
  bytes: number;
  seconds: number;
}

function check(opts: ExportPredictionsOptions): void {
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
    throw new ProteaError('USAGE', `--format ${String(opts.format)}: expected one of ${EXPORT_FORMATS.join(', ')}`, { field: '--format' });
  }
  if (opts.top !== undefined && !(Number.isInteger(opts.top) && opts.top > 0)) throw new ProteaError('USAGE', `--top ${opts.top}: expected a positive integer`, { field: '--top' });
  if (opts.minScore !== undefined && !Number.isFinite(opts.minScore)) throw new ProteaError('USAGE', `--min-score ${opts.minScore}: expected a number`, { field: '--min-score' });
  if (opts.decimals !== undefined && !(Number.isInteger(opts.decimals) && opts.decimals >= 1 && opts.decimals <= 6)) {
    throw new ProteaError('USAGE', `--decimals ${opts.decimals}: expected an integer from 1 to 6`, { field: '--decimals' });
  }
  if (opts.propagate && opts.format === 'gaf') {
    throw new ProteaError('USAGE', '--propagate: GAF rows are the transferred annotations (their ancestors follow from the ontology); use it with cafa, tsv or arrow', { field: '--propagate' });
  }
  if (!opts.out) throw new ProteaError('USAGE', '--out: give a file, or - for stdout', { field: '--out' });
}

/**
 * A Writable written with backpressure: text is gathered up to 64 KiB, and a
 * write that the stream refuses waits for 'drain'. An error of the stream
 * (EPIPE, disk full) or its closing (an HTTP client gone) fails the next
 * write, and a write waiting for 'drain'. Used by the exports and the API's streams.
 */
export class Output {
  private text = '';
  private failed: Error | null = null;
  bytes = 0;

  constructor(private readonly stream: Writable) {
    stream.on('error', (err) => {
      this.failed = err;
    });
    stream.on('close', () => {
      this.failed ??= new Error('the output was closed');
    });
  }

  async writeText(s: string): Promise<void> {
    this.text += s;
    if (this.text.length >= 1 << 16) await this.flush();
  }

  async writeBytes(chunks: readonly Uint8Array[]): Promise<void> {
    await this.flush();
    for (const c of chunks) await this.raw(c);
  }

  async flush(): Promise<void> {
    if (this.text.length === 0) return;
    const b = Buffer.from(this.text, 'utf8');
    this.text = '';
    await this.raw(b);
  }

  private async raw(chunk: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed;
    this.bytes += chunk.byteLength;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const closed = () => done(new Error('the output was closed'));
        const done = (err?: Error) => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.stream.off('close', closed);
          if (err) reject(err);
          else resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
        this.stream.on('close', closed);
      });
    }
  }
}

/** The export record of a go_prediction row under its term (whose best score is termScore); the API's Arrow answers use it too. */
export function recordOf(r: Omit<FullRow, 'query_taxon' | 'query_symbol'>, termScore: number | null): ExportRecord {
  return {
    protein: r.protein,
    go_id: r.go_id,
    go_name: r.go_name,
    aspect: r.aspect,
    term_score: termScore,
    propagated: false,
    score: r.score,
    ref_protein: r.ref_protein,
    distance: r.distance,
    evidence_code: r.evidence_code,
    qualifier: r.qualifier,
    features: r.features,
  };
}

const NO_FEATURES = Object.freeze(Object.fromEntries(FEATURE_COLUMNS.map(([c]) => [c, null]))) as Readonly<Record<FeatureColumn, null>>;

/** References best first: distance ascending (none last), then accession; each once. */
function refsOf(rows: readonly FullRow[]): string[] {
  const sorted = rows
    .filter((r) => r.ref_protein !== null)
    .sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity) || (a.ref_protein! < b.ref_protein! ? -1 : a.ref_protein! > b.ref_protein! ? 1 : 0));
  return [...new Set(sorted.map((r) => r.ref_protein!))];
}

/** The Arrow schema metadata that names a prediction set (the export and the API's streams). */
export function setMetadataEntries(set: Pick<PredictionSetRow, 'id' | 'kind' | 'name' | 'ontology_snapshot_id' | 'obo_version'>): [string, string][] {
  return [
    ['prediction_set_id', set.id],
    ['kind', set.kind],
    ['name', set.name ?? ''],
    ['ontology_snapshot_id', set.ontology_snapshot_id],
    ['obo_version', set.obo_version],
  ];
}

function arrowMetadata(set: PredictionSetRow, opts: ExportPredictionsOptions): Map<string, string> {
  return new Map([
    ...setMetadataEntries(set),
    ['propagate', String(Boolean(opts.propagate))],
    ['top', opts.top === undefined ? '' : String(opts.top)],
    ['min_score', opts.minScore === undefined ? '' : String(opts.minScore)],
    ['set_meta', JSON.stringify(set.meta)],
    ['created_by', 'protea-stream'],
  ]);
}

/** Streams one protein's rows at a time to `onProtein`; rows come in protein order. */
function perProtein<R extends ScoredRow & { protein: string }>(onProtein: (protein: string, rows: R[]) => Promise<void>) {
  let current: string | null = null;
  let rows: R[] = [];
  return {
    row: async (r: R) => {
      if (r.protein !== current) {
        if (current !== null) await onProtein(current, rows);
        current = r.protein;
        rows = [];
      }
      rows.push(r);
    },
    end: async () => {
      if (current !== null) await onProtein(current, rows);
    },
  };
}

export async function exportPredictions(opts: ExportPredictionsOptions): Promise<ExportPredictionsResult> {
  check(opts);
  const started = Date.now();
  const toStdout = opts.out === '-';
  const partial = `${opts.out}.partial-${process.pid}`;
  const url = opts.dbUrl ?? config().dbUrl;
  const result: ExportPredictionsResult = { setId: '', format: opts.format, file: opts.out, proteins: 0, terms: 0, rows: 0, skipped: 0, bytes: 0, seconds: 0 };

  await withQueryPool(async (db) => {
    // the set and its ontology are read before the output is opened: an unknown set leaves no file
    const set = await resolvePredictionSet(db, opts.set, '--set');
    result.setId = set.id;
    let ancestorsOf: AncestorsOf | null = null;
    let termInfo = new Map<string, { name: string | null; aspect: string | null }>();
    if (opts.propagate) {
      const o = await loadExportOntology(db, set.ontology_snapshot_id);
      ancestorsOf = ancestorsFrom(o.ontology);
      termInfo = o.terms;
    }
    const select = { ...(opts.minScore === undefined ? {} : { minScore: opts.minScore }), ...(opts.top === undefined ? {} : { top: opts.top }) };
    const termsOf = <R extends ScoredRow>(rows: R[]) => {
      const terms = groupTerms(rows);
      if (ancestorsOf) propagateTerms(terms, ancestorsOf);
      const kept = selectTerms(terms.values(), select);
      result.proteins++;
      result.terms += kept.length;
      return kept;
    };
    const filter = opts.proteins ? { proteins: opts.proteins } : {};

    const stream: Writable = toStdout ? (opts.stdout ?? process.stdout) : createWriteStream(partial);
    const out = new Output(stream);
    try {
      if (opts.format === 'cafa') {
        const decimals = opts.decimals ?? 2;
        if (opts.cafaHeader !== false) await out.writeText(cafaHeader({ ...DEFAULT_CAFA_HEADER, ...(opts.cafaHeader ?? {}) }));
        const p = perProtein<{ protein: string; go_id: string; score: number | null }>(async (protein, rows) => {
          for (const t of termsOf(rows)) {
            const line = cafaLine(protein, t.goId, t.score, decimals);
            if (line === null) result.skipped++;
            else {
              result.rows++;
              await out.writeText(line);
            }
          }
        });
        await streamScoreRows(db, set.id, p.row, filter);
        await p.end();
        if (opts.cafaHeader !== false) await out.writeText(CAFA_END);
      } else if (opts.format === 'gaf') {
        const gaf = { reference: opts.gafReference ?? DEFAULT_GAF_REFERENCE, date: gafDate(new Date(set.created_at)) };
        await out.writeText(gafHeader({ setId: set.id, generated: new Date() }));
        const p = perProtein<FullRow>(async (protein, rows) => {
          for (const t of termsOf(rows)) {
            const aspect = t.rows[0]?.aspect ?? null;
            // one line per relation the references give the term (usually one)
            const byQualifier = new Map<string, FullRow[]>();
            for (const r of t.rows) {
              const q = gafQualifier(r.qualifier, aspect);
              if (q === null) continue;
              const list = byQualifier.get(q);
              if (list) list.push(r);
              else byQualifier.set(q, [r]);
            }
            if (aspect === null || byQualifier.size === 0) {
              result.skipped++;
              continue;
            }
            const first = t.rows[0]!;
            for (const [qualifier, qrows] of byQualifier) {
              result.rows++;
              await out.writeText(gafLine({ protein, symbol: first.query_symbol, qualifier, goId: t.goId, aspect, refs: refsOf(qrows), taxon: first.query_taxon }, gaf));
            }
          }
        });
        await streamFullRows(db, set.id, p.row, filter);
        await p.end();
      } else {
        const arrow = opts.format === 'arrow' ? new PredictionsArrowStream(arrowMetadata(set, opts), opts.batchRows) : null;
        if (!arrow) await out.writeText(tsvHeader());
        const emit = async (r: ExportRecord) => {
          result.rows++;
          if (arrow) {
            const bytes = arrow.add(r);
            if (bytes.length > 0) await out.writeBytes(bytes);
          } else await out.writeText(tsvLine(r));
        };
        const p = perProtein<FullRow>(async (protein, rows) => {
          for (const t of termsOf(rows)) {
            if (t.rows.length === 0) {
              const info = termInfo.get(t.goId);
              await emit({ protein, go_id: t.goId, go_name: info?.name ?? null, aspect: info?.aspect ?? null, term_score: t.score, propagated: true, score: null, ref_protein: null, distance: null, evidence_code: null, qualifier: null, features: { ...NO_FEATURES } });
            } else for (const r of t.rows) await emit(recordOf(r, t.score));
          }
        });
        await streamFullRows(db, set.id, p.row, filter);
        await p.end();
        if (arrow) await out.writeBytes(arrow.finish());
      }
      await out.flush();
      result.bytes = out.bytes;
      if (!toStdout) {
        await new Promise<void>((resolve, reject) => {
          stream.once('error', reject);
          stream.end(() => resolve());
        });
        await rename(partial, opts.out);
      }
    } catch (err) {
      if (!toStdout) {
        stream.destroy();
        await rm(partial, { force: true });
      }
      throw err;
    }
  }, url);
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
