// The query-sets sink on the real stack, fresh topic namespace and database:
// entries that land before their sequence wait in query_set_entry_pending and
// are linked by the sequences sink (with SEQUENCES_QUERY_SET_LINK appended to
// its merges, as sinks/query-sets.ts asks), entries whose sequence is there
// land at once, a re-delivery changes nothing, the last record of a key wins;
// the link lock closes the race between the two sinks; and end to end, a
// FASTA produced as a query set through the dedup stage lands with every entry
// linked and its job succeeded with each FASTA record counted once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fastaRun } from '../../topics/ingest-runs.js';
import { createCopyPool } from '../../lib/db.js';
import { uuidv7 } from '../../lib/ids.js';
import { runDedup } from '../../processors/dedup/processor.js';
import type { QuerySetEntryRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { jobsSink } from '../../sinks/jobs.js';
import { proteinsSink } from '../../sinks/proteins.js';
import { SEQUENCES_QUERY_SET_LINK, querySetsSink } from '../../sinks/query-sets.js';
import { runSink, type SinkMapping, type SinkRunner } from '../../sinks/runner.js';
import { sequencesSink } from '../../sinks/sequences.js';
import { topicName } from '../../topics/catalogue.js';
import { produce } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshSinkStack } from '../helpers/fresh-sink-stack.js';
import { sleep, waitFor } from '../helpers/poll.js';
import { md5, sequenceRecord } from '../helpers/sequences.js';
import { incoming, writeOnPool } from '../helpers/sink-batches.js';
import { caughtUp, jobReaches } from '../helpers/sink-progress.js';

const stack = freshSinkStack(t, { poolSize: 4 });
const { namespace, producer, query } = stack;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'protea-query-set-sink-'));

/** The sequences sink as the lead wires it: its merges, then the query-set link. */
const sequencesWithLink: SinkMapping<SequenceRecord> = { ...sequencesSink, merge: [...sequencesSink.merge, ...SEQUENCES_QUERY_SET_LINK] };

