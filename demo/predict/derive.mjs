#!/usr/bin/env node
// Derives the demo's prediction data from the real CAFA3 files (run once, from
// the repository root, after `npm run build`; the output is committed):
//   node demo/predict/derive.mjs [CAFA3_DIR]
// Queries: 8 mammalian targets (human, mouse, rat: the demo's NCBI taxonomy is
// the Mammalia subtree, so every pair gets taxonomy features) whose best
// Smith-Waterman hit among the other targets (bench/fixtures/cafa3-sw-best-hits.tsv.gz)
// has 40-90% identity, at most 3 per species; references: every other
// mammalian target among their top hits, plus the first 150 other mammalian
// targets by id (so the index holds unrelated proteins too), with their ground
// truth as annotations. Every FASTA header gets the target's taxon as OX=
// (a CAFA3 target id is 'T' + NCBI taxon id + 7 digits).
import { readFileSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';

const { writeCafa3Inputs, CAFA3_DIR } = await import(new URL('../../dist/bench/cafa3-inputs.js', import.meta.url).href);
const src = process.argv[2] ?? CAFA3_DIR;
const rows = gunzipSync(readFileSync('bench/fixtures/cafa3-sw-best-hits.tsv.gz')).toString('utf8').split('\n')
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('target')).map((l) => l.split('\t'))
  .filter((f) => f[2] === 'all');
const taxonOf = (target) => target.slice(1, -7);
const MAMMALS = new Set(['9606', '10090', '10116']);
const mammal = (target) => MAMMALS.has(taxonOf(target));
const queries = [];
const perSpecies = new Map();
for (const f of rows.sort((a, b) => Number(b[5]) - Number(a[5]))) {
  const [target, , , , , identity, , top] = f;
  const sp = taxonOf(target);
  if (!mammal(target) || Number(identity) < 0.4 || Number(identity) > 0.9 || (perSpecies.get(sp) ?? 0) >= 3) continue;
  perSpecies.set(sp, (perSpecies.get(sp) ?? 0) + 1);
  queries.push({ target, top: top.split(',').map((h) => h.split(':')[0]) });
  if (queries.length === 8) break;
}
const queryIds = new Set(queries.map((q) => q.target));
const refs = new Set(queries.flatMap((q) => q.top).filter((t) => !queryIds.has(t) && mammal(t)));
const all = [...new Set(rows.map((f) => f[0]))].filter(mammal).sort();
for (const t of all) {
  if (refs.size >= 150 + queries.length * 10) break;
  if (!queryIds.has(t)) refs.add(t);
}
const dir = 'demo/predict';
const r = await writeCafa3Inputs(path.join(dir, 'tmp-refs'), { only: refs, source: src });
const q = await writeCafa3Inputs(path.join(dir, 'tmp-queries'), { only: queryIds, source: src });
renameSync(r.fasta, path.join(dir, 'references.fasta'));
renameSync(r.gaf, path.join(dir, 'references.gaf'));
renameSync(r.obo, path.join(dir, 'flat.obo'));
renameSync(q.fasta, path.join(dir, 'queries.fasta'));
for (const f of ['references.fasta', 'queries.fasta']) {
  const file = path.join(dir, f);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^>(T\d+)$/gm, (_, id) => `>${id} OX=${taxonOf(id)}`));
}
// the queries' own ground truth, for the reader who wants to compare (never loaded)
renameSync(q.groundTruth, path.join(dir, 'queries-groundtruth.tsv'));
rmSync(path.join(dir, 'tmp-refs'), { recursive: true });
rmSync(path.join(dir, 'tmp-queries'), { recursive: true });
writeFileSync(path.join(dir, 'queries.txt'), queries.map((x) => x.target).join('\n') + '\n');
console.log(`queries ${queries.length}, references ${r.targets.length}, terms in the release ${r.terms}`);
