// The GAF reader on the real GAF 2.1/2.2/no-version samples (including the
// files with illegal rows) and its column rules.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkGafColumns, GAF_COLUMNS, isGafDate, readGaf } from '../../parsers/gaf.js';
import type { GafItem, GafRecordValue } from '../../parsers/gaf.js';

const GAF = 'test/fixtures/data/gaf-samples';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'protea-gaf-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

async function read(file: string): Promise<{ records: GafRecordValue[]; rejects: string[]; notes: string[] }> {
  const out = { records: [] as GafRecordValue[], rejects: [] as string[], notes: [] as string[] };
  for await (const i of readGaf(file) as AsyncIterable<GafItem>) {
    if (i.kind === 'record') out.records.push(i.value);
    else if (i.kind === 'reject') out.rejects.push(`${i.line} ${i.field ?? ''}: ${i.reason}`);
    else out.notes.push(`${i.line}: ${i.message}`);
  }
  return out;
}

t.test('real samples: rows, rejects, notes and versions of every file', async (t) => {
  const want: Record<string, { records: number; rejects: number; notes: number; version: string }> = {
    'goatools-goa_human_illegal.gaf': { records: 66, rejects: 2, notes: 0, version: '2.1' },
    'oak-test-uniprot.gaf': { records: 232, rejects: 0, notes: 1, version: '2.1' },
    'ontobio-errors.gaf': { records: 6, rejects: 5, notes: 1, version: '2.1' },
    'ontobio-mgi.gaf': { records: 105, rejects: 0, notes: 0, version: '2.2' },
    'ontobio-no-version.gaf': { records: 6, rejects: 0, notes: 1, version: '2.1' },
    'ontobio-pombase_single.gaf': { records: 1, rejects: 0, notes: 0, version: '2.1' },
    'ontobio-test-qualifiers-2.2.gaf': { records: 9, rejects: 0, notes: 0, version: '2.2' },
    'ontobio-test-qualifiers-no-version.gaf': { records: 8, rejects: 0, notes: 1, version: '2.1' },
    'ontobio-test-qualifiers.gaf': { records: 8, rejects: 0, notes: 0, version: '2.1' },
    'ontobio-truncated-pombase.gaf': { records: 370, rejects: 0, notes: 0, version: '2.1' },
    'ontobio-wb_single_iba.gaf': { records: 1, rejects: 0, notes: 0, version: '2.1' },
    'ontobio-zfin_test_gaf.gaf': { records: 2, rejects: 0, notes: 0, version: '2.2' },
  };
  for (const [name, w] of Object.entries(want)) {
    const r = await read(path.join(GAF, name));
    t.equal(r.records.length, w.records, `${name}: rows`);
    t.equal(r.rejects.length, w.rejects, `${name}: rejects ${r.rejects.join(' | ')}`);
    t.equal(r.notes.length, w.notes, `${name}: notes`);
    t.same([...new Set(r.records.map((x) => x.gaf_version))], [w.version], `${name}: gaf_version`);
  }
});

t.test('the GOA-human file with illegal values: the empty DB Object ID and the empty NCBITaxon: are rejected, the 66 other rows kept', async (t) => {
  const r = await read(path.join(GAF, 'goatools-goa_human_illegal.gaf'));
  t.equal(r.rejects.length, 2);
  t.match(r.rejects[0], /^60 column 2 \(DB Object ID\): column 2 \(DB Object ID\) is empty$/);
  t.match(r.rejects[1], /^79 column 13 \(Taxon\): column 13 \(Taxon\) is not 'taxon:<id>'.*"NCBITaxon:"$/);
  t.equal(r.records[0]?.line, 25, 'rows after the 24 header comment lines');
  t.same(
    { db: r.records[0]?.db, id: r.records[0]?.db_object_id, q: r.records[0]?.qualifier, go: r.records[0]?.go_id, ev: r.records[0]?.evidence_code, aspect: r.records[0]?.aspect, date: r.records[0]?.date, by: r.records[0]?.assigned_by },
    { db: 'UniProtKB', id: 'A0A024R161', q: '', go: 'GO:0003924', ev: 'IEA', aspect: 'F', date: '20180421', by: 'InterPro' },
    'GAF 2.1 row with an empty qualifier',
  );
});

t.test("ontobio's errors.gaf: each deliberate error is a reject naming the column; blank lines skipped", async (t) => {
  const r = await read(path.join(GAF, 'ontobio-errors.gaf'));
  t.same(r.rejects, [
    '7 column 5 (GO ID): column 5 (GO ID) is not a GO id (\'GO:\' and 7 digits): "BAD_GO_ID"',
    '13 columns: expected 15 to 17 tab-separated columns (GAF 2.1), found 2',
    '25 column 14 (Date): column 14 (Date) is not a YYYYMMDD date: "2015-03-05"',
    '27 column 14 (Date): column 14 (Date) is not a YYYYMMDD date: "TODAY"',
    '29 column 1 (DB): column 1 (DB) is empty',
  ]);
  t.same(r.notes, ["7: no '!gaf-version:' header before the first row; read as GAF 2.1"]);
  // kept: missing symbol (9), extension syntax (15-21: not checked here), made-up evidence code (23)
  t.same(
    r.records.map((x) => x.line),
    [9, 15, 17, 19, 21, 23],
  );
  t.equal(r.records.find((x) => x.line === 23)?.evidence_code, 'MADEUP', 'evidence codes are not checked against a list');
  t.equal(r.records.find((x) => x.line === 15)?.annotation_extension, 'part_of', 'extensions are kept verbatim');
});

