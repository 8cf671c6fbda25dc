// The ontology sink on the real stack: OBO files produced with `protea produce
// obo`'s run (oboRun + produce) into a fresh topic namespace, sunk into a fresh
// database with the jobs sink beside it. Expected counts come from the OBO
// reader's tests (test/unit/parsers-obo.test.ts, counted there with grep/awk
// over the files) and from the fixture files' text, never from the sink.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { oboRun } from '../../topics/ingest-runs.js';
import { config } from '../../lib/config.js';
import { createCopyPool } from '../../lib/db.js';
import { uuidv7 } from '../../lib/ids.js';
import { deleteTopics, withAdmin } from '../../lib/kafka-client.js';
import type { IncomingRecord } from '../../lib/topic-consumer.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { IngestOboRecord, OboEdge } from '../../schemas/generated/types.js';
import { jobsSink } from '../../sinks/jobs.js';
import { ontologySink } from '../../sinks/ontology.js';
import { runSink, writeBatch, type SinkMapping, type SinkRunner } from '../../sinks/runner.js';
import { TOPICS, subjectFor, topicName } from '../../topics/catalogue.js';
import { createTopics } from '../../topics/create.js';
import { produce, type ProduceReport } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { waitFor } from '../helpers/poll.js';

const namespace = `protea_t_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const SLIM = path.resolve('demo/goslim_generic.obo');
const NUCLEUS = 'test/fixtures/data/go-obo-subsets/go-nucleus.obo';
const FIXTURES = path.resolve('test/fixtures/bad-input');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'protea-ontology-sink-'));

const runners: SinkRunner<unknown>[] = [];
const producer = new TopicProducer();

// created before the first subtest (not by a top-level await: tap's root test would end meanwhile)
let url = '';
let pool!: ReturnType<typeof createCopyPool>;
t.before(async () => {
  await createTopics({ namespace });
  url = await freshDatabase(t, { migrate: true });
  pool = createCopyPool(url, 2);
  pool.on('error', () => undefined); // idle connections cut when the database is dropped at the end
});
t.teardown(async () => {
  for (const r of runners) await r.stop();
  await producer.disconnect();
  await pool?.end();
  rmSync(tmp, { recursive: true, force: true });
  const names = TOPICS.map((s) => topicName(s, namespace));
  await deleteTopics(names);
  for (const subject of names.map(subjectFor)) {
    await fetch(`${config().registryUrl}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${config().registryUrl}/subjects/${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

const query = async <R = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> => (await pool.query(text, values)).rows as R[];

async function logEnd(topic: string): Promise<Map<number, bigint>> {
  return withAdmin(async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])));
}

