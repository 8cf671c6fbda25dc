// `protea evaluate set` on a fresh migrated database: two GO releases (the
// older one has GO:0000055 as a term, which the newer one lists as an alt_id
// of GO:0000005, and GO:0000009, which the newer one makes obsolete), two
// annotation sets pinned to them (SQL inserts: this tests the evaluation set
// builder, not ingest), the evaluation set built through the command's
// function (job events read back from a fresh topic namespace) and once
// through the built CLI, with evaluation_set.stats, evaluation_target and
// evaluation_known checked row by row, then --list, --show and the TSV export.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { createEvaluationSet } from '../../evaluation/sets.js';
import { DEFAULT_EVIDENCE_CODES, type EvaluationSetStats } from '../../evaluation/temporal-holdout.js';
import { PROJECT_ROOT } from '../../lib/config.js';
import { createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { JobReporter } from '../../lib/jobs.js';
import { getEvaluationSet, groundTruthRows, knownRows, listEvaluationSets } from '../../lib/queries/evaluation-sets.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { JobEventRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { readToEnd } from '../helpers/read-topics.js';

const BP = 'biological_process';
const MF = 'molecular_function';
const CC = 'cellular_component';
const ASPECT: Record<string, string> = { [BP]: 'P', [MF]: 'F', [CC]: 'C' };
const go = (n: number) => `GO:${String(n).padStart(7, '0')}`;
const BIN = path.join(PROJECT_ROOT, 'bin', 'protea.js');

interface Term {
  id: number;
  ns: string;
  obsolete?: boolean;
  alt?: number[];
  isA?: number[];
  partOf?: number[];
}

// the older release: GO:55 is a term of its own, GO:9 is alive
const OLD_TERMS: Term[] = [
  { id: 1, ns: BP },
  { id: 2, ns: BP, isA: [1] },
  { id: 3, ns: BP, isA: [2] },
  { id: 4, ns: BP, partOf: [2] },
  { id: 55, ns: BP, isA: [1] },
  { id: 9, ns: BP, isA: [1] },
  { id: 100, ns: MF },
  { id: 101, ns: MF, isA: [100] },
  { id: 102, ns: MF, isA: [101] },
  { id: 200, ns: CC },
  { id: 201, ns: CC, isA: [200] },
];
// the newer release: GO:55 merged into GO:5 (alt_id), GO:9 obsolete, GO:6 new below GO:3
const NEW_TERMS: Term[] = [
  { id: 1, ns: BP },
  { id: 2, ns: BP, isA: [1] },
  { id: 3, ns: BP, isA: [2] },
  { id: 4, ns: BP, partOf: [2] },
  { id: 5, ns: BP, isA: [1], alt: [55] },
  { id: 6, ns: BP, isA: [3] },
  { id: 9, ns: BP, obsolete: true },
  { id: 100, ns: MF },
  { id: 101, ns: MF, isA: [100] },
  { id: 102, ns: MF, isA: [101] },
  { id: 200, ns: CC },
  { id: 201, ns: CC, isA: [200] },
];

type Row = [protein: string, term: number, evidence: string, qualifier?: string];

const OLD_ROWS: Row[] = [
  ['P2', 101, 'IMP', 'enables'],
  ['P3', 2, 'IDA', 'involved_in'],
  ['P4', 3, 'IDA', 'involved_in'],
  ['P9', 55, 'IDA', 'involved_in'], // GO:5 in the newer release
  ['P13', 9, 'IDA', 'involved_in'], // obsolete in the newer release: P13 had no knowledge
  ['P6', 3, 'IEA', 'involved_in'], // not experimental
];
const NEW_ROWS: Row[] = [
  ['P1', 3, 'IDA', 'involved_in'],
  ['P1', 101, 'EXP', 'enables'],
  ['P2', 5, 'IGI', 'involved_in'],
  ['P2', 101, 'IMP', 'enables'],
  ['P3', 3, 'HDA', 'involved_in'],
  ['P4', 2, 'IDA', 'involved_in'],
  ['P5', 2, 'IKR', 'NOT|involved_in'],
  ['P5', 3, 'IDA', 'involved_in'],
  ['P5', 5, 'IDA', 'involved_in'],
  ['P9', 5, 'EXP', 'involved_in'],
  ['P9', 6, 'IDA', 'involved_in'],
  ['P13', 201, 'IDA', 'located_in'],
  ['P6', 3, 'IEA', 'involved_in'],
];
// nothing new: P3's GO:2 is implied by its GO:3 in the newer set, P1's row is not experimental
const NOTHING_NEW_ROWS: Row[] = [
  ['P3', 2, 'IDA', 'involved_in'],
  ['P1', 6, 'IEA', 'involved_in'],
];

async function seedSnapshot(db: DatabasePool, oboVersion: string, terms: Term[]): Promise<string> {
  const id = await db.oneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ('test://evaluation-set', ${oboVersion}, ${terms.length}) RETURNING id`);
  for (const x of terms) {
    await db.query(sql.unsafe`
      INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect, is_obsolete, alt_ids)
      VALUES (${id}, ${go(x.id)}, ${`term ${x.id}`}, ${x.ns}, ${ASPECT[x.ns] ?? null}, ${x.obsolete ?? false}, ${sql.array((x.alt ?? []).map(go), 'text')})`);
  }
  for (const x of terms) {
    for (const [relation, parents] of [['is_a', x.isA ?? []], ['part_of', x.partOf ?? []]] as const) {
      for (const p of parents) {
        await db.query(sql.unsafe`
          INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type)
          SELECT ${id}, c.id, p.id, ${relation} FROM go_term c, go_term p
           WHERE c.ontology_snapshot_id = ${id} AND c.go_id = ${go(x.id)} AND p.ontology_snapshot_id = ${id} AND p.go_id = ${go(p)}`);
      }
    }
  }
  return id;
}

async function seedAnnotationSet(db: DatabasePool, snapshotId: string, source: string, version: string, rows: Row[]): Promise<string> {
  const id = await db.oneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES (${source}, ${version}, ${snapshotId}) RETURNING id`);
  for (const [protein, term, evidence, qualifier] of rows) {
    await db.query(sql.unsafe`
      INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, db, qualifier, evidence_code, db_reference)
      SELECT ${id}, ${protein}, g.id, 'UniProtKB', ${qualifier ?? ''}, ${evidence}, 'PMID:1'
        FROM go_term g WHERE g.ontology_snapshot_id = ${snapshotId} AND g.go_id = ${go(term)}`);
  }
  return id;
}

