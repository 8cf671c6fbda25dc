// A database that outlives its Kafka cluster (a deleted .protea/, a new broker):
// the new cluster's logs start at 0 again, so offsets stored for the old
// cluster would make a sink skip the new records. The runner records the
// cluster id with its offsets and restarts another cluster's at 0; rows from
// before the column existed (NULL) are adopted as they are.
import t from 'tap';
import { describeCluster } from '../../lib/kafka-client.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { SequenceRecord } from '../../schemas/generated/types.js';
import { runSink } from '../../sinks/runner.js';
import { sequencesSink } from '../../sinks/sequences.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { adminQuery } from '../../lib/db.js';
import { logEnd } from '../helpers/read-topics.js';
import { randomSequence, sequenceRecord } from '../helpers/sequences.js';
import { caughtUp } from '../helpers/sink-progress.js';

const namespace = namespaceName();
const TOPIC = topicName('sequences', namespace);
const TOTAL = 600;

t.before(async () => {
  await createNamespace(namespace);
  // idempotent: a retried send must not write records twice, or the halves below would not be TOTAL's
  const producer = new TopicProducer({ idempotent: true });
  const records: SequenceRecord[] = Array.from({ length: TOTAL }, () => sequenceRecord(randomSequence(30, 200)));
  await producer.send(TOPIC, records.map((value) => ({ key: value.md5, value })));
  await producer.disconnect();
});
t.teardown(() => dropNamespace(namespace));

const count = async (url: string) => (await adminQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM sequence'))[0]?.n;
const offsets = (url: string) =>
  adminQuery<{ partition: number; next: string; cluster: string | null }>(url, 'SELECT partition, next_offset::text AS next, cluster_id AS cluster FROM sink_offsets WHERE topic = $1 ORDER BY partition', [TOPIC]);

t.test('offsets stored for another cluster restart at 0: every record of this cluster lands', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const end = await logEnd(TOPIC);
  // as a database that served another cluster would hold them: past this cluster's log end
  for (const [p] of end) {
    await adminQuery(url, 'INSERT INTO sink_offsets (sink, topic, partition, next_offset, cluster_id) VALUES ($1, $2, $3, $4, $5)', ['sequences', TOPIC, p, 1_000_000, 'a-cluster-that-is-gone']);
  }
  const runner = await runSink(sequencesSink, { namespace, dbUrl: url, groupId: `${namespace}-other`, sessionTimeoutMs: 6000 });
  t.teardown(() => runner.stop());
  await caughtUp(runner);
  await runner.stop();
  t.equal(await count(url), TOTAL, `all ${TOTAL} records landed (none skipped behind the stale offsets)`);
  const { clusterId } = await describeCluster();
  const rows = await offsets(url);
  t.same(rows.map((r) => r.cluster), rows.map(() => clusterId), 'every offsets row now names this cluster');
  t.same(rows.map((r) => [r.partition, r.next]), [...end].sort(([a], [b]) => a - b).map(([p, o]) => [p, String(o)]), 'and stands at the log end');
});

t.test('offsets written before cluster ids were recorded are adopted, not reset', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const end = await logEnd(TOPIC);
  t.equal([...end.values()].reduce((a, b) => a + b, 0n), BigInt(TOTAL), `the log holds the ${TOTAL} records once each`);
  // half of each partition counted as landed already (NULL cluster: an older database)
  let skipped = 0;
  for (const [p, high] of end) {
    const half = high / 2n;
    skipped += Number(half);
    await adminQuery(url, 'INSERT INTO sink_offsets (sink, topic, partition, next_offset) VALUES ($1, $2, $3, $4)', ['sequences', TOPIC, p, String(half)]);
  }
  t.ok(skipped > 0, `${skipped} records below the adopted offsets`);
  const runner = await runSink(sequencesSink, { namespace, dbUrl: url, groupId: `${namespace}-legacy`, sessionTimeoutMs: 6000 });
  t.teardown(() => runner.stop());
  await caughtUp(runner);
  await runner.stop();
  t.equal(await count(url), TOTAL - skipped, 'only the records above the adopted offsets were written');
  const { clusterId } = await describeCluster();
  t.same((await offsets(url)).map((r) => r.cluster), [...end].map(() => clusterId), 'the rows now name this cluster');
});
