// Protein sequences for tests that need many distinct ones, and the records
// the sequences topic carries for them (key and md5 = MD5 of the sequence).
import { createHash, randomBytes } from 'node:crypto';
import type { SequenceRecord } from '../../schemas/generated/types.js';
import type { SeededRandom } from './seeded-random.js';

/** The 20 standard amino acids: every letter the dedup stage and the sinks accept. */
export const AMINO_ACIDS = 'ACDEFGHIKLMNPQRSTVWY';

/** Hex MD5 of the UTF-8 bytes: the key of a sequence everywhere in the pipeline. */
export const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/**
 * A random amino-acid string of minLength to maxLength letters: drawn from
 * `random` when given (a seeded test replays it), otherwise from crypto
 * randomness (distinct across runs).
 */
export function randomSequence(minLength: number, maxLength: number, random?: SeededRandom): string {
  if (random) {
    const len = random.int(minLength, maxLength);
    let s = '';
    for (let i = 0; i < len; i++) s += AMINO_ACIDS[Math.floor(random.next() * AMINO_ACIDS.length)];
    return s;
  }
  const len = minLength + Math.floor(Math.random() * (maxLength - minLength + 1));
  const bytes = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += AMINO_ACIDS[bytes[i]! % AMINO_ACIDS.length];
  return s;
}

/** The sequences-topic record of a sequence, with no first job. */
export function sequenceRecord(sequence: string): SequenceRecord {
  return { md5: md5(sequence), sequence, length: sequence.length, first_seen_job_id: null };
}

/**
 * `seq` with `n` substitutions spread evenly along it, each residue replaced
 * by another standard one: a homologue whose distance grows with n.
 */
export function withSubstitutions(seq: string, n: number): string {
  const out = seq.split('');
  for (let k = 0; k < n; k++) {
    const at = Math.floor(((k + 0.5) * seq.length) / n);
    out[at] = AMINO_ACIDS[(AMINO_ACIDS.indexOf(out[at]!) + 7) % AMINO_ACIDS.length]!;
  }
  return out.join('');
}
