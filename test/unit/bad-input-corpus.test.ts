// The bad-input corpus: every file of test/fixtures/bad-input goes through its
// reader (FASTA also through the dedup stage's normaliseSequence) and must give
// exactly the records, rejects, notes and error listed in EXPECTED.json: each
// record and reject accounted for, and the good records around a bad one present.
import t from 'tap';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ProteaError } from '../../lib/errors.js';
import { KEYS } from '../../topics/catalogue.js';
import { readFasta } from '../../parsers/fasta.js';
import { readGaf } from '../../parsers/gaf.js';
import { readObo } from '../../parsers/obo.js';
import { readTaxonomy } from '../../parsers/taxonomy.js';
import { parseFastaHeader, parseIsoform } from '../../parsers/fasta-header.js';
import { md5Hex, normaliseSequence } from '../../parsers/fasta-sequence.js';
import { BAD_INPUT_DIR, EXPECTED, type Json } from '../helpers/bad-input-expected.js';

const DIR = BAD_INPUT_DIR;
const entries = Object.entries(EXPECTED);

interface Outcome {
  records: { value: Json; key?: string }[];
  rejects: Json[];
  notes: Json[];
  error: unknown;
}

async function collect(it: AsyncIterable<{ kind: string }>): Promise<Outcome> {
  const out: Outcome = { records: [], rejects: [], notes: [], error: null };
  try {
    for await (const item of it) {
      const i = item as unknown as Json & { kind: string; value?: Json; key?: string };
      if (i.kind === 'record') out.records.push(i.key === undefined ? { value: i.value! } : { value: i.value!, key: i.key });
      else if (i.kind === 'reject') out.rejects.push(i);
      else out.notes.push(i);
    }
  } catch (err) {
    out.error = err;
  }
  return out;
}

function pick(obj: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}

t.test('the corpus: at least 30 files, each with an asserted outcome in EXPECTED.json', async (t) => {
  const onDisk = readdirSync(DIR).filter((f) => f !== 'EXPECTED.json').sort();
  t.ok(onDisk.length >= 30, `${onDisk.length} files`);
  for (const f of onDisk) t.ok(EXPECTED[f], `${f} has an expectation`);
  for (const [name, e] of entries) {
    if (e.absent) t.notOk(onDisk.includes(name), `${name} is absent on purpose`);
    else t.ok(onDisk.includes(name), `${name} exists`);
  }
  const kinds = new Set(entries.map(([, e]) => e.reader));
  t.same([...kinds].sort(), ['fasta', 'gaf', 'obo', 'taxonomy', 'taxonomy-names']);
  t.ok(onDisk.some((f) => f.endsWith('.gz')), 'gzip files are part of it');
});

