// Record-batch compression per record: what each codec of
// PROTEA_KAFKA_COMPRESSION costs in CPU to compress a producer's batch and to
// decompress it again on fetch (every stage does both), and the bytes it saves.
//
//   npx tsc -p . && node dist/bench/kafka-codecs.js [--sequences N=20000] [--batch N=1000] [--rounds N=7] [--seed N=42] [--max-residues N=0]
//
// No stack needed. The records are FASTA ingest records (IngestFastaRecord, the
// pipeline's most frequent kind: ~590 bytes of Avro with the registry's
// 5-byte header at Swiss-Prot-like lengths, ~400 with --max-residues 200) read
// by the real reader from a generated FASTA. Each batch of --batch records is laid out as kafkajs lays out the
// records of a record batch (length, attributes, timestamp and offset deltas,
// key, value, no headers: the bytes its codec is handed), then compressed and
// decompressed by the codec adapters the client uses: kafkajs' own gzip
// (zlib at its default level, as kafkajs calls it) and lib/kafka-codecs.ts'
// snappy (xerial framing), lz4 (frame) and zstd (level 3). `none` is the
// baseline: the client calls no codec at all. Rounds alternate the codecs
// after one untimed round of each (JIT, thread pool; it also checks every batch
// comes back equal). Reported: CPU time of this process, all threads (user +
// system: the native codecs run on libuv's thread pool), per record, median
// over the rounds; wall time; the compressed size.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { CodecAdapter, Compression } from '../lib/kafka-codecs.js';
import type { IngestFastaRecord } from '../schemas/generated/types.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { fmt, machineLine, table } from './common.js';
import { generateFasta } from './generate.js';

const program = benchProgram('kafka-codecs', 'Record-batch compression: CPU per record to compress and decompress, and the bytes saved, for none, gzip, snappy, lz4, zstd')
  .option('--sequences <n>', 'FASTA entries to generate (one ingest record each)', positiveInt, 20_000)
  .option('--batch <n>', 'records per record batch (a producer send to one partition)', positiveInt, 1000)
  .option('--rounds <n>', 'timed rounds per codec, alternating', positiveInt, 7)
  .option('--seed <n>', 'seed of the generated FASTA', nonNegativeInt, 42)
  .option('--max-residues <n>', 'cut each sequence to at most n residues, for smaller records (0: as generated, Swiss-Prot-like lengths)', nonNegativeInt, 0);

interface Options {
  maxResidues: number;
  sequences: number;
  batch: number;
  rounds: number;
  seed: number;
}

// ── the records section of a kafkajs record batch ─────────────────────────────

function varint(n: number, out: number[]): void {
  let z = (n << 1) ^ (n >> 31); // zigzag, as Kafka's record fields are
  while ((z & ~0x7f) !== 0) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
}

