// NCBI taxonomy reader: joins taxdump nodes.dmp (tax_id, parent, rank) with
// the scientific names of names.dmp into ingest.taxonomy records.
//
// Rules (the README copies them):
// - both files use the taxdump layout: fields separated by '\t|\t', each line
//   ending in '\t|' (CRLF and gzip accepted like every reader).
// - names.dmp is read first; only rows of class 'scientific name' are kept
//   (one string per node: about 100 bytes of memory per node, so ~300 MB for
//   the full NCBI taxonomy, ~1.5 MB for the Mammalia subset). Then nodes.dmp is
//   streamed and each node is yielded in file order with its name.
// - a nodes.dmp line with fewer than 3 fields, a tax_id or parent that is not a
//   positive integer, or an empty rank is rejected (INPUT_INVALID) with its file
//   and line; a names.dmp line with fewer than 4 fields or a bad tax_id likewise.
// - a node without a scientific name is kept, with scientific_name '' and a
//   note (its parent link matters for LCA walks more than its label); a second,
//   different scientific name for the same tax_id is ignored with a note (the
//   first wins); identical repeats are ignored silently.
import type { IngestTaxonomyRecord } from '../schemas/generated/types.js';
import { KEYS } from '../topics/catalogue.js';
import { readLines } from './lines.js';
import { clip, withProgress } from './items.js';
import type { LineReader, ReadProgress } from './lines.js';
import type { NoteItem, ReaderIterable, RecordItem, RejectItem } from './items.js';

/** The part of an IngestTaxonomyRecord the reader fills (the producer adds the job). */
export type TaxonomyRecordValue = Omit<IngestTaxonomyRecord, 'job_id'>;

export type TaxonomyItem = RecordItem<TaxonomyRecordValue> | RejectItem | NoteItem;

export interface TaxonomyReadOptions {
  /** names recorded in rejects (default: the paths as given) */
  nodesSourceFile?: string;
  namesSourceFile?: string;
}

/** Splits a taxdump line into its fields (trailing '\t|' removed). */
export function splitDmp(text: string): string[] {
  const body = text.endsWith('\t|') ? text.slice(0, -2) : text.endsWith('|') ? text.slice(0, -1) : text;
  return body.split('\t|\t');
}

const TAX_ID = /^[1-9]\d{0,14}$/;

export function readTaxonomy(nodesFile: string, namesFile: string, opts: TaxonomyReadOptions = {}): ReaderIterable<TaxonomyItem> {
  const names = readLines(namesFile);
  const nodes = readLines(nodesFile);
  // progress over both files: names first, then nodes
  const progress = (): ReadProgress => {
    const a = names.progress();
    const b = nodes.progress();
    return { bytesRead: a.bytesRead + b.bytesRead, totalBytes: a.totalBytes + b.totalBytes, lines: a.lines + b.lines, gzip: b.gzip ?? a.gzip };
  };
  return withProgress(generate(names, nodes, opts), progress);
}

async function* generate(names: LineReader, nodes: LineReader, opts: TaxonomyReadOptions): AsyncGenerator<TaxonomyItem, void, undefined> {
  const namesFile = opts.namesSourceFile ?? names.file;
  const nodesFile = opts.nodesSourceFile ?? nodes.file;
  const scientific = new Map<number, string>();

  for await (const { text, line } of names) {
    if (text.trim().length === 0) continue;
    const f = splitDmp(text);
    if (f.length < 4) {
      yield { kind: 'reject', file: namesFile, line, code: 'INPUT_INVALID', field: 'fields', reason: `names.dmp line has ${f.length} '\\t|\\t'-separated field${f.length === 1 ? '' : 's'}, expected 4 (tax_id, name, unique name, name class)`, raw: clip(text) };
      continue;
    }
    const [id, name, , nameClass] = f as [string, string, string, string];
    if (!TAX_ID.test(id.trim())) {
      yield { kind: 'reject', file: namesFile, line, code: 'INPUT_INVALID', field: 'tax_id', reason: `names.dmp tax_id is not a positive integer: ${JSON.stringify(clip(id, 40))}`, raw: clip(text) };
      continue;
    }
    if (nameClass.trim() !== 'scientific name') continue;
    const taxId = Number(id.trim());
    const previous = scientific.get(taxId);
    if (previous === undefined) scientific.set(taxId, name.trim());
    else if (previous !== name.trim()) yield { kind: 'note', file: namesFile, line, message: `second scientific name ${JSON.stringify(name.trim())} for tax_id ${taxId} ignored (kept ${JSON.stringify(previous)})` };
  }

  for await (const { text, line } of nodes) {
    if (text.trim().length === 0) continue;
    const f = splitDmp(text);
    const reject = (field: string, reason: string): RejectItem => ({ kind: 'reject', file: nodesFile, line, code: 'INPUT_INVALID', field, reason, raw: clip(text) });
    if (f.length < 3) {
      yield reject('fields', `nodes.dmp line has ${f.length} '\\t|\\t'-separated field${f.length === 1 ? '' : 's'}, expected at least 3 (tax_id, parent tax_id, rank)`);
      continue;
    }
    const id = f[0]!.trim();
    const parent = f[1]!.trim();
    const rank = f[2]!.trim();
    if (!TAX_ID.test(id)) {
      yield reject('tax_id', `nodes.dmp tax_id is not a positive integer: ${JSON.stringify(clip(f[0] ?? '', 40))}`);
      continue;
    }
    if (!TAX_ID.test(parent)) {
      yield reject('parent_tax_id', `nodes.dmp parent tax_id of ${id} is not a positive integer: ${JSON.stringify(clip(f[1] ?? '', 40))}`);
      continue;
    }
    if (rank.length === 0) {
      yield reject('rank', `nodes.dmp rank of ${id} is empty`);
      continue;
    }
    const taxId = Number(id);
    let name = scientific.get(taxId);
    if (name === undefined) {
      name = '';
      yield { kind: 'note', file: nodesFile, line, message: `tax_id ${taxId} has no scientific name in names.dmp; kept with an empty name` };
    }
    const value: TaxonomyRecordValue = { tax_id: taxId, parent_tax_id: Number(parent), rank, scientific_name: name };
    yield { kind: 'record', key: KEYS.ingestTaxonomy(value), value };
  }
}
