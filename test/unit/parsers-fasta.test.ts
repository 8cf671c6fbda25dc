// The line iterator (plain/gzip, CRLF, BOM, errors, progress) and the FASTA
// reader on the real UniProt and CAFA3 samples, plus a bounded-memory check on
// a generated 50 MB FASTA.
import t from 'tap';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { gzipSync } from 'node:zlib';
import { ProteaError } from '../../lib/errors.js';
import { readFasta } from '../../parsers/fasta.js';
import type { FastaItem } from '../../parsers/fasta.js';
import { isGzip, readLines } from '../../parsers/lines.js';
import { rejectToError } from '../../parsers/items.js';
import { parseFastaHeader } from '../../parsers/fasta-header.js';
import { md5Hex, normaliseSequence } from '../../parsers/fasta-sequence.js';

const DATA = 'test/fixtures/data';
const ECOLI = `${DATA}/uniprot-swissprot-samples/fantasia-ecoli-swissprot-33.fasta`;
const MULTI = `${DATA}/uniprot-swissprot-samples/biopython/multi_ex.fasta`;
const CAFA3 = `${DATA}/cafa3-benchmark/sequences/gopredsim_cafa3_targets.fasta`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'protea-fasta-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function lines(file: string): Promise<string[]> {
  return (await all(readLines(file))).map((l) => l.text);
}

t.test('lines: plain, CRLF, BOM, no final newline, empty lines kept with their numbers', async (t) => {
  const f = path.join(tmp, 'l1.txt');
  writeFileSync(f, '\ufeffa\r\nb\n\r\n\nlast');
  const got = await all(readLines(f));
  t.same(got, [
    { text: 'a', line: 1 },
    { text: 'b', line: 2 },
    { text: '', line: 3 },
    { text: '', line: 4 },
    { text: 'last', line: 5 },
  ]);
  writeFileSync(f, '');
  t.same(await lines(f), [], 'an empty file has no line');
  writeFileSync(f, 'x\n');
  t.same(await lines(f), ['x'], 'a final newline does not make an extra line');
});

t.test('lines: gzip is detected by magic bytes, not by name; multi-member gzip is read to its end', async (t) => {
  const gzNoExt = path.join(tmp, 'gz-content.txt');
  writeFileSync(gzNoExt, gzipSync('one\r\ntwo\n'));
  const plainGzName = path.join(tmp, 'plain.txt.gz');
  writeFileSync(plainGzName, 'one\ntwo\n');
  t.equal(await isGzip(gzNoExt), true);
  t.equal(await isGzip(plainGzName), false);
  t.same(await lines(gzNoExt), ['one', 'two']);
  t.same(await lines(plainGzName), ['one', 'two']);
  const multi = path.join(tmp, 'multi.gz');
  writeFileSync(multi, Buffer.concat([gzipSync('a\nb'), gzipSync('c\nd\n')]));
  t.same(await lines(multi), ['a', 'bc', 'd'], 'members are concatenated like `cat a.gz b.gz | gunzip`');
});

t.test('lines: a multi-byte UTF-8 character split across read chunks is decoded whole', async (t) => {
  const f = path.join(tmp, 'utf8.txt');
  writeFileSync(f, 'ab\u00e9cd\nxy\n');
  const got: string[] = [];
  for await (const l of readLines(f, { highWaterMark: 3 })) got.push(l.text);
  t.same(got, ['ab\u00e9cd', 'xy']);
});

