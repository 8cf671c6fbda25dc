// The OBO reader on the real GO subsets: term, obsolete, alt_id and edge
// counts (verified with grep/awk over the [Term] stanzas of each file), header
// parsing, non-GO terms, and the helpers.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { aspectOf, parseDef, readObo, stripComment } from '../../parsers/obo.js';
import type { OboItem, OboRecordValue } from '../../parsers/obo.js';

const OBO = 'test/fixtures/data/go-obo-subsets';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'protea-obo-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

interface Read {
  terms: OboRecordValue[];
  header: OboRecordValue;
  keys: string[];
  rejects: string[];
  notes: string[];
}

async function read(file: string, opts?: Parameters<typeof readObo>[1]): Promise<Read> {
  const terms: OboRecordValue[] = [];
  const keys: string[] = [];
  const rejects: string[] = [];
  const notes: string[] = [];
  let header: OboRecordValue | null = null;
  for await (const i of readObo(file, opts) as AsyncIterable<OboItem>) {
    if (i.kind === 'record') {
      t.equal(header, null, 'nothing after the HEADER');
      keys.push(i.key);
      if (i.value.kind === 'HEADER') header = i.value;
      else terms.push(i.value);
    } else if (i.kind === 'reject') rejects.push(`${i.line}: ${i.reason}`);
    else notes.push(`${i.line}: ${i.message}`);
  }
  if (!header) throw new Error('no HEADER record');
  return { terms, header, keys, rejects, notes };
}

function countBy<T>(xs: T[], f: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[f(x)] = (out[f(x)] ?? 0) + 1;
  return out;
}

t.test('goslim_generic.obo: 149 GO terms, 58 alt_ids, no obsolete term, 227 edges', async (t) => {
  const r = await read(path.join(OBO, 'goslim_generic.obo'));
  t.equal(r.terms.length, 149);
  t.ok(r.terms.every((x) => x.go_id?.startsWith('GO:')));
  t.equal(r.terms.filter((x) => x.is_obsolete).length, 0);
  t.equal(r.terms.reduce((n, x) => n + x.alt_ids.length, 0), 58);
  t.same(countBy(r.terms.flatMap((x) => x.edges), (e) => e.relation), { is_a: 148, part_of: 68, occurs_in: 4, regulates: 1, has_part: 6 });
  t.same(countBy(r.terms, (x) => String(aspectOf(x.namespace))), { P: 71, C: 35, F: 43 });
  t.equal(r.terms.filter((x) => x.definition !== null).length, 149, 'every term has a def');
  t.equal(r.rejects.length, 0);
  t.equal(r.notes.filter((n) => n.endsWith('[Typedef] stanza skipped')).length, 10);
  // no data-version: a derived, content-based release id (the same on every read)
  t.match(r.header.obo_version, /^go\/subsets\/goslim_generic@sha256:[0-9a-f]{16}$/);
  t.match(r.notes[0], /^1: no data-version header and no version given; obo_version derived from the content/);
  t.equal((await read(path.join(OBO, 'goslim_generic.obo'))).header.obo_version, r.header.obo_version, 'deterministic');
  t.same(
    { ...r.header, obo_version: 'x' },
    {
      kind: 'HEADER',
      obo_version: 'x',
      obo_url: pathToFileURL(path.join(OBO, 'goslim_generic.obo')).href,
      source_file: path.join(OBO, 'goslim_generic.obo'),
      line: 1,
      go_id: null,
      name: null,
      namespace: null,
      definition: null,
      is_obsolete: false,
      alt_ids: [],
      replaced_by: [],
      consider: [],
      edges: [],
      format_version: '1.2',
      data_version: null,
      date: null,
      term_count: 149,
    },
  );
  const bp = r.terms.find((x) => x.go_id === 'GO:0008150')!;
  t.same(
    { name: bp.name, namespace: bp.namespace, alt_ids: bp.alt_ids, edges: bp.edges, line: bp.line },
    { name: 'biological_process', namespace: 'biological_process', alt_ids: ['GO:0000004', 'GO:0007582'], edges: [], line: bp.line },
  );
  t.match(bp.definition, /^Any process specifically pertinent to the functioning of integrated living units: cells, tissues, organs, and organisms\. .* defined beginning and end\.$/);
  const reproduction = r.terms[0]!;
  t.same([reproduction.go_id, reproduction.line, reproduction.alt_ids], ['GO:0000003', 24, ['GO:0019952', 'GO:0050876']]);
  t.equal(r.keys[0], `${r.header.obo_version}|GO:0000003`);
  t.equal(r.keys.at(-1), r.header.obo_version);
  t.equal(new Set(r.keys).size, 150, 'distinct keys');
});

