// Record-batch compression on the real broker: for each codec (none, gzip,
// snappy, lz4, zstd) batches written by TopicProducer (send and sendRaw) and by
// a plain kafkajs producer carry the codec in the broker's log and are read
// back equal by TopicConsumer; batches written by the Java client (the jar the
// stack's broker runs) with snappy, lz4 and zstd are read back equal by
// TopicConsumer, and the Java client reads ours; a codec whose package does not
// load stops the consumer with KAFKA_CODEC_UNSUPPORTED.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { PROJECT_ROOT, config } from '../../lib/config.js';
import { createKafkaClient, deleteTopics, ensureTopics } from '../../lib/kafka-client.js';
import { COMPRESSIONS, COMPRESSION_IDS, NATIVE_COMPRESSIONS, type Compression } from '../../lib/kafka-codecs.js';
import { AvroRegistry } from '../../lib/schema-registry.js';
import { loadSchema } from '../../lib/schemas.js';
import type { IngestFastaRecord } from '../../schemas/generated/types.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { namespaceName } from '../helpers/fresh-namespace.js';
import { readToEnd } from '../helpers/read-topics.js';
import { testRandom, type SeededRandom } from '../helpers/seeded-random.js';

const namespace = namespaceName();
const PARTITIONS = 2;
/** records per topic: several per partition, so each partition's batch holds many */
const COUNT = 120;
const JAVA_CODECS = ['gzip', ...NATIVE_COMPRESSIONS] as const;

const ours = (c: Compression): string => `${namespace}.ours-${c}`;
const viaKafkajs = (c: Compression): string => `${namespace}.kafkajs-${c}`;
const fromJava = (c: Compression): string => `${namespace}.java-${c}`;
/** one partition: the unsupported-codec error can name it exactly */
const lonely = `${namespace}.lonely-zstd`;
const TOPICS = [...COMPRESSIONS.map(ours), ...COMPRESSIONS.map(viaKafkajs), ...JAVA_CODECS.map(fromJava), lonely];

const registry = new AvroRegistry();
const subject = (topic: string): string => `${topic}-value`;

t.before(async () => {
  await ensureTopics(TOPICS.map((name) => ({ name, partitions: name === lonely ? 1 : PARTITIONS, config: {} })));
  for (const topic of TOPICS) await registry.register(subject(topic), loadSchema('IngestFastaRecord'));
});