const runners = new Map<string, SinkRunner<unknown>>();
// tap runs teardowns last-registered first: the runners stop before the stack's teardown drops their topics
t.teardown(async () => {
  for (const r of runners.values()) await r.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const sink = (name: string) => runners.get(name)!;

/** query_set_entry by accession -> sequence_hash, and the pending entries, of one query set. */
async function entries(querySetId: string) {
  const linked = await query<{ accession: string; h: string; id: string }>(
    'SELECT e.accession, s.sequence_hash AS h, e.id::text AS id FROM query_set_entry e JOIN sequence s ON s.id = e.sequence_id WHERE e.query_set_id = $1 ORDER BY 1',
    [querySetId],
  );
  const pending = await query<{ accession: string; h: string }>('SELECT accession, sequence_md5 AS h FROM query_set_entry_pending WHERE query_set_id = $1 ORDER BY 1', [querySetId]);
  return { linked: Object.fromEntries(linked.map((r) => [r.accession, r.h])), ids: Object.fromEntries(linked.map((r) => [r.accession, r.id])), pending: Object.fromEntries(pending.map((r) => [r.accession, r.h])) };
}

const dump = async () => ({
  sets: await query('SELECT xmin::text AS v, * FROM query_set ORDER BY id'),
  entries: await query('SELECT xmin::text AS v, * FROM query_set_entry ORDER BY id'),
  pending: await query('SELECT xmin::text AS v, * FROM query_set_entry_pending ORDER BY query_set_id, accession'),
});

t.test('start the sinks', async () => {
  const opts = (name: string) => ({ namespace, dbUrl: stack.url, groupId: `${namespace}-${name}`, sessionTimeoutMs: 6000 });
  runners.set('query_sets', (await runSink(querySetsSink, opts('query_sets'))) as SinkRunner<unknown>);
  runners.set('sequences', (await runSink(sequencesWithLink, opts('sequences'))) as SinkRunner<unknown>);
});

const S1 = sequenceRecord('MKTAYIAKQRQISFVKSHFSRQ');
const S2 = sequenceRecord('MSTNPKPQRKTKRNTNRRPQDVKFPGG');
const S3 = sequenceRecord('MADEEKLPPGWEKRMSRSSGRVYYFNHITNASQWERPSG');
const Q1 = uuidv7();
const Q2 = uuidv7();
const entry = (query_set_id: string, query_set_name: string, accession: string, s: SequenceRecord): { key: string; value: QuerySetEntryRecord } => ({
  key: `${query_set_id}|${accession}`,
  value: { query_set_id, query_set_name, accession, sequence_md5: s.md5, job_id: uuidv7() },
});

t.test('entries before their sequences wait; the sequences sink links them when they land', async (t) => {
  await producer.send(topicName('query_sets', namespace), [entry(Q1, 'q1', 'A1', S1), entry(Q1, 'q1', 'A2', S2), entry(Q1, 'q1', 'A3', S1)]);
  await caughtUp(sink('query_sets'));
  t.same(await query('SELECT id::text, name, description FROM query_set'), [{ id: Q1, name: 'q1', description: null }]);
  t.same(await entries(Q1), { linked: {}, ids: {}, pending: { A1: S1.md5, A2: S2.md5, A3: S1.md5 } }, 'no sequence yet: all three wait');

  await producer.send(topicName('sequences', namespace), [S1, S2].map((value) => ({ key: value.md5, value })));
  await caughtUp(sink('sequences'));
  const e = await entries(Q1);
  t.same({ linked: e.linked, pending: e.pending }, { linked: { A1: S1.md5, A2: S2.md5, A3: S1.md5 }, pending: {} }, 'linked by the sequences sink; A1 and A3 share one sequence row');
});

t.test('entries whose sequence is there land at once; a re-delivery changes nothing', async (t) => {
  await producer.send(topicName('query_sets', namespace), [entry(Q2, 'q2', 'A1', S2), entry(Q2, 'q2', 'B9', S1)]);
  await caughtUp(sink('query_sets'));
  const e = await entries(Q2);
  t.same({ linked: e.linked, pending: e.pending }, { linked: { A1: S2.md5, B9: S1.md5 }, pending: {} }, 'the same accession in another query set is another entry');
  const before = await dump();
  await producer.send(topicName('query_sets', namespace), [entry(Q1, 'q1', 'A1', S1), entry(Q1, 'q1', 'A2', S2), entry(Q1, 'q1', 'A3', S1), entry(Q2, 'q2', 'A1', S2), entry(Q2, 'q2', 'B9', S1)]);
  await producer.send(topicName('sequences', namespace), [S1, S2].map((value) => ({ key: value.md5, value })));
  await caughtUp(sink('query_sets'));
  await caughtUp(sink('sequences'));
  t.same(await dump(), before, 'row versions included');
});

t.test('the last record of a key wins: an entry moves to its new sequence when that lands, keeping its id; bad records go to the DLQ', async (t) => {
  const { ids } = await entries(Q1);
  const dead = sink('query_sets').metrics.deadLettered;
  const broken = entry(Q1, 'q1', 'A4', S1);
  broken.value.sequence_md5 = 'not-an-md5';
  await producer.send(topicName('query_sets', namespace), [entry(Q1, 'q1', 'A2', S1), entry(Q1, 'q1', 'A2', S3), broken]);
  await caughtUp(sink('query_sets'));
  let e = await entries(Q1);
  t.same({ linked: e.linked, pending: e.pending }, { linked: { A1: S1.md5, A2: S2.md5, A3: S1.md5 }, pending: { A2: S3.md5 } }, 'A2 keeps its old link until its new sequence lands');
  t.equal(sink('query_sets').metrics.deadLettered - dead, 1, 'the record with a bad MD5 is dead-lettered');
  await producer.send(topicName('sequences', namespace), [{ key: S3.md5, value: S3 }]);
  await caughtUp(sink('sequences'));
  e = await entries(Q1);
  t.same({ linked: e.linked, pending: e.pending }, { linked: { A1: S1.md5, A2: S3.md5, A3: S1.md5 }, pending: {} });
  t.same(e.ids, ids, 'entry ids kept');
  await producer.send(topicName('query_sets', namespace), [entry(Q1, 'q1 renamed', 'A1', S1)]);
  await caughtUp(sink('query_sets'));
  t.same(await query('SELECT name FROM query_set WHERE id = $1', [Q1]), [{ name: 'q1 renamed' }], 'the name of the last record wins');
});

t.test('the link lock: an entry pending in one transaction and its sequence landing in another are linked whichever commits last', async (t) => {
  const raceUrl = await freshDatabase(t, { migrate: true });
  const racePool = createCopyPool(raceUrl, 4);
  t.teardown(() => racePool.end());
  let pausedAfterMerge = false; // set by the paused writer once it holds what it merged, before COMMIT
  const write = <T>(mapping: SinkMapping<T>, topic: string, values: { key: string; value: T }[], pause?: Promise<void>) =>
    writeOnPool(racePool, mapping, { topic, partition: 0, expected: 0n, next: BigInt(values.length), records: incoming(topic, 0, 0, values) }, {
      sendDeadLetters: async () => undefined,
      fault: async (point) => {
        if (point === 'after-merge' && pause) {
          pausedAfterMerge = true;
          await pause;
        }
      },
    });
  // polls up to 2 s: when B is expected not to wait, that is the window in which it could have
  const waitingForAdvisoryLock = async () => {
    for (let i = 0; i < 40; i++) {
      const [row] = (await racePool.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows as { n: number }[];
      if (row!.n > 0) return true;
      await sleep(50);
    }
    return false;
  };
  const withoutLocks = <T>(m: SinkMapping<T>): SinkMapping<T> => ({ ...m, merge: m.merge.filter((s) => !s.sql.includes('pg_advisory_xact_lock')) });
  const race = async (locked: boolean, tag: string) => {
    const s = sequenceRecord(`MKV${tag}WWW`);
    const qs = uuidv7();
    // A: the entry, pending (no sequence visible), paused after its merges, before COMMIT
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    pausedAfterMerge = false;
    const a = write(locked ? querySetsSink : withoutLocks(querySetsSink), `qs.${tag}`, [entry(qs, tag, 'P1', s)], paused);
    await waitFor('A paused after its merges, before COMMIT', () => pausedAfterMerge, { timeoutMs: 30_000, intervalMs: 10 });
    // B: its sequence, in the sequences sink's transaction with the link
    const b = write(locked ? sequencesWithLink : withoutLocks(sequencesWithLink), `seq.${tag}`, [{ key: s.md5, value: s }]);
    t.equal(await waitingForAdvisoryLock(), locked, locked ? 'B waits for the lock A holds' : 'B does not wait');
    if (!locked) await b;
    release();
    await Promise.all([a, b]);
    const [row] = (await racePool.query(
      'SELECT (SELECT count(*) FROM query_set_entry WHERE query_set_id = $1)::int AS linked, (SELECT count(*) FROM query_set_entry_pending WHERE query_set_id = $1)::int AS pending',
      [qs],
    )).rows as { linked: number; pending: number }[];
    return row;
  };
  t.same(await race(true, 'LOCKED'), { linked: 1, pending: 0 }, 'with the lock: B links the entry after A committed');
  t.same(await race(false, 'UNLOCKED'), { linked: 0, pending: 1 }, 'without it the entry would wait forever (why the lock is there)');
});

t.test('end to end: a FASTA produced as a query set, through the dedup stage; every entry linked, each record counted once toward the job', async (t) => {
  const opts = (name: string) => ({ namespace, dbUrl: stack.url, groupId: `${namespace}-${name}`, sessionTimeoutMs: 6000 });
  runners.set('proteins', (await runSink(proteinsSink, opts('proteins'))) as SinkRunner<unknown>);
  runners.set('jobs', (await runSink(jobsSink, opts('jobs'))) as SinkRunner<unknown>);
  const dedup = await runDedup({ namespace, handleSignals: false, groupId: `${namespace}-dedup` });
  t.teardown(() => dedup.stop('test over').then(() => undefined));
  const fasta = path.join(tmp, 'queries.fasta');
  writeFileSync(
    fasta,
    [
      '>sp|P11111|AAA_HUMAN Protein A OS=Homo sapiens OX=9606 GN=A PE=1 SV=1', 'MKTAYIAKQRQISFVKSHFSRQLEERLGL',
      '>sp|P11111-2|AAA_HUMAN Isoform 2 of Protein A OS=Homo sapiens OX=9606 GN=A', 'MKTAYIAKQRQISFVKSHFSRQ',
      '>sp|P22222|BBB_HUMAN Protein B OS=Homo sapiens OX=9606 GN=B PE=1 SV=1', 'MKTAYIAKQRQISFVKSHFSRQLEERLGL',
      '>tr|Q33333|Q33333_MOUSE Protein C OS=Mus musculus OX=10090 PE=4 SV=1', 'MADEEKLPPGWEKRMSRSSGRVYYFNHITNASQWERPSGNSSSG',
      '>plain4 an upload without a UniProt header', 'mstnpkpqrktkrntnrrpqdvkfpgg',
      '>bad5 a digit in the sequence', 'MKV1LL',
      '',
    ].join('\n'),
  );
  const report = await produce(fastaRun(fasta, { querySet: 'queries.fasta' }), { producer, namespace, progress: null });
  t.equal(report.sent, 6);
  const [qs] = await (async () => {
    for (let i = 0; i < 300; i++) {
      const rows = await query<{ id: string; name: string }>("SELECT id::text, name FROM query_set WHERE name = 'queries.fasta'");
      const [n] = await query<{ n: number }>('SELECT count(*)::int AS n FROM query_set_entry e JOIN query_set q ON q.id = e.query_set_id WHERE q.name = $1', ['queries.fasta']);
      if (rows.length > 0 && n!.n === 5) return rows;
      await sleep(200);
    }
    return [];
  })();
  if (!qs) t.comment(JSON.stringify({ sets: await query('SELECT * FROM query_set'), e: await query('SELECT * FROM query_set_entry'), p: await query('SELECT * FROM query_set_entry_pending'), proteins: await query('SELECT accession, sequence_id FROM protein'), seq: await query('SELECT id, sequence_hash FROM sequence'), offsets: await query('SELECT * FROM sink_offsets') }));
  t.ok(qs, 'the query set landed');
  const e = await entries(qs!.id);
  t.same(Object.keys(e.linked), ['P11111', 'P11111-2', 'P22222', 'Q33333', 'plain4'], 'five entries (bad5 rejected by the dedup stage)');
  t.same(e.pending, {}, 'none waiting');
  t.equal(e.linked.P11111, e.linked.P22222, 'one sequence under two accessions');
  t.equal(e.linked.plain4, md5('MSTNPKPQRKTKRNTNRRPQDVKFPGG'), 'the normalised (upper-case) sequence');
  // the proteins land through their own sink: compare with them once the job says every record has landed
  const job = await jobReaches(query, report.jobId, 'succeeded');
  t.same(job, { status: 'succeeded', progress_current: 6, progress_total: 6 }, '5 proteins + 1 dedup dead letter = the 6 records sent: query-set entries are not counted a second time');
  t.same(
    await query(
      `SELECT e.accession FROM query_set_entry e LEFT JOIN protein p ON p.accession = e.accession
        WHERE e.query_set_id = $1 AND p.sequence_id IS DISTINCT FROM e.sequence_id`,
      [qs!.id],
    ),
    [],
    'each entry points at the sequence of its protein',
  );
});

t.test('stop', async (t) => {
  for (const r of runners.values()) await r.stop();
  runners.clear();
  await stack.endPool();
  t.pass();
});
