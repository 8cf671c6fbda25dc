// Sequence normalisation: one test per rule of the table in
// parsers/fasta-sequence.ts, and the MD5.
import t from 'tap';
import { createHash } from 'node:crypto';
import { ALLOWED_RESIDUES, DEFAULT_MAX_SEQUENCE_LENGTH, md5Hex, normaliseSequence, STANDARD_RESIDUES } from '../../parsers/fasta-sequence.js';

const ok = (sequence: string, changes: string[] = []) => ({ ok: true, sequence, changes });
const bad = (reason: string, position?: number) => (position === undefined ? { ok: false, code: 'SEQUENCE_INVALID', reason } : { ok: false, code: 'SEQUENCE_INVALID', reason, position });

t.test('kept as is: the 20 standard residues, U, O and the ambiguity codes B, Z, J, X', async (t) => {
  t.equal(STANDARD_RESIDUES.length, 20);
  t.equal(ALLOWED_RESIDUES, 'ACDEFGHIKLMNPQRSTVWYUOBZJX');
  t.same(normaliseSequence(ALLOWED_RESIDUES), ok(ALLOWED_RESIDUES));
  t.same(normaliseSequence('MKU'), ok('MKU'), 'selenocysteine');
  t.same(normaliseSequence('MKO'), ok('MKO'), 'pyrrolysine');
  t.same(normaliseSequence('MBZJX'), ok('MBZJX'), 'ambiguity codes');
});

t.test('whitespace anywhere (space, tab, CR, LF) is removed', async (t) => {
  t.same(normaliseSequence('MKV LLA\tGG\r\nWW\n'), ok('MKVLLAGGWW', ['whitespace']));
  t.same(normaliseSequence(' M K '), ok('MK', ['whitespace']));
  t.same(normaliseSequence('MK\u00a0V'), ok('MKV', ['whitespace']), 'no-break space is whitespace too');
});

t.test('lower case is upper-cased (ASCII only)', async (t) => {
  t.same(normaliseSequence('mkvLLa'), ok('MKVLLA', ['uppercase']));
  t.same(normaliseSequence('mkuoxbzj'), ok('MKUOXBZJ', ['uppercase']));
  t.same(normaliseSequence('mk\u00df'), bad("contains invalid character '\u00df' (U+00DF) at position 3", 3), "'ß' is not upper-cased into 'SS'");
});

t.test("one trailing '*' is removed; any other '*' is an internal stop codon", async (t) => {
  t.same(normaliseSequence('MKV*'), ok('MKV', ['trailing_stop']));
  t.same(normaliseSequence('mkv*\n'), ok('MKV', ['whitespace', 'uppercase', 'trailing_stop']), 'after whitespace removal');
  t.same(normaliseSequence('MK*V'), bad('internal stop codon at position 3', 3));
  t.same(normaliseSequence('MKV**'), bad('internal stop codon at position 4', 4), 'two at the end: the first is internal');
  t.same(normaliseSequence('*MKV'), bad('internal stop codon at position 1', 1));
});

t.test("alignment gaps '-' and '.' are rejected with the position", async (t) => {
  t.same(normaliseSequence('MK-V'), bad('contains alignment gaps at position 3', 3));
  t.same(normaliseSequence('MKV.'), bad('contains alignment gaps at position 4', 4));
  t.same(normaliseSequence('MK V--'), bad('contains alignment gaps at position 4', 4), 'positions count residues after whitespace removal');
});

t.test('digits are rejected naming the digit and its position', async (t) => {
  t.same(normaliseSequence('1 MKV'), bad("contains digit '1' at position 1", 1));
  t.same(normaliseSequence('MKV9'), bad("contains digit '9' at position 4", 4));
});

t.test('any other character is rejected naming it (code point) and its position', async (t) => {
  t.same(normaliseSequence('MK@V'), bad("contains invalid character '@' (U+0040) at position 3", 3));
  t.same(normaliseSequence('MK>V'), bad("contains invalid character '>' (U+003E) at position 3", 3));
  t.same(normaliseSequence('MK\u0000V'), bad('contains invalid character U+0000 at position 3', 3), 'control characters by code point only');
  t.same(normaliseSequence('MK\u00e9'), bad("contains invalid character '\u00e9' (U+00E9) at position 3", 3));
  t.same(normaliseSequence('M\u{1F600}K'), bad("contains invalid character '\u{1F600}' (U+1F600) at position 2", 2), 'astral characters count as one position');
  t.same(normaliseSequence('MK-V@'), bad('contains alignment gaps at position 3', 3), 'the first offending character is reported');
});

t.test('empty after normalisation is rejected', async (t) => {
  t.same(normaliseSequence(''), bad('sequence is empty'));
  t.same(normaliseSequence(' \r\n\t'), bad('sequence is empty'));
  t.same(normaliseSequence('*'), bad('sequence is empty'));
});

t.test('longer than the maximum is rejected; the maximum is configurable', async (t) => {
  t.equal(DEFAULT_MAX_SEQUENCE_LENGTH, 100_000);
  t.same(normaliseSequence('A'.repeat(100_000)), ok('A'.repeat(100_000)));
  t.same(normaliseSequence('A'.repeat(100_001)), bad('sequence length 100001 exceeds the maximum of 100000 residues'));
  t.same(normaliseSequence('MKVL', { maxLength: 3 }), bad('sequence length 4 exceeds the maximum of 3 residues'));
  t.same(normaliseSequence('MKV*', { maxLength: 3 }), ok('MKV', ['trailing_stop']), 'counted after normalisation');
});

t.test('md5Hex: lower-case hex MD5 of the normalised sequence', async (t) => {
  t.equal(md5Hex(''), 'd41d8cd98f00b204e9800998ecf8427e');
  t.equal(md5Hex('MKV'), createHash('md5').update('MKV').digest('hex'));
  t.match(md5Hex('MNVSSRTVVLINFFAAVGLFTLISMRFGWFI'), /^[0-9a-f]{32}$/);
  const a = normaliseSequence('mnvss rtvvl*');
  const b = normaliseSequence('MNVSSRTVVL');
  t.ok(a.ok && b.ok && md5Hex(a.sequence) === md5Hex(b.sequence), 'the same protein written two ways gives one MD5');
});
