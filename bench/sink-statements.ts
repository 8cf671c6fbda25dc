// Where a sink transaction spends its time in PostgreSQL: the real
// writeBatch() of sinks/runner.ts with the sequences and proteins mappings,
// without Kafka, on a pg client that times every statement (BEGIN, the
// offsets fence, the COPY, each merge statement, COMMIT).
//
//   npx tsc -p . && node dist/bench/sink-statements.js [--sequences N=200000] [--chunk N=5000] [--order sequences-first|proteins-first|both]
//   npx tsc -p . && node dist/bench/sink-statements.js --sink annotations [--rows N=300000] [--chunk N=5000]
//
// The records are the dedup stage's real outputs (dedupTransform) for a
// generated FASTA, written in chunks of --chunk records (the sink runner's
// default maxRecords), alternating one sequences chunk and one proteins
// chunk. 'sequences-first' writes each sequences chunk before the proteins
// that point at it (proteins find their sequence at insert); 'proteins-first'
// the other way round (every protein waits with sequence_id NULL and the
// sequences sink links it): the two ends of what the racing sinks do.
// --sink annotations: the annotations sink on generated GAF rows (the
// reader's records as `produce gaf` sends them), against an ontology snapshot
// of demo/goslim_generic.obo seeded with SQL (ids and aspects only: setup,
// not what is measured).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../lib/config.js';
import type { PgClient } from '../lib/copy.js';
import type { IncomingRecord } from '../lib/topic-consumer.js';
import type { DedupInput } from '../processors/dedup/processor.js';
import type { ProteinRecord, SequenceRecord } from '../schemas/generated/types.js';
import type { IngestGafRecord } from '../schemas/generated/types.js';
import type { SinkMapping } from '../sinks/runner.js';
import { fmt, freshDatabase, table } from './common.js';
import { generateFasta, generateGaf, readGoTerms } from './generate.js';
import { Option } from 'commander';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';

type Timings = Map<string, { ms: number; calls: number }>;

// the annotations sink is loaded when built (it may not be in every checkout), and only for --sink annotations
const annotationsJs = path.join(PROJECT_ROOT, 'dist', 'sinks', 'annotations.js');
const loadAnnotationsSink = async () => (existsSync(annotationsJs) ? ((await import(pathToFileURL(annotationsJs).href)) as { annotationsSink?: SinkMapping<never> }).annotationsSink : undefined);

function label(q: unknown): string {
  const text = typeof q === 'string' ? q : ((q as { text?: string })?.text ?? String(q));
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat.startsWith('WITH ')) return flat.slice(0, 70);
  // a CTE statement: name it by what it does after its WITH list
  const verb = /\b(INSERT INTO \S+|UPDATE \S+|DELETE FROM \S+)/.exec(flat)?.[1] ?? 'SELECT';
  return `WITH ... ${verb} ${flat.slice(5, 60 - verb.length)}`;
}

