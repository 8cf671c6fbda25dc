// Every topic of the catalogue on the real broker and registry: created with
// its config, schemas registered, and a record of each produced, consumed and
// decoded back equal. A fresh topic namespace isolates the run.
import t from 'tap';
import { withAdmin } from '../../lib/kafka-client.js';
import { partitionForKey } from '../../lib/partitioner.js';
import { AvroRegistry } from '../../lib/schema-registry.js';
import type { IncomingRecord } from '../../lib/topic-consumer.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { TOPICS, topicName } from '../../topics/catalogue.js';
import { createTopics } from '../../topics/create.js';
import { exampleRecord } from '../fixtures/records.js';
import { dropNamespace, namespaceName, namespaceTopics } from '../helpers/fresh-namespace.js';
import { consumeFromStart } from '../helpers/read-topics.js';

// createTopics is what the first test checks, so it is called there, not in t.before
const namespace = namespaceName();
const names = namespaceTopics(namespace);

t.teardown(() => dropNamespace(namespace));

t.test('topics create makes every catalogue topic with its partitions and cleanup policy, and is idempotent', async (t) => {
  const first = await createTopics({ namespace });
  t.same(first.map((r) => r.action), TOPICS.map(() => 'created'), 'every topic created on the first run');
  const second = await createTopics({ namespace });
  t.same(second.map((r) => r.action), TOPICS.map(() => 'unchanged'), 'nothing changes on the second run');
  t.same(second.map((r) => r.schemaId), first.map((r) => r.schemaId), 'the same schema ids on the second run');

  await withAdmin(async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics: names });
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: 2, name, configNames: ['cleanup.policy', 'retention.ms'] })) });
    for (const spec of TOPICS) {
      const name = topicName(spec, namespace);
      t.equal(meta.topics.find((m) => m.name === name)?.partitions.length, spec.partitions, `${name} has ${spec.partitions} partitions`);
      const entries = configs.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
      t.equal(entries.find((e) => e.configName === 'cleanup.policy')?.configValue, spec.cleanupPolicy, `${name} cleanup.policy=${spec.cleanupPolicy}`);
      if (spec.config?.['retention.ms']) {
        t.equal(entries.find((e) => e.configName === 'retention.ms')?.configValue, spec.config['retention.ms'], `${name} retention.ms`);
      }
    }
  });

  const registry = new AvroRegistry();
  for (const r of first) {
    t.equal(await registry.schemaId(r.subject), r.schemaId, `${r.subject} is registered`);
  }
});

t.test('a record of every topic round-trips through the real registry and broker, decoded equal', async (t) => {
  const producer = new TopicProducer();
  const expected = new Map<string, { key: string; value: unknown; partitions: number }>();
  for (const spec of TOPICS) {
    const topic = topicName(spec, namespace);
    const value = exampleRecord(spec.valueSchema);
    const key = `k-${spec.id}`;
    expected.set(topic, { key, value, partitions: spec.partitions });
    await producer.send(topic, [{ key, value, headers: { 'protea-test': spec.id } }]);
  }
  await producer.disconnect();

  const seen = new Map<string, IncomingRecord<unknown>>();
  await consumeFromStart<unknown>(
    names,
    (records) => {
      for (const r of records) seen.set(r.topic, r);
      return seen.size === names.length;
    },
    { groupId: `${namespace}-roundtrip`, timeoutMs: 90_000, progress: () => `got ${seen.size} of ${names.length} topics` },
  );

  for (const [topic, { key, value, partitions }] of expected) {
    const got = seen.get(topic);
    t.ok(got, `${topic}: consumed`);
    t.equal(got?.error, undefined, `${topic}: decoded without error`);
    t.equal(got?.key, key, `${topic}: key`);
    t.equal(got?.partition, partitionForKey(key, partitions), `${topic}: on the key's murmur2 partition of ${partitions}`);
    t.equal(got?.headers['protea-test'], topic.slice(namespace.length + 1), `${topic}: headers kept`);
    t.same(got?.value, value, `${topic}: value decoded equal`);
  }
});

t.test('a value that does not match the topic schema is refused before it reaches the broker, naming the field', async (t) => {
  const producer = new TopicProducer();
  const topic = topicName('sequences', namespace);
  const bad = { ...(exampleRecord('SequenceRecord') as object), length: 'long' };
  const err = await producer.send(topic, [{ key: 'x', value: bad }]).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  await producer.disconnect();
  t.equal(err?.code, 'PROTEA_ERR_AVRO_ENCODE_FAILED');
  t.match(err?.message ?? '', /length/, 'the message names the offending field');
});
