// The feature enricher's throughput against the alignment module's own, on the
// CAFA3 neighbour pairs (issue 12: enricher pairs/s >= 0.8 of the module's).
//
//   1. The CAFA3 targets through the real pipeline as bench/cafa3-loo.ts loads
//      them, and one KNN k=5 prediction (--exclude-self, aspect-separated,
//      evidence EXP) with no feature families: dedup, embedder, predictor,
//      enricher (a pass-through here) and the sinks. Its raw records on
//      `<ns>.predictions.raw` and its rows in go_prediction are the workload.
//      Then every stage stops, so nothing else runs while we time.
//   2. Baseline: the distinct (query sequence, reference sequence) pairs of
//      those rows, aligned by a fresh AlignmentPool in both modes (local and
//      global at once, as the enricher does), timed: pairs/s. Pairs the
//      enricher would not align (an empty sequence, more than
//      PROTEA_ENRICH_MAX_ALIGN_CELLS cells) are left out of both sides.
//   3. Enricher: the set's meta.features set to all three families, then
//      runEnricher under a NEW consumer group (it re-reads every raw record
//      from the beginning) into the same namespace: its outputs land on
//      `<ns>.predictions` after the pass-through ones of step 1, so the clock
//      runs from the group joined (pool and database opened) until the topic's
//      end offsets grew by the number of raw records (no transactions: one
//      offset per record). Predictions (rows)/s, records/s, pairs/s, and the
//      ratio to the baseline, by wall clock and per CPU second of this process
//      (main thread and workers; on a shared machine the wall-clock ratio
//      mostly measures the neighbours' load). PostgreSQL's and Kafka's CPU on
//      the enricher's behalf is not in it: `--split` bounds that part.
// `--micro-batch N` sets the enricher's records per micro-batch (default the
// stage's 256). Before TopicProducer cut sends by bytes and parts shrank to
// 2,000 terms, the stage's outputs of one micro-batch went out as one record
// batch and the broker refused them (PROTEA_ERR_KAFKA_PRODUCE_REFUSED) on all
// CAFA3 targets at 256, 64 and 16: this benchmark found it.
// `--repeat N` alternates baseline and enricher (the machine is shared and
// noisy); every run starts cold (fresh pool, fresh alignment cache).
// `--split` adds, per repeat, an enricher run with taxonomy and neighbours
// only: what the stage costs besides the alignments (decode, look-ups,
// features, encode, produce, commit).
//
//   npm run bench:enricher                      # needs `protea stack up`
//   npm run bench:enricher -- --limit 300       # the first 300 targets only (quick look)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { config } from '../lib/config.js';
import { AlignmentPool, normalizeSequence } from '../processors/alignment/index.js';
import { writeCafa3Inputs } from './cafa3-inputs.js';
import { benchMain, benchProgram, positiveInt } from './cli.js';
import { fmt, logEndTotal, machineLine, sleep, table, until } from './common.js';
import { FEATURE_FAMILIES } from '../processors/predictor/params.js';

interface Options { limit?: number; repeat: number; threads?: number; microBatch?: number; atOnce: number[]; split?: boolean; keep?: boolean; timeout: number }

const FAMILIES = FEATURE_FAMILIES;

/** Sum of a counter's values by label string, read from the in-process registry. */
async function counterValues(c: { get(): Promise<{ values: { value: number; labels: Record<string, string | number | undefined> }[] }> }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const v of (await c.get()).values) {
    const key = Object.entries(v.labels).map(([k, x]) => `${k}=${String(x)}`).join(',');
    out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) !== 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

