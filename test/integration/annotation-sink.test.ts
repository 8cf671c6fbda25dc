// The annotations sink on the real stack: GAF files produced onto
// protea.ingest.gaf land as protein_go_annotation rows linked to their GO
// term (alt_ids mapped to the primary term) and to one annotation set per
// (source, version, ontology); GO ids unknown to the snapshot go to dlq.sinks
// with the reason and count toward their job, which reaches succeeded;
// producing the same files again changes no row; an ontology release that is
// not loaded makes the partition wait and retry (nothing dead-lettered) until
// it is. One fresh topic namespace for the file, fresh databases.
//
// The ontology (demo/goslim_generic.obo) goes through protea.ingest.obo and
// the ontology sink when sinks/ontology.ts exists; else it is seeded into
// ontology_snapshot/go_term with SQL from the OBO reader's records.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { gafRun, oboRun } from '../../topics/ingest-runs.js';
import { config } from '../../lib/config.js';
import { createCopyPool } from '../../lib/db.js';
import { deleteTopics, withAdmin } from '../../lib/kafka-client.js';
import { TopicConsumer, type IncomingRecord } from '../../lib/topic-consumer.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { DeadLetterRecord } from '../../schemas/generated/types.js';
import { annotationsSink } from '../../sinks/annotations.js';
import { jobsSink } from '../../sinks/jobs.js';
import { ontologySink } from '../../sinks/ontology.js';
import { runSink, type SinkMapping, type SinkRunner } from '../../sinks/runner.js';
import { TOPICS, subjectFor, topicName } from '../../topics/catalogue.js';
import { createTopics } from '../../topics/create.js';
import { produce } from '../../topics/produce.js';
import { readGaf, type GafRecordValue } from '../../parsers/gaf.js';
import { readObo } from '../../parsers/obo.js';
import { freshDatabase } from '../helpers/fresh-database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OBO = path.join(ROOT, 'demo', 'goslim_generic.obo');
const OAK = path.join(ROOT, 'demo', 'oak-test-uniprot.gaf');
const POMBASE = 'test/fixtures/data/gaf-samples/ontobio-pombase_single.gaf';
const ALT = path.join(ROOT, 'test', 'fixtures', 'bad-input', 'gaf-alt-and-unknown-go-ids.gaf');

const namespace = `protea_t_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const GAF_TOPIC = topicName('ingest.gaf', namespace);
const DLQ = topicName('dlq.sinks', namespace);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

t.before(async () => {
  await createTopics({ namespace });
});
t.teardown(async () => {
  const names = TOPICS.map((s) => topicName(s, namespace));
  await deleteTopics(names);
  for (const subject of names.map(subjectFor)) {
    await fetch(`${config().registryUrl}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${config().registryUrl}/subjects/${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

type Row = Record<string, unknown>;

async function query(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const pool = createCopyPool(url, 1);
  try {
    return (await pool.query(text, values)).rows as Row[];
  } finally {
    await pool.end();
  }
}

async function logEnd(topic: string): Promise<Map<number, bigint>> {
  return withAdmin(async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])));
}

/** Resolves once the runner's stored offsets reach the log end of every partition. */
async function caughtUp(runner: SinkRunner<unknown>, timeoutMs = 120_000): Promise<void> {
  const end = await logEnd(runner.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await runner.storedOffsets();
    if ([...end].every(([p, high]) => high === 0n || stored.get(p) === high)) return;
    if (Date.now() > deadline) throw new Error(`${runner.sinkName} not caught up: end ${JSON.stringify([...end].map(([p, o]) => [p, String(o)]))} stored ${JSON.stringify([...stored].map(([p, o]) => [p, String(o)]))}`);
    await sleep(200);
  }
}

/**
 * Every dead letter of dlq.sinks whose job is one of `jobs`, read up to the
 * topic's log end as it is when called (once `count` arrived): called after
 * the sink caught up, so every letter it wrote (before committing its
 * offsets) is below that end, and more than expected would show up.
 */
