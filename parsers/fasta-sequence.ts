// FASTA sequence normalisation: the one rule that decides which string is
// hashed (MD5 -> protea.sequences key) and embedded. The FASTA parser
// (fasta.ts) passes raw sequences on; the dedup stage (processors/dedup)
// applies this rule, so a bad sequence reaches the dedup DLQ with its offset.
//
// | input                                   | rule        | result / reason                                          |
// |-----------------------------------------|-------------|----------------------------------------------------------|
// | whitespace anywhere (space, tab, CR, LF) | normalised  | removed (change 'whitespace')                            |
// | lower-case letters a-z                   | normalised  | upper-cased (change 'uppercase')                         |
// | one '*' at the very end (stop codon)     | normalised  | removed (change 'trailing_stop')                         |
// | 20 standard letters ACDEFGHIKLMNPQRSTVWY | kept        |                                                          |
// | U (selenocysteine), O (pyrrolysine)      | kept        | real residues (CAFA3 targets contain U)                  |
// | B (D/N), Z (E/Q), J (I/L), X (unknown)   | kept        | UniProt ambiguity codes (CAFA3 targets contain X)        |
// | '-' or '.' (alignment gaps)              | rejected    | 'contains alignment gaps at position N'                  |
// | '*' before the end (or a second '*')     | rejected    | 'internal stop codon at position N'                      |
// | a digit 0-9                              | rejected    | "contains digit 'D' at position N"                       |
// | any other character                      | rejected    | "contains invalid character 'C' (U+XXXX) at position N"  |
// | nothing left after normalisation         | rejected    | 'sequence is empty'                                      |
// | longer than maxLength (default 100000)   | rejected    | 'sequence length L exceeds the maximum of M residues'    |
//
// Positions are 1-based, counted in the sequence after whitespace removal (the
// residue number), and the first offending character in sequence order is the
// one reported. Rejections carry code SEQUENCE_INVALID and go to the dedup
// stage's DLQ. Why gaps are rejected rather than stripped: an aligned sequence
// is not a protein sequence, and stripping would silently hash a different
// protein than the user may think; 'X' is the letter for an unknown residue.
import { createHash } from 'node:crypto';

export const STANDARD_RESIDUES = 'ACDEFGHIKLMNPQRSTVWY';
/** Every letter a normalised sequence may hold: the 20 standard residues, U, O, and the ambiguity codes B, Z, J, X. */
export const ALLOWED_RESIDUES = `${STANDARD_RESIDUES}UOBZJX`;
export const DEFAULT_MAX_SEQUENCE_LENGTH = 100_000;

/** Stable names of the changes normaliseSequence may make. */
export type SequenceChange = 'whitespace' | 'uppercase' | 'trailing_stop';

export type NormalisedSequence =
  | { ok: true; sequence: string; changes: SequenceChange[] }
  | { ok: false; reason: string; code: 'SEQUENCE_INVALID'; position?: number };

export interface NormaliseOptions {
  /** longest accepted sequence, in residues (default 100000) */
  maxLength?: number;
}

const ALLOWED_ONLY = /^[ACDEFGHIKLMNPQRSTVWYUOBZJX]*$/;
const ALLOWED_SET = new Set(ALLOWED_RESIDUES);
const WHITESPACE = /\s/;
const LOWER = /[a-z]/;

function fail(reason: string, position?: number): NormalisedSequence {
  return position === undefined ? { ok: false, reason, code: 'SEQUENCE_INVALID' } : { ok: false, reason, code: 'SEQUENCE_INVALID', position };
}

function describeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0);
  return printable ? `'${c}' (${hex})` : hex;
}

/** Normalises a raw FASTA sequence (see the table above), or says why it is rejected. */
export function normaliseSequence(raw: string, options: NormaliseOptions = {}): NormalisedSequence {
  const maxLength = options.maxLength ?? DEFAULT_MAX_SEQUENCE_LENGTH;
  const changes: SequenceChange[] = [];
  let s = raw;
  if (WHITESPACE.test(s)) {
    s = s.replace(/\s+/g, '');
    changes.push('whitespace');
  }
  if (LOWER.test(s)) {
    // ASCII only: String.prototype.toUpperCase would turn e.g. 'ß' into 'SS' and shift positions
    s = s.replace(/[a-z]+/g, (m) => m.toUpperCase());
    changes.push('uppercase');
  }
  if (s.endsWith('*')) {
    s = s.slice(0, -1);
    changes.push('trailing_stop');
  }
  if (!ALLOWED_ONLY.test(s)) {
    let pos = 0;
    for (const c of s) {
      pos++;
      if (ALLOWED_SET.has(c)) continue;
      if (c === '-' || c === '.') return fail(`contains alignment gaps at position ${pos}`, pos);
      if (c === '*') return fail(`internal stop codon at position ${pos}`, pos);
      if (c >= '0' && c <= '9') return fail(`contains digit '${c}' at position ${pos}`, pos);
      return fail(`contains invalid character ${describeChar(c)} at position ${pos}`, pos);
    }
  }
  if (s.length === 0) return fail('sequence is empty');
  if (s.length > maxLength) return fail(`sequence length ${s.length} exceeds the maximum of ${maxLength} residues`);
  return { ok: true, sequence: s, changes };
}

/** MD5 of a normalised sequence (its UTF-8 bytes) as 32 lower-case hex digits: the protea.sequences key. */
export function md5Hex(sequence: string): string {
  return createHash('md5').update(sequence, 'utf8').digest('hex');
}
