// A registry that does not answer (restarting, down) is an outage, retried,
// never a verdict on a record: the client reports a refused connection as an
// HTTP 400, which used to read as "rejected" and dead-lettered good records
// as undecodable while the registry restarted (found by the chaos test).
import t from 'tap';
import { AvroRegistry } from '../../lib/schema-registry.js';
import { freePort } from '../../lib/free-port.js';


t.test('a refused connection is REGISTRY_UNAVAILABLE (retry), for lookups, registrations and decoding', async (t) => {
  const registry = new AvroRegistry(`http://127.0.0.1:${await freePort()}`);
  await t.rejects(registry.schemaId('any-value'), { name: 'ProteaError', key: 'REGISTRY_UNAVAILABLE', disposition: 'retry' }, 'schema id lookup');
  await t.rejects(registry.register('any-value', { type: 'record', name: 'R', fields: [] }), { name: 'ProteaError', key: 'REGISTRY_UNAVAILABLE', disposition: 'retry' }, 'registration');
  const wire = Buffer.from([0, 0, 0, 0, 7, 2]); // Confluent framing: magic 0, schema id 7, then the body
  await t.rejects(registry.decode(wire, { topic: 'x', partition: 0, offset: '1' }), { name: 'ProteaError', key: 'REGISTRY_UNAVAILABLE', disposition: 'retry' }, 'a record is not called undecodable');
});

t.test('a registry that answers 4xx still rejects: an unknown subject is not an outage', async (t) => {
  // the shared stack's registry (PROTEA_REGISTRY_URL); a subject no test registers
  const registry = new AvroRegistry();
  await t.rejects(registry.schemaId(`protea-never-registered-${process.pid}-value`), { name: 'ProteaError', key: 'REGISTRY_REJECTED' });
});
