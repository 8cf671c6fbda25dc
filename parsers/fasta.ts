// FASTA parser: streams a plain or gzip FASTA file into raw ingest.fasta
// records (header and sequence as read) keyed by accession (fasta-header.ts).
//
// What is decided here and what in the dedup stage:
// - here (reader rejects, INPUT_INVALID, ingest DLQ): what cannot become a
//   keyed record at all:
//     * text before the first '>' (one reject for the whole block, at its
//       first non-blank line);
//     * a header whose accession is empty ('>', '> ', '>sp||NAME ...'): no key;
//       its sequence lines are rejected with it;
//     * a raw sequence longer than `maxRawLength` characters (default 1,000,000):
//       too large for one Kafka message; it is not accumulated (bounded memory).
// - in the dedup stage (normaliseSequence of fasta-sequence.ts,
//   SEQUENCE_INVALID, dedup DLQ):
//   everything about the sequence's content: empty sequence (a header-only
//   entry), case, '*', gaps, digits, unknown letters, length limit. The reader
//   passes such entries on unchanged, so a user sees every entry of the file
//   either as a record or as a reject with its line.
// - duplicate accessions are both passed on (the dedup stage and the sinks
//   decide: the latest protein message per accession wins in the compacted
//   topic).
// - blank lines are ignored everywhere; lines of an entry are concatenated
//   with their terminators removed, otherwise raw (case, spaces, '*' kept).
import type { IngestFastaRecord } from '../schemas/generated/types.js';
import { KEYS } from '../topics/catalogue.js';
import { parseFastaHeader } from './fasta-header.js';
import { readLines } from './lines.js';
import { clip, withProgress } from './items.js';
import type { NoteItem, ReaderIterable, RecordItem, RejectItem } from './items.js';

/** The part of an IngestFastaRecord the reader fills (the producer adds job, source and query set). */
export type FastaRecordValue = Omit<IngestFastaRecord, 'job_id' | 'source' | 'query_set_id' | 'query_set_name'>;

export type FastaItem = RecordItem<FastaRecordValue> | RejectItem | NoteItem;

export interface FastaReadOptions {
  /** name recorded as source_file and in rejects (default: the path as given) */
  sourceFile?: string;
  /** longest raw sequence accepted, in characters (default 1,000,000) */
  maxRawLength?: number;
}

export const DEFAULT_MAX_RAW_SEQUENCE = 1_000_000;

export function readFasta(file: string, opts: FastaReadOptions = {}): ReaderIterable<FastaItem> {
  const lines = readLines(file);
  return withProgress(generate(file, lines, opts), lines);
}

async function* generate(file: string, lines: ReturnType<typeof readLines>, opts: FastaReadOptions): AsyncGenerator<FastaItem, void, undefined> {
  const sourceFile = opts.sourceFile ?? file;
  const maxRaw = opts.maxRawLength ?? DEFAULT_MAX_RAW_SEQUENCE;

  // the entry being read
  let header: string | null = null;
  let headerLine = 0;
  let parts: string[] = [];
  let rawLength = 0;
  let tooLong = false;
  // text before the first header
  let preamble: string[] = [];
  let preambleLine = 0;
  let preambleCount = 0;
  let entries = 0;

  function finish(): FastaItem | null {
    if (header === null) return null;
    entries++;
    const h = header;
    const accession = parseFastaHeader(h).accession;
    const seq = parts.join('');
    header = null;
    parts = [];
    if (accession.length === 0) {
      return { kind: 'reject', file: sourceFile, line: headerLine, code: 'INPUT_INVALID', field: 'header', reason: 'FASTA header has an empty accession', raw: clip(seq.length > 0 ? `>${h}\n${seq}` : `>${h}`) };
    }
    if (tooLong) {
      return { kind: 'reject', file: sourceFile, line: headerLine, code: 'INPUT_INVALID', field: 'sequence', reason: `raw sequence of ${accession} is longer than ${maxRaw} characters (${rawLength})`, raw: clip(`>${h}`) };
    }
    return { kind: 'record', key: KEYS.ingestFasta(accession), value: { header: h, sequence: seq, source_file: sourceFile, line: headerLine } };
  }

  for await (const { text, line } of lines) {
    if (text.startsWith('>')) {
      if (preamble.length > 0) {
        yield { kind: 'reject', file: sourceFile, line: preambleLine, code: 'INPUT_INVALID', reason: `text before the first '>' header (${preambleCount} line${preambleCount === 1 ? '' : 's'})`, raw: clip(preamble.join('\n')) };
        preamble = [];
        preambleCount = 0;
      }
      const done = finish();
      if (done) yield done;
      header = text.slice(1);
      headerLine = line;
      rawLength = 0;
      tooLong = false;
      continue;
    }
    if (text.trim().length === 0) continue;
    if (header === null) {
      if (preambleCount === 0) preambleLine = line;
      preambleCount++;
      if (preamble.length < 1000) preamble.push(text);
      continue;
    }
    rawLength += text.length;
    if (tooLong) continue;
    if (rawLength > maxRaw) {
      tooLong = true;
      parts = [];
      continue;
    }
    parts.push(text);
  }
  if (preamble.length > 0) {
    yield { kind: 'reject', file: sourceFile, line: preambleLine, code: 'INPUT_INVALID', reason: `text before the first '>' header (${preambleCount} line${preambleCount === 1 ? '' : 's'}); the file has no FASTA header`, raw: clip(preamble.join('\n')) };
  }
  const done = finish();
  if (done) yield done;
  if (entries === 0) yield { kind: 'note', file: sourceFile, line: 0, message: 'the file holds no FASTA entry' };
}