async function run(o: Options): Promise<void> {
  const [{ withAdmin }, { enricherAlignmentPairsTotal, enricherFeatureNullsTotal }, { enricherThreads, runEnricher }, { startPrediction, waitForPrediction }, { startCafa3Pipeline }] = await Promise.all([
    import('../lib/kafka-client.js'),
    import('../lib/metrics.js'),
    import('../processors/enricher/processor.js'),
    import('../processors/predictor/predict-job.js'),
    import('./cafa3-pipeline.js'),
  ]);
  const t0 = Date.now();
  const threads = o.threads ?? enricherThreads();
  const dir = await mkdtemp(path.join(tmpdir(), 'protea-enricher-'));
  const inputs = await writeCafa3Inputs(dir, o.limit !== undefined ? { limit: o.limit } : {});
  console.log(`${machineLine()}\nCAFA3 targets ${inputs.targets.length}; alignment threads ${threads} (both sides); enricher micro-batch ${o.microBatch ?? 'default (256)'}, partitions at once ${o.atOnce.join(' and ')}; max align cells ${fmt(config().enrichMaxAlignCells)}, alignment cache ${fmt(config().enrichAlignCache)}`);
  const pipeline = await startCafa3Pipeline(inputs, { timeoutMs: o.timeout });
  const { db, ns, kmer, q } = pipeline;
  try {
    // ── 1. the workload: one KNN k=5 prediction without features ─────────────
    console.log(`loaded in ${pipeline.loadSeconds.toFixed(1)} s`);
    const tPredict = Date.now();
    const started = await startPrediction({
      method: 'knn', k: 5, threshold: null, metric: 'cosine', aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: true, features: [],
      aggregation: 'mean', scoreMap: 'one-minus-d', index: 'flat',
      querySet: 'cafa3-targets', annotationSet: 'cafa3-groundtruth@1', embeddingConfig: kmer.id, name: 'bench-enricher-knn5', namespace: ns.namespace, dbUrl: db.url,
    });
    const predicted = await waitForPrediction(started, { dbUrl: db.url, progress: process.stderr.isTTY });
    if (predicted.status !== 'succeeded') throw new Error(`the prediction job ended ${predicted.status}`);
    const rawTopic = ns.topic('predictions.raw');
    const outTopic = ns.topic('predictions');
    const rawRecords = await logEndTotal(rawTopic);
    // the pass-through outputs of step 1 must all be on the topic before the enricher runs are counted after them
    await until('the pass-through outputs', () => logEndTotal(outTopic), (n) => n === rawRecords, o.timeout);
    await pipeline.stopStages('workload ready');
    const rows = (await q<{ n: number }>('SELECT count(*)::int AS n FROM go_prediction WHERE prediction_set_id = $1', [started.predictionSetId]))[0]!.n;
    console.log(`KNN k=5 prediction in ${((Date.now() - tPredict) / 1000).toFixed(1)} s: ${fmt(started.queries)} queries, ${fmt(rawRecords)} raw records, ${fmt(rows)} prediction rows (predicted ${fmt(predicted.predicted)}, unpredictable ${fmt(predicted.unpredictable)})`);

    // ── 2. the baseline's pairs: distinct (query sequence, reference sequence) of the rows ──
    const pairRows = await q<{ query: string; ref: string }>(`
        SELECT DISTINCT ON (sq.sequence_hash, sr.sequence_hash) sq.sequence AS query, sr.sequence AS ref
          FROM go_prediction g
          JOIN prediction_set ps ON ps.id = g.prediction_set_id
          JOIN query_set_entry qe ON qe.query_set_id = ps.query_set_id AND qe.accession = g.protein_accession
          JOIN sequence sq ON sq.id = qe.sequence_id
          JOIN protein r ON r.accession = g.ref_protein_accession
          JOIN sequence sr ON sr.id = r.sequence_id
         WHERE g.prediction_set_id = $1`, [started.predictionSetId]);
    const maxCells = config().enrichMaxAlignCells;
    const pairs = pairRows.map((p) => ({ query: normalizeSequence(p.query), ref: normalizeSequence(p.ref) }));
    const alignable = pairs.filter((p) => p.query.length > 0 && p.ref.length > 0 && p.query.length * p.ref.length <= maxCells);
    const cells = alignable.reduce((s, p) => s + p.query.length * p.ref.length, 0);
    console.log(`${fmt(pairs.length)} distinct (query, reference) sequence pairs; ${fmt(alignable.length)} alignable (${fmt(pairs.length - alignable.length)} empty or over ${fmt(maxCells)} cells, left out of both sides); ${fmt(cells / 1e6, 1)} M cells per mode`);

    // CPU seconds of this process (main thread and workers): on a shared machine a rate per CPU second
    // compares the work done where wall-clock rates mostly compare the neighbours' load
    const cpuSince = (c: NodeJS.CpuUsage) => { const d = process.cpuUsage(c); return (d.user + d.system) / 1e6; };
    const baseline = async (): Promise<{ secs: number; cpu: number }> => {
      const pool = new AlignmentPool({ threads });
      try {
        // warm-up: the workers load their aligner before the clock starts, as the enricher's do while it joins
        await pool.alignPairs(alignable.slice(0, threads), 'local');
        const t = process.hrtime.bigint();
        const c = process.cpuUsage();
        const [sw, nw] = await Promise.all([pool.alignPairs(alignable, 'local'), pool.alignPairs(alignable, 'global')]);
        const secs = Number(process.hrtime.bigint() - t) / 1e9;
        const cpu = cpuSince(c);
        if (sw.length !== alignable.length || nw.length !== alignable.length) throw new Error('the pool returned fewer results than pairs');
        return { secs, cpu };
      } finally {
        await pool.close();
      }
    };
    const enricher = async (i: number, atOnce: number, families: readonly string[] = FAMILIES): Promise<{ secs: number; cpu: number; startSecs: number; computed: number; cached: number; nulls: Map<string, number>; loopMaxMs: number; loopP99Ms: number; abandoned: number }> => {
      // a new Enricher reads the set's families afresh
      await q(`UPDATE prediction_set SET meta = meta || $2::jsonb WHERE id = $1`, [started.predictionSetId, JSON.stringify({ features: families })]);
      const pairsBefore = await counterValues(enricherAlignmentPairsTotal);
      const nullsBefore = await counterValues(enricherFeatureNullsTotal);
      const base = await logEndTotal(outTopic);
      const tStart = Date.now();
      const h = await runEnricher({ namespace: ns.namespace, dbUrl: db.url, groupId: `${ns.namespace}.enricher-bench-${i}-${atOnce}-${families.join('-')}`, threads, handleSignals: false,
        ...(o.microBatch !== undefined ? { microBatch: { maxRecords: o.microBatch } } : {}),
        partitionsAtOnce: atOnce,
      });
      let failed: unknown;
      h.done.catch((err: unknown) => (failed = err ?? new Error('the enricher stopped')));
      const startSecs = (Date.now() - tStart) / 1000;
      // a stalled event loop misses heartbeats (the group expels the member and the batch is redone): reported
      const loop = monitorEventLoopDelay({ resolution: 20 });
      loop.enable();
      const t = process.hrtime.bigint();
      const c = process.cpuUsage();
      let secs = 0;
      let cpu = 0;
      try {
        const deadline = Date.now() + o.timeout;
        await withAdmin(async (admin) => {
          for (;;) {
            const n = (await admin.fetchTopicOffsets(outTopic)).reduce((s, p) => s + Number(p.high), 0) - base;
            if (n >= rawRecords) {
              secs = Number(process.hrtime.bigint() - t) / 1e9; // the clock stops here, not after the stage's stop
              cpu = cpuSince(c);
              return;
            }
            if (failed) throw new Error(`the enricher failed after ${n} of ${rawRecords} records: ${(failed as Error).message}`, { cause: failed });
            if (h.stats.deadLetters > 0) throw new Error(`the enricher dead-lettered ${h.stats.deadLetters} records`);
            if (Date.now() > deadline) throw new Error(`timed out: ${n} of ${rawRecords} enriched records on ${outTopic}`);
            await sleep(50);
          }
        });
      } finally {
        loop.disable();
        await h.stop('measured');
      }
      const p = delta(await counterValues(enricherAlignmentPairsTotal), pairsBefore);
      return {
        secs, cpu, startSecs, computed: p.get('source=computed') ?? 0, cached: p.get('source=cached') ?? 0, nulls: delta(await counterValues(enricherFeatureNullsTotal), nullsBefore),
        loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6, abandoned: h.stats.abandonedBatches,
      };
    };

    // ── 3. alternate baseline and enricher ───────────────────────────────────
    const runs: string[][] = [['run', 'side', 'wall s', 'pairs/s', 'predictions/s', 'records/s', 'pairs aligned', 'CPU s', 'pairs/CPU s', 'enricher ÷ baseline (wall, CPU)']];
    const ratios = new Map<number, { wall: number[]; cpu: number[] }>(o.atOnce.map((n) => [n, { wall: [], cpu: [] }]));
    let lastNulls = new Map<string, number>();
    for (let i = 1; i <= o.repeat; i++) {
      const sides: (number | 'baseline' | 'no-alignment')[] = ['baseline', ...o.atOnce, ...(o.split ? ['no-alignment' as const] : [])];
      const order = i % 2 === 1 ? sides : sides.reverse();
      let b = { secs: 0, cpu: 0 };
      const es = new Map<number, Awaited<ReturnType<typeof enricher>>>();
      let rest: Awaited<ReturnType<typeof enricher>> | undefined;
      for (const side of order) {
        if (side === 'baseline') b = await baseline();
        else if (side === 'no-alignment') rest = await enricher(i, o.atOnce[0]!, ['taxonomy', 'neighbours']);
        else es.set(side, await enricher(i, side));
        process.stderr.write(`run ${i}: ${typeof side === 'number' ? `enricher (${side} at once)` : side} done\n`);
      }
      runs.push([String(i), 'baseline', b.secs.toFixed(2), fmt(alignable.length / b.secs), '-', '-', fmt(alignable.length), b.cpu.toFixed(2), fmt(alignable.length / b.cpu), '']);
      for (const n of o.atOnce) {
        const e = es.get(n)!;
        const ratio = (e.computed / e.secs) / (alignable.length / b.secs);
        const cpuRatio = (e.computed / e.cpu) / (alignable.length / b.cpu);
        ratios.get(n)!.wall.push(ratio);
        ratios.get(n)!.cpu.push(cpuRatio);
        lastNulls = e.nulls;
        runs.push([String(i), `enricher, ${n} partition(s) at once`, e.secs.toFixed(2), fmt(e.computed / e.secs), fmt(rows / e.secs), fmt(rawRecords / e.secs), `${fmt(e.computed)} (+${fmt(e.cached)} cached)`, e.cpu.toFixed(2), fmt(e.computed / e.cpu), `${ratio.toFixed(2)}, ${cpuRatio.toFixed(2)}`]);
        runs.push([String(i), '  start (open + join, not timed)', e.startSecs.toFixed(2), '', '', '', '', '', '', '']);
        runs.push([String(i), '  event loop delay p99 / max ms; batches abandoned', `${e.loopP99Ms.toFixed(0)} / ${e.loopMaxMs.toFixed(0)}; ${e.abandoned}`, '', '', '', '', '', '', '']);
        if (e.computed !== alignable.length) process.stderr.write(`warning: run ${i}, ${n} at once: the enricher aligned ${e.computed} pairs, the baseline ${alignable.length}\n`);
      }
      if (rest) runs.push([String(i), 'enricher, taxonomy + neighbours only', rest.secs.toFixed(2), '-', fmt(rows / rest.secs), fmt(rawRecords / rest.secs), '0', rest.cpu.toFixed(2), '-', '']);
    }
    console.log(`\n${table(runs)}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!.toFixed(2);
    for (const [n, r] of ratios) {
      console.log(`\nenricher (${n} partition(s) at once) pairs/s ÷ alignment module pairs/s: median ${median(r.wall)} wall-clock, ${median(r.cpu)} per CPU second of this process, over ${r.wall.length} run(s) (target ≥ 0.80)`);
    }
    const nullRows: string[][] = [['family', 'reason', 'rows']];
    for (const [k, v] of [...lastNulls].sort()) {
      const labels = Object.fromEntries(k.split(',').map((kv) => kv.split('=') as [string, string]));
      nullRows.push([labels.family ?? '?', labels.reason ?? '?', fmt(v)]);
    }
    console.log(`\nnull features in the last enricher run (protea_enricher_feature_nulls_total; of ${fmt(rows)} rows):\n${nullRows.length > 1 ? table(nullRows) : '(none)'}`);
    console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await pipeline.close({ keep: o.keep, dir });
  }
}

const program = benchProgram('enricher', "the feature enricher's pairs/s and predictions/s against the alignment module's own pairs/s, on the CAFA3 KNN k=5 neighbour pairs (target ratio 0.8)")
  .option('--limit <n>', 'only the first N targets (by id); default all', positiveInt)
  .option('--repeat <n>', 'baseline and enricher runs, in alternating order', positiveInt, 1)
  .option('--threads <n>', 'alignment worker threads on both sides (default PROTEA_ENRICH_THREADS: cores - 1, at least 1)', positiveInt)
  .option('--micro-batch <n>', "the enricher's records per micro-batch (default: the stage's own, 256)", positiveInt)
  .option('--at-once <list>', 'partitions whose batches the enricher handles at once, comma-separated: one enricher run per value and repeat (default PROTEA_ENRICH_PARTITIONS_AT_ONCE)', (raw: string) => raw.split(',').map((x) => positiveInt(x.trim())))
  .option('--split', 'also time the enricher without the alignment family (what the stage costs besides aligning)')
  .option('--timeout <s>', 'seconds to wait for each step', positiveInt, 1800)
  .option('--keep', 'keep the database and topics for inspection');

benchMain<Omit<Options, 'atOnce'> & { atOnce?: number[] }>(import.meta.url, program, (o) => run({ ...o, atOnce: o.atOnce ?? [config().enrichPartitionsAtOnce], timeout: o.timeout * 1000 }));