t.teardown(async () => {
  await deleteTopics(TOPICS).catch(() => undefined);
  for (const topic of TOPICS) {
    await fetch(`${config().registryUrl}/subjects/${subject(topic)}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${config().registryUrl}/subjects/${subject(topic)}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

const RESIDUES = 'AAAAAAAAACCDDDDDEEEEEEFFFFGGGGGGGHHIIIIIKKKKKKLLLLLLLLLLMMNNNNPPPPPQQQQRRRRRSSSSSSSTTTTTVVVVVVVWYYY';

/** ~400-byte FASTA ingest records (the pipeline's most frequent kind). */
function fastaRecords(rng: SeededRandom, n: number, tag: string): { key: string; value: IngestFastaRecord }[] {
  return Array.from({ length: n }, (_, i) => {
    const accession = `P${String(rng.int(10000, 99999))}`;
    const length = rng.int(150, 330);
    let sequence = 'M';
    while (sequence.length < length) sequence += RESIDUES[rng.int(0, RESIDUES.length - 1)];
    return {
      key: `${tag}-${i}-${accession}`,
      value: {
        header: `sp|${accession}|G${i}_HUMAN Probable protein ${tag} ${i} OS=Homo sapiens OX=9606 GN=G${i} PE=${rng.int(1, 5)} SV=1`,
        sequence,
        source_file: 'data/uniprot/sprot_subset.fasta.gz',
        line: 1 + i * 6,
        source: 'uniprot',
        query_set_id: null,
        query_set_name: null,
        job_id: '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57',
      },
    };
  });
}

/** The codec id of every record batch the broker holds for the topic (read from its log segments), or null when the log is not on this machine. */
function codecsOnBroker(topic: string): number[] | null {
  const dataDir = path.join(config().stateDir, 'kafka', 'data');
  if (!fs.existsSync(dataDir)) return null;
  const codecs: number[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = path.join(dataDir, `${topic}-${p}`);
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.log'))) {
      const log = fs.readFileSync(path.join(dir, file));
      // a batch: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc int32, attributes int16, ...
      for (let at = 0; at + 23 <= log.length; at += 12 + log.readInt32BE(at + 8)) codecs.push(log.readInt16BE(at + 21) & 0x07);
    }
  }
  return codecs;
}

/** Each topic's records read back by TopicConsumer, by key. */
async function readBack(topics: string[]): Promise<Map<string, Map<string, { value: unknown; error?: string; raw: Buffer | null }>>> {
  const read = await readToEnd(topics, { groupPrefix: `${namespace}-codecs`, timeoutMs: 60_000 });
  return new Map([...read].map(([topic, records]) => [topic, new Map(records.map((r) => [r.key ?? '', { value: r.value, ...(r.error ? { error: r.error.code } : {}), raw: r.raw }]))]));
}

/** Encoded values and what our producers sent, per topic (for the Java consumer's check). */
const sentBytes = new Map<string, Map<string, string>>();

t.test('TopicProducer (send and sendRaw) and a plain kafkajs producer write each codec; TopicConsumer reads every record back equal', async (t) => {
  const rng = testRandom(t, 'records');
  const expected = new Map<string, Map<string, unknown>>();
  const kafkajsProducer = createKafkaClient().producer();
  await kafkajsProducer.connect();
  t.teardown(() => kafkajsProducer.disconnect());
  for (const codec of COMPRESSIONS) {
    const producer = new TopicProducer({ compression: codec });
    t.equal(producer.compression, codec);
    const records = fastaRecords(rng, COUNT, codec);
    const half = COUNT / 2;
    // send: Avro-encoded by the producer; sendRaw: bytes encoded here (a dead-letter copy is sent so)
    await producer.send(ours(codec), records.slice(0, half));
    const raw = records.slice(half).map((r) => ({ key: r.key, value: r.value }));
    const rawBytes = await registry.encodeMany(subject(ours(codec)), raw.map((r) => r.value));
    await producer.sendRaw(ours(codec), raw.map((r, i) => ({ key: r.key, value: rawBytes[i]! })));
    await producer.disconnect();
    const sendBytes = await registry.encodeMany(subject(ours(codec)), records.slice(0, half).map((r) => r.value));
    sentBytes.set(ours(codec), new Map(records.map((r, i) => [r.key, (i < half ? sendBytes[i]! : rawBytes[i - half]!).toString('hex')])));
    expected.set(ours(codec), new Map(records.map((r) => [r.key, r.value])));

    // another service's kafkajs producer (its codecs registered as ours are)
    const theirs = fastaRecords(rng, COUNT, `kafkajs-${codec}`);
    const bytes = await registry.encodeMany(subject(viaKafkajs(codec)), theirs.map((r) => r.value));
    await kafkajsProducer.send({ topic: viaKafkajs(codec), compression: COMPRESSION_IDS[codec], acks: -1, messages: theirs.map((r, i) => ({ key: r.key, value: bytes[i]! })) });
    expected.set(viaKafkajs(codec), new Map(theirs.map((r) => [r.key, r.value])));
  }

  for (const codec of COMPRESSIONS) {
    for (const topic of [ours(codec), viaKafkajs(codec)]) {
      const onBroker = codecsOnBroker(topic);
      if (onBroker === null) t.comment(`${topic}: the broker's log is not on this machine; the codec on the wire is not checked`);
      else t.same([...new Set(onBroker)], [COMPRESSION_IDS[codec]], `${topic}: the broker holds ${onBroker.length} batches, each ${codec} (id ${COMPRESSION_IDS[codec]})`);
    }
  }

  await readsBackEqual(t, expected);
});

