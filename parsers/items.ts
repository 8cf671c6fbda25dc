// What every file parser yields: a record (with its message key when the
// parser can compute it), a reject (input that cannot become a record: goes
// to the ingest dead-letter topic with file, line and reason), or a note
// (something skipped on purpose); and the helpers the parsers share to build
// them.
import { ProteaError } from '../lib/errors.js';
import type { ErrorName } from '../lib/errors.js';
import type { LineReader, ReadProgress } from './lines.js';

/** A record a reader produced; `key` is the message key when the reader can compute it. */
export interface RecordItem<T> {
  kind: 'record';
  value: T;
  key: string;
}

/** Codes a reject can carry (ErrorName of lib/errors.ts); the DLQ error_code is `PROTEA_ERR_<code>`. */
export type RejectCode = Extract<ErrorName, 'INPUT_INVALID' | 'SEQUENCE_INVALID' | 'ONTOLOGY_TERM_UNKNOWN'>;

/** Input a reader could not turn into a record: goes to the ingest DLQ with file, line and reason. */
export interface RejectItem {
  kind: 'reject';
  /** file as given to the reader */
  file: string;
  /** 1-based line of the offending text (first line of a multi-line entry) */
  line: number;
  reason: string;
  code: RejectCode;
  /** the offending input text, verbatim (lines joined with '\n'); the DLQ's original_value */
  raw: string;
  /** the field or column at fault, when one is (e.g. 'column 14 (Date)') */
  field?: string;
}

/** Something skipped on purpose (an unknown stanza, a blank GAF line, ...): counted and reported, not an error. */
export interface NoteItem {
  kind: 'note';
  file: string;
  line: number;
  message: string;
}

/** What a reader yields, plus its progress. */
export type ReaderIterable<I> = AsyncGenerator<I, void, undefined> & { progress(): ReadProgress };

/** The ProteaError a reject stands for (code, reason, file/line/field context). */
export function rejectToError(r: RejectItem): ProteaError {
  const ctx: { file: string; line: number; field?: string } = { file: r.file, line: r.line };
  if (r.field !== undefined) ctx.field = r.field;
  return new ProteaError(r.code, r.reason, ctx);
}

/** Wraps a reader's generator so the caller can ask for progress while iterating. */
export function withProgress<I>(gen: AsyncGenerator<I, void, undefined>, lines: LineReader | (() => ReadProgress)): ReaderIterable<I> {
  const progress = typeof lines === 'function' ? lines : () => lines.progress();
  return Object.assign(gen, { progress });
}

/** Cuts a raw text for a reject to at most `max` characters (a DLQ message has a size limit). */
export function clip(text: string, max = 64 * 1024): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more characters]`;
}
