// GAF -> PostgreSQL: `produce gaf` (topics/produce.ts) onto ingest.gaf and the
// annotations sink into protein_go_annotation, on a generated GAF 2.2
// (bench/generate.ts: >= 1M rows over the GO ids of demo/goslim_generic.obo
// and the accessions of a generated Swiss-Prot-like FASTA).
//
//   npx tsc -p . && node dist/bench/ingest-gaf.js [--rows N=1000000] [--sequences N=200000] [--mode pipeline|staged]
//     [--in-process] [--gzip] [--seed S] [--batch N] [--max-records N] [--cpu-prof DIR] [--keep]
//
// Setup (not timed): fresh topic namespace and migrated database; the OBO is
// produced onto ingest.obo and landed by the ontology sink (obo_version
// 'bench-goslim-generic') until ontology_snapshot_status says complete.
// --mode pipeline (default): the annotations sink runs (a child process
//   `protea pipeline --stage sink:annotations`, or in this process with
//   --in-process) and has joined its group; the clock runs from the first GAF
//   record sent to the commit that puts the sink's stored offsets at the log
//   end; then the rows are counted (one per generated row: the generator's
//   rows are distinct on the table's natural key and every GO id resolves).
// --mode staged: the producer alone, then the sink alone (from its group
//   join to the log end).
// Needs sinks/annotations.ts and sinks/ontology.ts (compiled); says so and
// exits 2 when either is missing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SinkRunner } from '../sinks/runner.js';
import type { IngestGafRecord } from '../schemas/generated/types.js';
import {
  CpuMeter, RowCounter, cpuDelta, fmt, freshDatabase, freshNamespace, machineLine, printCpu, sleep, startChild, table, timedProducer, waitForGroups,
  type Child, type CpuSnapshot,
  pipelineBenchOptions,
  pipelineBenchProgram,
  type PipelineBenchOptions,
} from './common.js';
import { applyExperiments, childImportArgs } from './experiments.js';
import { benchMain, nonNegativeInt } from './cli.js';
import { generateFasta, generateGaf } from './generate.js';

const TARGET = 100_000;
const OBO_VERSION = 'bench-goslim-generic';


interface Options extends PipelineBenchOptions {
  rows: number;
}