t.test('lines: missing file, directory, truncated and corrupt gzip are INPUT_UNREADABLE naming the file and last good line', async (t) => {
  const missing = path.join(tmp, 'nope.fasta');
  await t.rejects(lines(missing), { code: 'PROTEA_ERR_INPUT_UNREADABLE', message: /no such file/, context: { file: missing } });
  await t.rejects(lines(tmp), { code: 'PROTEA_ERR_INPUT_UNREADABLE', message: /not a regular file/ });

  const text = Array.from({ length: 20000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n') + '\n';
  const gz = gzipSync(text);
  const truncated = path.join(tmp, 'cut.gz');
  writeFileSync(truncated, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const seen: string[] = [];
  let error: unknown;
  try {
    for await (const l of readLines(truncated)) seen.push(l.text);
  } catch (err) {
    error = err;
  }
  t.ok(error instanceof ProteaError);
  const e = error as ProteaError;
  t.equal(e.code, 'PROTEA_ERR_INPUT_UNREADABLE');
  t.equal(e.context.file, truncated);
  t.equal(e.context.line, seen.length, 'the last complete line is named');
  t.match(e.message, new RegExp(`truncated or corrupt .*; last complete line ${seen.length}$`));
  t.ok(seen.length > 1000 && seen.length < 20000, `${seen.length} good lines before the cut`);
  t.same(seen, text.split('\n').slice(0, seen.length), 'every line before the cut is complete and in order (no fragment)');
  t.match(e.describe(), /PROTEA_ERR_INPUT_UNREADABLE: .*\(file=.*cut\.gz line=\d+\)/);
});

t.test('lines: progress reports bytes read of the file on disk and its size', async (t) => {
  const f = path.join(tmp, 'progress.gz');
  const body = Array.from({ length: 50000 }, (_, i) => `row ${i}`).join('\n');
  writeFileSync(f, gzipSync(body));
  const size = statSync(f).size;
  const r = readLines(f, { highWaterMark: 4096 });
  t.same(r.progress(), { bytesRead: 0, totalBytes: 0, lines: 0, gzip: null }, 'nothing before the first read');
  let mid: ReturnType<typeof r.progress> | null = null;
  for await (const l of r) {
    if (l.line === 100) mid = r.progress();
  }
  t.ok(mid && mid.gzip === true && mid.totalBytes === size && mid.bytesRead > 0 && mid.bytesRead < size, `mid-way: ${JSON.stringify(mid)}`);
  t.same(r.progress(), { bytesRead: size, totalBytes: size, lines: 50000, gzip: true });
});

t.test('FASTA: the 33 real E. coli Swiss-Prot entries', async (t) => {
  const reader = readFasta(ECOLI);
  const items = await all(reader);
  const records = items.filter((i) => i.kind === 'record');
  t.equal(items.length, 33, 'no reject, no note');
  t.equal(records.length, 33);
  const first = records[0]!;
  t.same(first, {
    kind: 'record',
    key: 'A0A385XJL2',
    value: {
      header: 'sp|A0A385XJL2|YGDT_ECOLI Protein YgdT OS=Escherichia coli (strain K12) OX=83333 GN=ygdT PE=4 SV=1',
      sequence: 'MLSTESWDNCEKPPLLFPFTALTCDETPVFSGSVLNLVAHSVDKYGIG',
      source_file: ECOLI,
      line: 1,
    },
  });
  t.same(reader.progress().bytesRead, statSync(ECOLI).size, 'progress reaches the file size');
  // This sample wraps six long headers onto a second line: the continuation
  // ('4 SV=1', 'rC PE=1 SV=1', ...) becomes the first sequence line, so the dedup
  // stage rejects those six entries (digit or '=' in the sequence) and keeps 27.
  const rejected: string[] = [];
  for (const r of records) {
    if (r.kind !== 'record') continue;
    const n = normaliseSequence(r.value.sequence);
    if (!n.ok) rejected.push(`${r.value.line} ${r.key}: ${n.reason}`);
  }
  t.same(rejected, [
    "32 P06965: contains digit '4' at position 1",
    "86 P0A7D7: contains invalid character '=' (U+003D) at position 5",
    "132 P0A944: contains invalid character '=' (U+003D) at position 2",
    "155 P0AAI9: contains digit '2' at position 1",
    "180 P0ABR9: contains invalid character ')' (U+0029) at position 1",
    "188 P0ACS2: contains invalid character '=' (U+003D) at position 1",
  ]);
  const keys = records.map((r) => (r.kind === 'record' ? r.key : ''));
  t.equal(new Set(keys).size, 33, 'distinct accessions');
});

t.test('FASTA: the 8-record UniProt sample (headers without OX)', async (t) => {
  const items = await all(readFasta(MULTI));
  t.equal(items.length, 8);
  t.same(
    items.map((i) => (i.kind === 'record' ? i.key : i.kind)),
    ['P00750', 'P56540', 'Q51858', 'Q51481', 'Q8NE62', 'P00981', 'P28799', 'Q01436'],
  );
  const dendrotoxin = items[5];
  if (dendrotoxin?.kind === 'record') {
    const h = parseFastaHeader(dendrotoxin.value.header);
    t.same([h.protein_name, h.organism, h.gene_name, h.protein_existence, h.sequence_version], ['Dendrotoxin-K (Fragment)', 'Dendroaspis polylepis polylepis', null, 1, 2], 'missing GN= gives null');
  }
  for (const i of items) {
    if (i.kind !== 'record') continue;
    const h = parseFastaHeader(i.value.header);
    t.equal(h.reviewed, true);
    t.equal(h.taxonomy_id, null, `${i.key}: no OX= in this older header style`);
    t.ok(normaliseSequence(i.value.sequence).ok, `${i.key} normalises`);
  }
});

t.test('FASTA: the 3,328 CAFA3 targets: distinct sequences, U and X kept, lengths 24 to 8,891', async (t) => {
  let n = 0;
  let withU = 0;
  let withX = 0;
  let min = Infinity;
  let max = 0;
  const md5s = new Set<string>();
  for await (const i of readFasta(CAFA3)) {
    if (i.kind !== 'record') {
      t.fail(`unexpected ${i.kind}`);
      continue;
    }
    n++;
    const h = parseFastaHeader(i.value.header);
    if (n === 1) t.same(h, { accession: 'T37020000009', entry_name: null, protein_name: null, organism: null, taxonomy_id: null, gene_name: null, protein_existence: null, sequence_version: null, reviewed: null });
    t.equal(i.key, h.accession);
    const s = normaliseSequence(i.value.sequence);
    if (!s.ok) {
      t.fail(`${i.key}: ${s.reason}`);
      continue;
    }
    if (s.sequence.includes('U')) withU++;
    if (s.sequence.includes('X')) withX++;
    min = Math.min(min, s.sequence.length);
    max = Math.max(max, s.sequence.length);
    md5s.add(md5Hex(s.sequence));
  }
  t.equal(n, 3328);
  t.equal(md5s.size, 3328, 'all distinct (SOURCE.md)');
  t.equal(withU, 2, 'targets with selenocysteine U');
  t.equal(withX, 3, 'targets with unknown X');
  t.equal(min, 24);
  t.equal(max, 8891);
});

t.test('FASTA: reader rejects and options', async (t) => {
  const f = path.join(tmp, 'r.fasta');
  writeFileSync(f, 'junk\nmore junk\n>sp|P1|A_B\nMKV\n>\nMKV\n>big\n' + 'A'.repeat(50) + '\n' + 'A'.repeat(60) + '\n>tail\nMK\n');
  const items = await all(readFasta(f, { sourceFile: 'upload.fasta', maxRawLength: 100 }));
  t.same(
    items.map((i) => (i.kind === 'record' ? `record ${i.key} ${i.value.line} ${i.value.source_file}` : i.kind === 'reject' ? `reject ${i.line} ${i.file} ${i.reason}` : `note ${i.message}`)),
    [
      "reject 1 upload.fasta text before the first '>' header (2 lines)",
      'record P1 3 upload.fasta',
      'reject 5 upload.fasta FASTA header has an empty accession',
      'reject 7 upload.fasta raw sequence of big is longer than 100 characters (110)',
      'record tail 10 upload.fasta',
    ],
  );
  const reject = items.find((i) => i.kind === 'reject')!;
  if (reject.kind === 'reject') {
    t.equal(reject.raw, 'junk\nmore junk');
    const err = rejectToError(reject);
    t.equal(err.code, 'PROTEA_ERR_INPUT_INVALID');
    t.same(err.context, { file: 'upload.fasta', line: 1 });
  }
  const empty = path.join(tmp, 'empty.fasta');
  writeFileSync(empty, '\n\n');
  t.same(await all(readFasta(empty)), [{ kind: 'note', file: empty, line: 0, message: 'the file holds no FASTA entry' }]);
});

t.test('FASTA: stopping early closes the file (no leak, no error)', async (t) => {
  const it = readFasta(CAFA3);
  let n = 0;
  for await (const _ of it) {
    if (++n === 5) break;
  }
  t.equal(n, 5);
  const again: FastaItem[] = [];
  for await (const i of it) again.push(i);
  t.same(again, [], 'a closed reader yields nothing more');
});

t.test('FASTA: streaming a generated 50 MB file keeps the heap bounded (< 64 MB over baseline)', async (t) => {
  const genStart = Date.now();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = path.join(tmp, 'big');
  mkdirSync(dir);
  const big = path.join(dir, 'big.fasta');
  const out = createWriteStream(big);
  const residues = 'ACDEFGHIKLMNPQRSTVWY';
  let written = 0;
  let entries = 0;
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  while (written < 50 * 1024 * 1024) {
    const len = 50 + Math.floor(rand() * 1500);
    let seq = '';
    for (let i = 0; i < len; i++) seq += residues[Math.floor(rand() * 20)];
    const body = `>sp|B${String(entries).padStart(7, '0')}|BIG_TEST Generated OS=Test OX=1 GN=g PE=1 SV=1\n${seq.replace(/(.{60})/g, '$1\n')}\n`;
    written += body.length;
    entries++;
    if (!out.write(body)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let n = 0;
  let residuesSeen = 0;
  const started = Date.now();
  const generated = (started - genStart) / 1000;
  for await (const i of readFasta(big)) {
    if (i.kind !== 'record') continue;
    n++;
    residuesSeen += i.value.sequence.length;
    if (n % 5000 === 0) {
      // what the reader retains (garbage collected first): must not grow with the file
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const growth = (peak - baseline) / 1024 / 1024;
  t.equal(n, entries, `${n} entries read`);
  t.ok(residuesSeen > 45 * 1024 * 1024, 'every residue read');
  t.ok(growth < 64, `heap growth ${growth.toFixed(1)} MB over baseline while streaming ${(written / 1024 / 1024).toFixed(0)} MB (read at ${(written / 1024 / 1024 / seconds).toFixed(0)} MB/s incl. GC pauses; generated in ${generated.toFixed(1)} s)`);
  rmSync(dir, { recursive: true, force: true });
});