/** Every topic of `expected` read back by our consumer: all its records, none failing to decode, every value equal. */
async function readsBackEqual(t: Test, expected: ReadonlyMap<string, ReadonlyMap<string, unknown>>): Promise<void> {
  const read = await readBack([...expected.keys()]);
  for (const [topic, want] of expected) {
    const got = read.get(topic)!;
    t.equal(got.size, want.size, `${topic}: ${want.size} records read`);
    t.same([...got.values()].filter((r) => r.error).map((r) => r.error), [], `${topic}: none failed to decode`);
    t.same(new Map([...got].map(([k, r]) => [k, r.value])), want, `${topic}: every value decoded equal`);
  }
}

/** Java with the single-file source launcher, and the stack's kafka-clients jar; or why not. */
function javaClient(): { java: string; classpath: string } | { missing: string } {
  const jars = path.join(config().stateDir, 'jars', `kafka-${config().kafkaVersion}`);
  if (!fs.existsSync(path.join(jars, `kafka-clients-${config().kafkaVersion}.jar`))) return { missing: `no kafka-clients jar under ${jars} (the broker here is not the local stack's)` };
  const java = config().javaHome ? path.join(config().javaHome, 'bin', 'java') : process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const modules = spawnSync(java, ['--list-modules'], { encoding: 'utf8' });
  if (modules.status !== 0 || !/^jdk\.compiler@/m.test(modules.stdout)) return { missing: `${java} cannot run a source file (a JRE without jdk.compiler: install a JDK)` };
  return { java, classpath: `${jars}/*` };
}