/** Resolves once the runner's stored offsets reach the log end of every partition. */
async function caughtUp(runner: SinkRunner<unknown>, timeoutMs = 60_000): Promise<void> {
  const end = await logEnd(runner.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await runner.storedOffsets();
    if ([...end].every(([p, high]) => high === 0n || stored.get(p) === high)) return;
    if (Date.now() > deadline) throw new Error(`${runner.sinkName} not caught up with ${runner.topic}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface JobRow {
  status: string;
  progress_current: number | null;
  progress_total: number | null;
}

/** The job's row once it reached `status` (or the last seen row after the timeout). */
async function jobReaches(jobId: string, status: string, timeoutMs = 60_000): Promise<JobRow | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query<JobRow>('SELECT status, progress_current, progress_total FROM job WHERE id = $1', [jobId]);
    if (row?.status === status || Date.now() > deadline) return row;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Produces an OBO file as `protea produce obo` does and waits until the ontology sink has landed it. */
async function produceObo(file: string): Promise<ProduceReport> {
  const report = await produce(oboRun(file, {}), { producer, namespace, progress: null });
  await caughtUp(runners[0]!);
  return report;
}

async function snapshotOf(version: string): Promise<{ id: string; obo_url: string; term_count: number | null }> {
  const [row] = await query<{ id: string; obo_url: string; term_count: number | null }>('SELECT id, obo_url, term_count FROM ontology_snapshot WHERE obo_version = $1', [version]);
  if (!row) throw new Error(`no snapshot ${version}`);
  return row;
}

const countBy = async (text: string, values: unknown[]): Promise<Record<string, number>> =>
  Object.fromEntries((await query<{ k: string; n: number }>(text, values)).map((r) => [String(r.k), r.n]));

const edgesByRelation = (snapshot: string) =>
  countBy('SELECT relation_type AS k, count(*)::int AS n FROM go_term_relationship WHERE ontology_snapshot_id = $1 GROUP BY 1', [snapshot]);

async function status(snapshot: string) {
  const [row] = await query<{ term_count: number | null; terms_loaded: number; relationships: number; pending_edges: number; complete: boolean }>(
    'SELECT term_count, terms_loaded, relationships, pending_edges, complete FROM ontology_snapshot_status WHERE ontology_snapshot_id = $1',
    [snapshot],
  );
  return row;
}

/** Every row of the ontology tables, with its row version (xmin): equal dumps mean no row was written. */
async function dump() {
  return {
    snapshots: await query('SELECT xmin::text AS v, id, obo_url, obo_version, loaded_at, term_count FROM ontology_snapshot ORDER BY obo_version'),
    terms: await query('SELECT xmin::text AS v, * FROM go_term ORDER BY id'),
    relationships: await query('SELECT xmin::text AS v, * FROM go_term_relationship ORDER BY id'),
    pending: await query('SELECT * FROM go_term_edge_pending ORDER BY ontology_snapshot_id, child_go_id, parent_go_id, relation_type'),
  };
}

/** The edges of a snapshot by GO ids. */
const edgeSet = async (snapshot: string) =>
  (
    await query<{ e: string }>(
      `SELECT c.go_id || ' ' || r.relation_type || ' ' || p.go_id AS e FROM go_term_relationship r
         JOIN go_term c ON c.id = r.child_go_term_id JOIN go_term p ON p.id = r.parent_go_term_id
        WHERE r.ontology_snapshot_id = $1 ORDER BY 1`,
      [snapshot],
    )
  ).map((r) => r.e);

t.test('start the ontology and jobs sinks', async () => {
  runners.push(await runSink(ontologySink, { namespace, dbUrl: url, groupId: `${namespace}-ontology`, sessionTimeoutMs: 6000, maxRecords: 40 }) as SinkRunner<unknown>);
  runners.push(await runSink(jobsSink, { namespace, dbUrl: url, groupId: `${namespace}-jobs`, sessionTimeoutMs: 6000 }) as SinkRunner<unknown>);
});

let slimId = '';
let slimEdges: string[] = [];

t.test('goslim_generic.obo: 149 terms, 58 alt_ids, 227 edges by type, the snapshot and a succeeded job', async (t) => {
  const report = await produceObo(SLIM);
  t.equal(report.sent, 150, '149 terms + the header');
  const [snap] = await query<{ id: string; obo_version: string; obo_url: string; term_count: number; loaded_at: Date }>('SELECT * FROM ontology_snapshot');
  t.ok(snap);
  slimId = snap!.id;
  t.match(snap!.obo_version, /^go\/subsets\/goslim_generic@sha256:[0-9a-f]{16}$/, 'the content-derived release id');
  t.equal(snap!.obo_url, pathToFileURL(SLIM).href);
  t.equal(snap!.term_count, 149);
  t.type(snap!.loaded_at, Date);

  const [c] = await query<{ n: number; obsolete: number; alt: number; defs: number; go: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE is_obsolete)::int AS obsolete, sum(cardinality(alt_ids))::int AS alt,
            count(definition)::int AS defs, count(*) FILTER (WHERE go_id LIKE 'GO:%')::int AS go
       FROM go_term WHERE ontology_snapshot_id = $1`,
    [slimId],
  );
  t.same(c, { n: 149, obsolete: 0, alt: 58, defs: 149, go: 149 });
  t.same(await countBy('SELECT aspect AS k, count(*)::int AS n FROM go_term WHERE ontology_snapshot_id = $1 GROUP BY 1', [slimId]), { P: 71, C: 35, F: 43 });
  t.same(await edgesByRelation(slimId), { is_a: 148, part_of: 68, occurs_in: 4, regulates: 1, has_part: 6 }, 'every edge of the file (all parents are in the slim)');
  const [bp] = await query('SELECT name, namespace, aspect, alt_ids, replaced_by, consider, is_obsolete FROM go_term WHERE ontology_snapshot_id = $1 AND go_id = $2', [slimId, 'GO:0008150']);
  t.same(bp, { name: 'biological_process', namespace: 'biological_process', aspect: 'P', alt_ids: ['GO:0000004', 'GO:0007582'], replaced_by: [], consider: [], is_obsolete: false });
  const [reproduction] = await query('SELECT alt_ids FROM go_term WHERE ontology_snapshot_id = $1 AND go_id = $2', [slimId, 'GO:0000003']);
  t.same(reproduction, { alt_ids: ['GO:0019952', 'GO:0050876'] }, 'alt_ids in file order');
  t.same(await status(slimId), { term_count: 149, terms_loaded: 149, relationships: 227, pending_edges: 0, complete: true });
  slimEdges = await edgeSet(slimId);
  t.equal(new Set(slimEdges).size, 227);

  t.same(await jobReaches(report.jobId, 'succeeded'), { status: 'succeeded', progress_current: 150, progress_total: 150 }, 'the produce job succeeded once its 150 records landed');
});