let url = '';
let db: DatabasePool;
let oldSnapshot = '';
let newSnapshot = '';
let oldSet = '';
let newSet = '';
let nothingNewSet = '';
const namespace = namespaceName();

t.before(async () => {
  url = await freshDatabase(t, { migrate: true });
  db = await createQueryPool(url, { maximumPoolSize: 2 });
  oldSnapshot = await seedSnapshot(db, 'go-2023-01', OLD_TERMS);
  newSnapshot = await seedSnapshot(db, 'go-2024-01', NEW_TERMS);
  oldSet = await seedAnnotationSet(db, oldSnapshot, 'goa', '2023-01', OLD_ROWS);
  newSet = await seedAnnotationSet(db, newSnapshot, 'goa', '2024-01', NEW_ROWS);
  nothingNewSet = await seedAnnotationSet(db, newSnapshot, 'goa', '2024-02', NOTHING_NEW_ROWS);
  await createNamespace(namespace);
});
t.teardown(async () => {
  await db?.end();
  await dropNamespace(namespace).catch(() => undefined);
});

const EXPECTED_TARGETS = [
  `NK ${BP} P1 ${go(3)}`,
  `NK ${BP} P5 ${go(5)}`, // GO:3 excluded by P5's NOT on GO:2
  `NK ${CC} P13 ${go(201)}`, // its old GO:9 is obsolete in the newer release
  `NK ${MF} P1 ${go(101)}`,
  `LK ${BP} P2 ${go(5)}`,
  `PK ${BP} P3 ${go(3)}`,
  `PK ${BP} P9 ${go(6)}`, // its new GO:5 is its old GO:55 (alt_id): implied
].sort();

