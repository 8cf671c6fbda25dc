// The sink runner on the real stack: exactly-once into PostgreSQL, offsets in
// the same transaction, dead letters with provenance, and the fence. One fresh
// topic namespace for the file; each test its own fresh database.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { copyRows, copyRowsBinary, type CopyValue, type PgClient } from '../../lib/copy.js';
import { createCopyPool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import type { IncomingRecord } from '../../lib/topic-consumer.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { DeadLetterRecord, ProteinRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { proteinsSink } from '../../sinks/proteins.js';
import { runSink, writeBatch } from '../../sinks/runner.js';
import { sequencesSink } from '../../sinks/sequences.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { waitFor } from '../helpers/poll.js';
import { consumeFromStart, logEnd } from '../helpers/read-topics.js';
import { testRandom } from '../helpers/seeded-random.js';
import { md5, randomSequence, sequenceRecord } from '../helpers/sequences.js';
import { incoming, writeOnPool } from '../helpers/sink-batches.js';
import { caughtUp } from '../helpers/sink-progress.js';

const namespace = namespaceName();
const TOPIC = topicName('sequences', namespace);
const DLQ = topicName('dlq.sinks', namespace);

t.before(() => createNamespace(namespace));
t.teardown(() => dropNamespace(namespace));

// the generated sequences and their order come from one printed seed (PROTEA_TEST_SEED replays it)
const random = testRandom(t, 'generated records');

/** A new random sequence as the sequences topic carries it. */
const randomRecord = (): SequenceRecord => sequenceRecord(randomSequence(30, 329, random));

async function withClient<T>(url: string, fn: (client: PgClient, query: (text: string, values?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const pool = createCopyPool(url, 1);
  const client = await pool.connect();
  try {
    return await fn(client, async (text, values = []) => (await client.query(text, values)).rows as Record<string, unknown>[]);
  } finally {
    client.release();
    await pool.end();
  }
}

async function readDeadLetters(count: number): Promise<IncomingRecord<DeadLetterRecord>[]> {
  const seen: IncomingRecord<DeadLetterRecord>[] = [];
  await consumeFromStart<DeadLetterRecord>([DLQ], (records) => seen.push(...records) >= count, {
    groupId: `${namespace}-dlq-${randomBytes(3).toString('hex')}`,
    timeoutMs: 60_000,
    progress: () => `${seen.length} of ${count} dead letters`,
  });
  return seen;
}

const produced: SequenceRecord[] = [];

t.test('copyRows escapes tabs, newlines, backslashes and NULL, and takes bytea', async (t) => {
  const url = await freshDatabase(t);
  await withClient(url, async (client, query) => {
    await query('CREATE TEMP TABLE c (i int, s text, b bytea, f boolean, d float8)');
    const nasty = ['plain', 'tab\there', 'new\nline', 'back\\slash', 'cr\rlf\r\n', '\\N', '\\.', '', 'é ünï 字', '\b\f\v'];
    const rows: CopyValue[][] = nasty.map((s, i) => [i, s, Buffer.from([0, 1, 0xff, i]), i % 2 === 0, i / 3]);
    rows.push([99, null, null, null, null]);
    t.equal(await copyRows(client, 'c', ['i', 's', 'b', 'f', 'd'], rows), rows.length, 'row count');
    const back = await query('SELECT i, s, b, f, d FROM c ORDER BY i');
    t.same(back.map((r) => r.s), [...nasty, null], 'strings come back byte for byte, NULL as NULL');
    t.same(back.map((r) => (r.b as Buffer | null)?.toString('hex') ?? null), [...nasty.map((_, i) => `0001ff0${i}`), null], 'bytea');
    t.same(back.map((r) => r.f), [...nasty.map((_, i) => i % 2 === 0), null], 'booleans');
    t.same(back.map((r) => r.d), [...nasty.map((_, i) => i / 3), null], 'float8 round-trips');

    // binary COPY (what pays for bytea vectors): the same values, typed
    await query('TRUNCATE c');
    const vector = Buffer.alloc(1280 * 4);
    for (let i = 0; i < 1280; i++) vector.writeFloatLE(Math.sin(i), i * 4);
    const brows: CopyValue[][] = [...nasty.map((s, i) => [i, s, i === 0 ? vector : Buffer.from([0, 1, 0xff, i]), i % 2 === 0, i / 3]), [99, null, null, null, null]];
    t.equal(await copyRowsBinary(client, 'c', ['i', 's', 'b', 'f', 'd'], ['int4', 'text', 'bytea', 'bool', 'float8'], brows), brows.length, 'binary row count');
    const bback = await query('SELECT i, s, b, f, d FROM c ORDER BY i');
    t.same(bback.map((r) => [r.i, r.s, r.b, r.f, r.d]), brows, 'binary COPY round-trips every value, NULL included');
    await t.rejects(copyRowsBinary(client, 'c', ['i'], ['int4'], [[1, 2]]), { message: /row has 2 fields, expected 1/, code: '22000' });
    await t.rejects(copyRowsBinary(client, 'c', ['i'], ['int4'], [[2 ** 40]]), { message: /field 1 \(int4\)/, code: '22000' }, 'out of range: a data exception, as the server would say');
    t.same(await query('SELECT count(*)::int AS n FROM c'), [{ n: brows.length }], 'the connection is usable after a refused COPY');
  });
});

t.test('N sequences with duplicate keys: one row per key, offsets at the log end, a re-run adds nothing', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const distinct = Array.from({ length: 500 }, () => randomRecord());
  const dups = Array.from({ length: 300 }, (_, i) => distinct[(i * 7) % distinct.length]!);
  const all = random.shuffle([...distinct, ...dups]);
  produced.push(...all);
  const producer = new TopicProducer();
  for (let i = 0; i < all.length; i += 200) await producer.send(TOPIC, all.slice(i, i + 200).map((value) => ({ key: value.md5, value })));
  await producer.disconnect();

  const runner = await runSink(sequencesSink, { namespace, dbUrl: url, groupId: `${namespace}-a`, maxRecords: 64, sessionTimeoutMs: 6000 });
  const stored = await caughtUp(runner);
  await runner.stop();
  const end = await logEnd(TOPIC);
  t.same([...stored].sort(), [...end].filter(([, o]) => o > 0n).sort(), 'sink_offsets.next_offset = log end offset of every partition');
  t.equal(runner.metrics.recordsWritten, 800, 'every record merged once');
  t.ok(runner.metrics.batches >= 800 / 64, `${runner.metrics.batches} transactions (batches split at maxRecords)`);
  t.equal(runner.metrics.deadLettered, 0);

  const counts = await withClient(url, async (_c, query) => (await query('SELECT count(*)::int AS n, count(DISTINCT sequence_hash)::int AS d, max(updated_at) AS u FROM sequence'))[0]!);
  t.equal(counts.n, 500, 'rows = distinct keys');
  t.equal(counts.d, 500);
  const sample = distinct[17]!;
  const row = await withClient(url, async (_c, query) => (await query('SELECT sequence, length FROM sequence WHERE sequence_hash = $1', [sample.md5]))[0]);
  t.same(row, { sequence: sample.sequence, length: sample.length }, 'the row holds the record');

  // the same group again: it seeks to the stored offsets and finds nothing to do
  const again = await runSink(sequencesSink, { namespace, dbUrl: url, groupId: `${namespace}-a`, sessionTimeoutMs: 6000 });
  await caughtUp(again);
  await waitFor('the re-run to seek to the stored offsets', () => again.metrics.seeks >= 1, { timeoutMs: 60_000, intervalMs: 100 });
  // after its seek: a window in which a batch below the stored offsets would have arrived (none must)
  await new Promise((r) => setTimeout(r, 1000));
  await again.stop();
  t.equal(again.metrics.batches, 0, 'no transaction on a re-run');
  t.equal(again.metrics.recordsWritten, 0);
  t.ok(again.metrics.seeks >= 1, 'seeked to the stored offsets on assignment');

  // a new group that does not seek: kafkajs delivers everything again from the start, and it is all skipped
  const replay = await runSink(sequencesSink, { namespace, dbUrl: url, groupId: `${namespace}-b`, seekOnAssign: false, sessionTimeoutMs: 6000 });
  const deadline = Date.now() + 60_000;
  while (replay.metrics.recordsSkipped < 800 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await replay.stop();
  t.equal(replay.metrics.recordsSkipped, 800, 'records below the stored offsets are skipped');
  t.equal(replay.metrics.batches, 0, 'and never written twice');
  const after = await withClient(url, async (_c, query) => (await query('SELECT count(*)::int AS n, count(DISTINCT sequence_hash)::int AS d, max(updated_at) AS u FROM sequence'))[0]!);
  t.same(after, counts, 'rows untouched by the re-runs');
});

t.test('a poisoned record goes to dlq.sinks with reason and provenance; the good records around it land', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const before = produced.length;
  const good = Array.from({ length: 20 }, () => randomRecord());
  const badLength = { ...randomRecord(), length: 3 }; // violates sequence_length_check: found by bisecting the COPY batch
  const badMd5 = { ...randomRecord(), md5: md5('something else') }; // refused by the mapping
  const garbage = Buffer.from('>not avro: no magic byte, no schema id\n', 'utf8');
  const producer = new TopicProducer();
  // one send to one partition: the good records and the bad ones share a batch
  const batch = [...good.slice(0, 10), badLength, badMd5, ...good.slice(10)];
  await producer.send(TOPIC, batch.map((value) => ({ key: value.md5, value, partition: 0, headers: { 'protea-test': 'poison' } })));
  await producer.sendRaw(TOPIC, [{ key: 'garbage-key', value: garbage, headers: { 'protea-test': 'garbage' } }]);
  await producer.disconnect();
  produced.push(...good);

  const runner = await runSink(sequencesSink, { namespace, dbUrl: url, groupId: `${namespace}-poison`, sessionTimeoutMs: 6000 });
  const stored = await caughtUp(runner);
  await runner.stop();
  const end = await logEnd(TOPIC);
  t.same([...stored].sort(), [...end].filter(([, o]) => o > 0n).sort(), 'offsets moved past the bad records to the log end');
  t.equal(runner.metrics.deadLettered, 3, 'three dead letters');
  t.ok(runner.metrics.bisections >= 1, 'the refused batch was bisected');

  const hashes = new Set(produced.map((r) => r.md5));
  const counts = await withClient(url, async (_c, query) => (await query('SELECT count(*)::int AS n FROM sequence'))[0]!);
  t.equal(counts.n, hashes.size, `every good record landed (${hashes.size} distinct: ${before} earlier records and 20 new)`);
  const bad = await withClient(url, async (_c, query) => query('SELECT sequence_hash FROM sequence WHERE sequence_hash = ANY($1)', [[badLength.md5, badMd5.md5]]));
  t.same(bad, [], 'no bad record landed');

  const letters = await readDeadLetters(3);
  t.equal(letters.length, 3);
  const byCode = (code: string) => letters.filter((l) => l.value?.error_code === code);
  const [decode] = byCode('PROTEA_ERR_AVRO_DECODE_FAILED');
  t.ok(decode, 'the garbage bytes: AVRO_DECODE_FAILED');
  t.same(decode?.value?.original_value, garbage, 'original bytes kept');
  t.equal(decode?.key, 'garbage-key', 'original key kept as the dead letter key');
  t.same(decode?.value?.original_headers['protea-test'], Buffer.from('garbage'), 'original headers kept');
  const writes = byCode('PROTEA_ERR_SINK_WRITE_FAILED');
  t.equal(writes.length, 2);
  const check = writes.find((l) => l.key === badLength.md5);
  t.match(check?.value?.reason, /sequence_length_check/, 'the constraint is named in the reason');
  t.equal(check?.value?.source_partition, 0);
  const mism = writes.find((l) => l.key === badMd5.md5);
  t.match(mism?.value?.reason, /not the MD5 of the sequence/);
  for (const l of letters) {
    t.equal(l.value?.stage, 'sinks');
    t.equal(l.value?.source_topic, TOPIC, 'provenance: topic');
    t.match(l.value?.source_offset, /^\d+$/, 'provenance: offset');
    t.equal(l.value?.retriable, false);
    t.equal(l.headers['protea-source-topic'], TOPIC, 'provenance headers');
    t.equal(l.headers['protea-source-offset'], l.value?.source_offset);
    t.equal(l.headers['protea-error-code'], l.value?.error_code);
    t.ok(l.headers['protea-error-reason'], 'reason header');
  }
  t.ok(Number(mism?.value?.source_offset) === Number(check?.value?.source_offset) + 1, 'the two refused records are neighbours on partition 0');
});

t.test('the fence: two writers of one partition with the same expected offset, exactly one commits', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const topic = `${namespace}.fence`;
  const a = incoming(topic, 3, 0, Array.from({ length: 50 }, () => randomRecord()).map((value) => ({ key: value.md5, value })));
  const b = incoming(topic, 3, 0, Array.from({ length: 50 }, () => randomRecord()).map((value) => ({ key: value.md5, value })));
  const pool = createCopyPool(url, 4);
  t.teardown(() => pool.end());
  const noDlq = { sendDeadLetters: async () => undefined };

  const run = (records: IncomingRecord<SequenceRecord>[], delayMs: number, expected: bigint, next: bigint) =>
    writeOnPool(pool, sequencesSink, { topic, partition: 3, expected, next, records }, {
      ...noDlq,
      fault: async (point) => {
        if (point === 'after-merge') await new Promise((r) => setTimeout(r, delayMs)); // scenario: A holds its merge while B starts
      },
    });
  // first use of the partition: both insert the offsets row, both start from 0
  // scenario: B starts 100 ms after A, while A is paused 400 ms after its merge
  const [ra, rb] = await Promise.allSettled([run(a, 400, 0n, 50n), new Promise((r) => setTimeout(r, 100)).then(() => run(b, 0, 0n, 50n))]);
  const outcomes = [ra.status, rb.status].sort();
  t.same(outcomes, ['fulfilled', 'rejected'], 'one commits, one fails');
  const loser = ra.status === 'rejected' ? ra : rb.status === 'rejected' ? rb : undefined;
  t.type(loser?.reason, ProteaError);
  t.equal((loser?.reason as ProteaError).key, 'SINK_FENCED', 'the other gets SINK_FENCED');
  t.equal((loser?.reason as ProteaError).retriable, true, 'SINK_FENCED is retriable, never dead-lettered');
  const winner = ra.status === 'fulfilled' ? a : b;
  const rows = await withClient(url, async (_c, query) => query('SELECT sequence_hash FROM sequence ORDER BY 1'));
  t.same(rows.map((r) => String(r.sequence_hash)), winner.map((r) => r.value!.md5).sort(), "only the winner's rows");
  const offsets = await withClient(url, async (_c, query) => query('SELECT sink, topic, partition, next_offset::text AS n FROM sink_offsets'));
  t.same(offsets, [{ sink: 'sequences', topic, partition: 3, n: '50' }]);

  // a stale writer (expected 0, stored 50) is fenced at once, and a writer at 50 goes on
  await t.rejects(run(b, 0, 0n, 50n), { key: 'SINK_FENCED', message: /is at offset 50, not 0/ });
  const more = incoming(topic, 3, 50, [randomRecord()].map((value) => ({ key: value.md5, value })));
  t.equal((await run(more, 0, 50n, 51n)).written, 1);
  t.same(await withClient(url, async (_c, query) => query('SELECT next_offset::text AS n FROM sink_offsets')), [{ n: '51' }]);
  // same transaction: a crash (here: an error) after the merge leaves neither rows nor offset
  const lost = incoming(topic, 3, 51, [randomRecord()].map((value) => ({ key: value.md5, value })));
  const client = await pool.connect();
  await t.rejects(
    writeBatch(client, 'sequences', sequencesSink, { topic, partition: 3, expected: 51n, next: 52n, records: lost }, {
      ...noDlq,
      fault: (point) => {
        if (point === 'before-commit') throw new Error('crash before commit');
      },
    }),
  );
  client.release();
  t.same(await withClient(url, async (_c, query) => query('SELECT count(*)::int AS n FROM sequence WHERE sequence_hash = $1', [lost[0]!.value!.md5])), [{ n: 0 }], 'no row');
  t.same(await withClient(url, async (_c, query) => query('SELECT next_offset::text AS n FROM sink_offsets')), [{ n: '51' }], 'no offset');
});

t.test('proteins link to their sequence whichever lands first', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const pool = createCopyPool(url, 2);
  t.teardown(() => pool.end());
  const write = <T>(mapping: typeof sequencesSink | typeof proteinsSink, topic: string, expected: number, values: { key: string; value: T }[]) =>
    writeOnPool(pool, mapping as never, { topic, partition: 0, expected: BigInt(expected), next: BigInt(expected + values.length), records: incoming(topic, 0, expected, values) }, { sendDeadLetters: async () => undefined });
  const s1 = randomRecord();
  const s2 = randomRecord();
  const protein = (accession: string, s: SequenceRecord, extra: Partial<ProteinRecord> = {}): { key: string; value: ProteinRecord } => ({
    key: accession,
    value: {
      accession, canonical_accession: accession.replace(/-\d+$/, ''), is_canonical: !accession.includes('-'), isoform_index: accession.includes('-') ? Number(accession.split('-')[1]) : null,
      entry_name: null, protein_name: null, reviewed: true, taxonomy_id: 9606, organism: 'Homo sapiens', gene_name: null, protein_existence: 1, sequence_version: 1,
      sequence_md5: s.md5, length: s.length, job_id: null, ...extra,
    },
  });
  // P1 before its sequence, P2 after it
  await write(proteinsSink, 'p', 0, [protein('P11111', s1), protein('P11111-2', s2)]);
  let rows = await withClient(url, async (_c, query) => query('SELECT accession, sequence_id FROM protein ORDER BY 1'));
  t.same(rows.map((r) => r.sequence_id), [null, null], 'no sequence yet: NULL');
  await write(sequencesSink, 's', 0, [{ key: s1.md5, value: s1 }, { key: s2.md5, value: s2 }]);
  await write(proteinsSink, 'p', 2, [protein('P22222', s1), protein('P11111', s1, { gene_name: 'GENE1' })]);
  rows = await withClient(url, async (_c, query) =>
    query('SELECT p.accession, p.gene_name, p.is_canonical, p.isoform_index, s.sequence_hash FROM protein p LEFT JOIN sequence s ON s.id = p.sequence_id ORDER BY 1'),
  );
  t.same(rows, [
    { accession: 'P11111', gene_name: 'GENE1', is_canonical: true, isoform_index: null, sequence_hash: s1.md5 },
    { accession: 'P11111-2', gene_name: null, is_canonical: false, isoform_index: 2, sequence_hash: s2.md5 },
    { accession: 'P22222', gene_name: null, is_canonical: true, isoform_index: null, sequence_hash: s1.md5 },
  ], 'linked by the sequences sink (earlier proteins) and by the proteins sink (later ones); the last record of an accession wins');
  const stamp = await withClient(url, async (_c, query) => query('SELECT accession, updated_at FROM protein ORDER BY 1'));
  await write(proteinsSink, 'p', 4, [protein('P22222', s1), protein('P11111', s1, { gene_name: 'GENE1' })]);
  t.same(await withClient(url, async (_c, query) => query('SELECT accession, updated_at FROM protein ORDER BY 1')), stamp, 'a redelivered record changes nothing');
  const bad = await write(proteinsSink, 'p', 6, [protein('P33333', s1, { isoform_index: 0 }), protein('P44444', s2)]);
  t.equal(bad.deadLettered, 1, 'isoform_index 0 breaks a CHECK: dead-lettered');
  t.equal(bad.written, 1, 'its neighbour lands');
});
