// GAF reader: streams a plain or gzip GAF 2.1/2.2 file into ingest.gaf rows,
// the 17 columns verbatim (http://geneontology.org/docs/go-annotation-file-gaf-format-2.2/).
//
// Rules (the README copies them):
// - lines starting with '!' are comments and skipped; '!gaf-version: X' sets
//   gaf_version for the rows after it (real files put it on line 1, or after
//   other '!' lines). A file without that header is read as GAF 2.1 (the
//   lenient 2.x rules: empty qualifier allowed), with a note at its first row.
// - blank (empty or whitespace-only) lines are skipped silently.
// - a row has 15 to 17 tab-separated columns: missing trailing columns 16-17
//   (older GAF 2.x writers) are empty strings; fewer than 15 or more than 17 is
//   rejected with the count.
// - values are kept verbatim (no trimming, NOT qualifiers such as 'NOT|enables'
//   unchanged) and validated; the first failing rule rejects the row, naming
//   the 1-based column, its name and the value:
//     col 1  DB            non-empty
//     col 2  DB Object ID  non-empty (the accession, part of the message key)
//     col 4  Qualifier     non-empty in GAF 2.2 (a relation is required); may be empty in 2.1
//     col 5  GO ID         'GO:' and 7 digits
//     col 7  Evidence Code non-empty
//     col 9  Aspect        P, F or C
//     col 13 Taxon         'taxon:<id>', optionally '|taxon:<id>' (interacting organism);
//                          the 'NCBITaxon:' prefix of some writers is accepted
//     col 14 Date          YYYYMMDD and a real calendar date
//   Other columns are not checked (symbol, references, taxon, ...). Whether a
//   GO id is a term or an alt_id of the pinned ontology is decided later,
//   against the ontology snapshot (ONTOLOGY_TERM_UNKNOWN), not here.
// - rows carry no key: the producer keys them with KEYS.ingestGaf once the
//   annotation set (source, version) is known.
import type { IngestGafRecord } from '../schemas/generated/types.js';
import { readLines } from './lines.js';
import { clip, withProgress } from './items.js';
import type { NoteItem, ReaderIterable, RejectItem } from './items.js';

/** The part of an IngestGafRecord the reader fills (the producer adds the annotation set and job). */
export type GafRecordValue = Omit<IngestGafRecord, 'source' | 'source_version' | 'obo_version' | 'job_id'>;

/** A GAF row; no key (see above). */
export interface GafRecordItem {
  kind: 'record';
  value: GafRecordValue;
}

export type GafItem = GafRecordItem | RejectItem | NoteItem;

export interface GafReadOptions {
  /** name recorded as source_file and in rejects (default: the path as given) */
  sourceFile?: string;
  /** gaf_version of rows before any '!gaf-version:' header (default '2.1') */
  defaultVersion?: string;
}

/** GAF column names, 1-based index = array index + 1. */
export const GAF_COLUMNS = [
  'DB',
  'DB Object ID',
  'DB Object Symbol',
  'Qualifier',
  'GO ID',
  'DB:Reference',
  'Evidence Code',
  'With (or) From',
  'Aspect',
  'DB Object Name',
  'DB Object Synonym',
  'DB Object Type',
  'Taxon',
  'Date',
  'Assigned By',
  'Annotation Extension',
  'Gene Product Form ID',
] as const;

const KNOWN_VERSIONS = new Set(['1.0', '2.0', '2.1', '2.2']);
const GO_ID = /^GO:\d{7}$/;
const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const TAXON = /^(?:taxon|NCBITaxon):\d+(?:\|(?:taxon|NCBITaxon):\d+)?$/;

/** True for a YYYYMMDD string naming a real calendar date (leap years included). */
export function isGafDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

function col(n: number): string {
  return `column ${n} (${GAF_COLUMNS[n - 1]})`;
}