async function deadLettersOf(jobs: readonly string[], count: number): Promise<DeadLetterRecord[]> {
  const end = await logEnd(DLQ);
  const consumer = new TopicConsumer<DeadLetterRecord>({ groupId: `${namespace}-dlq-${randomBytes(3).toString('hex')}` });
  const seen: DeadLetterRecord[] = [];
  const next = new Map<number, bigint>(); // per partition: the offset after the last record read
  const atEnd = () => [...end].every(([p, high]) => (next.get(p) ?? 0n) >= high);
  await consumer.connect([DLQ], true);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; ${seen.length} of ${count} dead letters`)), 60_000);
      void consumer
        .run(async (records: IncomingRecord<DeadLetterRecord>[]) => {
          for (const r of records) {
            if (r.value && r.value.job_id !== null && jobs.includes(r.value.job_id)) seen.push(r.value);
            const after = BigInt(r.offset) + 1n;
            if (after > (next.get(r.partition) ?? 0n)) next.set(r.partition, after);
          }
          if (seen.length >= count && atEnd()) {
            clearTimeout(timer);
            resolve();
          }
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

interface Ontology {
  oboVersion: string;
  primary: Set<string>;
  /** alt_id -> primary go_id */
  alt: Map<string, string>;
}

/** The OBO reader's view of the release: what the annotations must resolve against. */
async function readOntology(file: string): Promise<Ontology & { terms: Row[]; url: string }> {
  const terms: Row[] = [];
  let oboVersion = '';
  let url = '';
  for await (const item of readObo(file)) {
    if (item.kind !== 'record') continue;
    oboVersion = item.value.obo_version;
    url = item.value.obo_url;
    if (item.value.kind === 'TERM') terms.push(item.value as unknown as Row);
  }
  const primary = new Set(terms.map((x) => String(x.go_id)));
  const alt = new Map<string, string>();
  for (const x of terms) for (const a of x.alt_ids as string[]) alt.set(a, String(x.go_id));
  return { oboVersion, url, terms, primary, alt };
}

/** Seeds ontology_snapshot + go_term directly (the ontology sink's job, when it is not there). */
async function seedOntology(dbUrl: string, o: Awaited<ReturnType<typeof readOntology>>, opts: { complete: boolean } = { complete: true }): Promise<void> {
  // term_count (sql/0008): the release is complete, as the ontology sink marks it once its header
  // landed; a release still loading is seeded with none from the start (setting it afterwards
  // left a window in which a running sink saw it complete)
  const [snap] = await query(
    dbUrl,
    'INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ($1, $2, $3) ON CONFLICT (obo_version) DO UPDATE SET obo_url = EXCLUDED.obo_url, term_count = EXCLUDED.term_count RETURNING id',
    [o.url, o.oboVersion, opts.complete ? o.terms.length : null],
  );
  const aspect = (ns: unknown) => ({ biological_process: 'P', molecular_function: 'F', cellular_component: 'C' })[String(ns)] ?? null;
  await query(
    dbUrl,
    `INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect, definition, is_obsolete, alt_ids, replaced_by, consider)
     SELECT $1, * FROM jsonb_to_recordset($2::jsonb) AS x(go_id text, name text, namespace text, aspect text, definition text, is_obsolete boolean,
                                                          alt_ids text[], replaced_by text[], consider text[])
     ON CONFLICT DO NOTHING`,
    [snap!.id, JSON.stringify(o.terms.map((x) => ({ ...x, aspect: aspect(x.namespace) })))],
  );
}


/** What a GAF file must become against the ontology: rows (natural key + verbatim columns) and unknown ids. */
async function expectedOf(file: string, set: string, o: Ontology): Promise<{ rows: Map<string, Row>; unknown: GafRecordValue[]; records: number }> {
  const rows = new Map<string, Row>();
  const unknown: GafRecordValue[] = [];
  let records = 0;
  for await (const item of readGaf(file)) {
    if (item.kind !== 'record') continue;
    records++;
    const r = item.value;
    const term = o.primary.has(r.go_id) ? r.go_id : o.alt.get(r.go_id);
    if (term === undefined) {
      unknown.push(r);
      continue;
    }
    const row: Row = {
      set, protein_accession: r.db_object_id, go_id: term, db: r.db, db_object_symbol: r.db_object_symbol, qualifier: r.qualifier,
      db_reference: r.db_reference, evidence_code: r.evidence_code, with_from: r.with_from, aspect: r.aspect, db_object_name: r.db_object_name,
      synonym: r.db_object_synonym, db_object_type: r.db_object_type, taxon: r.taxon, annotation_date: r.date, assigned_by: r.assigned_by,
      annotation_extension: r.annotation_extension, gene_product_form_id: r.gene_product_form_id,
    };
    const key = [set, r.db_object_id, term, r.qualifier, r.evidence_code, r.db_reference, r.with_from, r.assigned_by, r.annotation_extension, r.gene_product_form_id, r.db].join('\u0001');
    rows.set(key, row); // the last line of a key wins
  }
  return { rows, unknown, records };
}

const ANNOTATIONS = `
  SELECT s.source || '/' || s.source_version AS set, p.protein_accession, g.go_id, p.db, p.db_object_symbol, p.qualifier, p.db_reference,
         p.evidence_code, p.with_from, p.aspect, p.db_object_name, p.synonym, p.db_object_type, p.taxon, p.annotation_date, p.assigned_by,
         p.annotation_extension, p.gene_product_form_id
    FROM protein_go_annotation p JOIN annotation_set s ON s.id = p.annotation_set_id JOIN go_term g ON g.id = p.go_term_id
   ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9`;

const sortRows = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Full dump of the tables the sink writes. */
async function dump(url: string): Promise<Row[][]> {
  return [
    await query(url, 'SELECT * FROM annotation_set ORDER BY id'),
    await query(url, 'SELECT * FROM protein_go_annotation ORDER BY id'),
    await query(url, 'SELECT * FROM ontology_snapshot ORDER BY id'),
    await query(url, 'SELECT count(*)::int AS n FROM go_term'),
  ];
}

async function waitForJobs(url: string, ids: readonly string[], timeoutMs = 60_000): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await query(url, 'SELECT id, status, progress_current, progress_total, operation FROM job WHERE id = ANY($1::uuid[]) ORDER BY id', [ids]);
    if (rows.length === ids.length && rows.every((r) => r.status === 'succeeded')) return rows;
    if (Date.now() > deadline) return rows;
    await sleep(250);
  }
}

const SETS = { goa: { source: 'goa', version: '2024-01-17' }, quickgo: { source: 'quickgo', version: '2024-02-01' }, pombase: { source: 'pombase', version: '2023-06' } };
// two files into one set; the alt/unknown fixture also into a second set of its own
const FILES = [
  { file: OAK, ...SETS.goa },
  { file: ALT, ...SETS.goa },
  { file: POMBASE, ...SETS.pombase },
  { file: ALT, ...SETS.quickgo },
];

t.test('GAF files -> annotations linked to terms and sets; unknown ids dead-lettered; jobs succeed; a re-produce changes no row', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const ontology = await readOntology(OBO);
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  const runners: SinkRunner<unknown>[] = [];
  t.teardown(async () => {
    for (const r of runners) await r.stop();
  });
  const start = async <T>(mapping: SinkMapping<T>) => {
    const r = await runSink(mapping, { namespace, dbUrl: url, groupId: `${namespace}-${mapping.name}-${randomBytes(3).toString('hex')}`, sessionTimeoutMs: 6000 });
    runners.push(r as SinkRunner<unknown>);
    return r;
  };
  await start(jobsSink);

  // the ontology through its topic and the ontology sink, like a user loads it
  const report = await produce(oboRun(OBO, {}), { producer, namespace, progress: null });
  const obo = await start(ontologySink);
  await caughtUp(obo as SinkRunner<unknown>);
  t.pass(`ontology loaded through ${topicName('ingest.obo', namespace)} and the ${ontologySink.name} sink (job ${report.jobId})`);
  const [loaded] = await query(url, 'SELECT count(*)::int AS terms, count(*) FILTER (WHERE cardinality(alt_ids) > 0)::int AS with_alt FROM go_term g JOIN ontology_snapshot s ON s.id = g.ontology_snapshot_id WHERE s.obo_version = $1', [ontology.oboVersion]);
  t.same(loaded, { terms: ontology.primary.size, with_alt: ontology.terms.filter((x) => (x.alt_ids as string[]).length > 0).length }, `snapshot ${ontology.oboVersion}: every term with its alt_ids`);

  const annotations = await start(annotationsSink);

  // produce the three files
  const runOnce = async () => {
    const reports = [];
    for (const f of FILES) reports.push(await produce(gafRun(f.file, { source: f.source, version: f.version, ontology: ontology.oboVersion }), { producer, namespace, progress: null }));
    return reports;
  };
  const reports = await runOnce();
  await caughtUp(annotations as SinkRunner<unknown>);

  // what must have landed
  const expected = new Map<string, Row>();
  const unknown: GafRecordValue[] = [];
  let records = 0;
  for (const f of FILES) {
    const e = await expectedOf(f.file, `${f.source}/${f.version}`, ontology);
    for (const [k, v] of e.rows) expected.set(k, v);
    unknown.push(...e.unknown);
    records += e.records;
  }
  t.equal(reports.reduce((n, r) => n + r.sent, 0), records, `${records} GAF records produced`);
  const rows = await query(url, ANNOTATIONS);
  t.equal(rows.length, expected.size, `${expected.size} annotation rows (one per natural key)`);
  t.same(sortRows(rows), sortRows([...expected.values()]), 'every row linked to its term (alt ids to the primary term) and set, every evidence column verbatim');

  // EXPECTED.json's resolutions of the alt/unknown fixture
  const fixture = (JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'bad-input', 'EXPECTED.json'), 'utf8')) as { files: Record<string, { records: { db_object_id: string; go_id: string; ontology: { resolves_to?: string; via?: string; code?: string } }[] }> }).files['gaf-alt-and-unknown-go-ids.gaf']!;
  for (const r of fixture.records) {
    const got = await query(url, `SELECT g.go_id FROM protein_go_annotation p JOIN go_term g ON g.id = p.go_term_id JOIN annotation_set s ON s.id = p.annotation_set_id WHERE s.source = 'goa' AND p.protein_accession = $1`, [r.db_object_id]);
    if (r.ontology.resolves_to) t.same(got, [{ go_id: r.ontology.resolves_to }], `${r.go_id} -> ${r.ontology.resolves_to} (via ${r.ontology.via})`);
    else t.same(got, [], `${r.go_id}: no row (${r.ontology.code})`);
  }

  // NOT qualifiers verbatim
  const nots = await query(url, `SELECT p.protein_accession, p.qualifier, g.go_id FROM protein_go_annotation p JOIN go_term g ON g.id = p.go_term_id WHERE p.qualifier LIKE 'NOT|%'`);
  t.same(nots, [...expected.values()].filter((r) => String(r.qualifier).startsWith('NOT|')).map((r) => ({ protein_accession: r.protein_accession, qualifier: r.qualifier, go_id: r.go_id })), 'NOT| qualified rows kept verbatim');
  t.ok(nots.length >= 1, `${nots.length} NOT-qualified row(s)`);

  // annotation sets: one per (source, version, ontology)
  const sets = await query(url, `SELECT s.source, s.source_version, o.obo_version, s.job_id::text AS job_id, s.meta FROM annotation_set s JOIN ontology_snapshot o ON o.id = s.ontology_snapshot_id ORDER BY 1`);
  // oak-test-uniprot.gaf has no '!gaf-version:' header: read as GAF 2.1. The pombase file's one
  // row names a GO id the slim does not have: nothing of it lands, so no set is made for it.
  // the set's job is the job of the first record that made it: either goa file's, depending on which partition landed first
  const goaJob = sets[0]?.job_id === reports[1]!.jobId ? reports[1]!.jobId : reports[0]!.jobId;
  t.same(sets, [
    { source: 'goa', source_version: SETS.goa.version, obo_version: ontology.oboVersion, job_id: goaJob, meta: { files: [ALT, OAK].sort(), gaf_versions: ['2.1', '2.2'] } },
    { source: 'quickgo', source_version: SETS.quickgo.version, obo_version: ontology.oboVersion, job_id: reports[3]!.jobId, meta: { files: [ALT], gaf_versions: ['2.2'] } },
  ], 'one annotation set per (source, version, ontology) that has rows, pinned to the snapshot, with the job that created it and the files and GAF versions that fed it');

  // unknown ids: dlq.sinks with the reason
  const jobIds = reports.map((r) => r.jobId);
  const letters = await deadLettersOf(jobIds, unknown.length);
  t.equal(letters.length, unknown.length, `${unknown.length} unknown GO ids dead-lettered, no more`);
  t.same(letters.map((l) => l.reason).sort(), unknown.map((r) => `${r.go_id} is neither a term nor an alt_id of ontology ${ontology.oboVersion}`).sort(), 'reason: "<GO id> is neither a term nor an alt_id of ontology <obo_version>"');
  t.ok(letters.every((l) => l.error_code === 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN' && l.retriable === false && l.stage === 'sinks' && l.source_topic === GAF_TOPIC), 'code ONTOLOGY_TERM_UNKNOWN, not retriable, with provenance');
  t.ok(letters.some((l) => l.reason.startsWith('GO:0099998 ')), 'the fixture id GO:0099998 among them');
  t.equal(annotations.metrics.deadLettered, unknown.length, 'sink metrics count them');

  // jobs: landed + dead-lettered records complete the job
  const done = await waitForJobs(url, jobIds);
  t.same(
    reports.map((r) => done.find((j) => j.id === r.jobId)).map((j) => [j?.status, j?.progress_current, j?.progress_total]),
    reports.map((r) => ['succeeded', r.sent, r.sent]),
    'every GAF job succeeded: progress_current = progress_total = records sent (landed + dead-lettered)',
  );
  const events = await query(url, `SELECT job_id::text AS job_id, count(*)::int AS n FROM job_event WHERE event = 'dead_letter' AND stage = 'sinks' AND error_code = 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN' GROUP BY 1`);
  t.equal(events.reduce((n, e) => n + Number(e.n), 0), unknown.length, "a 'dead_letter' job event per unknown id");

  // the same files again: no row changes
  const before = await dump(url);
  const again = await runOnce();
  await caughtUp(annotations as SinkRunner<unknown>);
  const doneAgain = await waitForJobs(url, again.map((r) => r.jobId));
  t.ok(doneAgain.every((j) => j.status === 'succeeded'), 'the second jobs succeed too');
  t.same(await dump(url), before, 'full dump of annotation_set, protein_go_annotation, ontology_snapshot, go_term equal after producing the files again');
  t.comment(`annotations sink: ${annotations.metrics.recordsWritten} records written in ${annotations.metrics.batches} transactions, ${annotations.metrics.deadLettered} dead-lettered`);
});