/** The client, with every query()'s time (COPY: until its stream finished) added to `timings` under its first 70 characters. */
function timedClient(client: PgClient, timings: Timings, prefix: string): PgClient {
  const add = (key: string, ms: number) => {
    const t = timings.get(key) ?? { ms: 0, calls: 0 };
    t.ms += ms;
    t.calls++;
    timings.set(key, t);
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') {
        return (...args: unknown[]) => {
          const key = `${prefix} ${label(args[0])}`;
          const t0 = performance.now();
          const r = (target.query as (...a: unknown[]) => unknown)(...args);
          if (r && typeof (r as Promise<unknown>).then === 'function') return (r as Promise<unknown>).finally(() => add(key, performance.now() - t0));
          const stream = r as NodeJS.EventEmitter;
          stream.once('finish', () => add(key, performance.now() - t0));
          stream.once('error', () => add(key, performance.now() - t0));
          return r;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function incoming<T>(topic: string, values: readonly T[], firstOffset: number): IncomingRecord<T>[] {
  return values.map((value, i) => ({ topic, partition: 0, offset: String(firstOffset + i), key: null, value, raw: null, headers: {}, timestamp: '0' }));
}

async function records(file: string, chunk: number): Promise<{ sequences: SequenceRecord[][]; proteins: ProteinRecord[][] }> {
  const [{ dedupTopics, dedupTransform }, { readFasta }] = await Promise.all([import('../processors/dedup/processor.js'), import('../parsers/fasta.js')]);
  const topics = dedupTopics('bench');
  const jobId = '01935f6e-0000-7000-8000-000000000000';
  const out = { sequences: [] as SequenceRecord[][], proteins: [] as ProteinRecord[][] };
  let batch: DedupInput[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const seq: SequenceRecord[] = [];
    const prot: ProteinRecord[] = [];
    for (const res of dedupTransform(batch, topics)) {
      if (!Array.isArray(res)) throw res;
      for (const o of res) (o.topic === topics.sequences ? seq : prot).push(o.value as never);
    }
    out.sequences.push(seq);
    out.proteins.push(prot);
    batch = [];
  };
  for await (const item of readFasta(file)) {
    if (item.kind !== 'record') continue;
    batch.push({ value: { ...item.value, source: 'uniprot', query_set_id: null, query_set_name: null, job_id: jobId } });
    if (batch.length >= chunk) flush();
  }
  flush();
  return out;
}

async function scenario(order: 'sequences-first' | 'proteins-first', data: Awaited<ReturnType<typeof records>>): Promise<void> {
  const [{ createCopyPool }, { proteinsSink }, { writeBatch }, { sequencesSink }] = await Promise.all([
    import('../lib/db.js'),
    import('../sinks/proteins.js'),
    import('../sinks/runner.js'),
    import('../sinks/sequences.js'),
  ]);
  const db = await freshDatabase();
  const pool = createCopyPool(db.url, 2);
  const timings: Timings = new Map();
  const raw = await pool.connect();
  const offsets = { sequences: 0, proteins: 0 };
  const totals = { sequences: 0, proteins: 0, ms: { sequences: 0, proteins: 0 } };
  try {
    const write = async <T>(name: 'sequences' | 'proteins', mapping: SinkMapping<T>, values: T[]) => {
      const client = timedClient(raw, timings, name === 'sequences' ? 'seq ' : 'prot');
      const first = offsets[name];
      const t0 = performance.now();
      await writeBatch(client, mapping.name, mapping, { topic: `bench.${name}`, partition: 0, expected: BigInt(first), next: BigInt(first + values.length), records: incoming(`bench.${name}`, values, first) }, {
        sendDeadLetters: async (letters) => {
          throw new Error(`unexpected dead letters: ${letters[0]?.error.message}`);
        },
      });
      totals.ms[name] += performance.now() - t0;
      offsets[name] += values.length;
      totals[name] += values.length;
    };
    const t0 = performance.now();
    for (let i = 0; i < data.sequences.length; i++) {
      if (order === 'sequences-first') {
        await write('sequences', sequencesSink, data.sequences[i]!);
        await write('proteins', proteinsSink, data.proteins[i]!);
      } else {
        await write('proteins', proteinsSink, data.proteins[i]!);
        await write('sequences', sequencesSink, data.sequences[i]!);
      }
    }
    const wall = performance.now() - t0;
    const check = (await raw.query('SELECT (SELECT count(*) FROM sequence)::int AS s, (SELECT count(*) FROM protein)::int AS p, (SELECT count(*) FROM protein WHERE sequence_id IS NULL)::int AS unlinked')).rows[0] as { s: number; p: number; unlinked: number };
    process.stdout.write(`\n== ${order}: ${fmt(totals.sequences)} sequence + ${fmt(totals.proteins)} protein records in ${data.sequences.length} + ${data.proteins.length} transactions, one client, one after the other ==\n`);
    process.stdout.write(
      `rows: ${fmt(check.s)} sequence, ${fmt(check.p)} protein (${check.unlinked} unlinked); ${fmt(wall / 1000, 2)} s -> ${fmt(((totals.sequences + totals.proteins) * 1000) / wall)} records/s ` +
        `(sequences ${fmt((totals.sequences * 1000) / totals.ms.sequences)}/s, proteins ${fmt((totals.proteins * 1000) / totals.ms.proteins)}/s)\n`,
    );
    report(timings, wall, (k) => (k.startsWith('seq') ? totals.sequences : totals.proteins));
  } finally {
    raw.release();
    await pool.end();
    await db.drop();
  }
}

function report(timings: Timings, wall: number, recordsOf: (statement: string) => number): void {
  const rows = [...timings].sort((a, b) => b[1].ms - a[1].ms);
  const sum = rows.reduce((s, [, t]) => s + t.ms, 0);
  process.stdout.write(
    `${table([
      ['statement (time until it returned; COPY: until its stream finished)', 'calls', 'ms', '% of DB time', 'µs/record'],
      ...rows.map(([k, t]) => [k, fmt(t.calls), fmt(t.ms), `${fmt((100 * t.ms) / sum, 1)}%`, fmt((1000 * t.ms) / recordsOf(k), 1)]),
      ['all statements', '', fmt(sum), '100%', ''],
      ['JavaScript in writeBatch (mapping rows, COPY encoding) and the event loop', '', fmt(wall - sum), '', ''],
    ])}\n`,
  );
}

/** The annotations sink's transactions on generated GAF rows, statement by statement. */
async function annotations(mapping: SinkMapping<IngestGafRecord>, rows: number, chunk: number, seed: number, dir: string): Promise<void> {
  const [{ createCopyPool }, { writeBatch }, { readGaf }] = await Promise.all([import('../lib/db.js'), import('../sinks/runner.js'), import('../parsers/gaf.js')]);
  const { proteins } = await generateFasta(path.join(dir, 'swissprot-like.fasta'), { sequences: Math.max(1000, Math.ceil(rows / 5)), seed });
  const gaf = path.join(dir, 'goa-like.gaf');
  const manifest = await generateGaf(gaf, proteins, { rows, seed });
  const jobId = '01935f6e-0000-7000-8000-000000000001';
  const oboVersion = 'bench-goslim-generic';
  const values: IngestGafRecord[] = [];
  for await (const item of readGaf(gaf)) {
    if (item.kind === 'record') values.push({ ...item.value, source: 'goa', source_version: 'bench', obo_version: oboVersion, job_id: jobId });
  }
  const db = await freshDatabase();
  const pool = createCopyPool(db.url, 1);
  const raw = await pool.connect();
  const timings: Timings = new Map();
  try {
    // setup: the release, its terms (ids and aspects) and its term count, so the annotations resolve
    const terms = readGoTerms(manifest.obo);
    const snap = (await raw.query(`INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ($1, $2, $3) RETURNING id`, [manifest.obo, oboVersion, terms.length])).rows[0] as { id: string };
    await raw.query('INSERT INTO go_term (ontology_snapshot_id, go_id, aspect) SELECT $1, unnest($2::text[]), unnest($3::text[])', [snap.id, terms.map((t) => t.id), terms.map((t) => t.aspect)]);
    const client = timedClient(raw, timings, 'gaf ');
    const t0 = performance.now();
    let transactions = 0;
    for (let i = 0; i < values.length; i += chunk) {
      const part = values.slice(i, i + chunk);
      await writeBatch(client, mapping.name, mapping, { topic: 'bench.ingest.gaf', partition: 0, expected: BigInt(i), next: BigInt(i + part.length), records: incoming('bench.ingest.gaf', part, i) }, {
        sendDeadLetters: async (letters) => {
          throw new Error(`unexpected dead letters: ${letters[0]?.error.message}`);
        },
      });
      transactions++;
    }
    const wall = performance.now() - t0;
    const [check] = (await raw.query('SELECT count(*)::int AS n FROM protein_go_annotation')).rows as { n: number }[];
    process.stdout.write(`\n== annotations: ${fmt(values.length)} GAF records in ${transactions} transactions of up to ${fmt(chunk)}, one client ==\n`);
    process.stdout.write(`rows: ${fmt(check?.n ?? 0)} protein_go_annotation; ${fmt(wall / 1000, 2)} s -> ${fmt((values.length * 1000) / wall)} records/s\n`);
    report(timings, wall, () => values.length);
  } finally {
    raw.release();
    await pool.end();
    await db.drop();
  }
}

const program = benchProgram('sink-statements', 'one sink transaction, statement by statement: the sequences and proteins sinks (default) or, with --sink annotations, the annotations sink')
  .addOption(new Option('--sink <sink>', 'the sink measured').choices(['sequences-proteins', 'annotations']).default('sequences-proteins'))
  .option('--sequences <n>', 'FASTA entries (sequences and proteins sinks)', nonNegativeInt, 200_000)
  .option('--rows <n>', 'GAF rows (--sink annotations)', nonNegativeInt, 300_000)
  .option('--chunk <n>', 'records per transaction', positiveInt, 5000)
  .addOption(new Option('--order <order>', 'which sink writes first (sequences and proteins sinks)').choices(['sequences-first', 'proteins-first', 'both']).default('both'))
  .option('--seed <s>', 'seed of the generated data', nonNegativeInt, 42);

async function main(o: { sink: string; sequences: number; rows: number; chunk: number; order: string; seed: number }): Promise<void> {
  const { sequences: n, chunk, order } = o;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-stmt-'));
  try {
    if (o.sink === 'annotations') {
      const annotationsSink = await loadAnnotationsSink();
      if (!annotationsSink) throw new Error('sinks/annotations.ts (annotationsSink) is not built: nothing to measure');
      await annotations(annotationsSink as SinkMapping<IngestGafRecord>, o.rows, chunk, o.seed, dir);
      return;
    }
    const file = path.join(dir, 'swissprot-like.fasta');
    await generateFasta(file, { sequences: n, seed: o.seed });
    const data = await records(file, chunk);
    if (order === 'sequences-first' || order === 'both') await scenario('sequences-first', data);
    if (order === 'proteins-first' || order === 'both') await scenario('proteins-first', data);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

benchMain(import.meta.url, program, main);