t.test('producing the same file again changes no row', async (t) => {
  const before = await dump();
  const report = await produceObo(SLIM);
  t.equal(report.sent, 150);
  t.same(await dump(), before, 'every table, row versions included');
  t.same(await jobReaches(report.jobId, 'succeeded'), { status: 'succeeded', progress_current: 150, progress_total: 150 });
});

t.test('a release whose relationships are missing gets them backfilled when produced again', async (t) => {
  const terms = await query('SELECT xmin::text AS v, * FROM go_term ORDER BY id');
  const deleted = await pool.query('DELETE FROM go_term_relationship WHERE ontology_snapshot_id = $1', [slimId]);
  t.equal(deleted.rowCount, 227);
  t.same(await status(slimId), { term_count: 149, terms_loaded: 149, relationships: 0, pending_edges: 0, complete: true });
  const report = await produceObo(SLIM);
  t.same(await edgesByRelation(slimId), { is_a: 148, part_of: 68, occurs_in: 4, regulates: 1, has_part: 6 });
  t.same(await edgeSet(slimId), slimEdges, 'the same edges as the first load');
  t.same(await query('SELECT xmin::text AS v, * FROM go_term ORDER BY id'), terms, 'terms untouched');
  t.equal((await status(slimId))?.pending_edges, 0);
  t.same(await jobReaches(report.jobId, 'succeeded'), { status: 'succeeded', progress_current: 150, progress_total: 150 });
});

t.test('go-nucleus.obo: 176 terms of 8 id spaces, 28 alt_ids, 340 edges of 13 types, aspect only for GO namespaces', async (t) => {
  const report = await produceObo(NUCLEUS);
  t.equal(report.sent, 177);
  const snap = await snapshotOf('releases/2020-01-01/');
  t.equal(snap.term_count, 176);
  t.equal(snap.obo_url, pathToFileURL(NUCLEUS).href);
  t.same(
    await countBy(`SELECT split_part(go_id, ':', 1) AS k, count(*)::int AS n FROM go_term WHERE ontology_snapshot_id = $1 GROUP BY 1`, [snap.id]),
    { BFO: 8, CARO: 5, CHEBI: 37, CL: 1, GO: 78, NCBITaxon: 25, NCBITaxon_Union: 13, PATO: 9 },
  );
  t.same(
    await countBy(`SELECT coalesce(namespace, 'null') || '/' || coalesce(aspect, '-') AS k, count(*)::int AS n FROM go_term WHERE ontology_snapshot_id = $1 GROUP BY 1`, [snap.id]),
    { 'biological_process/P': 43, 'cellular_component/C': 25, 'molecular_function/F': 10, 'null/-': 98 },
  );
  const [c] = await query<{ obsolete: number; alt: number }>(
    'SELECT count(*) FILTER (WHERE is_obsolete)::int AS obsolete, sum(cardinality(alt_ids))::int AS alt FROM go_term WHERE ontology_snapshot_id = $1',
    [snap.id],
  );
  t.same(c, { obsolete: 0, alt: 28 });
  t.same(await edgesByRelation(snap.id), {
    is_a: 221,
    part_of: 29,
    in_taxon: 22,
    negatively_regulates: 14,
    positively_regulates: 14,
    regulates: 13,
    has_part: 12,
    only_in_taxon: 7,
    has_primary_input_or_output: 2,
    never_in_taxon: 2,
    present_in_taxon: 2,
    capable_of_part_of: 1,
    has_role: 1,
  });
  const nucleus = (await edgeSet(snap.id)).filter((e) => e.startsWith('GO:0005634 '));
  t.same(nucleus, ['GO:0005634 in_taxon NCBITaxon:2759', 'GO:0005634 is_a GO:0043231', 'GO:0005634 never_in_taxon NCBITaxon:2', 'GO:0005634 only_in_taxon NCBITaxon:2759']);
  t.same(await status(snap.id), { term_count: 176, terms_loaded: 176, relationships: 340, pending_edges: 0, complete: true });
  t.same(await edgesByRelation(slimId), { is_a: 148, part_of: 68, occurs_in: 4, regulates: 1, has_part: 6 }, 'the other release is untouched');
  t.same(await jobReaches(report.jobId, 'succeeded'), { status: 'succeeded', progress_current: 177, progress_total: 177 });
});