t.test('an ontology release not loaded, or still loading: the partition retries, nothing is dead-lettered, the rows land once it is complete', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const ontology = await readOntology(OBO);
  // the topic already holds the GAF records of the first test: a new database and group read them all again
  const total = [...(await logEnd(GAF_TOPIC)).values()].reduce((a, b) => a + b, 0n);
  const runner = await runSink(annotationsSink, {
    namespace, dbUrl: url, groupId: `${namespace}-wait-${randomBytes(3).toString('hex')}`, sessionTimeoutMs: 6000, retry: { initialDelayMs: 100, maxDelayMs: 400 },
  });
  t.teardown(() => runner.stop());
  const deadline = Date.now() + 30_000;
  while (runner.metrics.retries < 3 && Date.now() < deadline) await sleep(100);
  t.ok(runner.metrics.retries >= 3, `${runner.metrics.retries} retries while the release is missing`);
  t.equal(runner.metrics.deadLettered, 0, 'nothing dead-lettered');
  t.equal(runner.metrics.batches, 0, 'nothing committed');
  t.same(await query(url, 'SELECT count(*)::int AS n FROM protein_go_annotation'), [{ n: 0 }]);
  t.same(await query(url, 'SELECT count(*)::int AS n FROM sink_offsets WHERE next_offset > 0'), [{ n: 0 }], 'no offset moved');

  // the release half-way: snapshot and terms there, the header (term_count) not yet, as while
  // the ontology sink is loading it: unknown ids still wait, only batches whose ids all resolve land
  await seedOntology(url, ontology, { complete: false });
  const retried = runner.metrics.retries;
  const until = Date.now() + 30_000;
  while (runner.metrics.retries < retried + 3 && Date.now() < until) await sleep(100);
  t.ok(runner.metrics.retries >= retried + 3, 'a release still loading (no term_count yet): still retrying');
  t.equal(runner.metrics.deadLettered, 0, 'and still nothing dead-lettered');

  await query(url, 'UPDATE ontology_snapshot SET term_count = $1', [ontology.terms.length]);
  await caughtUp(runner as SinkRunner<unknown>);
  const expected = new Map<string, Row>();
  let unknown = 0;
  for (const f of FILES) {
    const e = await expectedOf(f.file, `${f.source}/${f.version}`, ontology);
    for (const [k, v] of e.rows) expected.set(k, v);
    unknown += e.unknown.length;
  }
  t.same(sortRows(await query(url, ANNOTATIONS)), sortRows([...expected.values()]), 'once the release is loaded, every row lands');
  t.equal(runner.metrics.deadLettered, unknown * 2, 'and only the unknown ids (of both runs of the first test) are dead-lettered');
  t.equal(runner.metrics.recordsWritten + runner.metrics.deadLettered, Number(total), 'every record handled once');
});

