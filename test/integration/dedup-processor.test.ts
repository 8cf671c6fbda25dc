// The dedup processor on the real broker and registry, in-process, in a fresh
// topic namespace: FASTA records (duplicates, isoforms, a query set, a bad
// sequence) and raw garbage bytes in; sequences, proteins, query-set entries,
// dead letters with provenance and a job 'dead_letter' event out; a clean
// stop(); and a second run in another consumer group gives the same keys and values.
import t from 'tap';
import type { IncomingRecord } from '../../lib/topic-consumer.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { runDedup } from '../../processors/dedup/processor.js';
import { md5Hex, normaliseSequence } from '../../parsers/fasta-sequence.js';
import type { DeadLetterRecord, IngestFastaRecord, JobEventRecord, ProteinRecord, QuerySetEntryRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { HBA_HUMAN, HBA_HUMAN_MD5, IDS } from '../fixtures/records.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { waitFor } from '../helpers/poll.js';
import { logEnds, readToEnd } from '../helpers/read-topics.js';
import { AMINO_ACIDS as AA } from '../helpers/sequences.js';

const namespace = namespaceName();
const T = {
  ingest: topicName('ingest.fasta', namespace),
  sequences: topicName('sequences', namespace),
  proteins: topicName('proteins', namespace),
  querySets: topicName('query_sets', namespace),
  dlq: topicName('dlq.dedup', namespace),
  jobs: topicName('jobs.events', namespace),
};

t.teardown(() => dropNamespace(namespace));

// ── input ──────────────────────────────────────────────────────────────────

// seeded: the same inputs on every run, so a failure reproduces
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const randomSequence = (len: number) => Array.from({ length: len }, () => AA[Math.floor(rand() * AA.length)]).join('');

const N = 6000; // generated reference entries (plus the hand-written ones below)
const DISTINCT = 5400; // ~10% of the entries repeat an earlier sequence
const pool = Array.from({ length: DISTINCT }, () => randomSequence(50 + Math.floor(rand() * 450)));
let line = 1;
const entry = (header: string, sequence: string, extra: Partial<IngestFastaRecord> = {}): IngestFastaRecord => {
  const rec: IngestFastaRecord = { header, sequence, source_file: 'it/dedup.fasta', line, source: 'uniprot', query_set_id: null, query_set_name: null, job_id: IDS.job, ...extra };
  line += 2 + Math.ceil(sequence.length / 60);
  return rec;
};
const accessionOf = (r: IngestFastaRecord) => (r.header.startsWith('sp|') || r.header.startsWith('tr|') ? r.header.split('|')[1]! : r.header.split(/\s/)[0]!);

const special: IngestFastaRecord[] = [
  entry('sp|P69905|HBA_HUMAN Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1 PE=1 SV=2', HBA_HUMAN),
  entry('sp|P69905-2|HBA_HUMAN Isoform 2 of Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1', HBA_HUMAN.toLowerCase()),
  entry('sp|P01942|HBA_MOUSE Hemoglobin subunit alpha OS=Mus musculus OX=10090 GN=Hba PE=1 SV=2', `${HBA_HUMAN}*`),
  entry('sp|P00BAD|BAD_HUMAN Gapped OS=Homo sapiens OX=9606', 'MKV--LLA'),
  entry('sp|Q9QS01|QS1_HUMAN Query one OS=Homo sapiens OX=9606', HBA_HUMAN, { source: 'upload', query_set_id: IDS.querySet, query_set_name: 'it-queries' }),
  entry('sp|Q9QS02-3|QS2_HUMAN Query two isoform OS=Homo sapiens OX=9606', pool[0]!, { source: 'upload', query_set_id: IDS.querySet, query_set_name: 'it-queries' }),
];
const generated: IngestFastaRecord[] = Array.from({ length: N }, (_, i) =>
  entry(`tr|G${String(i).padStart(7, '0')}|G${i}_SYNTH Synthetic ${i} OS=Synthetica OX=${1000 + (i % 50)} PE=4 SV=1`, pool[i < DISTINCT ? i : Math.floor(rand() * DISTINCT)]!),
);
const inputs = [...special, ...generated];
const good = inputs.filter((r) => normaliseSequence(r.sequence).ok);
const GARBAGE = Buffer.from('\x00\x00\x00\x07\x2anot avro at all', 'latin1');

// ── reading topics back ──────────────────────────────────────────────────────

type Seen = Map<string, IncomingRecord<unknown>[]>;

/** Every record of the topics (from the given offsets on), read in a fresh group up to the current log end. */
const readTopics = (topics: string[], from = new Map<string, string>()): Promise<Seen> => readToEnd(topics, { groupPrefix: namespace, timeoutMs: 90_000, from });

/** Polls every 25 ms: the throughput reported below is timed by when the wait ends. */
const POLL = { timeoutMs: 120_000, intervalMs: 25 };

const byKey = <V>(records: IncomingRecord<unknown>[]) => {
  const m = new Map<string, V[]>();
  for (const r of records) {
    const list = m.get(r.key ?? '') ?? [];
    list.push(r.value as V);
    m.set(r.key ?? '', list);
  }
  return m;
};

let firstRun: Seen | undefined;

t.before(async () => {
  await createNamespace(namespace);
  // idempotent: a send retried under load must not put records on the topic twice (the counts below are the inputs')
  const producer = new TopicProducer({ idempotent: true });
  for (let i = 0; i < inputs.length; i += 1000) {
    await producer.send(
      T.ingest,
      inputs.slice(i, i + 1000).map((value) => ({ key: accessionOf(value), value })),
    );
  }
  await producer.sendRaw(T.ingest, [{ key: 'GARBAGE1', value: GARBAGE, headers: { 'x-origin': 'it', 'protea-job-id': IDS.job } }]);
  await producer.disconnect();
});

t.test('dedup: FASTA records in, sequences, proteins, query-set entries and dead letters out; stop() is clean', async (t) => {
  const total = inputs.length + 1;
  const started = performance.now();
  const handle = await runDedup({ namespace, groupId: `${namespace}.dedup-a`, handleSignals: false, gracePeriodMs: 10_000 });
  const joined = performance.now();
  await waitFor(`${total} records processed`, () => handle.stats.recordsIn >= total, POLL);
  const finished = performance.now();
  const rate = Math.round(total / ((finished - joined) / 1000));
  t.comment(`dedup throughput: ${total} records in ${((finished - joined) / 1000).toFixed(2)} s = ${rate} records/s (group join ${((joined - started) / 1000).toFixed(1)} s not counted)`);

  const result = await handle.stop('test done');
  t.same(result, { reason: 'test done', abandoned: false, clean: true }, 'stop() leaves the group cleanly with nothing abandoned');
  t.same(await handle.done, result, 'done resolves with the stop result');
  t.equal(handle.stats.recordsIn, total, 'every record consumed exactly once');
  t.equal(handle.stats.deadLetters, 2, 'the bad sequence and the garbage bytes were dead-lettered');
  t.equal(handle.stats.jobEvents, 2, 'one dead_letter job event per dead letter with a job');
  t.equal(handle.stats.abandonedBatches, 0);

  const seen = await readTopics([T.ingest, T.sequences, T.proteins, T.querySets, T.dlq, T.jobs]);
  firstRun = seen;

  // sequences: one key per distinct normalised sequence, each value right
  const distinct = new Map(good.map((r) => [md5Hex((normaliseSequence(r.sequence) as { sequence: string }).sequence), r]));
  const sequences = byKey<SequenceRecord>(seen.get(T.sequences)!);
  t.same([...sequences.keys()].sort(), [...distinct.keys()].sort(), 'one sequence key per distinct MD5');
  t.ok(seen.get(T.sequences)!.length <= good.length, 'never more sequence messages than good inputs (each MD5 at most once per batch)');
  t.ok(seen.get(T.sequences)!.length < good.length, 'duplicates within a batch are emitted once');
  let sequenceValuesOk = true;
  for (const [md5, values] of sequences) {
    for (const v of values) if (v.md5 !== md5 || md5Hex(v.sequence) !== md5 || v.length !== v.sequence.length || v.first_seen_job_id !== IDS.job) sequenceValuesOk = false;
  }
  t.ok(sequenceValuesOk, 'every sequence message: key = md5 = MD5(sequence), length, job');
  t.same(sequences.get(HBA_HUMAN_MD5)?.[0], { md5: HBA_HUMAN_MD5, sequence: HBA_HUMAN, length: HBA_HUMAN.length, first_seen_job_id: IDS.job });

  // proteins: exactly one per good accession
  const proteins = byKey<ProteinRecord>(seen.get(T.proteins)!);
  t.equal(seen.get(T.proteins)!.length, good.length, 'one protein message per good input');
  t.same([...proteins.keys()].sort(), good.map(accessionOf).sort(), 'keyed by accession');
  t.match(proteins.get('P69905')?.[0], { canonical_accession: 'P69905', is_canonical: true, isoform_index: null, entry_name: 'HBA_HUMAN', reviewed: true, taxonomy_id: 9606, gene_name: 'HBA1', protein_existence: 1, sequence_version: 2, sequence_md5: HBA_HUMAN_MD5, length: HBA_HUMAN.length, job_id: IDS.job });
  t.match(proteins.get('P69905-2')?.[0], { canonical_accession: 'P69905', is_canonical: false, isoform_index: 2, sequence_md5: HBA_HUMAN_MD5 });
  t.match(proteins.get('P01942')?.[0], { organism: 'Mus musculus', taxonomy_id: 10090, sequence_md5: HBA_HUMAN_MD5 });
  t.match(proteins.get('G0000007')?.[0], { reviewed: false, taxonomy_id: 1007, organism: 'Synthetica', protein_existence: 4 });
  t.notOk(proteins.has('P00BAD'), 'the bad sequence gives no protein');

  // query sets: the two entries of the query set only
  const entries = byKey<QuerySetEntryRecord>(seen.get(T.querySets)!);
  t.same([...entries.keys()].sort(), [`${IDS.querySet}|Q9QS01`, `${IDS.querySet}|Q9QS02-3`]);
  t.same(entries.get(`${IDS.querySet}|Q9QS01`), [{ query_set_id: IDS.querySet, query_set_name: 'it-queries', accession: 'Q9QS01', sequence_md5: HBA_HUMAN_MD5, job_id: IDS.job }]);
  t.equal(entries.get(`${IDS.querySet}|Q9QS02-3`)?.[0]?.sequence_md5, md5Hex(pool[0]!));

  // dead letters: provenance headers, original bytes, reasons, file and line
  const originals = new Map(seen.get(T.ingest)!.map((r) => [r.key, r]));
  const dlq = new Map(seen.get(T.dlq)!.map((r) => [r.key, r]));
  t.same([...dlq.keys()].sort(), ['GARBAGE1', 'P00BAD']);
  const bad = dlq.get('P00BAD')!;
  const badIn = originals.get('P00BAD')!;
  const badValue = bad.value as DeadLetterRecord;
  const badInput = special[3]!;
  t.match(bad.headers, {
    'protea-source-topic': T.ingest,
    'protea-source-partition': String(badIn.partition),
    'protea-source-offset': badIn.offset,
    'protea-error-code': 'PROTEA_ERR_SEQUENCE_INVALID',
    'protea-error-reason': /alignment gaps at position 4/,
  }, 'bad sequence: provenance headers');
  t.match(badValue, { stage: 'dedup', source_topic: T.ingest, source_partition: badIn.partition, source_offset: badIn.offset, error_code: 'PROTEA_ERR_SEQUENCE_INVALID', reason: /alignment gaps at position 4/, retriable: false, file: 'it/dedup.fasta', line: badInput.line, job_id: IDS.job });
  t.ok(badValue.original_value?.equals(badIn.raw!), 'the original Avro bytes are kept');
  t.equal(badValue.original_key?.toString(), 'P00BAD');

  const garbage = dlq.get('GARBAGE1')!;
  const garbageIn = originals.get('GARBAGE1')!;
  const garbageValue = garbage.value as DeadLetterRecord;
  t.match(garbage.headers, { 'protea-source-topic': T.ingest, 'protea-source-partition': String(garbageIn.partition), 'protea-source-offset': garbageIn.offset, 'protea-error-code': 'PROTEA_ERR_AVRO_DECODE_FAILED' }, 'garbage: provenance headers');
  t.ok(garbage.headers['protea-error-reason']?.length, 'garbage: a reason header');
  t.ok(garbageValue.original_value?.equals(GARBAGE), 'garbage: the original bytes verbatim');
  t.equal(garbageValue.original_headers['x-origin']?.toString(), 'it', 'garbage: the original headers kept');
  t.match(garbageValue, { error_code: 'PROTEA_ERR_AVRO_DECODE_FAILED', file: null, line: null, job_id: IDS.job, retriable: false });

  // job events: 'dead_letter' with reason and file/line
  const events = seen.get(T.jobs)!.map((r) => ({ key: r.key, value: r.value as JobEventRecord }));
  t.equal(events.length, 2, 'one job event per dead letter with a job');
  const badEvent = events.find((e) => e.value.error_code === 'PROTEA_ERR_SEQUENCE_INVALID');
  t.equal(badEvent?.key, IDS.job, 'keyed by job id');
  t.match(badEvent?.value, { job_id: IDS.job, event: 'dead_letter', level: 'warn', stage: 'dedup', status: null, message: /alignment gaps at position 4/ });
  t.match(JSON.parse(badEvent?.value.fields_json ?? '{}'), { file: 'it/dedup.fasta', line: badInput.line, source_topic: T.ingest, source_offset: badIn.offset });
  t.match(badEvent?.value.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'event id is a UUIDv7');
});

t.test('redelivery: the processor run again from the beginning in another group gives the same keys and values', async (t) => {
  t.ok(firstRun, 'the first run happened');
  if (!firstRun) return;
  const outputs = [T.sequences, T.proteins, T.querySets];
  const before = await logEnds(outputs);
  const handle = await runDedup({ namespace, groupId: `${namespace}.dedup-b`, handleSignals: false });
  await waitFor('second run processed', () => handle.stats.recordsIn >= inputs.length + 1, POLL);
  const stopped = await handle.stop();
  t.equal(stopped.clean, true);
  const second = await readTopics(outputs, before);
  for (const topic of outputs) {
    const a = byKey<unknown>(firstRun.get(topic)!);
    const b = byKey<unknown>(second.get(topic)!);
    t.same([...b.keys()].sort(), [...a.keys()].sort(), `${topic}: the same keys`);
    let same = true;
    for (const [key, values] of b) {
      const ref = a.get(key)?.[0];
      for (const v of values) if (JSON.stringify(v) !== JSON.stringify(ref)) same = false;
    }
    t.ok(same, `${topic}: every key has the same value in both runs`);
  }
  t.equal(second.get(T.proteins)!.length, good.length, 'one protein per good input again');
});