for (const [name, e] of entries) {
  if (e.reader === 'taxonomy-names') continue;
  t.test(`${name}: ${e.describe}`, async (t) => {
    const file = path.join(DIR, name);
    const namesFile = e.names ? path.join(DIR, e.names) : '';
    const it =
      e.reader === 'fasta' ? readFasta(file) : e.reader === 'gaf' ? readGaf(file) : e.reader === 'obo' ? readObo(file) : readTaxonomy(file, namesFile);
    const out = await collect(it);

    // the error that ends the read, if any
    if (e.error) {
      t.ok(out.error instanceof ProteaError, 'the read ends with a ProteaError');
      const err = out.error as ProteaError;
      t.equal(err.code, e.error.code);
      t.match(err.message, new RegExp(e.error.message));
      t.equal(err.context.file, file, 'the error names the file');
      if (e.error.line !== undefined) t.equal(err.context.line, e.error.line, 'and the last complete line');
    } else {
      t.equal(out.error, null, out.error ? `unexpected error: ${(out.error as Error).message}` : 'no error');
    }

    // rejects: all of them, in order
    const rejects = e.rejects ?? [];
    t.equal(out.rejects.length, rejects.length, 'reject count');
    rejects.forEach((want, i) => {
      const got = out.rejects[i];
      if (!got) return;
      const wantFile = want.file === 'names' ? namesFile : file;
      t.equal(got.file, wantFile, `reject ${i}: file`);
      t.equal(got.line, want.line, `reject ${i}: line`);
      t.equal(got.code, want.code, `reject ${i}: code`);
      if (want.field !== undefined) t.equal(got.field, want.field, `reject ${i}: field`);
      t.match(String(got.reason), new RegExp(String(want.reason)), `reject ${i}: reason`);
      t.ok(typeof got.raw === 'string' && got.raw.length > 0, `reject ${i}: raw text kept`);
    });

    // notes: all of them, in order
    const notes = e.notes ?? [];
    t.equal(out.notes.length, notes.length, `note count (${out.notes.map((n) => n.message).join('; ')})`);
    notes.forEach((want, i) => {
      const got = out.notes[i];
      if (!got) return;
      if (want.file !== undefined) t.equal(got.file, want.file === 'names' ? namesFile : file, `note ${i}: file`);
      t.equal(got.line, want.line, `note ${i}: line`);
      t.match(String(got.message), new RegExp(String(want.message)), `note ${i}: message`);
    });

    // records: all of them, in order, with the asserted fields
    const records = e.records ?? [];
    t.equal(out.records.length, records.length, 'record count');
    const header = out.records.find((r) => r.value.kind === 'HEADER');
    records.forEach((want, i) => {
      const got = out.records[i];
      if (!got) return;
      const v = got.value;
      const at = `record ${i} (${want.line !== undefined ? `line ${String(want.line)}` : `tax_id ${String(v.tax_id)}`})`;
      if (e.reader === 'fasta') {
        t.equal(got.key, want.key, `${at}: key`);
        t.equal(v.line, want.line, `${at}: line`);
        t.equal(v.source_file, file, `${at}: source_file`);
        if (want.header !== undefined) t.equal(v.header, want.header, `${at}: header verbatim`);
        const raw = String(v.sequence);
        if (want.sequence !== undefined) t.equal(raw, want.sequence, `${at}: raw sequence`);
        if (want.sequence_length !== undefined) {
          t.equal(raw.length, want.sequence_length, `${at}: raw length`);
          t.equal(md5Hex(raw), want.sequence_md5, `${at}: raw MD5`);
        }
        t.equal(parseFastaHeader(String(v.header)).accession, got.key, `${at}: key is the header's accession`);
        const n = normaliseSequence(raw);
        const wn = want.normalised as Json;
        t.equal(n.ok, wn.ok, `${at}: normalised or rejected${n.ok ? '' : `: ${n.reason}`}`);
        if (n.ok && wn.ok) {
          if (wn.sequence !== undefined) t.equal(n.sequence, wn.sequence, `${at}: normalised sequence`);
          if (wn.sequence_length !== undefined) t.equal(n.sequence.length, wn.sequence_length, `${at}: normalised length`);
          t.equal(md5Hex(n.sequence), wn.md5, `${at}: MD5`);
          t.same(n.changes, wn.changes, `${at}: changes`);
        } else if (!n.ok && !wn.ok) {
          t.equal(n.code, wn.code, `${at}: code`);
          t.match(n.reason, new RegExp(String(wn.reason)), `${at}: reason`);
        }
        if (want.fields) {
          const h = parseFastaHeader(String(v.header));
          const fields: Json = { ...h, ...parseIsoform(h.accession) };
          const wf = want.fields as Json;
          t.same(pick(fields, Object.keys(wf)), wf, `${at}: header fields`);
        }
        return;
      }
      if (e.reader === 'gaf') {
        t.equal(got.key, undefined, `${at}: GAF rows are keyed by the producer`);
        const { ontology: _ontology, ...fields } = want;
        t.same(pick(v, Object.keys(fields)), fields, `${at}: columns`);
        t.equal(v.source_file, file, `${at}: source_file`);
        return;
      }
      if (e.reader === 'obo') {
        const { obo_version_pattern: pattern, ...fields } = want;
        t.same(pick(v, Object.keys(fields)), fields, `${at}: fields`);
        if (pattern !== undefined) t.match(String(v.obo_version), new RegExp(String(pattern)), `${at}: derived obo_version`);
        t.equal(v.obo_version, header?.value.obo_version, `${at}: same obo_version as the release header`);
        t.equal(got.key, KEYS.ingestObo({ obo_version: String(v.obo_version), go_id: (v.go_id as string | null) ?? null }), `${at}: key`);
        return;
      }
      t.same(pick(v, Object.keys(want)), want, `${at}: node`);
      t.equal(got.key, String(v.tax_id), `${at}: key`);
    });
    if (e.reader === 'obo') t.equal(out.records.at(-1)?.value.kind, 'HEADER', 'the release header comes last');
  });
}
