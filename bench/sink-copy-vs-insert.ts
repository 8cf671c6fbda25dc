// The COPY sink against a batched multi-row INSERT sink, on the same topic in
// the same run.
//
//   npx tsc -p . && node dist/bench/sink-copy-vs-insert.js [--records N=300000] [--rows-per-insert N=500] [--max-records N=5000] [--rounds N=1] [--seed S]
//
// One fresh topic namespace: N SequenceRecords (Swiss-Prot-like lengths and
// composition from bench/generate.ts, ~10% repeating an earlier key) are
// produced once onto its `sequences` topic (6 partitions). Then each sink
// reads the whole topic with its own consumer group into its own fresh,
// migrated database, one after the other (never both at once on 2 cores):
//  - COPY: the project's sink (runSink with sequencesSink): per transaction of
//    up to --max-records records of one partition: fence sink_offsets, COPY
//    into the staging table, INSERT .. SELECT DISTINCT ON .. ON CONFLICT DO
//    NOTHING into `sequence` (+ the protein link statements), COMMIT.
//  - INSERT: the Kafka Connect JDBC sink way, written here: the same
//    TopicConsumer, the same transactions (same records per transaction, same
//    fence and offsets in the transaction), the same row mapping
//    (sequencesSink.toRow, MD5 checked), but the rows go in as parameterised
//    multi-row `INSERT INTO sequence .. VALUES (..),(..) .. ON CONFLICT
//    (sequence_hash) DO NOTHING` statements of --rows-per-insert rows.
// Each is timed from the first record it maps to the commit of the last one;
// rows/s = records consumed / that time. The time inside transactions (BEGIN
// to COMMIT) is reported too.
import { performance } from 'node:perf_hooks';
import type { CopyValue, PgClient } from '../lib/copy.js';
import type { IncomingRecord } from '../lib/topic-consumer.js';
import type { SequenceRecord } from '../schemas/generated/types.js';
import { RowCounter, fmt, freshDatabase, freshNamespace, logEndTotal, machineLine, sleep, table, type FreshDatabase } from './common.js';
import { Rng, drawLength, md5, randomSequence } from './generate.js';
import { InvalidArgumentError, Option } from 'commander';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';

const TARGET_RATIO = 3;

export interface SinkResult {
  name: string;
  records: number;
  /** first record mapped -> last commit, ms */
  wallMs: number;
  /** sum of BEGIN..COMMIT, ms */
  txMs: number;
  transactions: number;
  rows: number;
}

/** Produces `n` sequence records (about 10% repeat an earlier sequence, so share its key); returns the distinct keys. */
export async function produceSequences(topic: string, n: number, seed: number): Promise<{ distinct: number; residues: number; ms: number }> {
  const { TopicProducer } = await import('../lib/topic-producer.js');
  const rng = new Rng(seed);
  const producer = new TopicProducer();
  await producer.connect();
  const recent: string[] = [];
  const keys = new Set<string>();
  let residues = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i += 1000) {
      const batch: { key: string; value: SequenceRecord }[] = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) {
        const seq = recent.length > 0 && rng.chance(0.1) ? rng.pick(recent) : randomSequence(rng, drawLength(rng));
        if (recent.length < 20_000) recent.push(seq);
        else recent[rng.int(recent.length)] = seq;
        const hash = md5(seq);
        keys.add(hash);
        residues += seq.length;
        batch.push({ key: hash, value: { md5: hash, sequence: seq, length: seq.length, first_seen_job_id: null } });
      }
      await producer.send(topic, batch);
    }
  } finally {
    await producer.disconnect();
  }
  return { distinct: keys.size, residues, ms: performance.now() - t0 };
}

/**
 * The project's COPY sink, timed from its first mapped record to the commit that completes `n` records.
 * `hooks` run once it has joined its group and once it has the `n` records (before it stops): a caller's CPU window.
 */
export async function copySink(namespace: string, db: FreshDatabase, n: number, maxRecords: number, tag: string, hooks: { joined?: () => Promise<void>; done?: () => Promise<void> } = {}): Promise<SinkResult> {
  const [{ runSink }, { sequencesSink }] = await Promise.all([import('../sinks/runner.js'), import('../sinks/sequences.js')]);
  let first = 0;
  const mapping = {
    ...sequencesSink,
    toRow(r: SequenceRecord): CopyValue[] {
      if (first === 0) first = performance.now();
      return sequencesSink.toRow(r);
    },
  };
  const runner = await runSink(mapping, { namespace, dbUrl: db.url, groupId: `${namespace}.bench.copy.${tag}`, maxRecords });
  try {
    await hooks.joined?.();
    for (;;) {
      const m = runner.metrics;
      if (m.recordsWritten + m.recordsSkipped + m.deadLettered >= n) break;
      await sleep(5);
    }
    const last = performance.now();
    await hooks.done?.();
    const m = runner.metrics;
    if (m.deadLettered > 0) throw new Error(`COPY sink dead-lettered ${m.deadLettered} records`);
    return { name: 'COPY (runSink + sequencesSink)', records: m.recordsWritten, wallMs: last - first, txMs: m.batchMsTotal, transactions: m.batches, rows: 0 };
  } finally {
    await runner.stop();
  }
}

