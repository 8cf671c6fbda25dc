// A sink with two partitions' transactions in flight at once (partitionsAtOnce
// 2) when something ends it: neither may land half. The sequences sink over a
// 6-partition topic whose records are at known offsets; the first transactions
// of two partitions meet after their merges (fault hook 'after-merge'), then:
// - one of them crashes there (the hook throws: the stage fails): the other's
//   connection is cut and it rolls back too; neither moved its offset;
// - stop() while both wait there, both let go within the grace period: both
//   commit, the rest of their batches is abandoned;
// - stop() while both wait past the grace period: both connections are cut,
//   both roll back, no backend is left inside a transaction.
// After each, every row is a record below its partition's stored offset and
// vice versa, and a restarted sink lands the rest: every record exactly once,
// the offsets at the log end.
import t, { type Test } from 'tap';
import { adminQuery } from '../../lib/db.js';
import type { SequenceRecord } from '../../schemas/generated/types.js';
import { runSink, type FaultHook, type SinkRunner } from '../../sinks/runner.js';
import { sequencesSink } from '../../sinks/sequences.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { sleep, waitFor } from '../helpers/poll.js';
import { logEnd } from '../helpers/read-topics.js';
import { testRandom } from '../helpers/seeded-random.js';
import { noOpenTransactions, produceSequencesByPartition, rendezvous, rowsAgainstOffsets, type At } from '../helpers/sink-concurrency.js';
import { caughtUp } from '../helpers/sink-progress.js';

const namespace = namespaceName();
const TOPIC = topicName('sequences', namespace);
const PER_PARTITION = 120;
// three transactions per partition's batch: stopping after the first abandons the other two
const MAX_RECORDS = 40;

const random = testRandom(t, 'generated records');
let byPartition: SequenceRecord[][] = [];
t.before(async () => {
  await createNamespace(namespace);
  byPartition = await produceSequencesByPartition(TOPIC, PER_PARTITION, random);
});
t.teardown(() => dropNamespace(namespace));

const sorted = (m: Map<number, bigint>) => [...m].sort((a, b) => a[0] - b[0]).map(([p, o]) => [p, String(o)]);

function sink(url: string, group: string, fault?: FaultHook, extra: { gracePeriodMs?: number } = {}): Promise<SinkRunner<SequenceRecord>> {
  return runSink(sequencesSink, { namespace, dbUrl: url, groupId: group, maxRecords: MAX_RECORDS, sessionTimeoutMs: 6000, partitionsAtOnce: 2, ...extra, ...(fault ? { fault } : {}) });
}

/** Every row is a record below its partition's stored offset, and every such record has its row. */
async function noHalfTransaction(t: Test, url: string): Promise<Map<number, bigint>> {
  const landed = await rowsAgainstOffsets(url, TOPIC, byPartition);
  t.same(landed.missing, [], 'no record below a stored offset is missing its row');
  t.same(landed.extra, [], 'no row of a record at or past its stored offset');
  return landed.stored;
}

/** A sink started afresh on the same database lands the rest: every record once, offsets at the log end. */
async function restartLandsTheRest(t: Test, url: string, group: string): Promise<void> {
  const again = await sink(url, group);
  t.teardown(() => again.stop());
  const stored = await caughtUp(again);
  await again.stop();
  t.same(sorted(stored), sorted(await logEnd(TOPIC)), 'after the restart: sink_offsets = log end of every partition');
  const total = byPartition.flat().length;
  const [n] = await adminQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM sequence');
  t.equal(n?.n, total, `${total} rows: every record exactly once`);
  await noHalfTransaction(t, url);
}

const offsetOf = (stored: Map<number, bigint>, p: number) => String(stored.get(p) ?? 0n);

