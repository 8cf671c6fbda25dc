// A sink writing two partitions' batches at once (partitionsAtOnce 2, the
// PROTEA_SINK_PARTITIONS_AT_ONCE default), on the real stack: each batch in its
// own transaction on its own connection, every record lands exactly once and
// the stored offsets reach the log end of every partition. The first two
// transactions of different partitions wait for each other at a fault point,
// so the run shows they were in flight together. Rows two partitions share
// (one job's row, the protein <-> sequence link lock) make the second wait for
// the first's COMMIT, never deadlock. Crashes and stops with two transactions
// in flight: test/faults/sink-two-transactions-in-flight.test.ts.
import t from 'tap';
import { adminQuery } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { ProteinRecord } from '../../schemas/generated/types.js';
import { proteinsSink } from '../../sinks/proteins.js';
import { runSink } from '../../sinks/runner.js';
import { sequencesSink } from '../../sinks/sequences.js';
import { SOURCE_FILE_HEADER, SOURCE_LINE_HEADER, topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { logEnd } from '../helpers/read-topics.js';
import { testRandom } from '../helpers/seeded-random.js';
import { produceSequencesByPartition, rendezvous, rowsAgainstOffsets, type At } from '../helpers/sink-concurrency.js';
import { caughtUp } from '../helpers/sink-progress.js';
import { md5, randomSequence } from '../helpers/sequences.js';

const random = testRandom(t, 'generated records');
const sorted = (m: Map<number, bigint>) => [...m].sort((a, b) => a[0] - b[0]).map(([p, o]) => [p, String(o)]);

t.test('sequences on 6 partitions, two at once: two transactions overlap, every record lands once, offsets at the log end', { timeout: 180_000 }, async (t) => {
  const namespace = await freshNamespace(t);
  const url = await freshDatabase(t, { migrate: true });
  const topic = topicName('sequences', namespace);
  const byPartition = await produceSequencesByPartition(topic, 150, random);
  const total = byPartition.flat().length;

  // the first transactions of two partitions meet after their merges (sequences share no row
  // lock: both get there); the rest run free. In flight: from the COPY to right before COMMIT.
  const meet = rendezvous(2, 20_000);
  let inFlight = 0;
  let maxInFlight = 0;
  const runner = await runSink(sequencesSink, {
    namespace, dbUrl: url, groupId: `${namespace}-two`, maxRecords: 40, sessionTimeoutMs: 6000, partitionsAtOnce: 2,
    fault: async (point, at) => {
      if (point === 'after-copy') maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (point === 'after-merge') await meet.arrive({ point, ...at });
      if (point === 'before-commit') inFlight--;
    },
  });
  t.teardown(() => runner.stop());
  t.equal(runner.partitionsAtOnce, 2);
  const met: At[] = await meet.met;
  t.equal(met.length, 2, `two partitions' transactions in flight together (${met.map((a) => `${a.partition}@${a.expected}`).join(', ')})`);
  const stored = await caughtUp(runner);
  const result = await runner.stop();
  t.equal(result.clean, true, 'stopped cleanly');

  t.same(sorted(stored), sorted(await logEnd(topic)), 'sink_offsets = log end of every partition');
  const landed = await rowsAgainstOffsets(url, topic, byPartition);
  t.same(landed.missing, [], 'no record below the stored offsets is missing');
  t.same(landed.extra, [], 'no row beyond them');
  t.equal(landed.rows, total, `${total} rows, one per record`);
  t.equal(runner.metrics.recordsWritten, total, 'every record merged once');
  t.equal(runner.metrics.recordsSkipped, 0);
  t.equal(runner.metrics.retries, 0, 'no retry (no deadlock, no serialization failure)');
  t.ok(runner.metrics.batches >= byPartition.length * Math.ceil(150 / 40), `${runner.metrics.batches} transactions`);
  t.equal(maxInFlight, 2, 'never more transactions at once than partitionsAtOnce, and two at once');
});

t.test("proteins of one job on every partition, two at once: the job's row and the link lock are shared, each record counts once, no deadlock", { timeout: 180_000 }, async (t) => {
  const namespace = await freshNamespace(t);
  const url = await freshDatabase(t, { migrate: true });
  const topic = topicName('proteins', namespace);
  const job = '0190a000-0000-7000-8000-000000000001';
  const file = 'uniprot.fasta';
  // no sequence lands: every proteins transaction takes the exclusive link lock, then the job's row
  const proteins: { key: string; value: ProteinRecord; headers: Record<string, string> }[] = Array.from({ length: 600 }, (_, i) => {
    const accession = `Q${String(10000 + i)}`;
    const sequence = randomSequence(30, 120, random);
    return {
      key: accession,
      headers: { [SOURCE_FILE_HEADER]: file, [SOURCE_LINE_HEADER]: String(2 * i + 1) },
      value: {
        accession, canonical_accession: accession, is_canonical: true, isoform_index: null, entry_name: null, protein_name: null, reviewed: true,
        taxonomy_id: 9606, organism: 'Homo sapiens', gene_name: null, protein_existence: 1, sequence_version: 1, sequence_md5: md5(sequence),
        length: sequence.length, job_id: job,
      },
    };
  });
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  for (let i = 0; i < proteins.length; i += 100) await producer.send(topic, proteins.slice(i, i + 100));

  // two transactions meet after their COPY, before either takes a shared lock; then the
  // second waits for the first's COMMIT at the link lock (or the job's row)
  const meet = rendezvous(2, 20_000);
  const runner = await runSink(proteinsSink, {
    namespace, dbUrl: url, groupId: `${namespace}-proteins`, maxRecords: 25, sessionTimeoutMs: 6000, partitionsAtOnce: 2,
    fault: async (point, at) => {
      if (point === 'after-copy') await meet.arrive({ point, ...at });
    },
  });
  t.teardown(() => runner.stop());
  t.equal((await meet.met).length, 2, 'two partitions\' transactions in flight together');
  const stored = await caughtUp(runner);
  await runner.stop();

  t.same(sorted(stored), sorted(await logEnd(topic)), 'sink_offsets = log end of every partition');
  const [counts] = await adminQuery<{ n: number; items: number; progress: number }>(
    url,
    `SELECT (SELECT count(*)::int FROM protein) AS n, (SELECT count(*)::int FROM job_progress_item WHERE job_id = $1) AS items,
            (SELECT progress_current FROM job WHERE id = $1) AS progress`,
    [job],
  );
  t.same(counts, { n: 600, items: 600, progress: 600 }, 'every protein landed once and counted once toward the job');
  t.equal(runner.metrics.retries, 0, 'no retry: the shared rows are locked in one order');
  t.equal(runner.metrics.recordsWritten, 600);
});