t.test('obsolete terms, edges to terms outside the file wait, a parent landing later completes them', async (t) => {
  // both fixtures say data-version: releases/2024-01-17, so they fill one snapshot
  const edges = await produceObo(path.join(FIXTURES, 'obo-edges-and-comments.obo'));
  const snap = await snapshotOf('releases/2024-01-17');
  // GO:0050789's six edges (the gci-qualified part_of is not a DAG edge): only its regulates edge has both ends in the file
  t.same(await edgeSet(snap.id), ['GO:0050789 regulates GO:0008150']);
  const pending = async () =>
    (await query<{ e: string }>(`SELECT child_go_id || ' ' || relation_type || ' ' || parent_go_id AS e FROM go_term_edge_pending WHERE ontology_snapshot_id = $1 ORDER BY 1`, [snap.id])).map((r) => r.e);
  t.same(await pending(), [
    'GO:0050789 has_part GO:0003674',
    'GO:0050789 is_a GO:0065007',
    'GO:0050789 negatively_regulates GO:0009987',
    'GO:0050789 occurs_in GO:0005575',
    'GO:0050789 positively_regulates GO:0009987',
  ]);
  t.same(await status(snap.id), { term_count: 2, terms_loaded: 2, relationships: 1, pending_edges: 5, complete: true });
  const [reg] = await query('SELECT definition, aspect FROM go_term WHERE ontology_snapshot_id = $1 AND go_id = $2', [snap.id, 'GO:0050789']);
  t.same(reg, { definition: 'Any process that modulates "the" frequency.', aspect: 'P' });
  t.same(await jobReaches(edges.jobId, 'succeeded'), { status: 'succeeded', progress_current: 3, progress_total: 3 }, 'a job is done when its records landed, edges waiting or not');

  const obsolete = await produceObo(path.join(FIXTURES, 'obo-obsolete-terms.obo'));
  t.same(
    await query('SELECT go_id, aspect, is_obsolete, replaced_by, consider, definition FROM go_term WHERE ontology_snapshot_id = $1 ORDER BY go_id', [snap.id]),
    [
      { go_id: 'GO:0000005', aspect: 'F', is_obsolete: true, replaced_by: [], consider: ['GO:0042254', 'GO:0044183', 'GO:0051082'], definition: 'OBSOLETE. Assists in the correct assembly of ribosomes.' },
      { go_id: 'GO:0000108', aspect: 'C', is_obsolete: true, replaced_by: ['GO:0000109'], consider: [], definition: null },
      { go_id: 'GO:0000109', aspect: 'C', is_obsolete: false, replaced_by: [], consider: [], definition: null },
      { go_id: 'GO:0008150', aspect: 'P', is_obsolete: false, replaced_by: [], consider: [], definition: null },
      { go_id: 'GO:0050789', aspect: 'P', is_obsolete: false, replaced_by: [], consider: [], definition: 'Any process that modulates "the" frequency.' },
    ],
    'obsolete terms kept with replaced_by and consider',
  );
  t.same(await status(snap.id), { term_count: 4, terms_loaded: 5, relationships: 1, pending_edges: 5, complete: true }, 'the last header of the release gives term_count');
  t.same(await jobReaches(obsolete.jobId, 'succeeded'), { status: 'succeeded', progress_current: 5, progress_total: 5 });

  // a third file of the same release defines the missing is_a parent: the waiting edge lands, with the parent's own edge
  const late = path.join(tmp, 'late-parent.obo');
  writeFileSync(late, 'format-version: 1.4\ndata-version: releases/2024-01-17\n\n[Term]\nid: GO:0065007\nname: biological regulation\nnamespace: biological_process\nis_a: GO:0008150 ! biological_process\n');
  await produceObo(late);
  t.same(await edgeSet(snap.id), ['GO:0050789 is_a GO:0065007', 'GO:0050789 regulates GO:0008150', 'GO:0065007 is_a GO:0008150']);
  t.same(await pending(), ['GO:0050789 has_part GO:0003674', 'GO:0050789 negatively_regulates GO:0009987', 'GO:0050789 occurs_in GO:0005575', 'GO:0050789 positively_regulates GO:0009987']);
  t.same(await status(snap.id), { term_count: 1, terms_loaded: 6, relationships: 3, pending_edges: 4, complete: true });
});