/** The records as kafkajs encodes them before handing the bytes to the codec (v2 record format). */
function recordsSection(batch: readonly { key: Buffer; value: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  batch.forEach((r, i) => {
    const body: number[] = [0]; // attributes
    varint(0, body); // timestamp delta
    varint(i, body); // offset delta
    varint(r.key.length, body);
    const head = Buffer.from(body);
    const valueLength: number[] = [];
    varint(r.value.length, valueLength);
    const headers: number[] = [];
    varint(0, headers);
    const length = head.length + r.key.length + valueLength.length + r.value.length + headers.length;
    const prefix: number[] = [];
    varint(length, prefix);
    parts.push(Buffer.from(prefix), head, r.key, Buffer.from(valueLength), r.value, Buffer.from(headers));
  });
  return Buffer.concat(parts);
}

// ── the codecs, as the client calls them ─────────────────────────────────────

/** kafkajs' gzip codec (src/protocol/message/compression/gzip.js). */
const gzip: CodecAdapter = {
  compress: (encoder) => promisify(zlib.gzip)(encoder.buffer),
  decompress: (buffer) => promisify(zlib.unzip)(buffer),
};

interface Round {
  compressCpuUs: number;
  decompressCpuUs: number;
  compressWallMs: number;
  decompressWallMs: number;
  bytes: number;
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function round(codec: CodecAdapter | null, batches: readonly Buffer[], check = false): Promise<Round> {
  if (!codec) return { compressCpuUs: 0, decompressCpuUs: 0, compressWallMs: 0, decompressWallMs: 0, bytes: batches.reduce((n, b) => n + b.length, 0) };
  const compressed: Buffer[] = [];
  let c0 = cpuUs();
  let w0 = performance.now();
  // one batch after the other, as one producer's sends and one partition's fetches go
  for (const b of batches) compressed.push(await codec.compress({ buffer: b }));
  const compressCpuUs = cpuUs() - c0;
  const compressWallMs = performance.now() - w0;
  c0 = cpuUs();
  w0 = performance.now();
  const back: Buffer[] = [];
  for (const c of compressed) back.push(await codec.decompress(c));
  const decompressCpuUs = cpuUs() - c0;
  const decompressWallMs = performance.now() - w0;
  if (check) back.forEach((b, i) => {
    if (!b.equals(batches[i]!)) throw new Error(`batch ${i} did not come back equal`);
  });
  return { compressCpuUs, decompressCpuUs, compressWallMs, decompressWallMs, bytes: compressed.reduce((n, b) => n + b.length, 0) };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(o: Options): Promise<void> {
  const [{ readFasta }, { avroType }, { loadCodec, COMPRESSIONS }] = await Promise.all([import('../parsers/fasta.js'), import('../lib/schemas.js'), import('../lib/kafka-codecs.js')]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-codecs-'));
  try {
    process.stdout.write(`machine: ${machineLine()}\n`);
    const file = path.join(dir, 'swissprot-like.fasta');
    await generateFasta(file, { sequences: o.sequences, seed: o.seed });
    const type = avroType('IngestFastaRecord');
    const records: { key: Buffer; value: Buffer }[] = [];
    for await (const item of readFasta(file)) {
      if (item.kind !== 'record') continue;
      const sequence = o.maxResidues > 0 ? item.value.sequence.slice(0, o.maxResidues) : item.value.sequence;
      const value: IngestFastaRecord = { ...item.value, sequence, source: 'uniprot', query_set_id: null, query_set_name: null, job_id: '01935f6e-0000-7000-8000-000000000001' };
      const avro = type.toBuffer(value);
      const framed = Buffer.alloc(5 + avro.length); // the registry's header: magic 0, schema id
      framed.writeInt32BE(1, 1);
      avro.copy(framed, 5);
      const accession = item.value.header.split('|')[1] ?? item.value.header.split(' ')[0]!;
      records.push({ key: Buffer.from(accession), value: framed });
    }
    const batches: Buffer[] = [];
    for (let i = 0; i < records.length; i += o.batch) batches.push(recordsSection(records.slice(i, i + o.batch)));
    const count = records.length;
    const raw = batches.reduce((n, b) => n + b.length, 0);
    const values = records.reduce((n, r) => n + r.value.length, 0);
    process.stdout.write(`${fmt(count)} IngestFastaRecord values, ${fmt(values / count)} bytes each on average (Avro + 5-byte header); ${fmt(batches.length)} batches of ${fmt(o.batch)}, ${fmt(raw / batches.length / 1024)} KiB each uncompressed\n`);

    const codecs = new Map<Compression, CodecAdapter | null>();
    for (const name of COMPRESSIONS) {
      if (name === 'none') codecs.set(name, null);
      else if (name === 'gzip') codecs.set(name, gzip);
      else {
        const c = loadCodec(name);
        if (!c.ok) {
          process.stdout.write(`${name}: not measured, its package ${c.package} did not load (${c.error.message.split('\n')[0]})\n`);
          continue;
        }
        codecs.set(name, c.adapter);
      }
    }

    for (const [, codec] of codecs) await round(codec, batches, true); // untimed; checks the round trip
    const rounds = new Map<Compression, Round[]>([...codecs.keys()].map((k) => [k, []]));
    for (let r = 0; r < o.rounds; r++) {
      for (const [name, codec] of codecs) rounds.get(name)!.push(await round(codec, batches));
      process.stderr.write(`round ${r + 1}/${o.rounds} done\n`);
    }

    const rows: string[][] = [['codec', 'compress µs CPU/record', 'decompress µs CPU/record', 'both', `ms CPU per ${fmt(o.batch)}-record batch`, 'wall µs/record (both)', 'bytes/record', 'size vs none']];
    for (const [name, rs] of rounds) {
      const per = (pick: (r: Round) => number): number => median(rs.map(pick)) / count;
      const c = per((r) => r.compressCpuUs);
      const d = per((r) => r.decompressCpuUs);
      const bytes = per((r) => r.bytes);
      rows.push([name, fmt(c, 2), fmt(d, 2), fmt(c + d, 2), fmt(((c + d) * o.batch) / 1000, 2), fmt(per((r) => (r.compressWallMs + r.decompressWallMs) * 1000), 2), fmt(bytes, 0), `${fmt((100 * bytes * count) / raw, 0)}%`]);
    }
    process.stdout.write(`\nmedian of ${o.rounds} rounds per codec (CPU of this process, all threads; wall includes what else the machine runs):\n${table(rows)}\n`);
    for (const [name, rs] of rounds) {
      if (codecs.get(name) === null) continue;
      process.stdout.write(`${name}: CPU µs per record (compress+decompress), every round: ${rs.map((r) => fmt((r.compressCpuUs + r.decompressCpuUs) / count, 2)).join(' ')}\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

benchMain<Options>(import.meta.url, program, main);