/** Why a row's columns break the rules, or null when they are fine. */
export function checkGafColumns(c: readonly string[], version: string): { field: string; reason: string } | null {
  const v = (i: number): string => c[i - 1] ?? '';
  const blank = (s: string): boolean => s.trim().length === 0;
  if (blank(v(1))) return { field: col(1), reason: `${col(1)} is empty` };
  if (blank(v(2))) return { field: col(2), reason: `${col(2)} is empty` };
  if (version === '2.2' && blank(v(4))) return { field: col(4), reason: `${col(4)} is empty; GAF 2.2 requires a relation (e.g. 'enables', 'NOT|involved_in')` };
  if (!GO_ID.test(v(5))) return { field: col(5), reason: `${col(5)} is not a GO id ('GO:' and 7 digits): ${JSON.stringify(clip(v(5), 40))}` };
  if (blank(v(7))) return { field: col(7), reason: `${col(7)} is empty` };
  if (v(9) !== 'P' && v(9) !== 'F' && v(9) !== 'C') return { field: col(9), reason: `${col(9)} must be P, F or C: ${JSON.stringify(clip(v(9), 40))}` };
  if (!TAXON.test(v(13))) return { field: col(13), reason: `${col(13)} is not 'taxon:<id>' (optionally '|taxon:<id>'): ${JSON.stringify(clip(v(13), 40))}` };
  if (!DATE.test(v(14))) return { field: col(14), reason: `${col(14)} is not a YYYYMMDD date: ${JSON.stringify(clip(v(14), 40))}` };
  if (!isGafDate(v(14))) return { field: col(14), reason: `${col(14)} is not a real calendar date: ${JSON.stringify(clip(v(14), 40))}` };
  return null;
}

export function readGaf(file: string, opts: GafReadOptions = {}): ReaderIterable<GafItem> {
  const lines = readLines(file);
  return withProgress(generate(file, lines, opts), lines);
}

async function* generate(file: string, lines: ReturnType<typeof readLines>, opts: GafReadOptions): AsyncGenerator<GafItem, void, undefined> {
  const sourceFile = opts.sourceFile ?? file;
  const defaultVersion = opts.defaultVersion ?? '2.1';
  let version: string | null = null;
  let rows = 0;

  for await (const { text, line } of lines) {
    if (text.startsWith('!')) {
      const m = /^!\s*gaf-version\s*:\s*(\S+)/i.exec(text);
      if (m) {
        version = m[1]!;
        if (!KNOWN_VERSIONS.has(version)) yield { kind: 'note', file: sourceFile, line, message: `unknown GAF version ${JSON.stringify(version)}; rows are read with the GAF 2.x rules` };
      }
      continue;
    }
    if (text.trim().length === 0) continue;
    if (version === null) {
      version = defaultVersion;
      yield { kind: 'note', file: sourceFile, line, message: `no '!gaf-version:' header before the first row; read as GAF ${defaultVersion}` };
    }
    rows++;
    const c = text.split('\t');
    if (c.length < 15 || c.length > 17) {
      yield { kind: 'reject', file: sourceFile, line, code: 'INPUT_INVALID', field: 'columns', reason: `expected 15 to 17 tab-separated columns (GAF ${version}), found ${c.length}`, raw: clip(text) };
      continue;
    }
    const bad = checkGafColumns(c, version);
    if (bad) {
      yield { kind: 'reject', file: sourceFile, line, code: 'INPUT_INVALID', field: bad.field, reason: bad.reason, raw: clip(text) };
      continue;
    }
    const v = (i: number): string => c[i - 1] ?? '';
    yield {
      kind: 'record',
      value: {
        source_file: sourceFile,
        line,
        gaf_version: version,
        db: v(1),
        db_object_id: v(2),
        db_object_symbol: v(3),
        qualifier: v(4),
        go_id: v(5),
        db_reference: v(6),
        evidence_code: v(7),
        with_from: v(8),
        aspect: v(9),
        db_object_name: v(10),
        db_object_synonym: v(11),
        db_object_type: v(12),
        taxon: v(13),
        date: v(14),
        assigned_by: v(15),
        annotation_extension: v(16),
        gene_product_form_id: v(17),
      },
    };
  }
  if (rows === 0) yield { kind: 'note', file: sourceFile, line: 0, message: 'the file holds no annotation row' };
}