t.test('two partitions racing: the child lands with its edge while the parent lands elsewhere; the advisory lock makes the second resolve it', async (t) => {
  const raceUrl = await freshDatabase(t, { migrate: true });
  const racePool = createCopyPool(raceUrl, 4);
  t.teardown(() => racePool.end());
  const term = (version: string, goId: string, edges: OboEdge[]): IngestOboRecord => ({
    kind: 'TERM', obo_version: version, obo_url: 'file:///race.obo', job_id: uuidv7(), source_file: 'race.obo', line: 1, go_id: goId, name: goId,
    namespace: 'biological_process', definition: null, is_obsolete: false, alt_ids: [], replaced_by: [], consider: [], edges,
    format_version: null, data_version: null, date: null, term_count: null,
  });
  const incoming = (partition: number, value: IngestOboRecord): IncomingRecord<IngestOboRecord>[] => [
    { topic: `race.${value.obo_version}`, partition, offset: '0', key: `${value.obo_version}|${value.go_id}`, value, raw: Buffer.from('x'), headers: {}, timestamp: String(Date.now()) },
  ];
  let pausedAfterMerge = false; // set by the paused writer once it holds what it merged, before COMMIT
  const write = async (mapping: SinkMapping<IngestOboRecord>, partition: number, value: IngestOboRecord, pause?: Promise<void>) => {
    const client = await racePool.connect();
    try {
      return await writeBatch(client, 'ontology', mapping, { topic: `race.${value.obo_version}`, partition, expected: 0n, next: 1n, records: incoming(partition, value) }, {
        sendDeadLetters: async () => undefined,
        fault: async (point) => {
          if (point === 'after-merge' && pause) {
            pausedAfterMerge = true;
            await pause;
          }
        },
      });
    } finally {
      client.release();
    }
  };
  // polls up to 2 s: when B is expected not to wait, that is the window in which it could have
  const waitingForAdvisoryLock = async () => {
    for (let i = 0; i < 40; i++) {
      const [row] = (await racePool.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows as { n: number }[];
      if (row!.n > 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  const race = async (mapping: SinkMapping<IngestOboRecord>, version: string, expectBlocked: boolean) => {
    // the release exists already (an earlier batch created it), as it does for all but a release's first transactions
    await racePool.query('INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ($1, $2)', ['file:///race.obo', version]);
    // A: the child and its edge, paused after its merges (its resolve found no parent), before COMMIT
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    pausedAfterMerge = false;
    const a = write(mapping, 0, term(version, 'GO:0000002', [{ relation: 'is_a', parent_go_id: 'GO:0000001' }]), paused);
    await waitFor('A paused after its merges, before COMMIT', () => pausedAfterMerge, { timeoutMs: 30_000, intervalMs: 10 });
    // B: the parent, on another partition
    const b = write(mapping, 1, term(version, 'GO:0000001', []));
    t.equal(await waitingForAdvisoryLock(), expectBlocked, expectBlocked ? 'B waits for the lock A holds' : 'B does not wait');
    if (!expectBlocked) await b;
    release();
    await Promise.all([a, b]);
    const [row] = (await racePool.query(
      'SELECT relationships, pending_edges FROM ontology_snapshot_status WHERE obo_version = $1', [version])).rows as { relationships: number; pending_edges: number }[];
    return row;
  };
  t.same(await race(ontologySink, 'race-locked', true), { relationships: 1, pending_edges: 0 }, 'with the lock: B resolves the edge after A committed');
  const lockStatement = ontologySink.merge.findIndex((s) => s.sql.includes('pg_advisory_xact_lock'));
  t.ok(lockStatement > 0);
  const unlocked: SinkMapping<IngestOboRecord> = { ...ontologySink, merge: ontologySink.merge.filter((_, i) => i !== lockStatement) };
  t.same(await race(unlocked, 'race-unlocked', false), { relationships: 0, pending_edges: 1 }, 'without it the edge would wait forever (why the lock is there)');
});

t.test('stop the sinks', async (t) => {
  for (const r of runners.splice(0)) await r.stop();
  await pool.end();
  pool = undefined as never;
  t.pass();
});