async function storedTargets(id: string): Promise<string[]> {
  // go_term ids must be the newer snapshot's
  const rows = await db.any(sql.type(z.object({ line: z.string() }))`
    SELECT t.category || ' ' || t.namespace || ' ' || t.protein_accession || ' ' || g.go_id AS line
      FROM evaluation_target t JOIN go_term g ON g.id = t.go_term_id
     WHERE t.evaluation_set_id = ${id} AND g.ontology_snapshot_id = ${newSnapshot}`);
  return rows.map((r) => r.line).sort();
}

t.test('the command function stores the set, its ground truth and known terms, and reports a job', async (t) => {
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  const job = new JobReporter(producer, { operation: 'evaluation_set', stage: 'evaluate', namespace });
  const report = await createEvaluationSet({ old: 'goa@2023-01', new: newSet }, { db, job, progress: null });

  t.equal(report.jobId, job.id);
  t.equal(report.targets, EXPECTED_TARGETS.length);
  t.equal(report.known, 2);
  t.same(await storedTargets(report.id), EXPECTED_TARGETS, 'evaluation_target, on the newer snapshot');
  const known = await knownRows(db, report.id);
  t.same(
    known.map((k) => `${k.namespace} ${k.protein_accession} ${k.go_id}`),
    [`${BP} P3 ${go(2)}`, `${BP} P9 ${go(5)}`],
    'evaluation_known: the old terms of the PK targets, mapped onto the newer release',
  );

  const row = await getEvaluationSet(db, report.id);
  t.ok(row);
  t.equal(row!.old_annotation_set_id, oldSet);
  t.equal(row!.new_annotation_set_id, newSet);
  t.equal(row!.ontology_snapshot_id, newSnapshot, 'default ontology: the new set’s');
  t.equal(row!.job_id, job.id);
  const stats: EvaluationSetStats = row!.stats;
  t.same(stats, {
    version: 1,
    evidenceCodes: [...DEFAULT_EVIDENCE_CODES],
    deltaProteins: 6,
    categories: {
      NK: { proteins: 3, annotations: 4, namespaces: { [BP]: { proteins: 2, annotations: 2 }, [CC]: { proteins: 1, annotations: 1 }, [MF]: { proteins: 1, annotations: 1 } } },
      LK: { proteins: 1, annotations: 1, namespaces: { [BP]: { proteins: 1, annotations: 1 } } },
      PK: { proteins: 2, annotations: 2, namespaces: { [BP]: { proteins: 2, annotations: 2 } } },
    },
    known: { proteins: 2, annotations: 2, namespaces: { [BP]: { proteins: 2, annotations: 2 } } },
    impliedOnly: 2, // P2 MF, P4 BP
    input: {
      old: {
        rows: 6,
        notQualifiedRows: 0,
        altIdMappedRows: 1,
        annotations: 4,
        proteins: 4,
        dropped: { otherEvidenceRows: 1, obsoleteTermRows: 1, unknownTermRows: 0, notExcludedAnnotations: 0 },
      },
      new: {
        rows: 13,
        notQualifiedRows: 1,
        altIdMappedRows: 0,
        annotations: 11,
        proteins: 7,
        dropped: { otherEvidenceRows: 1, obsoleteTermRows: 0, unknownTermRows: 0, notExcludedAnnotations: 1 },
      },
    },
    ontology: { snapshotId: newSnapshot, oboVersion: 'go-2024-01' },
    annotationSets: {
      old: { id: oldSet, source: 'goa', sourceVersion: '2023-01', oboVersion: 'go-2023-01' },
      new: { id: newSet, source: 'goa', sourceVersion: '2024-01', oboVersion: 'go-2024-01' },
    },
  });

  const topic = topicName('jobs.events', namespace);
  const events = (await readToEnd([topic], { groupPrefix: namespace, timeoutMs: 30_000 })).get(topic)!.map((r) => r.value as JobEventRecord);
  const mine = events.filter((e) => e.job_id === job.id);
  t.same(
    mine.map((e) => e.event),
    ['created', 'started', 'progress', 'progress', 'progress', 'progress', 'finished'],
  );
  t.equal(mine.at(-1)!.status, 'succeeded');
  t.ok(mine.every((e) => e.operation === 'evaluation_set'));
  t.match(mine.at(-1)!.message, new RegExp(report.id));
});

