// Avro encode/decode per record: the registry client's per-record path (what
// lib/schema-registry.ts did before it kept the parsed schemas by id) against
// AvroRegistry's synchronous batch path, on the same records in the same run.
//
//   npx tsc -p . && node dist/bench/avro-codec.js [--sequences N=200000] [--batch N=1000] [--rounds N=5] [--seed N=42]
//
// The records are the FASTA path's: a generated Swiss-Prot-like FASTA read by
// the real reader (IngestFastaRecord, as `produce fasta` sends them) and the
// dedup stage's real outputs for it (SequenceRecord, ProteinRecord), each
// under its own subject of the local stack's registry (registered here,
// deleted at the end). Both paths are called in the shapes their callers
// used: the client path one promise per record gathered with Promise.all per
// batch (the old TopicProducer.send and TopicConsumer.run), the new one
// encodeMany/decodeMany per batch. Rounds alternate client, ours, client,
// ours... after one untimed round of each (JIT, schema fetch), which also
// checks that both paths give the same bytes. Reported: CPU time of this
// process (user + system) per record, median over the rounds, and wall time.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { config } from '../lib/config.js';
import type { AvroRegistry } from '../lib/schema-registry.js';
import type { RecordName } from '../lib/schemas.js';
import type { DedupInput } from '../processors/dedup/processor.js';
import type { IngestFastaRecord } from '../schemas/generated/types.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { fmt, machineLine, table } from './common.js';
import { generateFasta } from './generate.js';

const program = benchProgram('avro-codec', 'Avro encode/decode per record: the registry client per record vs AvroRegistry by cached schema id')
  .option('--sequences <n>', 'FASTA entries to generate (each gives an ingest record, a protein and mostly a sequence)', positiveInt, 200_000)
  .option('--batch <n>', 'records per encode/decode call (a producer send, a fetched batch)', positiveInt, 1000)
  .option('--rounds <n>', 'timed rounds per path, alternating', positiveInt, 5)
  .option('--seed <n>', 'seed of the generated FASTA', nonNegativeInt, 42);

interface Options {
  sequences: number;
  batch: number;
  rounds: number;
  seed: number;
}

/** Records of one subject, in batches. */
interface Stream {
  name: RecordName;
  subject: string;
  batches: unknown[][];
}

/**
 * The per-record path as lib/schema-registry.ts had it before the cached
 * types (cached ids, each id warmed once, then the client's encode/decode per
 * record; the error mapping, not exercised here, left out).
 */
class ClientPath {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly warmed = new Map<number, Promise<unknown>>();
  constructor(private readonly client: SchemaRegistry) {}

  private schemaId(subject: string): Promise<number> {
    let id = this.ids.get(subject);
    if (!id) this.ids.set(subject, (id = this.client.getLatestSchemaId(subject)));
    return id;
  }

  private warm(id: number): Promise<unknown> {
    let p = this.warmed.get(id);
    if (!p) this.warmed.set(id, (p = this.client.getSchema(id)));
    return p;
  }

  async encode(subject: string, value: unknown): Promise<Buffer> {
    const id = await this.schemaId(subject);
    await this.warm(id);
    return await this.client.encode(id, value);
  }

  async decode(buffer: Buffer): Promise<unknown> {
    if (buffer.length >= 5 && buffer[0] === 0) await this.warm(buffer.readInt32BE(1)).catch(() => undefined);
    return await this.client.decode(buffer);
  }
}

interface Codec {
  encodeBatch(subject: string, values: unknown[]): Promise<Buffer[]>;
  decodeBatch(buffers: Buffer[]): Promise<unknown[]>;
}

function clientCodec(path: ClientPath): Codec {
  return {
    // the old producer: one async call per record, gathered per send
    encodeBatch: (subject, values) => Promise.all(values.map(async (v) => await path.encode(subject, v))),
    // the old consumer: one async call per record, gathered per fetched batch
    decodeBatch: (buffers) => Promise.all(buffers.map(async (b) => await path.decode(b))),
  };
}