t.test('qualifiers: NOT, NOT|relation, compound and spelled-out qualifiers are kept verbatim', async (t) => {
  const r = await read(path.join(GAF, 'ontobio-test-qualifiers-2.2.gaf'));
  t.same(
    r.records.map((x) => x.qualifier),
    ['acts_upstream_of', 'colocalizes_with', 'contributes_to', 'involved_in', 'NOT', 'NOT|involved_in', 'acts_upstream_of_negative_effect', 'colocalizes with', 'contributes_to|enables'],
  );
  t.same(r.records.map((x) => x.annotation_extension)[0], 'occurs_in(EMAPA:16975)');
  t.same(r.records.map((x) => x.gene_product_form_id)[0], '', '16 columns: column 17 is empty');
});

t.test('the version header may follow other comments (MGI: line 7; PomBase: line 20)', async (t) => {
  const mgi = await read(path.join(GAF, 'ontobio-mgi.gaf'));
  t.equal(mgi.records[0]?.gaf_version, '2.2');
  t.equal(mgi.records[0]?.line, 8);
  t.same(mgi.notes, []);
  const pombase = await read(path.join(GAF, 'ontobio-truncated-pombase.gaf'));
  t.equal(pombase.records[0]?.gaf_version, '2.1');
  const counts = { 15: 0, 16: 0, 17: 0 };
  for (const x of pombase.records) {
    if (x.gene_product_form_id) counts[17]++;
    else if (x.annotation_extension) counts[16]++;
  }
  t.ok(counts[16] > 0 && counts[17] > 0, 'rows of 15, 16 and 17 columns all read');
});

t.test('the UniProtKB human sample without a version header: 232 rows, 92 proteins, read as 2.1 with a note', async (t) => {
  const r = await read(path.join(GAF, 'oak-test-uniprot.gaf'));
  t.equal(r.records.length, 232);
  t.equal(new Set(r.records.map((x) => x.db_object_id)).size, 92);
  t.same(r.notes, ["1: no '!gaf-version:' header before the first row; read as GAF 2.1"]);
  t.ok(r.records.every((x) => x.taxon === 'taxon:9606'));
});

t.test('column rules', async (t) => {
  const row = (over: Partial<Record<number, string>> = {}): string[] => {
    const base = ['UniProtKB', 'P12345', 'SYM', 'enables', 'GO:0005515', 'PMID:1', 'IPI', 'UniProtKB:P1', 'F', 'name', 'syn', 'protein', 'taxon:9606', '20200101', 'UniProt', '', ''];
    for (const [k, v] of Object.entries(over)) base[Number(k) - 1] = v ?? '';
    return base;
  };
  t.equal(checkGafColumns(row(), '2.2'), null);
  t.equal(checkGafColumns(row({ 4: '' }), '2.1'), null, '2.1: empty qualifier allowed');
  t.match(checkGafColumns(row({ 4: '' }), '2.2'), { field: 'column 4 (Qualifier)' });
  t.match(checkGafColumns(row({ 5: 'GO:000551' }), '2.2'), { field: 'column 5 (GO ID)' });
  t.match(checkGafColumns(row({ 5: ' GO:0005515' }), '2.2'), { field: 'column 5 (GO ID)' }, 'values are not trimmed');
  t.match(checkGafColumns(row({ 7: ' ' }), '2.2'), { field: 'column 7 (Evidence Code)' });
  t.match(checkGafColumns(row({ 9: 'FP' }), '2.2'), { field: 'column 9 (Aspect)' });
  t.match(checkGafColumns(row({ 13: 'taxon:' }), '2.2'), { field: 'column 13 (Taxon)' });
  t.equal(checkGafColumns(row({ 13: 'taxon:9606|taxon:562' }), '2.2'), null);
  t.match(checkGafColumns(row({ 14: '2020011' }), '2.2'), { field: 'column 14 (Date)', reason: /not a YYYYMMDD date/ });
  t.equal(GAF_COLUMNS.length, 17);
  t.equal(isGafDate('20000229'), true, '2000 is a leap year');
  t.equal(isGafDate('19000229'), false, '1900 is not');
  t.equal(isGafDate('20240229'), true);
  t.equal(isGafDate('20230431'), false);
  t.equal(isGafDate('20231200'), false);
  t.equal(isGafDate('20231231'), true);
});

t.test('gzip + CRLF; the source file name can be given; an unknown version is noted and read', async (t) => {
  const f = path.join(tmp, 'x.gaf');
  const line = ['UniProtKB', 'P12345', 'SYM', 'enables', 'GO:0005515', 'PMID:1', 'IPI', '', 'F', '', '', 'protein', 'taxon:9606', '20200101', 'UniProt'].join('\t');
  writeFileSync(f, `!gaf-version: 3.0\r\n${line}\r\n`);
  const items: GafItem[] = [];
  for await (const i of readGaf(f, { sourceFile: 'upload.gaf' })) items.push(i);
  t.equal(items.length, 2);
  t.match(items[0], { kind: 'note', line: 1, file: 'upload.gaf', message: /unknown GAF version "3.0"/ });
  t.match(items[1], { kind: 'record', value: { gaf_version: '3.0', assigned_by: 'UniProt', annotation_extension: '', gene_product_form_id: '', source_file: 'upload.gaf', line: 2 } });
});
