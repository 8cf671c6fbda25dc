import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { loadSchema } from '../../lib/schemas.js';
import { SCHEMA_FILES } from '../../schemas/generated/types.js';
import { KEYS, STAGES, TOPICS, dlqFor, findTopic, subjectFor, topicName } from '../../topics/catalogue.js';
import { exampleRecord } from '../fixtures/records.js';

t.test('topic ids and names are unique and legal', async (t) => {
  const ids = TOPICS.map((s) => s.id);
  t.equal(new Set(ids).size, ids.length, 'ids unique');
  const names = TOPICS.map((s) => topicName(s, 'protea'));
  t.equal(new Set(names).size, names.length, 'names unique');
  for (const n of names) t.match(n, /^[A-Za-z0-9._-]{1,249}$/, `${n} is a legal Kafka topic name`);
});

t.test('the topics of the design are all there', async (t) => {
  for (const id of ['ingest.fasta', 'ingest.gaf', 'ingest.obo', 'ingest.taxonomy', 'sequences', 'proteins', 'query_sets', 'embeddings', 'predictions.raw', 'predictions', 'jobs.events']) {
    t.ok(findTopic(id), id);
  }
});

t.test('every value schema exists and loads', async (t) => {
  for (const spec of TOPICS) {
    t.ok(Object.hasOwn(SCHEMA_FILES, spec.valueSchema), `${spec.id}: ${spec.valueSchema} is a generated record`);
    t.equal(loadSchema(spec.valueSchema).name, spec.valueSchema, `${spec.id}: schema loads`);
    t.ok(spec.partitions > 0 && Number.isInteger(spec.partitions), `${spec.id}: partitions`);
    t.ok(spec.key.length > 0 && spec.description.length > 20, `${spec.id}: key and description documented`);
  }
});

t.test('compacted topics are exactly those keyed by a stable identity', async (t) => {
  const compacted = TOPICS.filter((s) => s.cleanupPolicy === 'compact').map((s) => s.id).sort();
  t.same(compacted, ['proteins', 'query_sets', 'sequences']);
});

t.test('partitions: 6 for data, 3 for jobs and dead letters', async (t) => {
  for (const spec of TOPICS) {
    const control = spec.id === 'jobs.events' || spec.id.startsWith('dlq.');
    t.equal(spec.partitions, control ? 3 : 6, spec.id);
  }
});

t.test('every stage has a dead-letter topic', async (t) => {
  t.same([...STAGES].sort(), ['dedup', 'embedder', 'enricher', 'ingest', 'predictor', 'sinks']);
  for (const stage of STAGES) {
    const spec = dlqFor(stage);
    t.equal(spec.id, `dlq.${stage}`);
    t.equal(spec.valueSchema, 'DeadLetterRecord');
    t.equal(spec.cleanupPolicy, 'delete');
    t.ok(Number(spec.config?.['retention.ms']) >= 7 * 24 * 3600 * 1000, `${spec.id}: long retention`);
  }
  t.equal(TOPICS.filter((s) => s.id.startsWith('dlq.')).length, STAGES.length, 'no DLQ without a stage');
});

t.test('names, subjects and lookups', async (t) => {
  t.equal(topicName('ingest.fasta', 'protea'), 'protea.ingest.fasta');
  t.equal(topicName(findTopic('sequences'), 'test-42'), 'test-42.sequences');
  t.equal(subjectFor('protea.predictions.raw'), 'protea.predictions.raw-value');
  t.equal(findTopic('protea.proteins', 'protea').id, 'proteins', 'a full name resolves too');
  t.throws(() => findTopic('nope'), { code: 'PROTEA_ERR_TOPIC_UNKNOWN' });
  t.throws(() => topicName('dlq.nowhere', 'protea'), ProteaError);
});

t.test('key builders follow the documented formats', async (t) => {
  t.equal(KEYS.ingestGaf(exampleRecord('IngestGafRecord')), 'goa|2025-01-15|P69905');
  t.equal(KEYS.ingestObo(exampleRecord('IngestOboRecord')), 'releases/2025-01-01|GO:0005344');
  t.equal(KEYS.ingestObo({ obo_version: 'releases/2025-01-01', go_id: null }), 'releases/2025-01-01');
  t.equal(KEYS.ingestTaxonomy(exampleRecord('IngestTaxonomyRecord')), '9606');
  const md5 = exampleRecord('SequenceRecord').md5;
  t.match(md5, /^[0-9a-f]{32}$/);
  t.equal(KEYS.sequence(exampleRecord('SequenceRecord')), md5);
  t.equal(KEYS.embedding(exampleRecord('EmbeddingRecord')), `${md5}|6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b`);
  t.equal(KEYS.prediction(exampleRecord('PredictionRecord')), '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57|P69905');
  t.equal(KEYS.querySetEntry(exampleRecord('QuerySetEntryRecord')), '0194703a-51aa-7f6e-b0c1-d2e3f4a5b6c7|P69905');
});
