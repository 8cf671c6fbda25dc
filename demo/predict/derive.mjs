#!/usr/bin/env node
// Derives the demo's prediction data from the real CAFA3 files (run once, from
// the repository root, after `npm run build`; the output is committed):
//   node demo/predict/derive.mjs [CAFA3_DIR]
// Queries: 8 targets whose best Smith-Waterman hit among the other targets
// (bench/fixtures/cafa3-sw-best-hits.tsv.gz) has at least 40% identity, one per
// species where possible; references: every other target among their top hits,
// plus the first 150 other targets by id (so the index holds unrelated
// proteins too), with their ground truth as annotations.
import { readFileSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';

const { writeCafa3Inputs, CAFA3_DIR } = await import(new URL('../../dist/bench/cafa3-inputs.js', import.meta.url).href);
const src = process.argv[2] ?? CAFA3_DIR;
const rows = gunzipSync(readFileSync('bench/fixtures/cafa3-sw-best-hits.tsv.gz')).toString('utf8').split('\n')
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('target')).map((l) => l.split('\t'))
  .filter((f) => f[2] === 'all');
const queries = [];
const species = new Set();
for (const f of rows.sort((a, b) => Number(b[5]) - Number(a[5]))) {
  const [target, , , , , identity, , top] = f;
  const sp = target.slice(1, -8);
  if (Number(identity) < 0.4 || Number(identity) > 0.9 || species.has(sp)) continue;
  species.add(sp);
  queries.push({ target, top: top.split(',').map((h) => h.split(':')[0]) });
  if (queries.length === 8) break;
}
const queryIds = new Set(queries.map((q) => q.target));
const refs = new Set(queries.flatMap((q) => q.top).filter((t) => !queryIds.has(t)));
const all = [...new Set(rows.map((f) => f[0]))].sort();
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
// the queries' own ground truth, for the reader who wants to compare (never loaded)
renameSync(q.groundTruth, path.join(dir, 'queries-groundtruth.tsv'));
rmSync(path.join(dir, 'tmp-refs'), { recursive: true });
rmSync(path.join(dir, 'tmp-queries'), { recursive: true });
writeFileSync(path.join(dir, 'queries.txt'), queries.map((x) => x.target).join('\n') + '\n');
console.log(`queries ${queries.length}, references ${r.targets.length}, terms in the release ${r.terms}`);