t.test('throughput: a generated GAF of 60k rows', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const ontology = await readOntology(OBO);
  await seedOntology(url, ontology);
  const ids = [...ontology.primary, ...ontology.alt.keys()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-gaf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'generated.gaf');
  const N = 60_000;
  const lines = ['!gaf-version: 2.2'];
  const aspects = ['P', 'F', 'C'];
  for (let i = 0; i < N; i++) {
    const acc = `Q${(100000 + Math.floor(i / 4)).toString()}`;
    lines.push(['UniProtKB', acc, `GENE${i >> 2}`, i % 50 === 0 ? 'NOT|involved_in' : 'involved_in', ids[i % ids.length]!, `PMID:${1000000 + i}`, i % 3 === 0 ? 'IEA' : 'IDA', i % 2 ? `UniProtKB:P${10000 + i}` : '', aspects[i % 3]!, `protein ${i >> 2}`, `GENE${i >> 2}|SYN${i}`, 'protein', 'taxon:9606', '20230115', 'UniProt', '', ''].join('\t'));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const producer = new TopicProducer();
  const report = await produce(gafRun(file, { source: 'bench', version: randomBytes(4).toString('hex'), ontology: ontology.oboVersion }), { producer, namespace, progress: null, batchSize: 5000 });
  await producer.disconnect();
  t.equal(report.sent, N);

  const t0 = Date.now();
  const runner = await runSink(annotationsSink, { namespace, dbUrl: url, groupId: `${namespace}-bench-${randomBytes(3).toString('hex')}`, sessionTimeoutMs: 6000 });
  t.teardown(() => runner.stop());
  // the topic also holds the earlier tests' records: wait for all of it
  await caughtUp(runner as SinkRunner<unknown>, 300_000);
  const wall = (Date.now() - t0) / 1000;
  const [n] = await query(url, `SELECT count(*)::int AS n FROM protein_go_annotation p JOIN annotation_set s ON s.id = p.annotation_set_id WHERE s.source = 'bench'`);
  t.equal(n!.n, N, 'every generated row landed');
  const m = runner.metrics;
  const inTx = m.recordsWritten / (m.batchMsTotal / 1000);
  t.comment(`annotations sink: ${m.recordsWritten} records in ${m.batches} transactions; ${Math.round(inTx)} rows/s inside transactions, ${Math.round(m.recordsWritten / wall)} rows/s wall (start, fetch and decode included)`);
  t.ok(inTx > 0);
});
