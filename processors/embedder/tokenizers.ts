// Protein tokenisers for the ONNX backend: one token per residue, plus the
// special tokens each model family expects. Both report where the residues
// sit in the token row (a contiguous span), so pooling and chunking can strip
// the specials and count positions in residues (chunk start 0 = first residue).
//
// - esm: ESM-2's 33-token vocabulary, <cls> + residues + <eos>; a letter
//   outside the vocabulary becomes <unk>.
// - t5: ProtT5 / Ankh style: residues as separate tokens (the HF tokeniser is
//   fed "M K T ..." or split into words), rare residues U Z O B mapped to X as
//   ProtT5's preprocessing does, </s> appended, no CLS/BOS token.
import { ProteaError } from '../../lib/errors.js';

export type TokenizerKind = 'esm' | 't5';

/** ESM-2's vocabulary in id order (fair-esm / HF EsmTokenizer): the id is the index. */
export const ESM_VOCAB: readonly string[] = Object.freeze([
  '<cls>', '<pad>', '<eos>', '<unk>',
  'L', 'A', 'G', 'V', 'S', 'E', 'R', 'T', 'I', 'D', 'P', 'K', 'Q', 'N', 'F', 'Y', 'M', 'H', 'W', 'C',
  'X', 'B', 'U', 'Z', 'O', '.', '-', '<null_1>', '<mask>',
]);

/**
 * ProtT5-XL-UniRef50's SentencePiece ids (Rostlab/prot_t5_xl_uniref50, spiece.model: "▁A" = 3 ...),
 * keyed by residue letter without the "▁" prefix. Used when a t5 model card carries no `vocab`;
 * Ankh's vocabulary differs, so an Ankh export must write its own (export_onnx.py does).
 */
export const PROT_T5_VOCAB: Readonly<Record<string, number>> = Object.freeze({
  '<pad>': 0, '</s>': 1, '<unk>': 2,
  A: 3, L: 4, G: 5, V: 6, S: 7, R: 8, E: 9, D: 10, T: 11, I: 12, P: 13, K: 14, F: 15, Q: 16, N: 17,
  Y: 18, M: 19, H: 20, W: 21, C: 22, X: 23, B: 24, O: 25, U: 26, Z: 27,
});

export interface Encoded {
  /** token ids, specials included */
  ids: Int32Array;
  /** token position of the first residue */
  residueStart: number;
  /** residues in the row (positions residueStart .. residueStart + residueCount - 1) */
  residueCount: number;
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly padId: number;
  /** position of the CLS/BOS token in every row, or null when the model has none (t5) */
  readonly clsPosition: number | null;
  /** tokens a row has besides its residues */
  readonly specialTokens: number;
  /** the ids of `residues` (already upper-case, already cut to the length the model may see) */
  encode(residues: string): Encoded;
}

const ESM_SPECIALS = ['<cls>', '<pad>', '<eos>', '<unk>'] as const;
const T5_SPECIALS = ['<pad>', '</s>', '<unk>'] as const;

/** Letter -> id table over char codes (0..127): fast and total (unset = -1). */
function letterTable(vocab: Readonly<Record<string, number>>): Int32Array {
  const table = new Int32Array(128).fill(-1);
  for (const [token, id] of Object.entries(vocab)) {
    if (token.length === 1 && token.charCodeAt(0) < 128) table[token.charCodeAt(0)] = id;
  }
  return table;
}

function requireSpecials(vocab: Readonly<Record<string, number>>, names: readonly string[], kind: TokenizerKind): void {
  for (const name of names) {
    const id = vocab[name];
    if (id === undefined || !Number.isInteger(id) || id < 0) {
      throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `the ${kind} vocabulary has no id for the special token ${name}`, { field: 'vocab' });
    }
  }
}

function esmTokenizer(vocab: Readonly<Record<string, number>>): Tokenizer {
  requireSpecials(vocab, ESM_SPECIALS, 'esm');
  const table = letterTable(vocab);
  const cls = vocab['<cls>']!;
  const eos = vocab['<eos>']!;
  const unk = vocab['<unk>']!;
  return {
    kind: 'esm',
    padId: vocab['<pad>']!,
    clsPosition: 0,
    specialTokens: 2,
    encode(residues: string): Encoded {
      const n = residues.length;
      const ids = new Int32Array(n + 2);
      ids[0] = cls;
      for (let i = 0; i < n; i++) {
        const c = residues.charCodeAt(i);
        const id = c < 128 ? table[c]! : -1;
        ids[i + 1] = id >= 0 ? id : unk;
      }
      ids[n + 1] = eos;
      return { ids, residueStart: 1, residueCount: n };
    },
  };
}

function t5Tokenizer(vocab: Readonly<Record<string, number>>): Tokenizer {
  requireSpecials(vocab, T5_SPECIALS, 't5');
  const table = letterTable(vocab);
  const unk = vocab['<unk>']!;
  const eos = vocab['</s>']!;
  // ProtT5 is trained with U Z O B replaced by X; same for any vocabulary given
  const x = vocab.X ?? unk;
  for (const rare of 'UZOB') table[rare.charCodeAt(0)] = x;
  return {
    kind: 't5',
    padId: vocab['<pad>']!,
    clsPosition: null,
    specialTokens: 1,
    encode(residues: string): Encoded {
      const n = residues.length;
      const ids = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) {
        const c = residues.charCodeAt(i);
        const id = c < 128 ? table[c]! : -1;
        ids[i] = id >= 0 ? id : unk;
      }
      ids[n] = eos;
      return { ids, residueStart: 0, residueCount: n };
    },
  };
}

/** The tokeniser of a model card: its kind, and its vocabulary when the card has one. */
export function makeTokenizer(kind: TokenizerKind, vocab?: Readonly<Record<string, number>>): Tokenizer {
  if (kind === 'esm') return esmTokenizer(vocab ?? Object.fromEntries(ESM_VOCAB.map((token, id) => [token, id])));
  return t5Tokenizer(vocab ?? PROT_T5_VOCAB);
}
