// Alignment speed on the real CAFA3 targets: cell updates per second (CUPS,
// |query| x |reference| cells per alignment) per core for the chosen kernel
// (parasail's striped SIMD profile kernel, score only: what best hits run on
// every reference) against the plain TypeScript DP in the same run; the
// traceback kernel (full statistics, run on best-hit candidates and pairs);
// and the worker pool's throughput (bestHits, alignPairs). No stack needed.
//
//   node dist/bench/align.js [--queries 40] [--refs 400] [--threads N]
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../lib/config.js';
import { alignRaw, scoreLocalAll } from '../processors/alignment/align.js';
import { packReferences } from '../processors/alignment/best-hits.js';
import { scoreLocalDp } from '../processors/alignment/dp.js';
import { AlignmentPool, alignerImplementation, normalizeSequence } from '../processors/alignment/index.js';
import { benchMain, benchProgram, positiveInt } from './cli.js';

interface Options { fasta: string; queries: number; refs: number; tsPairs: number; threads: number }

function readFasta(file: string): string[] {
  const seqs: string[] = [];
  let cur: string[] | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('>')) {
      if (cur) seqs.push(cur.join(''));
      cur = [];
    } else if (cur && line.trim()) cur.push(line.trim());
  }
  if (cur) seqs.push(cur.join(''));
  return seqs.map(normalizeSequence);
}

const giga = (cells: number, s: number) => `${(cells / s / 1e9).toFixed(3)} GCUPS`;

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function run(o: Options): Promise<void> {
  const impl = alignerImplementation();
  const all = readFasta(o.fasta);
  // every 7th target as a query, the others (interleaved) as references: lengths as in CAFA3
  const queries = all.filter((_, i) => i % 7 === 0).slice(0, o.queries);
  const refs = all.filter((_, i) => i % 7 !== 0).slice(0, o.refs);
  const mean = (xs: string[]) => xs.reduce((s, x) => s + x.length, 0) / xs.length;
  const refCells = refs.reduce((s, r) => s + r.length, 0);
  console.log(`aligner: ${impl.name}${impl.reason ? ` (${impl.reason})` : ''}; ${os.cpus()[0]?.model ?? '?'}, ${os.availableParallelism()} cores`);
  console.log(`${queries.length} queries (mean ${mean(queries).toFixed(0)} aa) x ${refs.length} references (mean ${mean(refs).toFixed(0)} aa) from ${path.basename(o.fasta)}`);

  // 1. one core, score only: parasail profile kernel vs the TypeScript DP
  const packed = packReferences(refs, false);
  const out = new Int32Array(refs.length);
  scoreLocalAll(queries[0]!, packed.bytes, packed.offsets, out); // warm-up
  const cells = queries.reduce((s, q) => s + q.length * refCells, 0);
  const tKernel = timed(() => { for (const q of queries) scoreLocalAll(q, packed.bytes, packed.offsets, out); });
  const tsPairs: [string, string][] = [];
  for (let k = 0; tsPairs.length < o.tsPairs; k++) tsPairs.push([queries[k % queries.length]!, refs[(k * 13) % refs.length]!]);
  scoreLocalDp(tsPairs[0]![0], tsPairs[0]![1]); // warm-up (JIT)
  const tsCells = tsPairs.reduce((s, [a, b]) => s + a.length * b.length, 0);
  const tTs = timed(() => { for (const [a, b] of tsPairs) scoreLocalDp(a, b); });
  const kernel = cells / tKernel, ts = tsCells / tTs;
  console.log(`SW score only, 1 core: ${impl.name} ${giga(cells, tKernel)} (${(queries.length * refs.length / tKernel).toFixed(0)} pairs/s); ` +
    `TypeScript DP ${giga(tsCells, tTs)} (${(tsPairs.length / tTs).toFixed(0)} pairs/s); ratio ${(kernel / ts).toFixed(1)}x; target >= 1 GCUPS per core: ${kernel >= 1e9 ? 'met' : 'NOT met'}`);

  // 2. one core, full statistics (traceback) on the same pairs as the TS DP
  const tTrace = timed(() => { for (const [a, b] of tsPairs) alignRaw(a, b, 'local'); });
  const tTraceG = timed(() => { for (const [a, b] of tsPairs) alignRaw(a, b, 'global'); });
  console.log(`full statistics (traceback), 1 core: SW ${giga(tsCells, tTrace)}, NW ${giga(tsCells, tTraceG)} (${(tsPairs.length / tTrace).toFixed(0)} SW pairs/s)`);

  // 3. the worker pool: bestHits (score all, trace the top) and alignPairs
  const pool = new AlignmentPool({ threads: o.threads });
  try {
    const handle = await pool.loadReferences(refs);
    await pool.bestHits(queries.slice(0, 1), handle); // workers up, JIT warm
    const t0 = performance.now();
    await pool.bestHits(queries, handle, { excludeIdentical: true });
    const tBest = (performance.now() - t0) / 1000;
    console.log(`pool bestHits, ${pool.threads} threads: ${giga(cells, tBest)} in all, ${giga(cells / pool.threads, tBest)} per thread; ` +
      `${(queries.length / tBest).toFixed(1)} queries/s against ${refs.length} references; speed-up over 1 core in-thread ${(cells / tBest / kernel).toFixed(2)}x`);
    const pairs = tsPairs.map(([query, ref]) => ({ query, ref }));
    const t1 = performance.now();
    await pool.alignPairs(pairs, 'local');
    const tPairs = (performance.now() - t1) / 1000;
    console.log(`pool alignPairs (SW, full statistics), ${pool.threads} threads: ${(pairs.length / tPairs).toFixed(0)} pairs/s, ${giga(tsCells, tPairs)}`);
  } finally {
    await pool.close();
  }
}

const program = benchProgram('align', 'Smith-Waterman/Needleman-Wunsch speed on the CAFA3 targets: parasail vs TypeScript DP, cell updates per second per core, worker pool throughput')
  .option('--fasta <file>', 'protein FASTA', path.join(PROJECT_ROOT, 'test/fixtures/data/cafa3-benchmark/sequences/gopredsim_cafa3_targets.fasta'))
  .option('--queries <n>', 'queries (every 7th target)', positiveInt, 40)
  .option('--refs <n>', 'references (the other targets)', positiveInt, 400)
  .option('--ts-pairs <n>', 'pairs for the TypeScript DP and the traceback kernels', positiveInt, 200)
  .option('--threads <n>', 'worker threads of the pool', positiveInt, os.availableParallelism());

benchMain<Options>(import.meta.url, program, run);
