// One poison record in a 1,000-record micro-batch, on the real broker: the
// failing micro-batch is bisected by halving, so the poison reaches the DLQ
// after at most 1 + 2*ceil(log2(1000)) = 21 transform calls (never 1,000
// record-by-record retries) while the other 999 records' outputs land.
import t from 'tap';
import type { IngestFastaRecord } from '../../schemas/generated/types.js';
import { dedupTopics, dedupTransform } from '../../processors/dedup/processor.js';
import { runProcessor } from '../../processors/runner.js';
import { topicName } from '../../topics/catalogue.js';
import { accessionOf, ingestRecord, produceToPartition } from '../helpers/ingest-fasta.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { waitFor } from '../helpers/poll.js';
import { readToEnd } from '../helpers/read-topics.js';

const N = 1_000;
const MAX_CALLS = 21;
const namespace = namespaceName();
const INGEST = topicName('ingest.fasta', namespace);
const PROTEINS = topicName('proteins', namespace);
const DLQ = topicName('dlq.dedup', namespace);

t.teardown(() => dropNamespace(namespace));

t.test('a poison record in a 1,000-record micro-batch: dead-lettered within 21 transform calls, the 999 others land', { timeout: 120_000 }, async (t) => {
  await createNamespace(namespace);
  const records = Array.from({ length: N }, (_, i) => ingestRecord('P', i));
  const poison = accessionOf('P', 613);
  await produceToPartition(INGEST, 0, records); // all there before the consumer starts: one fetched batch

  const sizes: number[] = [];
  const topics = dedupTopics(namespace);
  const handle = await runProcessor<IngestFastaRecord>({
    stage: 'dedup',
    namespace,
    inputTopic: INGEST,
    groupId: `${namespace}.poison`,
    handleSignals: false,
    microBatch: { maxRecords: N },
    transform: async (batch) => {
      sizes.push(batch.length);
      if (batch.some((r) => r.key === poison)) throw new TypeError(`cannot process ${poison} (simulated poison)`);
      return dedupTransform(batch, topics);
    },
  });
  t.teardown(() => handle.stop('teardown'));
  await waitFor(`${N} records processed`, () => handle.stats.recordsIn >= N, { timeoutMs: 90_000, intervalMs: 100 });
  await handle.stop('done');

  t.comment(`transform calls: ${sizes.length} (${sizes.join(', ')})`);
  t.equal(sizes[0], N, 'the first call got the whole 1,000-record micro-batch');
  t.ok(sizes.length <= MAX_CALLS, `${sizes.length} transform calls <= ${MAX_CALLS} (about 2*log2(1000))`);
  t.equal(handle.stats.deadLetters, 1, 'one dead letter');

  const seen = await readToEnd([PROTEINS, DLQ], { groupPrefix: namespace, timeoutMs: 60_000 });
  const landed = new Set(seen.get(PROTEINS)!.map((r) => r.key));
  const others = records.map((_, i) => accessionOf('P', i)).filter((k) => k !== poison);
  t.same(others.filter((k) => !landed.has(k)), [], 'the 999 other records landed');
  t.notOk(landed.has(poison), 'the poison produced nothing');
  const letters = seen.get(DLQ)!;
  t.equal(letters.length, 1, 'one record on the DLQ');
  t.equal(letters[0]?.key, poison, 'the poison');
  t.match(letters[0]?.headers, { 'protea-error-code': 'PROTEA_ERR_PROCESSOR_FAILED', 'protea-error-reason': /simulated poison/, 'protea-source-topic': INGEST, 'protea-source-file': 'synthetic.fasta', 'protea-stage': 'dedup' });
});