async function run(o: Options): Promise<number> {
  const [{ gafRun, oboRun }, { createKafkaClient }, { TopicProducer }, { runSink }, { produce }, { annotationsSink }, { ontologySink }] = await Promise.all([
    import('../topics/ingest-runs.js'),
    import('../lib/kafka-client.js'),
    import('../lib/topic-producer.js'),
    import('../sinks/runner.js'),
    import('../topics/produce.js'),
    import('../sinks/annotations.js'),
    import('../sinks/ontology.js'),
  ]);
  await applyExperiments(o.experiments);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-gaf-'));
  const ext = o.gzip ? '.gz' : '';
  process.stderr.write(`generating a ${o.sequences}-entry FASTA (for its accessions) and ${o.rows} GAF rows (seed ${o.seed}) in ${dir} ...\n`);
  const { proteins } = await generateFasta(path.join(dir, `swissprot-like.fasta${ext}`), { sequences: o.sequences, seed: o.seed, gzip: o.gzip });
  const gafFile = path.join(dir, `goa-like.gaf${ext}`);
  const manifest = await generateGaf(gafFile, proteins, { rows: o.rows, seed: o.seed, gzip: o.gzip });
  const obo = manifest.obo;
  const ns = await freshNamespace();
  const db = await freshDatabase();
  const counter = new RowCounter(db.url);
  const admin = createKafkaClient().admin();
  await admin.connect();
  const children: Child[] = [];
  let sink: SinkRunner<IngestGafRecord> | undefined;
  const stopSink = async () => {
    await Promise.all(children.map((c) => c.stop()));
    children.length = 0;
    await sink?.stop();
    sink = undefined;
  };
  try {
    const topic = ns.topic('ingest.gaf');
    process.stdout.write(`\n== GAF -> PostgreSQL, ${o.mode}, annotations sink ${o.inProcess ? 'in this process' : 'as a child process'} ==\n`);
    process.stdout.write(`machine: ${machineLine()}\nnamespace ${ns.namespace}, database ${db.name}\n`);
    process.stdout.write(
      `input: ${fmt(manifest.rows)} GAF 2.2 rows, ${fmt(manifest.bytes / 2 ** 20, 1)} MiB${manifest.gzip ? ' before gzip' : ''}, over ${fmt(manifest.proteins)} accessions and ${manifest.goTerms} GO terms of ${path.basename(obo)}; ` +
        `evidence ${Object.entries(manifest.evidence).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${((100 * v) / manifest.rows).toFixed(0)}%`).join(', ')}, ...; ${fmt(manifest.notQualified)} NOT rows\n`,
    );

    if (o.experiments.length > 0) process.stdout.write(`EXPERIMENT (bench/experiments.ts, not the project's code as it is): ${o.experiments.join(', ')}\n`);
    // setup: the ontology release, through its topic and sink
    const setupProducer = new TopicProducer();
    await produce(oboRun(obo, { version: OBO_VERSION }), { producer: setupProducer, namespace: ns.namespace, progress: null });
    await setupProducer.disconnect();
    const ontology = await runSink(ontologySink, { namespace: ns.namespace, dbUrl: db.url });
    const t0 = Date.now();
    for (;;) {
      const [status] = await counter.query<{ complete: boolean; terms_loaded: number }>('SELECT complete, terms_loaded FROM ontology_snapshot_status WHERE obo_version = $1', [OBO_VERSION]);
      if (status?.complete) {
        process.stdout.write(`setup: ontology ${OBO_VERSION} loaded (${status.terms_loaded} terms) in ${fmt((Date.now() - t0) / 1000, 1)} s\n`);
        break;
      }
      if (Date.now() - t0 > 120_000) throw new Error('the ontology did not load within 120 s');
      await sleep(200);
    }
    await ontology.stop();

    const startSink = async () => {
      const nodeArgs = [...(o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : []), ...(o.experiments.length > 0 ? childImportArgs() : [])];
      if (o.inProcess) sink = await runSink(annotationsSink, { namespace: ns.namespace, dbUrl: db.url, ...(o.maxRecords ? { maxRecords: o.maxRecords } : {}) });
      else {
        const c = startChild('sink-annotations', '../bin/protea.js', ['pipeline', '--stage', 'sink:annotations', ...(o.maxRecords ? ['--max-records', String(o.maxRecords)] : [])], { PROTEA_TOPIC_NAMESPACE: ns.namespace, PROTEA_DB_URL: db.url, PROTEA_BENCH_EXPERIMENTS: o.experiments.join(',') }, { logDir: dir, nodeArgs });
        children.push(c);
        c.exited.then((code) => code !== 0 && process.stderr.write(`sink-annotations exited ${code}; see ${dir}/sink-annotations.log\n`)).catch(() => undefined);
      }
      await waitForGroups([`${ns.namespace}.sink.annotations`]);
    };
    const producer = await timedProducer(topic);
    await producer.connect();
    const meter = new CpuMeter(() => children.map((c) => ({ name: c.name, pid: c.proc.pid })), () => counter.backendPids());
    const produceGaf = () => produce(gafRun(gafFile, { source: 'goa', version: `bench-${o.seed}`, ontology: OBO_VERSION }), { producer, namespace: ns.namespace, progress: null, batchSize: o.batch });
    const logEnd = async () => (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
    const stored = async () => Number((await counter.query<{ n: string | null }>(`SELECT sum(next_offset)::bigint AS n FROM sink_offsets WHERE sink = 'annotations'`))[0]?.n ?? 0);
    /** until the sink's offsets are at the log end (after the producer finished); ms after base() */
    const untilSunk = async (base: () => number, producerDone: () => boolean): Promise<number> => {
      const deadline = Date.now() + o.timeoutS * 1000;
      let lastLine = 0;
      for (;;) {
        const now = performance.now();
        const [s, end] = await Promise.all([stored(), logEnd()]);
        if (producerDone() && end > 0 && s >= end) return performance.now() - base();
        if (now - lastLine > 1000 && base() > 0) {
          lastLine = now;
          process.stderr.write(`  t=${((now - base()) / 1000).toFixed(1)}s sent=${producer.sent} sunk=${s}\n`);
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${o.timeoutS} s (${s} of ${end} sunk)`);
        await sleep(100);
      }
    };

    let summary: string[][];
    let commits0 = 0;
    const cpuRows: [string, ReturnType<typeof cpuDelta>][] = [];
    let sent = 0;
    if (o.mode === 'pipeline') {
      await startSink();
      const cpu0 = await meter.snapshot();
      commits0 = await counter.commits();
      let done = false;
      const producing = produceGaf().then((r) => {
        done = true;
        return r;
      });
      producing.catch(() => undefined);
      const ms = await Promise.race([untilSunk(() => producer.first, () => done), producing.then(() => new Promise<never>(() => undefined))]);
      cpuRows.push(['producer + sink, at once', cpuDelta(cpu0, await meter.snapshot())]);
      const report = await producing;
      sent = report.sent;
      const tp = producer.last - producer.first;
      summary = [
        ['stage (both running)', 'done at s', 'records', 'records/s over 0..done'],
        ['producer: last GAF record acknowledged', fmt(tp / 1000, 2), fmt(sent), fmt((sent * 1000) / tp)],
        ['annotations sink: offsets at the log end', fmt(ms / 1000, 2), fmt(sent), fmt((sent * 1000) / ms)],
      ];
      process.stdout.write(`\nend to end: ${fmt(sent)} GAF rows in ${fmt(ms / 1000, 2)} s from the first record sent to the last commit -> ${fmt((sent * 1000) / ms)} rows/s (target ${fmt(TARGET)}: ${fmt((sent * 1000) / ms / TARGET, 2)}x)\n`);
    } else {
      let cpuPrev: CpuSnapshot = await meter.snapshot();
      const report = await produceGaf();
      sent = report.sent;
      const tp = producer.last - producer.first;
      cpuRows.push(['producer alone', cpuDelta(cpuPrev, await meter.snapshot())]);
      commits0 = await counter.commits();
      await startSink();
      const tJoin = performance.now();
      cpuPrev = await meter.snapshot();
      const ms = await untilSunk(() => tJoin, () => true);
      cpuRows.push(['annotations sink alone', cpuDelta(cpuPrev, await meter.snapshot())]);
      summary = [
        ['stage (alone)', 'seconds', 'records', 'records/s'],
        ['producer: produce() reads, validates, Avro-encodes, sends', fmt(tp / 1000, 2), fmt(sent), fmt((sent * 1000) / tp)],
        ['annotations sink: decode, COPY, resolve GO ids, merge', fmt(ms / 1000, 2), fmt(sent), fmt((sent * 1000) / ms)],
        ['one after the other', fmt((tp + ms) / 1000, 2), fmt(sent), fmt((sent * 1000) / (tp + ms))],
      ];
      process.stdout.write(`\nannotations sink alone: ${fmt(sent)} GAF rows in ${fmt(ms / 1000, 2)} s -> ${fmt((sent * 1000) / ms)} rows/s (target ${fmt(TARGET)}: ${fmt((sent * 1000) / ms / TARGET, 2)}x)\n`);
    }
    // backends report their statistics when they exit (or within seconds): stop the sink first
    await stopSink();
    await sleep(1000);
    const commits = (await counter.commits()) - commits0;
    process.stdout.write(`\n${table(summary)}\n\n`);
    for (const [name, delta] of cpuRows) {
      process.stdout.write(`-- ${name} --\n`);
      printCpu(delta);
    }
    process.stdout.write(`PostgreSQL: ${fmt(commits)} sink transactions committed (~${fmt(sent / Math.max(1, commits))} records each)\n`);
    await stopSink();
    await producer.disconnect();
    const [rows] = await counter.counts(['protein_go_annotation']);
    const dead = (await admin.fetchTopicOffsets(ns.topic('dlq.sinks'))).reduce((s, p) => s + Number(p.high), 0);
    const ok = rows === manifest.rows && dead === 0;
    process.stdout.write(`\ncheck: ${fmt(rows ?? 0)} protein_go_annotation rows (expected ${fmt(manifest.rows)}), ${dead} dead letters: ${ok ? 'OK' : 'MISMATCH'}\n`);
    return ok ? 0 : 1;
  } finally {
    await stopSink().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await counter.close().catch(() => undefined);
    if (!o.keep) {
      await db.drop();
      await ns.drop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    } else {
      process.stderr.write(`kept: namespace ${ns.namespace}, database ${db.name}, files ${dir}\n`);
    }
  }
}

const program = pipelineBenchProgram('ingest-gaf', 'GAF -> PostgreSQL (the annotations sink, with the ontology loaded first): rows per second').option(
  '--rows <n>',
  'GAF rows to generate',
  nonNegativeInt,
  1_000_000,
);

benchMain(import.meta.url, program, (opts: Record<string, unknown>) => run({ ...pipelineBenchOptions(opts), rows: opts.rows as number }));
