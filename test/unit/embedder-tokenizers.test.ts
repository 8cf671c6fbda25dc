import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { ESM_VOCAB, PROT_T5_VOCAB, makeTokenizer } from '../../processors/embedder/tokenizers.js';

t.test('ESM-2 vocabulary has its 33 tokens in ESM-2 order', async (t) => {
  t.equal(ESM_VOCAB.length, 33);
  t.same(ESM_VOCAB.slice(0, 4), ['<cls>', '<pad>', '<eos>', '<unk>']);
  t.equal(ESM_VOCAB.indexOf('L'), 4);
  t.equal(ESM_VOCAB.indexOf('C'), 23);
  t.equal(ESM_VOCAB.indexOf('X'), 24);
  t.equal(ESM_VOCAB.indexOf('O'), 28);
  t.equal(ESM_VOCAB.indexOf('<mask>'), 32);
});

t.test('ESM tokeniser: <cls> + residue ids + <eos>, residues at positions 1..L', async (t) => {
  const tok = makeTokenizer('esm');
  const enc = tok.encode('MKTAYIAK');
  // M=20 K=15 T=11 A=5 Y=19 I=12 A=5 K=15
  t.same(Array.from(enc.ids), [0, 20, 15, 11, 5, 19, 12, 5, 15, 2]);
  t.equal(enc.residueStart, 1);
  t.equal(enc.residueCount, 8);
  t.equal(tok.padId, 1);
  t.equal(tok.clsPosition, 0);
});

t.test('ESM tokeniser keeps U Z O B X as their own ids and maps letters outside the vocabulary to <unk>', async (t) => {
  const tok = makeTokenizer('esm');
  t.same(Array.from(tok.encode('UZOBXJ*').ids), [0, 26, 27, 28, 25, 24, 3, 3, 2]);
});

t.test('T5 tokeniser: residue ids + </s>, no CLS, U Z O B mapped to X', async (t) => {
  const tok = makeTokenizer('t5');
  const enc = tok.encode('MAUZOBX');
  const x = PROT_T5_VOCAB.X!;
  t.equal(x, 23);
  t.same(Array.from(enc.ids), [19, 3, x, x, x, x, x, 1]);
  t.equal(enc.residueStart, 0);
  t.equal(enc.residueCount, 7);
  t.equal(tok.clsPosition, null);
  t.equal(tok.padId, 0);
});

t.test('T5 tokeniser with a model card vocabulary uses its ids and sends unknown letters to <unk>', async (t) => {
  const tok = makeTokenizer('t5', { '<pad>': 0, '</s>': 1, '<unk>': 2, A: 7, X: 9 });
  t.same(Array.from(tok.encode('AUJ').ids), [7, 9, 2, 1]);
});

t.test('a card vocabulary without the special tokens is refused, naming vocab', async (t) => {
  const err = t.throws(() => makeTokenizer('esm', { A: 5 })) as unknown as ProteaError;
  t.equal(err.key, 'EMBEDDING_MODEL_UNAVAILABLE');
  t.equal(err.context.field, 'vocab');
});

t.test('an empty sequence is only its special tokens', async (t) => {
  t.same(Array.from(makeTokenizer('esm').encode('').ids), [0, 2]);
  t.same(Array.from(makeTokenizer('t5').encode('').ids), [1]);
});
