// What the aligners see of a sequence: upper case, every letter outside
// BLOSUM62's alphabet (U, O, J, digits, ...) as X -- as bench/sw-best-hits.py
// does for U and O, and as parasail's own mapper would otherwise treat them
// arbitrarily. Both implementations (parasail, TypeScript) get the same text.
import { ALPHABET, X_INDEX } from './blosum62.js';

const INDEX = new Uint8Array(256).fill(X_INDEX);
for (let i = 0; i < ALPHABET.length; i++) {
  INDEX[ALPHABET.charCodeAt(i)] = i;
  INDEX[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}
const KNOWN = /^[ARNDCQEGHILKMFPSTWYVBZX*]*$/;

/** The sequence as the aligners align it. */
export function normalizeSequence(seq: string): string {
  if (KNOWN.test(seq)) return seq;
  let out = '';
  for (let i = 0; i < seq.length; i++) {
    const c = seq.charCodeAt(i);
    out += c < 256 ? ALPHABET[INDEX[c]!] : 'X';
  }
  return out;
}

/** Residue indices into ALPHABET of a normalised sequence. */
export function encodeSequence(seq: string): Uint8Array {
  const out = new Uint8Array(seq.length);
  for (let i = 0; i < seq.length; i++) {
    const c = seq.charCodeAt(i);
    out[i] = c < 256 ? INDEX[c]! : X_INDEX;
  }
  return out;
}