t.test('--ontology maps both sets onto another release: terms it lacks are dropped and counted', async (t) => {
  const report = await createEvaluationSet({ old: oldSet, new: newSet, ontology: 'go-2023-01' }, { db, progress: null });
  t.equal(report.jobId, null, 'no job reporter: no job');
  t.equal(report.stats.ontology.snapshotId, oldSnapshot);
  // GO:5 (P2, P5, P9) and GO:6 (P9) do not exist in the older release
  t.equal(report.stats.input.new.dropped.unknownTermRows, 4);
  t.equal(report.stats.input.old.dropped.obsoleteTermRows, 0, 'GO:9 is alive there');
  const truth = await groundTruthRows(db, report.id);
  t.ok(truth.length > 0);
  const snapshots = await db.anyFirst(sql.type(z.object({ s: z.string() }))`
    SELECT DISTINCT g.ontology_snapshot_id AS s FROM evaluation_target t JOIN go_term g ON g.id = t.go_term_id WHERE t.evaluation_set_id = ${report.id}`);
  t.same(snapshots, [oldSnapshot]);
  t.same(
    truth.map((r) => `${r.category} ${r.namespace} ${r.protein_accession} ${r.go_id}`).sort(),
    [
      `LK ${CC} P13 ${go(201)}`, // its old GO:9 is alive in the older release: P13 had knowledge
      `NK ${BP} P1 ${go(3)}`,
      `NK ${MF} P1 ${go(101)}`,
      `PK ${BP} P3 ${go(3)}`,
    ],
    'P5 and P9 lose their new terms (unknown there or excluded by NOT)',
  );
});

