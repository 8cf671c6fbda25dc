// FASTA -> PostgreSQL end to end: `produce fasta` (topics/produce.ts) onto
// ingest.fasta, the dedup-by-MD5 processor, the sequences and proteins sinks,
// on a generated Swiss-Prot-like FASTA (bench/generate.ts).
//
//   npx tsc -p . && node dist/bench/ingest-fasta.js [--sequences N] [--mode pipeline|staged]
//     [--in-process] [--gzip] [--seed S] [--batch N] [--max-records N] [--cpu-prof DIR] [--keep] [--no-direct]
//
// Fresh topic namespace and fresh (migrated) database per run, both dropped at
// the end (--keep leaves them and the generated files). Stages run as child
// processes by default (`protea pipeline --stage dedup`,
// `protea pipeline --stage sink:sequences|sink:proteins`, configured through
// PROTEA_TOPIC_NAMESPACE and PROTEA_DB_URL), the way `protea pipeline --stage`
// scales out; --in-process runs them in this process instead (one event loop
// for everything).
//
// --mode pipeline (default): every stage runs and has joined its group before
//   the first record is sent; the clock runs from the first record sent to
//   the moment the sequence and protein row counts reach their expected
//   values (distinct MD5s, distinct accessions). Each stage's finishing time is
//   recorded from the same clock.
// --mode staged: the same work one stage at a time, each alone on the machine:
//   producer (to the log end), then dedup (from its group join to its
//   committed offsets at the log end), then the two sinks (from their join to
//   the expected rows). Says what each stage can do when it has the machine.
//
// Before either, the same file is loaded directly (bench/direct-load.ts: one
// process, no Kafka, the reader, dedup transform and sink transactions of the
// pipeline) into a second fresh database: the ceiling the pipeline's rate is
// divided by (issue 13: pipeline >= 0.5x direct). Both databases must end with
// the same sequence, protein and job-progress content (checksums compared);
// --no-direct skips it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ProcessorHandle } from '../processors/runner.js';
import type { SinkRunner } from '../sinks/runner.js';
import {
  CpuMeter, RowCounter, cpuDelta, fmt, freshDatabase, freshNamespace, machineLine, printCpu, sleep, startChild, table, timedProducer, waitForGroups,
  type Child, type CpuSnapshot, type FreshDatabase, type FreshNamespace,
  pipelineBenchOptions,
  pipelineBenchProgram,
  type PipelineBenchOptions,
} from './common.js';
import { benchMain } from './cli.js';
import { applyExperiments, childImportArgs } from './experiments.js';
import { generateFasta, type FastaManifest } from './generate.js';
import type { DirectLoadReport } from './direct-load.js';

const TARGET = 30_000;
/** issue 13: the pipeline's rate over the direct load's */
const DIRECT_RATIO_TARGET = 0.5;

type Options = PipelineBenchOptions & { direct: boolean };

interface Stages {
  /** records the dedup stage has consumed and committed */
  deduped(): Promise<number>;
  stop(): Promise<void>;
  children: Child[];
}