t.test('go-nucleus.obo: 176 terms (78 GO, others BFO/CHEBI/CL/NCBITaxon...), data-version at the end of the header, 12 relation types', async (t) => {
  const r = await read(path.join(OBO, 'go-nucleus.obo'));
  t.equal(r.terms.length, 176);
  t.same(countBy(r.terms, (x) => x.go_id!.split(':')[0]!), { BFO: 8, CARO: 5, CHEBI: 37, CL: 1, GO: 78, NCBITaxon: 25, NCBITaxon_Union: 13, PATO: 9 });
  t.same(countBy(r.terms, (x) => String(x.namespace)), { biological_process: 43, cellular_component: 25, molecular_function: 10, null: 98 });
  t.equal(r.terms.filter((x) => x.is_obsolete).length, 0);
  t.equal(r.terms.reduce((n, x) => n + x.alt_ids.length, 0), 28);
  t.same(countBy(r.terms.flatMap((x) => x.edges), (e) => e.relation), {
    is_a: 221,
    part_of: 29,
    in_taxon: 22,
    negatively_regulates: 14,
    positively_regulates: 14,
    regulates: 13,
    has_part: 12,
    only_in_taxon: 7,
    has_primary_input_or_output: 2,
    never_in_taxon: 2,
    present_in_taxon: 2,
    capable_of_part_of: 1,
    has_role: 1,
  });
  t.equal(r.header.obo_version, 'releases/2020-01-01/');
  t.equal(r.header.data_version, 'releases/2020-01-01/');
  t.equal(r.header.term_count, 176);
  t.equal(r.notes.length, 97, 'one note per [Typedef]');
  t.ok(r.terms.every((x) => x.obo_version === 'releases/2020-01-01/'));
  const nucleus = r.terms.find((x) => x.go_id === 'GO:0005634')!;
  t.same(nucleus.edges, [
    { relation: 'is_a', parent_go_id: 'GO:0043231' },
    { relation: 'in_taxon', parent_go_id: 'NCBITaxon:2759' },
    { relation: 'only_in_taxon', parent_go_id: 'NCBITaxon:2759' },
    { relation: 'never_in_taxon', parent_go_id: 'NCBITaxon:2' },
  ]);
  t.equal(aspectOf(nucleus.namespace), 'C');
  const regulated = r.terms.filter((x) => x.edges.some((e) => e.relation === 'negatively_regulates' && e.parent_go_id === 'GO:0016310'));
  t.equal(regulated.length, 2, "two terms, one of whose edges carries a '{...}' annotation modifier (line 989): kept without it");
  t.notOk(r.terms.some((x) => x.edges.some((e) => /[\s{}!]/.test(e.parent_go_id) || /[\s{}!]/.test(e.relation))), 'no comment or modifier text in any edge');
});

t.test('go-header-2019-07-01.obo: a real go.obo header with Typedefs and default-namespace', async (t) => {
  const r = await read(path.join(OBO, 'go-header-2019-07-01.obo'), { url: 'http://purl.obolibrary.org/obo/go/releases/2019-07-01/go.obo' });
  t.equal(r.terms.length, 2);
  t.same(
    r.terms.map((x) => [x.go_id, x.name, x.namespace, x.edges]),
    [
      ['GO:0048870', 'cell motility', 'biological_process', [{ relation: 'part_of', parent_go_id: 'GO:0051674' }]],
      ['GO:0051674', 'localization of cell', 'biological_process', []],
    ],
  );
  t.equal(r.header.obo_version, 'releases/2019-07-01');
  t.equal(r.header.format_version, '1.2');
  t.equal(r.header.obo_url, 'http://purl.obolibrary.org/obo/go/releases/2019-07-01/go.obo');
  t.ok(r.terms.every((x) => x.obo_url === r.header.obo_url));
  t.same(r.notes, ['48: [Typedef] stanza skipped', '56: [Typedef] stanza skipped']);
});

t.test('a version given by the caller is used when the file has no data-version, never over it', async (t) => {
  const slim = await read(path.join(OBO, 'goslim_generic.obo'), { version: 'goslim-2016' });
  t.equal(slim.header.obo_version, 'goslim-2016');
  t.equal(slim.notes.filter((n) => n.includes('derived')).length, 0);
  const nucleus = await read(path.join(OBO, 'go-nucleus.obo'), { version: 'ignored' });
  t.equal(nucleus.header.obo_version, 'releases/2020-01-01/');
});

t.test('an empty file is a release with no term', async (t) => {
  const f = path.join(tmp, 'empty.obo');
  writeFileSync(f, '');
  const r = await read(f, { version: 'v0' });
  t.equal(r.terms.length, 0);
  t.match(r.header, { kind: 'HEADER', obo_version: 'v0', term_count: 0, format_version: null });
  t.same(r.notes, ['1: the file holds no [Term] with an id']);
});

t.test('lines without a tag inside a term are noted and skipped; the term is kept', async (t) => {
  const f = path.join(tmp, 'odd.obo');
  writeFileSync(f, 'format-version: 1.4\ndata-version: v1\n\n[Term]\nid: GO:0000001\nthis line has no tag\nname: x ! comment\nis_a:\n');
  const r = await read(f);
  t.equal(r.terms.length, 1);
  t.equal(r.terms[0]?.name, 'x');
  t.same(r.notes, ['6: line without \'tag:\' skipped: "this line has no tag"', '8: is_a line without a target skipped']);
});

t.test('helpers: aspectOf, stripComment, parseDef', async (t) => {
  t.equal(aspectOf('biological_process'), 'P');
  t.equal(aspectOf('molecular_function'), 'F');
  t.equal(aspectOf('cellular_component'), 'C');
  t.equal(aspectOf('external'), null);
  t.equal(aspectOf(null), null);
  t.equal(stripComment('GO:0000001 ! a comment'), 'GO:0000001');
  t.equal(stripComment('a \\! not a comment ! but this is'), 'a ! not a comment');
  t.equal(parseDef('"A \\"quoted\\" word." [GOC:x, PMID:1]'), 'A "quoted" word.');
  t.equal(parseDef('"No xrefs."'), 'No xrefs.');
  t.equal(parseDef('unquoted text [GOC:x]'), 'unquoted text');
  t.equal(parseDef('"unterminated'), 'unterminated');
});