/** Multi-row INSERT statement text for k rows of (sequence, sequence_hash, length). */
function insertText(k: number): string {
  const values: string[] = [];
  for (let i = 0; i < k; i++) values.push(`($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`);
  return `INSERT INTO sequence (sequence, sequence_hash, length) VALUES ${values.join(', ')} ON CONFLICT (sequence_hash) DO NOTHING`;
}

/**
 * The baseline: a consumer loop writing each partition chunk in one
 * transaction with the offsets fence, rows as batched multi-row INSERTs.
 */
async function insertSink(topic: string, namespace: string, db: FreshDatabase, n: number, maxRecords: number, rowsPerInsert: number, tag: string): Promise<SinkResult> {
  const [{ createCopyPool }, { TopicConsumer }, { sequencesSink }] = await Promise.all([import('../lib/db.js'), import('../lib/topic-consumer.js'), import('../sinks/sequences.js')]);
  const sinkName = 'sequences_insert';
  const pool = createCopyPool(db.url, 1);
  const client: PgClient = await pool.connect();
  const consumer = new TopicConsumer<SequenceRecord>({ groupId: `${namespace}.bench.insert.${tag}`, sessionTimeout: 10_000 });
  const expected = new Map<number, bigint>();
  const res: SinkResult = { name: rowsPerInsert === 1 ? "INSERT (one row per statement, ON CONFLICT DO NOTHING)" : `INSERT (${rowsPerInsert}-row multi-values, ON CONFLICT DO NOTHING)`, records: 0, wallMs: 0, txMs: 0, transactions: 0, rows: 0 };
  const full = insertText(rowsPerInsert);
  let first = 0;
  let last = 0;
  let failure: unknown;

  const writeChunk = async (partition: number, chunk: readonly IncomingRecord<SequenceRecord>[], next: bigint) => {
    const exp = expected.get(partition) ?? 0n;
    const rows: CopyValue[][] = [];
    for (const r of chunk) {
      if (BigInt(r.offset) < exp) continue;
      if (r.error || r.value === undefined) throw r.error ?? new Error(`record ${r.offset} has no value`);
      if (first === 0) first = performance.now();
      const [hash, sequence, length] = sequencesSink.toRow(r.value);
      rows.push([sequence, hash, length]);
    }
    const t0 = performance.now();
    await client.query('BEGIN');
    try {
      const fence = async () =>
        client.query('UPDATE sink_offsets SET next_offset = $1, updated_at = now() WHERE sink = $2 AND topic = $3 AND partition = $4 AND next_offset = $5', [next.toString(), sinkName, topic, partition, exp.toString()]);
      let f = await fence();
      if (f.rowCount === 0) {
        await client.query('INSERT INTO sink_offsets (sink, topic, partition, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING', [sinkName, topic, partition]);
        f = await fence();
      }
      if (f.rowCount === 0) throw new Error(`fenced: ${topic}[${partition}] is not at ${exp}`);
      for (let i = 0; i < rows.length; i += rowsPerInsert) {
        const slice = rows.slice(i, i + rowsPerInsert);
        const r = await client.query(slice.length === rowsPerInsert ? full : insertText(slice.length), slice.flat());
        res.rows += r.rowCount ?? 0;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    last = performance.now();
    res.txMs += last - t0;
    res.transactions++;
    res.records += rows.length;
    expected.set(partition, next);
  };

  await consumer.connect([topic], true);
  void consumer
    .run(
      async (records, ctx) => {
        try {
          for (let i = 0; i < records.length; i += maxRecords) {
            const chunk = records.slice(i, i + maxRecords);
            const next = i + maxRecords < records.length ? BigInt(records[i + maxRecords]!.offset) : BigInt(ctx.nextOffset);
            await writeChunk(ctx.partition, chunk, next);
            await ctx.heartbeat();
          }
        } catch (err) {
          failure ??= err;
          throw err;
        }
      },
      { autoCommit: false },
    )
    .catch((err: unknown) => {
      failure ??= err;
    });
  try {
    while (res.records < n) {
      if (failure) throw failure;
      await sleep(5);
    }
    res.wallMs = last - first;
    return res;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    client.release();
    await pool.end();
  }
}

const program = benchProgram('sink-copy-vs-insert', 'the COPY sink against batched multi-row INSERT sinks on the same topic, same run (target: COPY 3x faster)')
  .option('--records <n>', 'SequenceRecords to produce', nonNegativeInt, 300_000)
  .addOption(new Option('--rows-per-insert <list>', 'rows per INSERT statement, comma-separated (one INSERT sink each)').argParser(rowsPerInsert).default([500], '500'))
  .option('--max-records <n>', 'records per sink transaction', nonNegativeInt, 5000)
  .option('--rounds <n>', 'rounds (the order of the sinks alternates)', positiveInt, 1)
  .option('--seed <s>', 'seed of the generated records', nonNegativeInt, 42);

function rowsPerInsert(raw: string): number[] {
  const sizes = raw.split(',').map((x) => Number(x));
  if (sizes.some((k) => !Number.isInteger(k) || k < 1 || k > 20_000)) throw new InvalidArgumentError('integers between 1 and 20000');
  return sizes;
}

async function main(o: { records: number; rowsPerInsert: number[]; maxRecords: number; rounds: number; seed: number }): Promise<void> {
  const { records: produced, rowsPerInsert: sizes, maxRecords, rounds, seed } = o;
  const ns = await freshNamespace();
  const dbs: FreshDatabase[] = [];
  try {
    const topic = ns.topic('sequences');
    process.stdout.write(`\n== sink: COPY vs batched multi-row INSERT, same topic, same run ==\nmachine: ${machineLine()}\nnamespace ${ns.namespace}\n`);
    const p = await produceSequences(topic, produced, seed);
    // the log is the truth: a producer retry may have appended a batch twice
    const n = await logEndTotal(topic);
    process.stdout.write(`topic ${topic}: ${fmt(n)} messages (${fmt(produced)} SequenceRecords produced, ${fmt(p.distinct)} distinct keys, mean length ${fmt(p.residues / produced)}) in ${fmt(p.ms / 1000, 1)} s\n`);
    process.stdout.write(`per transaction: up to ${fmt(maxRecords)} records of one partition, offsets fenced in the same transaction; sinks run one after the other\n`);
    const variants: string[] = ['copy', ...sizes.map((k) => `insert:${k}`)];
    const results: { round: number; variant: string; r: SinkResult }[] = [];
    for (let round = 1; round <= rounds; round++) {
      // alternate the order, so neither always meets a warmer cache
      const order = round % 2 === 1 ? variants : [...variants].reverse();
      for (const v of order) {
        const db = await freshDatabase();
        dbs.push(db);
        process.stderr.write(`round ${round}: ${v} sink into ${db.name} ...\n`);
        const r = v === 'copy' ? await copySink(ns.namespace, db, n, maxRecords, String(round)) : await insertSink(topic, ns.namespace, db, n, maxRecords, Number(v.split(':')[1]), `${round}.${v.split(':')[1]}`);
        const counter = new RowCounter(db.url);
        r.rows = (await counter.counts(['sequence']))[0]!;
        await counter.close();
        if (r.rows !== p.distinct) throw new Error(`${v}: ${r.rows} rows, expected ${p.distinct}`);
        results.push({ round, variant: v, r });
        await db.drop();
        dbs.pop();
      }
    }
    const rows: string[][] = [['round', 'sink', 'records', 'rows', 'transactions', 'seconds', 'records/s', 'in-transaction s', 'records/s in tx']];
    for (const { round, r } of results) {
      rows.push([String(round), r.name, fmt(r.records), fmt(r.rows), fmt(r.transactions), fmt(r.wallMs / 1000, 2), fmt((r.records * 1000) / r.wallMs), fmt(r.txMs / 1000, 2), fmt((r.records * 1000) / r.txMs)]);
    }
    process.stdout.write(`\n${table(rows)}\n\n`);
    const rate = (v: string, f: (r: SinkResult) => number) => {
      const rs = results.filter((x) => x.variant === v).map((x) => x.r);
      return rs.reduce((s, r) => s + r.records, 0) / rs.reduce((s, r) => s + f(r), 0);
    };
    const copyRate = rate('copy', (r) => r.wallMs);
    const copyTx = rate('copy', (r) => r.txMs);
    for (const k of sizes) {
      const insertRate = rate(`insert:${k}`, (r) => r.wallMs);
      const insertTx = rate(`insert:${k}`, (r) => r.txMs);
      process.stdout.write(
        `COPY / INSERT of ${k} row${k === 1 ? '' : 's'} per statement: ${fmt(copyRate / insertRate, 2)}x end to end (${fmt(copyRate * 1000)} vs ${fmt(insertRate * 1000)} records/s; target ${TARGET_RATIO}x: ${copyRate / insertRate >= TARGET_RATIO ? 'met' : 'NOT met'}), ` +
          `${fmt(copyTx / insertTx, 2)}x inside the transactions (${fmt(copyTx * 1000)} vs ${fmt(insertTx * 1000)} records/s)\n`,
      );
    }
  } finally {
    for (const db of dbs) await db.drop().catch(() => undefined);
    await ns.drop();
  }
}

benchMain(import.meta.url, program, main);