/** Dedup + the two sinks, as children or in this process. */
async function startStages(which: ('dedup' | 'sinks')[], ns: FreshNamespace, db: FreshDatabase, o: Options, logDir: string): Promise<Stages> {
  const [{ createKafkaClient }, { runDedup }, { proteinsSink }, { runSink }, { sequencesSink }] = await Promise.all([
    import('../lib/kafka-client.js'),
    import('../processors/dedup/processor.js'),
    import('../sinks/proteins.js'),
    import('../sinks/runner.js'),
    import('../sinks/sequences.js'),
  ]);
  const ingest = ns.topic('ingest.fasta');
  const groups: string[] = [];
  const children: Child[] = [];
  let dedup: ProcessorHandle | undefined;
  const sinks: SinkRunner<unknown>[] = [];
  const env = { PROTEA_TOPIC_NAMESPACE: ns.namespace, PROTEA_DB_URL: db.url, PROTEA_BENCH_EXPERIMENTS: o.experiments.join(',') };
  const nodeArgs = [...(o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : []), ...(o.experiments.length > 0 ? childImportArgs() : [])];
  const sinkArgs = o.maxRecords ? ['--max-records', String(o.maxRecords)] : [];
  if (which.includes('dedup')) {
    groups.push(`${ns.namespace}.dedup`);
    if (o.inProcess) dedup = await runDedup({ namespace: ns.namespace, handleSignals: false });
    else children.push(startChild('dedup', '../bin/protea.js', ['pipeline', '--stage', 'dedup'], env, { logDir, nodeArgs }));
  }
  if (which.includes('sinks')) {
    for (const mapping of [sequencesSink, proteinsSink]) {
      groups.push(`${ns.namespace}.sink.${mapping.name}`);
      if (o.inProcess) {
        sinks.push((await runSink(mapping as never, { namespace: ns.namespace, dbUrl: db.url, ...(o.maxRecords ? { maxRecords: o.maxRecords } : {}) })) as SinkRunner<unknown>);
      } else {
        children.push(startChild(`sink-${mapping.name}`, '../bin/protea.js', ['pipeline', '--stage', `sink:${mapping.name}`, ...sinkArgs], env, { logDir, nodeArgs }));
      }
    }
  }
  const failed = Promise.race(children.map((c) => c.exited.then((code) => Promise.reject(new Error(`${c.name} exited (${code}) before it joined; see ${logDir}/${c.name}.log`)))));
  failed.catch(() => undefined);
  await Promise.race([waitForGroups(groups), failed]);
  const admin = createKafkaClient().admin();
  await admin.connect();
  return {
    children,
    async deduped() {
      if (dedup) return dedup.stats.recordsIn;
      const res = await admin.fetchOffsets({ groupId: `${ns.namespace}.dedup`, topics: [ingest] });
      return res.flatMap((t) => t.partitions).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    },
    async stop() {
      await admin.disconnect().catch(() => undefined);
      await Promise.all(children.map((c) => c.stop()));
      await dedup?.stop('bench done');
      await Promise.all(sinks.map((s) => s.stop()));
    },
  };
}

interface Timeline {
  t: number;
  sent: number;
  deduped: number;
  sequenceMsgs: number;
  sequencesStored: number;
  proteinsStored: number;
}

interface Progress {
  sent(): number;
  producerDone(): boolean;
  deduped(): Promise<number>;
  /** messages on the sequences and proteins topics, and the offsets the sinks stored */
  sinks(): Promise<{ sequenceMsgs: number; proteinMsgs: number; sequencesStored: number; proteinsStored: number }>;
}

/**
 * Polls progress (cheaply: committed offsets, topic ends, sink_offsets; no
 * count(*) while the stages run) until the stages asked for are done; returns
 * when each finished, in ms after t0(). The sinks are done when their stored
 * offsets reach the log ends of both topics after dedup finished: rows and
 * offsets commit in one transaction, so the rows are all there then (the
 * caller checks the row counts afterwards).
 */
