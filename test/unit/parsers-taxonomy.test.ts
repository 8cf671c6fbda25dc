// The NCBI taxonomy reader on the real Mammalia taxdump subset.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTaxonomy, splitDmp } from '../../parsers/taxonomy.js';
import type { TaxonomyItem, TaxonomyRecordValue } from '../../parsers/taxonomy.js';

const TAX = 'test/fixtures/data/taxonomy-ncbi-mammalia';
const NODES = path.join(TAX, 'nodes.dmp');
const NAMES = path.join(TAX, 'names.dmp');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'protea-tax-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

async function read(nodes: string, names: string): Promise<{ nodes: Map<number, TaxonomyRecordValue>; order: number[]; rejects: string[]; notes: string[]; keys: string[] }> {
  const out = { nodes: new Map<number, TaxonomyRecordValue>(), order: [] as number[], rejects: [] as string[], notes: [] as string[], keys: [] as string[] };
  for await (const i of readTaxonomy(nodes, names) as AsyncIterable<TaxonomyItem>) {
    if (i.kind === 'record') {
      out.nodes.set(i.value.tax_id, i.value);
      out.order.push(i.value.tax_id);
      out.keys.push(i.key);
    } else if (i.kind === 'reject') out.rejects.push(`${path.basename(i.file)}:${i.line} ${i.field ?? ''}: ${i.reason}`);
    else out.notes.push(`${path.basename(i.file)}:${i.line} ${i.message}`);
  }
  return out;
}

function lineage(nodes: Map<number, TaxonomyRecordValue>, id: number): string[] {
  const out: string[] = [];
  for (let cur = nodes.get(id); cur; cur = cur.parent_tax_id === cur.tax_id ? undefined : nodes.get(cur.parent_tax_id)) out.push(`${cur.rank}:${cur.scientific_name}`);
  return out;
}

t.test('the Mammalia subset: 12,099 nodes, all named; the one corrupt names.dmp line is rejected', async (t) => {
  const r = await read(NODES, NAMES);
  t.equal(r.nodes.size, 12099);
  t.equal(r.order.length, 12099, 'no duplicate node');
  t.same(r.notes, [], 'every node has a scientific name; repeated identical names are silent');
  // names.dmp line 24766 holds a run of NUL bytes before "51342 | sewellel | | common name":
  // a real corruption of the source file, rejected (it is not a scientific name anyway)
  t.equal(r.rejects.length, 1);
  t.match(r.rejects[0], /^names\.dmp:24766 tax_id: names\.dmp tax_id is not a positive integer: "(\\u0000)+/);
  t.same(r.nodes.get(1), { tax_id: 1, parent_tax_id: 1, rank: 'no rank', scientific_name: 'root' });
  t.same(r.nodes.get(9606), { tax_id: 9606, parent_tax_id: 9605, rank: 'species', scientific_name: 'Homo sapiens' });
  t.same(r.nodes.get(10090), { tax_id: 10090, parent_tax_id: 862507, rank: 'species', scientific_name: 'Mus musculus' });
  t.same(r.nodes.get(10116), { tax_id: 10116, parent_tax_id: 10114, rank: 'species', scientific_name: 'Rattus norvegicus' });
  t.same(r.nodes.get(40674)?.scientific_name, 'Mammalia');
  t.same(lineage(r.nodes, 9606).slice(0, 4), ['species:Homo sapiens', 'genus:Homo', 'subfamily:Homininae', 'family:Hominidae']);
  t.equal(lineage(r.nodes, 9606).at(-1), 'no rank:root');
  t.ok(lineage(r.nodes, 10090).includes('class:Mammalia'));
  t.equal(r.keys[0], String(r.order[0]));
  const ranks = new Map<string, number>();
  for (const n of r.nodes.values()) ranks.set(n.rank, (ranks.get(n.rank) ?? 0) + 1);
  t.equal(ranks.get('species'), 8108);
  t.equal(ranks.get('subspecies'), 1915);
  t.equal(ranks.get('genus'), 1300);
});

t.test('gzip + CRLF copies read the same', async (t) => {
  const nodes = path.join(tmp, 'nodes.dmp.gz');
  const names = path.join(tmp, 'names.dmp.gz');
  writeFileSync(nodes, gzipSync(readFileSync(NODES, 'latin1').replace(/\n/g, '\r\n'), { level: 1 }));
  writeFileSync(names, gzipSync(readFileSync(NAMES), { level: 1 }));
  const r = await read(nodes, names);
  t.equal(r.nodes.size, 12099);
  t.same(r.nodes.get(9606), { tax_id: 9606, parent_tax_id: 9605, rank: 'species', scientific_name: 'Homo sapiens' });
});

t.test('progress covers both files', async (t) => {
  const it = readTaxonomy(NODES, NAMES);
  for await (const _ of it) {
    // drain
  }
  const p = it.progress();
  t.equal(p.totalBytes, 814403 + 1583166);
  t.equal(p.bytesRead, p.totalBytes);
  t.equal(p.lines, 12099 + 24848);
});

t.test('splitDmp', async (t) => {
  t.same(splitDmp('9606\t|\t9605\t|\tspecies\t|'), ['9606', '9605', 'species']);
  t.same(splitDmp('9606\t|\tHomo sapiens\t|\t\t|\tscientific name\t|'), ['9606', 'Homo sapiens', '', 'scientific name']);
  t.same(splitDmp('9606\t|\t9605'), ['9606', '9605'], 'no trailing separator');
});