t.test('errors: unknown set, the same set twice, no delta (with what was found), bad ontology', async (t) => {
  const unknown = '01890000-0000-7000-8000-000000000000';
  await t.rejects(createEvaluationSet({ old: unknown, new: newSet }, { db, progress: null }), { key: 'NOT_FOUND', message: /--old: no annotation set has the id/ });
  const err = await createEvaluationSet({ old: oldSet, new: 'goa@1999' }, { db, progress: null }).catch((e: unknown) => e);
  t.ok(err instanceof ProteaError);
  t.equal((err as ProteaError).key, 'NOT_FOUND');
  t.match((err as ProteaError).hint, /--list-annotation-sets/);
  await t.rejects(createEvaluationSet({ old: newSet, new: 'goa@2024-01' }, { db, progress: null }), { key: 'USAGE', message: /same annotation set/ });
  await t.rejects(createEvaluationSet({ old: oldSet, new: newSet, ontology: 'go-1999' }, { db, progress: null }), { key: 'NOT_FOUND', message: /--ontology/ });

  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  const job = new JobReporter(producer, { operation: 'evaluation_set', stage: 'evaluate', namespace });
  const empty = await createEvaluationSet({ old: newSet, new: nothingNewSet }, { db, job, progress: null }).catch((e: unknown) => e);
  t.ok(empty instanceof ProteaError);
  t.equal((empty as ProteaError).key, 'EVALUATION_EMPTY');
  t.match((empty as ProteaError).message, /new goa@2024-02: 2 rows, 1 experimental annotations, 1 proteins with annotations left \(dropped: 1 rows with other evidence/);
  t.match((empty as ProteaError).message, /1 protein\/namespace pairs had new annotations that the old ones already implied/);
  const count = await db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::integer AS n FROM evaluation_set WHERE new_annotation_set_id = ${nothingNewSet}`);
  t.equal(count, 0, 'nothing stored');
  const topic = topicName('jobs.events', namespace);
  const events = (await readToEnd([topic], { groupPrefix: `${namespace}-e`, timeoutMs: 30_000 })).get(topic)!.map((r) => r.value as JobEventRecord);
  const last = events.filter((e) => e.job_id === job.id).at(-1)!;
  t.equal(last.status, 'failed');
  t.equal(last.error_code, 'PROTEA_ERR_EVALUATION_EMPTY');
});

t.test('the built CLI builds a set, lists it, shows it and exports its ground truth as TSV', async (t) => {
  const env = { ...process.env, PROTEA_DB_URL: url, PROTEA_TOPIC_NAMESPACE: namespace, PROTEA_LOG_LEVEL: 'warn' };
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'evaluate', 'set', ...args], { env, encoding: 'utf8', timeout: 120_000 });

  const build = cli('--old', 'goa@2023-01', '--new', 'goa@2024-01', '--json');
  t.equal(build.status, 0, 'exits 0', { stderr: build.stderr });
  const built = JSON.parse(build.stdout) as { id: string; job_id: string | null; targets: number; stats: EvaluationSetStats };
  t.equal(built.targets, EXPECTED_TARGETS.length);
  t.same(await storedTargets(built.id), EXPECTED_TARGETS);
  t.ok(built.job_id, 'Kafka is up: the CLI reported a job');
  t.equal(built.stats.categories.NK.proteins, 3);

  const list = cli('--list');
  t.equal(list.status, 0, 'exits 0', { stderr: list.stderr });
  const listed = await listEvaluationSets(db, { limit: 100 });
  t.equal(list.stdout.trim().split('\n').length, listed.length, 'one line per evaluation set');
  t.match(list.stdout, new RegExp(`${built.id}  goa@2023-01 -> goa@2024-01  go-2024-01  NK 3 LK 1 PK 2 proteins \\(delta 6\\)`));

  const show = cli('--show', built.id);
  t.equal(show.status, 0, 'exits 0', { stderr: show.stderr });
  t.match(show.stdout, `evaluation set ${built.id}`);
  t.match(show.stdout, /NK\s+biological_process\s+2\s+2/);
  t.match(show.stdout, /PK\s+\(all\)\s+2\s+2/);
  t.match(show.stdout, /delta proteins 6/);
  const showJson = cli('--show', built.id, '--json');
  t.same((JSON.parse(showJson.stdout) as { stats: unknown }).stats, built.stats);

  const pk = cli('--export', built.id, '--category', 'PK', '--namespace', 'BPO');
  t.equal(pk.status, 0, 'exits 0', { stderr: pk.stderr });
  t.equal(pk.stdout, `P3\t${go(3)}\nP9\t${go(6)}\n`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-evalset-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'gt.tsv');
  const all = cli('--export', built.id, '--out', out);
  t.equal(all.status, 0, 'exits 0', { stderr: all.stderr });
  const expectedAll = (await groundTruthRows(db, built.id)).map((r) => `${r.protein_accession}\t${r.go_id}\n`).join('');
  t.equal(readFileSync(out, 'utf8'), expectedAll);
  t.equal(readFileSync(out, 'utf8').split('\n').length - 1, EXPECTED_TARGETS.length);
  const knownTsv = cli('--export', built.id, '--known');
  t.equal(knownTsv.stdout, `P3\t${go(2)}\nP9\t${go(5)}\n`);

  const missing = cli('--show', '01890000-0000-7000-8000-000000000000');
  t.equal(missing.status, 1);
  t.match(missing.stderr, /PROTEA_ERR_NOT_FOUND: --show: no evaluation set has the id/);
  t.match(missing.stderr, /protea evaluate set --list/);
  const same = cli('--old', 'goa@2024-01', '--new', newSet);
  t.equal(same.status, 1);
  t.match(same.stderr, /PROTEA_ERR_USAGE: --old and --new are the same annotation set/);
  const mixed = cli('--list', '--show', built.id);
  t.equal(mixed.status, 1);
  t.match(mixed.stderr, /--list and --show cannot be combined/);

  const sets = cli('--list-annotation-sets');
  t.equal(sets.status, 0, 'exits 0', { stderr: sets.stderr });
  t.match(sets.stdout, new RegExp(`${newSet}  goa@2024-01 +go-2024-01 +13 rows`));
  t.match(cli('--help').stdout, /TAS and IC, which\s+CAFA3 also used, are not included/);

  // without a broker the set is built all the same, without a job
  const noKafka = spawnSync(process.execPath, [BIN, 'evaluate', 'set', '--old', oldSet, '--new', newSet, '--json'], {
    env: { ...env, PROTEA_KAFKA_BROKERS: '127.0.0.1:1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.equal(noKafka.status, 0, 'exits 0', { stderr: noKafka.stderr });
  const noJob = JSON.parse(noKafka.stdout) as { id: string; job_id: string | null };
  t.equal(noJob.job_id, null);
  t.same(await storedTargets(noJob.id), EXPECTED_TARGETS);
  t.match(noKafka.stderr, /Kafka is not reachable/);
});