t.test('a crash after one partition\'s merge while another\'s transaction is in flight: both roll back; a restart lands everything once', { timeout: 180_000 }, async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const meet = rendezvous(2, 30_000);
  let crashed: At | undefined;
  let runner: SinkRunner<SequenceRecord> | undefined;
  runner = await sink(url, `${namespace}-crash`, async (point, at) => {
    if (point !== 'after-merge' || crashed) return;
    await meet.arrive({ point, ...at });
    const [first] = await meet.met;
    if (first?.partition === at.partition) {
      crashed = { point, ...at };
      throw new Error('simulated crash after the merge');
    }
    // the other transaction: still in flight (merged, not committed) when the stage fails
    await waitFor('the stage to fail', () => runner?.runtime.stopping === true, { timeoutMs: 30_000, intervalMs: 20 });
  });
  const met = await meet.met;
  t.equal(met.length, 2, `two partitions' transactions in flight together (${met.map((a) => `${a.partition}@${a.expected}`).join(', ')})`);
  await t.rejects(runner.done, { message: /simulated crash after the merge/ }, 'the stage fails with the crash');
  await noOpenTransactions(url);
  const stored = await noHalfTransaction(t, url);
  for (const a of met) t.equal(offsetOf(stored, a.partition), a.expected, `partition ${a.partition}: its in-flight transaction rolled back (offset still ${a.expected}, not ${a.next})`);
  t.same(sorted(stored), [], 'nothing committed: the two were the first transactions, and no other began after the crash');
  t.equal(crashed?.partition, met[0]?.partition, 'the crash was in the first of the two');
  await restartLandsTheRest(t, url, `${namespace}-crash`);
});

t.test('stop() with two transactions in flight, both let go within the grace period: both commit, the rest of their batches is abandoned', { timeout: 180_000 }, async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const meet = rendezvous(2, 30_000);
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  const runner = await sink(url, `${namespace}-stop`, async (point, at) => {
    if (point !== 'after-merge') return;
    await meet.arrive({ point, ...at });
    if ((await meet.met).some((a) => a.partition === at.partition && a.expected === at.expected)) await gate;
  }, { gracePeriodMs: 15_000 });
  t.teardown(() => runner.stop());
  const met = await meet.met;
  t.equal(met.length, 2, `two partitions' transactions in flight together (${met.map((a) => `${a.partition}@${a.expected}`).join(', ')})`);
  const stopping = runner.stop('test stop');
  await sleep(300); // scenario: the stop arrives while both are between merge and COMMIT
  letGo();
  const result = await stopping;
  t.equal(result.abandoned, true, 'the rest of the batches was abandoned uncommitted');
  t.equal(result.clean, true, 'stopped within the grace period');
  await noOpenTransactions(url);
  const stored = await noHalfTransaction(t, url);
  for (const a of met) t.equal(offsetOf(stored, a.partition), a.next, `partition ${a.partition}: its in-flight transaction committed (${a.expected} -> ${a.next})`);
  t.same(sorted(stored), sorted(new Map(met.map((a) => [a.partition, BigInt(a.next)]))), 'those two transactions and nothing else committed (the next chunks of their batches never began)');
  await restartLandsTheRest(t, url, `${namespace}-stop`);
});

t.test('stop() with two transactions in flight past the grace period: both connections are cut, both roll back', { timeout: 180_000 }, async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const meet = rendezvous(2, 30_000);
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  t.teardown(() => letGo());
  const runner = await sink(url, `${namespace}-cut`, async (point, at) => {
    if (point !== 'after-merge') return;
    await meet.arrive({ point, ...at });
    await gate; // longer than the grace period: let go only after stop() returned
  }, { gracePeriodMs: 2000 });
  const met = await meet.met;
  t.equal(met.length, 2, `two partitions' transactions in flight together (${met.map((a) => `${a.partition}@${a.expected}`).join(', ')})`);
  const result = await runner.stop('test stop');
  t.equal(result.abandoned, true, 'the in-flight transactions were abandoned');
  // before the transactions are let go: cutting the connections alone ended them
  await noOpenTransactions(url);
  const stored = await noHalfTransaction(t, url);
  for (const a of met) t.equal(offsetOf(stored, a.partition), a.expected, `partition ${a.partition}: rolled back (offset still ${a.expected}, not ${a.next})`);
  t.same(sorted(stored), [], 'nothing committed');
  letGo();
  await restartLandsTheRest(t, url, `${namespace}-cut`);
});