async function watch(t0: () => number, progress: Progress, expect: { records: number; dedup: boolean; sinks: boolean }, timeoutS: number): Promise<{ producer?: number; dedup?: number; sinks?: number; timeline: Timeline[] }> {
  const out: { producer?: number; dedup?: number; sinks?: number; timeline: Timeline[] } = { timeline: [] };
  const deadline = Date.now() + timeoutS * 1000;
  let lastLine = 0;
  let deduped = 0;
  let s = { sequenceMsgs: 0, proteinMsgs: 0, sequencesStored: 0, proteinsStored: 0 };
  for (;;) {
    const now = performance.now();
    const base = t0();
    if (out.producer === undefined && progress.producerDone()) out.producer = now - base;
    if (expect.dedup) {
      deduped = await progress.deduped();
      if (out.dedup === undefined && out.producer !== undefined && deduped >= expect.records) out.dedup = performance.now() - base;
    }
    if (expect.sinks) {
      s = await progress.sinks();
      const upstreamDone = !expect.dedup || out.dedup !== undefined;
      if (out.sinks === undefined && upstreamDone && s.proteinsStored >= expect.records && s.sequencesStored >= s.sequenceMsgs) out.sinks = performance.now() - base;
    }
    if (base > 0 && now - lastLine >= 1000) {
      lastLine = now;
      const row: Timeline = { t: (now - base) / 1000, sent: progress.sent(), deduped, sequenceMsgs: s.sequenceMsgs, sequencesStored: s.sequencesStored, proteinsStored: s.proteinsStored };
      out.timeline.push(row);
      process.stderr.write(`  t=${row.t.toFixed(1)}s sent=${row.sent} deduped=${row.deduped} sequences sunk=${row.sequencesStored}/${row.sequenceMsgs} proteins sunk=${row.proteinsStored}\n`);
    }
    const done = out.producer !== undefined && (!expect.dedup || out.dedup !== undefined) && (!expect.sinks || out.sinks !== undefined);
    if (done) return out;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutS} s: ${JSON.stringify(out.timeline.at(-1) ?? {})}`);
    await sleep(100);
  }
}

function rate(n: number, ms: number | undefined): string {
  return ms === undefined || ms <= 0 ? '-' : fmt((n * 1000) / ms);
}

/** The direct load's outcome, with its database kept for the comparison at the end. */
interface DirectRun {
  report: DirectLoadReport;
  cpu: ReturnType<typeof cpuDelta>;
  /** the machine line taken before it ran (its own load shows in the later one) */
  machine: string;
  db: FreshDatabase;
  counter: RowCounter;
}

/** Loads the file into a fresh database with directLoad(), metering this process and the database's backends. */
async function runDirect(file: string): Promise<DirectRun> {
  const [{ createCopyPool }, { directLoad }] = await Promise.all([import('../lib/db.js'), import('./direct-load.js')]);
  const machine = machineLine();
  const db = await freshDatabase();
  const counter = new RowCounter(db.url);
  const pool = createCopyPool(db.url, 1);
  try {
    const client = await pool.connect();
    try {
      // no children: this process does all the work; the backends are the loader's connection and the counter's
      const meter = new CpuMeter(() => [], () => counter.backendPids());
      const cpu0 = await meter.snapshot();
      process.stderr.write('direct load (no Kafka) ...\n');
      const report = await directLoad(file, client);
      const cpu1 = await meter.snapshot();
      return { report, cpu: cpuDelta(cpu0, cpu1), machine, db, counter };
    } finally {
      client.release();
    }
  } catch (err) {
    await counter.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw err;
  } finally {
    await pool.end();
  }
}

/** What a load wrote, by content: counts and order-independent checksums of the columns the sinks fill. */
interface Content {
  sequences: number;
  sequences_md5: string | null;
  proteins: number;
  linked: number;
  proteins_md5: string | null;
  items: number;
  items_md5: string | null;
  progress: number;
}

/**
 * Row ids, timestamps and job ids differ between two loads by design; the
 * rest must not: each protein is compared with its data columns and the hash
 * of the sequence it links to, each progress item by its text (file and line).
 */
async function contentOf(counter: RowCounter): Promise<Content> {
  const { PROTEIN_DATA_COLUMNS } = await import('../sinks/proteins.js');
  const protein = ['accession', ...PROTEIN_DATA_COLUMNS].map((c) => `p.${c}`).join(', ');
  const [row] = await counter.query<Content>(`
    SELECT (SELECT count(*) FROM sequence)::int AS sequences,
           (SELECT md5(string_agg(md5(row(sequence_hash, sequence, length)::text), '' ORDER BY sequence_hash)) FROM sequence) AS sequences_md5,
           (SELECT count(*) FROM protein)::int AS proteins,
           (SELECT count(*) FROM protein WHERE sequence_id IS NOT NULL)::int AS linked,
           (SELECT md5(string_agg(md5(row(${protein}, s.sequence_hash)::text), '' ORDER BY p.accession))
              FROM protein p LEFT JOIN sequence s ON s.id = p.sequence_id) AS proteins_md5,
           (SELECT count(*) FROM job_progress_item)::int AS items,
           (SELECT md5(string_agg(item, E'\n' ORDER BY item)) FROM job_progress_item) AS items_md5,
           (SELECT coalesce(sum(progress_current), 0) FROM job)::int AS progress`);
  return row!;
}

async function proteinWrites(counter: RowCounter): Promise<string> {
  const [tup] = await counter.query<{ ins: string; upd: string; hot: string }>(`SELECT n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'protein'`);
  return tup ? `${fmt(Number(tup.ins))} inserted, ${fmt(Number(tup.upd))} updated afterwards (${fmt(Number(tup.hot))} HOT)` : '?';
}

function printDirect(d: DirectRun): void {
  const r = d.report;
  const cpuOf = (name: string) => d.cpu.rows.find(([k]) => k === name)?.[1] ?? 0;
  const own = cpuOf('bench process') + cpuOf('postgresql: backends of the bench database');
  process.stdout.write(`\n-- direct load: the ceiling (bench/direct-load.ts: one process, no Kafka, the sinks' transactions) --\n`);
  process.stdout.write(`machine before it: ${d.machine}\n`);
  process.stdout.write(
    `${fmt(r.entries)} entries (${r.rejected} rejected) -> ${fmt(r.sequenceRecords)} sequence + ${fmt(r.proteinRecords)} protein records in ${fmt(r.transactions)} transactions; ` +
      `${fmt(r.ms / 1000, 2)} s from opening the file to the last commit -> ${fmt((r.entries * 1000) / r.ms)} sequences/s\n`,
  );
  printCpu(d.cpu);
  process.stdout.write(`direct load CPU per FASTA entry: ${fmt((own * 1e6) / Math.max(1, r.entries))} µs (this process + the database's backends), ${fmt((d.cpu.machineBusy * 1e6) / Math.max(1, r.entries))} µs of the whole machine's busy time (other sessions included)\n`);
}

async function run(o: Options): Promise<void> {
  const [{ fastaRun }, { createKafkaClient }, { produce }] = await Promise.all([import('../topics/ingest-runs.js'), import('../lib/kafka-client.js'), import('../topics/produce.js')]);
  await applyExperiments(o.experiments);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-fasta-'));
  const file = path.join(dir, `swissprot-like.fasta${o.gzip ? '.gz' : ''}`);
  process.stderr.write(`generating ${o.sequences} FASTA entries (seed ${o.seed}) in ${dir} ...\n`);
  const tg = Date.now();
  const { manifest } = await generateFasta(file, { sequences: o.sequences, seed: o.seed, gzip: o.gzip });
  process.stderr.write(`  ${fmt(manifest.bytes / 2 ** 20, 1)} MiB of FASTA in ${((Date.now() - tg) / 1000).toFixed(1)} s\n`);
  // first, while nothing else of this benchmark runs
  const direct = o.direct ? await runDirect(file) : undefined;
  const dropDirect = async () => {
    await direct?.counter.close().catch(() => undefined);
    if (!direct) return;
    if (o.keep) process.stderr.write(`kept: direct-load database ${direct.db.name}\n`);
    else await direct.db.drop().catch((e: unknown) => process.stderr.write(`drop database: ${String(e)}\n`));
  };
  const ns = await freshNamespace().catch(async (err: unknown) => {
    await dropDirect();
    throw err;
  });
  const db = await freshDatabase();
  const counter = new RowCounter(db.url);
  const admin = createKafkaClient().admin();
  await admin.connect();
  let stages: Stages | undefined;
  const cleanup = async () => {
    await stages?.stop().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await counter.close().catch(() => undefined);
    await dropDirect();
    if (!o.keep) {
      await db.drop().catch((e: unknown) => process.stderr.write(`drop database: ${String(e)}\n`));
      await ns.drop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    } else {
      process.stderr.write(`kept: namespace ${ns.namespace}, database ${db.name}, files ${dir}\n`);
    }
  };
  try {
    const ingest = ns.topic('ingest.fasta');
    const producer = await timedProducer(ingest);
    await producer.connect();
    const meter = new CpuMeter(() => (stages?.children ?? []).map((c) => ({ name: c.name, pid: c.proc.pid })), () => counter.backendPids());
    const expect = { records: manifest.entries, sequences: manifest.distinctSequences, proteins: manifest.distinctAccessions };
    process.stdout.write(`\n== FASTA -> PostgreSQL, ${o.mode}, stages ${o.inProcess ? 'in one process' : 'as child processes'} ==\n`);
    process.stdout.write(`machine: ${machineLine()}\nnamespace ${ns.namespace}, database ${db.name}\n`);
    describeInput(manifest);
    if (direct) printDirect(direct);
    // the pipeline's rate, for the ratio to the direct load: end to end, or stage after stage when staged
    let pipelineRate = 0;
    if (o.experiments.length > 0) process.stdout.write(`EXPERIMENT (bench/experiments.ts, not the project's code as it is): ${o.experiments.join(', ')}\n`);
    const produceOnce = () => produce(fastaRun(file, { source: 'uniprot' }), { producer, namespace: ns.namespace, progress: null, batchSize: o.batch });
    const topicEnd = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    let producerDone = false;
    const progress: Progress = {
      sent: () => producer.sent,
      producerDone: () => producerDone,
      deduped: () => stages?.deduped() ?? Promise.resolve(0),
      async sinks() {
        const [sequenceMsgs, proteinMsgs, stored] = await Promise.all([
          topicEnd(ns.topic('sequences')),
          topicEnd(ns.topic('proteins')),
          counter.query<{ sink: string; n: string }>('SELECT sink, sum(next_offset)::bigint AS n FROM sink_offsets GROUP BY sink'),
        ]);
        const of = (name: string) => Number(stored.find((r) => r.sink === name)?.n ?? 0);
        return { sequenceMsgs, proteinMsgs, sequencesStored: of('sequences'), proteinsStored: of('proteins') };
      },
    };

    if (o.mode === 'pipeline') {
      stages = await startStages(['dedup', 'sinks'], ns, db, o, dir);
      const cpu0 = await meter.snapshot();
      const commits0 = await counter.commits();
      const producing = produceOnce().then((r) => {
        producerDone = true;
        return r;
      });
      producing.catch(() => undefined);
      const marks = await Promise.race([
        watch(() => producer.first, progress, { records: expect.records, dedup: true, sinks: true }, o.timeoutS),
        producing.then(() => new Promise<never>(() => undefined)),
      ]);
      const cpu1 = await meter.snapshot();
      // backends report their statistics when they exit (or within seconds): stop the stages first
      await stages.stop();
      stages = undefined;
      await sleep(1000);
      const commits = (await counter.commits()) - commits0;
      const report = await producing;
      const total = marks.sinks!;
      const last = await progress.sinks();
      process.stdout.write(`\nrecords: ${fmt(report.sent)} FASTA entries sent (${report.rejected} rejected) -> ${fmt(last.sequenceMsgs)} sequence messages, ${fmt(last.proteinMsgs)} protein messages -> ${fmt(expect.sequences)} sequence rows + ${fmt(expect.proteins)} protein rows\n`);
      pipelineRate = (report.sent * 1000) / total;
      process.stdout.write(`\n-- pipeline --\n`);
      process.stdout.write(`end to end: ${fmt(total / 1000, 2)} s from the first record sent to the last row committed -> ${fmt((report.sent * 1000) / total)} sequences/s (FASTA entries/s; target ${fmt(TARGET)}: ${fmt((report.sent * 1000) / total / TARGET, 2)}x)\n\n`);
      process.stdout.write(
        `${table([
          ['stage (all running at once)', 'done at s', 'records', 'records/s over 0..done'],
          ['producer: last record acknowledged', fmt((marks.producer ?? 0) / 1000, 2), fmt(report.sent), rate(report.sent, marks.producer)],
          ['dedup: offsets committed at the log end', fmt((marks.dedup ?? 0) / 1000, 2), fmt(report.sent), rate(report.sent, marks.dedup)],
          ['sinks: both sinks at the log end', fmt(total / 1000, 2), fmt(last.sequenceMsgs + last.proteinMsgs), rate(report.sent, total)],
        ])}\n\n`,
      );
      printCpu(cpuDelta(cpu0, cpu1));
      process.stdout.write(`PostgreSQL: ${fmt(commits)} sink transactions committed (~${fmt((last.sequenceMsgs + last.proteinMsgs) / Math.max(1, commits))} records each)\n`);
    } else {
      // staged: one stage at a time, each timed alone
      const split: string[][] = [['stage (alone)', 'seconds', 'records', 'records/s']];
      const cpuRows: [string, ReturnType<typeof cpuDelta>][] = [];
      let cpuPrev: CpuSnapshot = await meter.snapshot();
      const report = await produceOnce();
      producerDone = true;
      const tp = producer.last - producer.first;
      let cpu = await meter.snapshot();
      cpuRows.push(['producer alone', cpuDelta(cpuPrev, cpu)]);
      split.push(['producer: produce() reads, Avro-encodes, sends (acks=all)', fmt(tp / 1000, 2), fmt(report.sent), rate(report.sent, tp)]);

      stages = await startStages(['dedup'], ns, db, o, dir);
      let tJoin = performance.now();
      cpuPrev = await meter.snapshot();
      const d = await watch(() => tJoin, progress, { records: expect.records, dedup: true, sinks: false }, o.timeoutS);
      cpu = await meter.snapshot();
      cpuRows.push(['dedup alone', cpuDelta(cpuPrev, cpu)]);
      split.push(['dedup: decode, parse, MD5, encode + send 2 outputs', fmt(d.dedup! / 1000, 2), fmt(report.sent), rate(report.sent, d.dedup)]);
      await stages.stop();
      stages = undefined;

      const commits0 = await counter.commits();
      stages = await startStages(['sinks'], ns, db, o, dir);
      tJoin = performance.now();
      cpuPrev = await meter.snapshot();
      const sk = await watch(() => tJoin, progress, { records: expect.records, dedup: false, sinks: true }, o.timeoutS);
      cpu = await meter.snapshot();
      cpuRows.push(['sinks alone', cpuDelta(cpuPrev, cpu)]);
      await stages.stop();
      stages = undefined;
      await sleep(1000);
      const commits = (await counter.commits()) - commits0;
      const last = await progress.sinks();
      split.push([`sinks: ${fmt(last.sequenceMsgs)} sequence + ${fmt(last.proteinMsgs)} protein messages (2 processes)`, fmt(sk.sinks! / 1000, 2), fmt(report.sent), rate(report.sent, sk.sinks)]);
      const serial = tp + d.dedup! + sk.sinks!;
      pipelineRate = (report.sent * 1000) / serial;
      split.push(['one stage after the other', fmt(serial / 1000, 2), fmt(report.sent), rate(report.sent, serial)]);
      process.stdout.write(`\n${table(split)}\n\n`);
      for (const [name, delta] of cpuRows) {
        process.stdout.write(`-- ${name} --\n`);
        printCpu(delta);
      }
      process.stdout.write(`PostgreSQL: ${fmt(commits)} sink transactions committed (~${fmt((last.sequenceMsgs + last.proteinMsgs) / Math.max(1, commits))} records each)\n`);
    }
    const mine = await contentOf(counter);
    const { sequences: seq, proteins: prot, linked } = mine;
    let ok = seq === expect.sequences && prot === expect.proteins && linked === expect.proteins;
    process.stdout.write(`protein rows: ${await proteinWrites(counter)}: an update links a protein that landed before its sequence\n`);
    process.stdout.write(`\ncheck: ${seq} sequence rows (expected ${expect.sequences}), ${prot} protein rows (expected ${expect.proteins}), ${linked} proteins linked to their sequence: ${ok ? 'OK' : 'MISMATCH'}\n`);
    if (direct) {
      const theirs = await contentOf(direct.counter);
      const fields = Object.keys(mine) as (keyof Content)[];
      const differ = fields.filter((k) => mine[k] !== theirs[k]);
      const directRate = (direct.report.entries * 1000) / direct.report.ms;
      const ratio = pipelineRate / directRate;
      process.stdout.write(
        `check: direct load and pipeline wrote the same rows (${fields.join(', ')}; direct protein rows ${await proteinWrites(direct.counter)}): ` +
          `${differ.length === 0 ? 'OK' : `MISMATCH in ${differ.map((k) => `${k} (pipeline ${mine[k]}, direct ${theirs[k]})`).join(', ')}`}\n`,
      );
      ok &&= differ.length === 0;
      process.stdout.write(
        `\npipeline ${o.mode === 'staged' ? '(stage after stage) ' : ''}${fmt(pipelineRate)} sequences/s / direct load ${fmt(directRate)} sequences/s = ${fmt(ratio, 2)} ` +
          `(target >= ${DIRECT_RATIO_TARGET}: ${ratio >= DIRECT_RATIO_TARGET ? 'met' : 'not met'})\n`,
      );
    }
    await producer.disconnect();
    if (!ok) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

function describeInput(m: FastaManifest): void {
  process.stdout.write(
    `input: ${fmt(m.entries)} entries (${fmt(m.canonical)} canonical, ${fmt(m.isoforms)} isoforms, ${fmt(m.duplicates)} duplicate sequences), ` +
      `${fmt(m.distinctSequences)} distinct sequences, ${fmt(m.residues)} residues, ${fmt(m.bytes / 2 ** 20, 1)} MiB${m.gzip ? ' before gzip' : ''}; ` +
      `length median ${m.lengths.median}, mean ${m.lengths.mean}, p99 ${m.lengths.p99}, max ${m.lengths.max}\n`,
  );
}

const program = pipelineBenchProgram('ingest-fasta', 'FASTA -> PostgreSQL end to end (dedup, sequences and proteins sinks): sequences per second')
  .option('--no-direct', 'skip the direct load (one process, no Kafka) the pipeline is compared with');

benchMain(import.meta.url, program, (opts: Record<string, unknown>) => run({ ...pipelineBenchOptions(opts), direct: opts.direct !== false }));