function ourCodec(registry: AvroRegistry): Codec {
  return {
    encodeBatch: (subject, values) => registry.encodeMany(subject, values),
    decodeBatch: async (buffers) => {
      const out = await registry.decodeMany<unknown>(buffers, () => ({}));
      for (const v of out) if (v instanceof Error) throw v;
      return out;
    },
  };
}

interface Round {
  encodeCpuUs: number;
  decodeCpuUs: number;
  encodeWallMs: number;
  decodeWallMs: number;
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function round(codec: Codec, streams: readonly Stream[], keep?: Buffer[][][]): Promise<Round> {
  const encoded: Buffer[][][] = [];
  let c0 = cpuUs();
  let w0 = performance.now();
  for (const s of streams) {
    const out: Buffer[][] = [];
    for (const b of s.batches) out.push(await codec.encodeBatch(s.subject, b));
    encoded.push(out);
  }
  const encodeCpuUs = cpuUs() - c0;
  const encodeWallMs = performance.now() - w0;
  c0 = cpuUs();
  w0 = performance.now();
  for (const out of encoded) for (const b of out) await codec.decodeBatch(b);
  const decodeCpuUs = cpuUs() - c0;
  const decodeWallMs = performance.now() - w0;
  if (keep) keep.push(...encoded);
  return { encodeCpuUs, decodeCpuUs, encodeWallMs, decodeWallMs };
}

async function records(o: Options, dir: string): Promise<Omit<Stream, 'subject'>[]> {
  const file = path.join(dir, 'swissprot-like.fasta');
  await generateFasta(file, { sequences: o.sequences, seed: o.seed });
  const [{ readFasta }, { dedupTopics, dedupTransform }] = await Promise.all([import('../parsers/fasta.js'), import('../processors/dedup/processor.js')]);
  const topics = dedupTopics('bench');
  const jobId = '01935f6e-0000-7000-8000-000000000001';
  const ingest: IngestFastaRecord[] = [];
  for await (const item of readFasta(file)) {
    if (item.kind === 'record') ingest.push({ ...item.value, source: 'uniprot', query_set_id: null, query_set_name: null, job_id: jobId });
  }
  const sequences: unknown[] = [];
  const proteins: unknown[] = [];
  // in the dedup stage's batches, so a sequence repeated across batches is sent again, as it is there
  for (let i = 0; i < ingest.length; i += o.batch) {
    const input: DedupInput[] = ingest.slice(i, i + o.batch).map((value) => ({ value }));
    for (const res of dedupTransform(input, topics)) {
      if (!Array.isArray(res)) continue;
      for (const out of res) (out.topic === topics.sequences ? sequences : proteins).push(out.value);
    }
  }
  const batches = (values: readonly unknown[]): unknown[][] => {
    const out: unknown[][] = [];
    for (let i = 0; i < values.length; i += o.batch) out.push(values.slice(i, i + o.batch));
    return out;
  };
  return [
    { name: 'IngestFastaRecord', batches: batches(ingest) },
    { name: 'SequenceRecord', batches: batches(sequences) },
    { name: 'ProteinRecord', batches: batches(proteins) },
  ];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(o: Options): Promise<void> {
  const [{ SchemaRegistry }, { AvroRegistry }, { loadSchema }] = await Promise.all([
    import('@kafkajs/confluent-schema-registry'),
    import('../lib/schema-registry.js'),
    import('../lib/schemas.js'),
  ]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-bench-avro-'));
  const prefix = `protea-bench-avro-${Date.now().toString(36)}`;
  const registry = new AvroRegistry();
  const streams: Stream[] = [];
  try {
    process.stdout.write(`machine: ${machineLine()}\n`);
    for (const s of await records(o, dir)) {
      const subject = `${prefix}-${s.name}-value`;
      await registry.register(subject, loadSchema(s.name));
      streams.push({ ...s, subject });
    }
    const count = streams.reduce((n, s) => n + s.batches.reduce((m, b) => m + b.length, 0), 0);
    process.stdout.write(`${fmt(o.sequences)} FASTA entries: ${streams.map((s) => `${fmt(s.batches.reduce((m, b) => m + b.length, 0))} ${s.name}`).join(', ')} (${fmt(count)} records), batches of ${fmt(o.batch)}\n`);

    const client = clientCodec(new ClientPath(new SchemaRegistry({ host: config().registryUrl })));
    const ours = ourCodec(registry);

    // untimed: warms both paths, and checks the bytes are the same
    const theirs: Buffer[][][] = [];
    const mine: Buffer[][][] = [];
    await round(client, streams, theirs);
    await round(ours, streams, mine);
    let differ = 0;
    let bytes = 0;
    theirs.forEach((s, i) =>
      s.forEach((b, j) =>
        b.forEach((buf, k) => {
          bytes += buf.length;
          if (!buf.equals(mine[i]![j]![k]!)) differ++;
        }),
      ),
    );
    theirs.length = 0;
    mine.length = 0;
    process.stdout.write(`bytes: ${differ === 0 ? 'identical' : `${fmt(differ)} records DIFFER`} for all ${fmt(count)} records (${fmt(bytes / count)} bytes per record on average)\n`);
    if (differ > 0) throw new Error('the two paths encode differently: the figures would compare different work');

    const rounds: { client: Round[]; ours: Round[] } = { client: [], ours: [] };
    for (let r = 0; r < o.rounds; r++) {
      rounds.client.push(await round(client, streams));
      rounds.ours.push(await round(ours, streams));
      process.stdout.write(`round ${r + 1}/${o.rounds} done\n`);
    }

    const perRecord = (rs: readonly Round[], pick: (r: Round) => number): number => median(rs.map(pick)) / count;
    const rows: string[][] = [['path', 'encode µs CPU/record', 'decode µs CPU/record', 'both', 'encode µs wall/record', 'decode µs wall/record']];
    const line = (label: string, rs: readonly Round[]) => {
      const enc = perRecord(rs, (r) => r.encodeCpuUs);
      const dec = perRecord(rs, (r) => r.decodeCpuUs);
      rows.push([label, fmt(enc, 2), fmt(dec, 2), fmt(enc + dec, 2), fmt(perRecord(rs, (r) => r.encodeWallMs * 1000), 2), fmt(perRecord(rs, (r) => r.decodeWallMs * 1000), 2)]);
      return { enc, dec };
    };
    const a = line('registry client, per record', rounds.client);
    const b = line('AvroRegistry, cached types, per batch', rounds.ours);
    rows.push(['ratio client / ours', `${fmt(a.enc / b.enc, 2)}×`, `${fmt(a.dec / b.dec, 2)}×`, `${fmt((a.enc + a.dec) / (b.enc + b.dec), 2)}×`, '', '']);
    process.stdout.write(`\nmedian of ${o.rounds} rounds per path (CPU of this process; wall includes what else the machine runs):\n${table(rows)}\n`);
    process.stdout.write(`CPU µs per record, every round (client | ours), encode: ${rounds.client.map((r) => fmt(r.encodeCpuUs / count, 2)).join(' ')} | ${rounds.ours.map((r) => fmt(r.encodeCpuUs / count, 2)).join(' ')}\n`);
    process.stdout.write(`CPU µs per record, every round (client | ours), decode: ${rounds.client.map((r) => fmt(r.decodeCpuUs / count, 2)).join(' ')} | ${rounds.ours.map((r) => fmt(r.decodeCpuUs / count, 2)).join(' ')}\n`);
  } finally {
    for (const s of streams) {
      await fetch(`${config().registryUrl}/subjects/${s.subject}`, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${config().registryUrl}/subjects/${s.subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

benchMain(import.meta.url, program, main);
