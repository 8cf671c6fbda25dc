// A processor whose transform takes twice the session timeout (6 s session,
// 12 s transform) on the real broker: the runtime heartbeats while the
// transform runs, so the member keeps its partitions (one assignment, no
// revocation, no rebalance loop) and every input's output is produced once.
import t from 'tap';
import { onStageEvent, type StageEvent } from '../../lib/runtime/instrumentation.js';
import { sleep } from '../../lib/runtime/retry.js';
import { dedupTopics, dedupTransform } from '../../processors/dedup/processor.js';
import { runProcessor } from '../../processors/runner.js';
import type { IngestFastaRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { accessionOf, ingestRecord, produceToPartition } from '../helpers/ingest-fasta.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { waitFor } from '../helpers/poll.js';
import { readToEnd } from '../helpers/read-topics.js';

const SESSION_MS = 6_000;
const TRANSFORM_MS = 12_000;
const namespace = namespaceName();
const INGEST = topicName('ingest.fasta', namespace);
const PROTEINS = topicName('proteins', namespace);

t.teardown(() => dropNamespace(namespace));

t.test('a transform twice as long as the session timeout: no rebalance loop, no duplicate output', { timeout: 180_000 }, async (t) => {
  await createNamespace(namespace);
  const first = Array.from({ length: 20 }, (_, i) => ingestRecord('L', i));
  const second = Array.from({ length: 20 }, (_, i) => ingestRecord('L', 20 + i));
  await produceToPartition(INGEST, 0, first);

  const events: StageEvent[] = [];
  const off = onStageEvent((e) => {
    if (e.stage === 'dedup') events.push(e);
  });
  t.teardown(off);
  const topics = dedupTopics(namespace);
  const calls: { records: number; ms: number }[] = [];
  const handle = await runProcessor<IngestFastaRecord>({
    stage: 'dedup',
    namespace,
    inputTopic: INGEST,
    groupId: `${namespace}.slow`,
    handleSignals: false,
    sessionTimeoutMs: SESSION_MS,
    transform: async (records, ctx) => {
      const t0 = Date.now();
      // a slow model: no heartbeat of its own (a timer may fire a millisecond early by the
      // wall clock: wait until the full time has passed)
      while (Date.now() - t0 < TRANSFORM_MS) await sleep(TRANSFORM_MS - (Date.now() - t0) + 1, ctx.signal);
      calls.push({ records: records.length, ms: Date.now() - t0 });
      return dedupTransform(records, topics);
    },
  });
  t.teardown(() => handle.stop('teardown'));
  // the second lot arrives while the first batch is being transformed: a second batch follows
  await waitFor('the first transform to start', () => handle.stats.transformCalls > 0, { timeoutMs: 60_000, intervalMs: 100 });
  await produceToPartition(INGEST, 0, second);
  const total = first.length + second.length;
  await waitFor(`${total} records processed`, () => handle.stats.recordsIn >= total, { timeoutMs: 120_000, intervalMs: 250 });
  const result = await handle.stop('done');

  const assigned = events.filter((e) => e.type === 'rebalance' && e.change === 'assigned');
  const revoked = events.filter((e) => e.type === 'rebalance' && e.change === 'revoked');
  t.comment(`transform calls: ${calls.map((c) => `${c.records} records in ${c.ms} ms`).join(', ')}`);
  t.ok(calls.length >= 2 && calls.every((c) => c.ms >= TRANSFORM_MS), 'two or more batches, each transform longer than twice the session timeout');
  t.equal(assigned.length, 1, 'one assignment: the member never lost its partitions');
  t.equal(revoked.length, 0, 'no revocation (no rebalance)');
  t.equal(handle.stats.abandonedBatches, 0, 'no batch abandoned');
  t.equal(handle.stats.recordsIn, total, 'every input processed once');
  t.equal(result.clean, true, 'it left the group cleanly');

  const proteins = (await readToEnd([PROTEINS], { groupPrefix: namespace, timeoutMs: 60_000 })).get(PROTEINS)!;
  const perKey = new Map<string, number>();
  for (const r of proteins) perKey.set(r.key ?? '', (perKey.get(r.key ?? '') ?? 0) + 1);
  const expected = [...first, ...second].map((_, i) => accessionOf('L', i));
  t.same(expected.filter((k) => perKey.get(k) !== 1), [], 'each input\'s protein is on the output topic exactly once');
  t.equal(proteins.length, total, 'and nothing else');
});
