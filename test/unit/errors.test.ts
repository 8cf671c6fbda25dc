import t from 'tap';
import { CATALOGUE, ProteaError, classify } from '../../lib/errors.js';

t.test('every catalogue entry yields a stable PROTEA_ERR_ code with its retriable flag and hint', async (t) => {
  for (const [name, entry] of Object.entries(CATALOGUE)) {
    const e = new ProteaError(name as keyof typeof CATALOGUE, 'x');
    t.equal(e.code, `PROTEA_ERR_${name}`);
    t.equal(e.retriable, entry.retriable, `${name} retriable flag`);
    t.ok(e.hint.length > 10, `${name} has a hint`);
  }
});

t.test('context is carried and printed: file, line, topic, partition, offset', async (t) => {
  const e = new ProteaError('AVRO_DECODE_FAILED', 'bad bytes', { file: 'a.fasta', line: 7, topic: 'p.t', partition: 2, offset: '41' });
  t.match(e.describe(), /PROTEA_ERR_AVRO_DECODE_FAILED: bad bytes \(file=a\.fasta line=7 topic=p\.t partition=2 offset=41\)/);
  t.same(e.toJSON().context, { file: 'a.fasta', line: 7, topic: 'p.t', partition: 2, offset: '41' });
  t.ok(Object.isFrozen(e.context));
});

t.test('classify maps library errors onto the catalogue and decides retriability', async (t) => {
  const kafka = Object.assign(new Error('leader not available'), { name: 'KafkaJSProtocolError', retriable: true });
  t.equal(classify(kafka).code, 'PROTEA_ERR_KAFKA_UNAVAILABLE');
  t.equal(classify(kafka).retriable, true);
  const kafkaFatal = Object.assign(new Error('topic authorization failed'), { name: 'KafkaJSProtocolError', retriable: false });
  t.equal(classify(kafkaFatal).retriable, false);
  // kafkajs wraps the last error as non-retriable when its own retries ran out: an unreachable broker is still away
  const unreachable = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError', retriable: true, code: 'ECONNREFUSED' });
  const exhausted = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: unreachable });
  t.equal(classify(exhausted).code, 'PROTEA_ERR_KAFKA_UNAVAILABLE');
  t.equal(classify(Object.assign(new Error('topic authorization failed'), { name: 'KafkaJSNonRetriableError', retriable: false, cause: kafkaFatal })).code, 'PROTEA_ERR_KAFKA_REFUSED', 'a refusal wrapped the same way stays a refusal');

  const serialization = Object.assign(new Error('could not serialize access'), { code: '40001' });
  t.equal(classify(serialization).code, 'PROTEA_ERR_DB_SERIALIZATION');
  t.equal(classify(serialization).retriable, true);
  const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
  t.equal(classify(unique).code, 'PROTEA_ERR_DB_QUERY_FAILED');
  t.equal(classify(unique).retriable, false);
  const adminShutdown = Object.assign(new Error('terminating connection'), { code: '57P01' });
  t.equal(classify(adminShutdown).retriable, true, 'admin shutdown is retried');

  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  t.equal(classify(refused, { component: 'registry' }).code, 'PROTEA_ERR_REGISTRY_UNAVAILABLE');
  t.equal(classify(refused, { component: 'kafka' }).code, 'PROTEA_ERR_KAFKA_UNAVAILABLE');
  t.equal(classify(refused).code, 'PROTEA_ERR_DB_UNAVAILABLE');

  const rejected = Object.assign(new Error('Schema being registered is incompatible'), { status: 409 });
  t.equal(classify(rejected).code, 'PROTEA_ERR_REGISTRY_REJECTED');
  t.equal(classify(rejected).retriable, false);

  const incompatible = Object.assign(new Error('Compatibility requested: BACKWARD'), { name: 'ConfluentSchemaRegistryCompatibilityError' });
  t.equal(classify(incompatible).code, 'PROTEA_ERR_REGISTRY_REJECTED', 'a compatibility mismatch is a rejection, not an outage');
  t.equal(classify(incompatible).retriable, false);
  const invalidValue = Object.assign(new Error('invalid payload'), { name: 'ConfluentSchemaRegistryValidationError' });
  t.equal(classify(invalidValue).code, 'PROTEA_ERR_AVRO_ENCODE_FAILED');

  const own = new ProteaError('USAGE', 'x');
  t.equal(classify(own), own, 'a ProteaError passes through');
  t.equal(classify(new TypeError('boom')).code, 'PROTEA_ERR_INTERNAL');
  t.equal((classify(kafka).cause as Error).message, 'leader not available', 'the cause is kept');
});

t.test('README "Error codes" lists every code once, with its disposition and HTTP status, and nothing else', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PROJECT_ROOT } = await import('../../lib/config.js');
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Error codes\n');
  t.ok(start >= 0, 'README has an "Error codes" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const documented = new Map<string, { disposition: string; http: number }>();
  for (const m of section.matchAll(/^\| `PROTEA_ERR_([A-Z_]+)` \| ([a-z-]+) \| (\d{3}) \| (.+) \|$/gm)) {
    t.notOk(documented.has(m[1]!), `${m[1]} documented once`);
    documented.set(m[1]!, { disposition: m[2]!, http: Number(m[3]) });
  }
  for (const [name, entry] of Object.entries(CATALOGUE)) {
    t.same(documented.get(name), { disposition: entry.disposition, http: entry.http }, `${name} is documented with its disposition and status`);
  }
  for (const name of documented.keys()) t.ok(Object.hasOwn(CATALOGUE, name), `documented ${name} is a code of lib/errors.ts`);
});

t.test('each code has one disposition; retriable is derived from it and cannot be overridden', async (t) => {
  for (const [name, entry] of Object.entries(CATALOGUE)) {
    t.ok(['retry', 'dead-letter', 'fatal'].includes(entry.disposition), `${name}: a known disposition`);
    const e = new ProteaError(name as keyof typeof CATALOGUE, 'x', {}, { retriable: !entry.retriable } as never);
    t.equal(e.retriable, entry.disposition === 'retry', `${name}: retriable follows the disposition, whatever a throw passes`);
    t.equal(e.disposition, entry.disposition);
  }
  t.equal(new ProteaError('ONTOLOGY_RELEASE_PENDING', 'x').disposition, 'retry', 'a pending ontology release waits');
  t.equal(new ProteaError('ONTOLOGY_TERM_UNKNOWN', 'x').disposition, 'dead-letter', 'an unknown GO id is dead-lettered');
  const kafkaFatal = Object.assign(new Error('topic authorization failed'), { name: 'KafkaJSProtocolError', retriable: false });
  t.equal(classify(kafkaFatal).key, 'KAFKA_REFUSED', 'a non-retriable kafkajs error has a fatal code of its own');
  t.equal(classify(kafkaFatal).disposition, 'fatal');
});