t.test('the Java client writes snappy, lz4, zstd (and gzip) batches that TopicConsumer reads equal, and reads ours', async (t) => {
  const client = javaClient();
  if ('missing' in client) {
    t.skip(`the Java client cannot run here: ${client.missing}`, () => {});
    return;
  }
  const rng = testRandom(t, 'records');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'protea-codecs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const jobs: string[] = [];
  const expected = new Map<string, Map<string, unknown>>();
  for (const codec of JAVA_CODECS) {
    const records = fastaRecords(rng, COUNT, `java-${codec}`);
    const bytes = await registry.encodeMany(subject(fromJava(codec)), records.map((r) => r.value));
    const file = path.join(dir, `produce-${codec}.tsv`);
    fs.writeFileSync(file, records.map((r, i) => `${i % PARTITIONS}\t${r.key}\t${bytes[i]!.toString('hex')}\n`).join(''));
    jobs.push(`produce:${fromJava(codec)}:${codec}:${file}`);
    expected.set(fromJava(codec), new Map(records.map((r) => [r.key, r.value])));
  }
  // what the first test wrote with TopicProducer, read by the Java consumer
  const ourTopics = NATIVE_COMPRESSIONS.map(ours).filter((topic) => sentBytes.has(topic));
  for (const topic of ourTopics) jobs.push(`consume:${topic}:${COUNT}:${path.join(dir, `consume-${topic}.tsv`)}`);

  const t0 = Date.now();
  const run = spawnSync(client.java, ['-cp', client.classpath, '-Dlog4j.configuration=file:/dev/null', path.join(PROJECT_ROOT, 'test', 'helpers', 'ForeignKafkaClient.java'), config().kafkaBrokers.join(','), ...jobs], { encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 0, `the Java client ran its ${jobs.length} jobs in ${Date.now() - t0} ms`, { stderr: run.stderr?.slice(-2000), stdout: run.stdout?.slice(-1000) });
  if (run.status !== 0) return;

  for (const codec of JAVA_CODECS) {
    const onBroker = codecsOnBroker(fromJava(codec));
    if (onBroker !== null) t.same([...new Set(onBroker)], [COMPRESSION_IDS[codec]], `${fromJava(codec)}: the Java client wrote ${onBroker.length} ${codec} batches`);
  }
  await readsBackEqual(t, expected);

  t.equal(ourTopics.length, NATIVE_COMPRESSIONS.length, 'the first test wrote a topic of each codec for the Java consumer');
  for (const topic of ourTopics) {
    const lines = fs.readFileSync(path.join(dir, `consume-${topic}.tsv`), 'utf8').split('\n').filter(Boolean);
    const javaRead = new Map(lines.map((l) => l.split('\t')).map(([, key, hex]) => [key!, hex!]));
    t.same(javaRead, sentBytes.get(topic), `${topic}: the Java consumer read our ${javaRead.size} records, bytes equal`);
  }
});

// The child blocks one codec package from loading, as on a platform its
// binary is missing for (or an install without optional dependencies).
const CHILD = `
import Module from 'node:module';
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === '@mongodb-js/zstd') throw new Error("Cannot find module '@mongodb-js/zstd-linux-x64-gnu' (blocked by the test)");
  return load.call(this, request, ...rest);
};
const dist = process.argv[1];
const { TopicConsumer } = await import(dist + '/lib/topic-consumer.js');
const { TopicProducer } = await import(dist + '/lib/topic-producer.js');
const out = {};
try { new TopicProducer({ compression: 'zstd' }); out.producer = 'constructed'; } catch (e) { out.producer = e.toJSON ? e.toJSON() : String(e); }
const consumer = new TopicConsumer({
  groupId: process.argv[3],
  hooks: { crashed: (error, restart) => { out.crash = { ...error.toJSON(), restart }; finish(); } },
});
let records = 0;
const timer = setTimeout(() => { out.timeout = true; finish(); }, 30000);
async function finish() {
  clearTimeout(timer);
  await consumer.disconnect().catch(() => undefined);
  process.stdout.write(JSON.stringify({ ...out, records }) + '\\n');
  process.exit(0);
}
await consumer.connect([process.argv[2]], true);
await consumer.run(async (batch) => { records += batch.length; });
`;

t.test('a batch in a codec whose package does not load stops the consumer with KAFKA_CODEC_UNSUPPORTED, naming topic, partition and codec', async (t) => {
  const rng = testRandom(t, 'records');
  const producer = new TopicProducer({ compression: 'zstd' });
  await producer.send(lonely, fastaRecords(rng, 10, 'lonely'));
  await producer.disconnect();

  const dist = path.join(PROJECT_ROOT, 'dist');
  t.ok(fs.existsSync(path.join(dist, 'lib', 'topic-consumer.js')), 'the build is there (test/run.mjs builds before testing)');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, dist, lonely, `${namespace}-unsupported`], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PROTEA_LOG_LEVEL: 'silent' } });
  t.equal(run.status, 0, 'the child ran', { stderr: run.stderr?.slice(-2000) });
  const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
    producer: { code?: string; message?: string; context?: Record<string, unknown> } | string;
    crash?: { code: string; message: string; retriable: boolean; disposition: string; restart: boolean; context: Record<string, unknown>; hint: string };
    timeout?: boolean;
    records: number;
  };
  t.match(out.producer, { code: 'PROTEA_ERR_CONFIG_INVALID', message: /PROTEA_KAFKA_COMPRESSION=zstd: its package @mongodb-js\/zstd did not load/ }, 'a producer set to the codec refuses to start');
  t.notOk(out.timeout, 'the consumer stopped by itself');
  t.equal(out.records, 0, 'no record was handed over');
  t.match(out.crash, {
    code: 'PROTEA_ERR_KAFKA_CODEC_UNSUPPORTED',
    retriable: false,
    disposition: 'fatal',
    restart: false,
    context: { topic: lonely, partition: 0, codec: 'zstd' },
  });
  t.match(out.crash?.message ?? '', new RegExp(`a record batch of ${lonely.replace(/\./g, '\\.')} partition 0 is zstd-compressed, and this process cannot decompress zstd: its package @mongodb-js/zstd did not load`), 'the message names topic, partition and codec');
  t.match(out.crash?.hint ?? '', /Install @mongodb-js\/zstd .*or have the topic's producers use another compression\.type/, 'the hint says what to do');
});
