import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { chunkSpans, residueLimit, truncate, validateChunking } from '../../processors/embedder/chunking.js';

const spans = (l: number, size: number, overlap: number) => chunkSpans(l, size, overlap).map((s) => [s.start, s.end]);

t.test('chunks step chunk_size - chunk_overlap and the last one ends at the length', async (t) => {
  t.same(spans(10, 4, 1), [[0, 4], [3, 7], [6, 10]], 'the third window reaches the end exactly: no extra chunk');
  t.same(spans(11, 4, 1), [[0, 4], [3, 7], [6, 10], [9, 11]], 'residue 10 is covered by a short last chunk');
  t.same(spans(9, 4, 1), [[0, 4], [3, 7], [6, 9]], 'the window that overruns the end is cut to it');
});

t.test('chunks without overlap tile the sequence', async (t) => {
  t.same(spans(5, 2, 0), [[0, 2], [2, 4], [4, 5]]);
  t.same(spans(4, 2, 0), [[0, 2], [2, 4]]);
});

t.test('a sequence no longer than one chunk is one chunk [0, L)', async (t) => {
  t.same(spans(3, 4, 1), [[0, 3]]);
  t.same(spans(4, 4, 1), [[0, 4]]);
  t.same(spans(1, 512, 64), [[0, 1]]);
  t.same(spans(0, 4, 1), [[0, 0]], 'empty: one empty chunk');
});

t.test('no chunk lies inside the one before it, and every residue is covered', async (t) => {
  for (let l = 1; l <= 40; l++) {
    for (const [size, overlap] of [[4, 1], [5, 4], [7, 0], [3, 2]] as const) {
      const s = chunkSpans(l, size, overlap);
      const covered = new Set<number>();
      for (const c of s) for (let i = c.start; i < c.end; i++) covered.add(i);
      t.equal(covered.size, l, `L=${l} size=${size} overlap=${overlap}: all covered`);
      t.equal(s.at(-1)!.end, l);
      for (let i = 1; i < s.length; i++) t.ok(s[i]!.end > s[i - 1]!.end, 'each chunk adds residues');
    }
  }
});

t.test('chunk parameters that cannot make a walk are EMBEDDING_CONFIG_INVALID naming the field', async (t) => {
  const bad = (chunkSize: number, chunkOverlap: number) => {
    try {
      validateChunking({ useChunking: true, chunkSize, chunkOverlap });
      return null;
    } catch (err) {
      t.equal((err as ProteaError).key, 'EMBEDDING_CONFIG_INVALID');
      return (err as ProteaError).context.field;
    }
  };
  t.equal(bad(0, 0), 'chunk_size');
  t.equal(bad(4, 4), 'chunk_overlap');
  t.equal(bad(4, -1), 'chunk_overlap');
  t.equal(bad(4, 3), null);
  t.doesNotThrow(() => validateChunking({ useChunking: false, chunkSize: 0, chunkOverlap: 9 }), 'ignored when chunking is off');
});

t.test('truncation keeps max_length residues and records the cut; the model card can lower the limit', async (t) => {
  t.same(truncate('ABCDEFG', 5), { residues: 'ABCDE', truncatedAt: 5 });
  t.same(truncate('ABCDE', 5), { residues: 'ABCDE', truncatedAt: null });
  t.equal(residueLimit(1022, 512), 512);
  t.equal(residueLimit(100, 1022), 100);
});
