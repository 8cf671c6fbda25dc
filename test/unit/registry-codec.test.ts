// AvroRegistry frames and (de)serializes records itself once a schema id is
// known; the bytes must stay the registry client's (Confluent's wire format),
// or every record already on a topic and every other consumer would break.
// Checked against the client itself, for every record schema of schemas/,
// through the shared stack's real registry (no schema is fed to the client
// by hand: it fetches each by id, as a consumer elsewhere would).
import t from 'tap';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { freePort } from '../../lib/free-port.js';
import { AvroRegistry } from '../../lib/schema-registry.js';
import { RECORD_NAMES, loadSchema, type RecordName } from '../../lib/schemas.js';
import { HBA_HUMAN, exampleRecord } from '../fixtures/records.js';

const prefix = `protea-codec-${Date.now().toString(36)}${process.pid}`;
const subjectOf = (name: RecordName): string => `${prefix}-${name}-value`;

t.teardown(async () => {
  for (const name of RECORD_NAMES) {
    await fetch(`${config().registryUrl}/subjects/${subjectOf(name)}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${config().registryUrl}/subjects/${subjectOf(name)}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

/** The decoded value as plain data (avsc hands back instances of generated record classes). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)));

const registry = new AvroRegistry();
const ids = new Map<RecordName, number>();

t.before(async () => {
  for (const name of RECORD_NAMES) ids.set(name, await registry.register(subjectOf(name), loadSchema(name)));
});

t.test('for every record schema: our bytes are the client encode()s, and each side decodes the other', async (t) => {
  // a client of its own: it knows nothing but what it fetches from the registry by id
  const client = new SchemaRegistry({ host: config().registryUrl });
  for (const name of RECORD_NAMES) {
    const id = ids.get(name)!;
    const value = exampleRecord(name);
    const theirs = await client.encode(id, value);
    const ours = await registry.encode(subjectOf(name), value);
    t.ok(ours.equals(theirs), `${name}: encode() gives the client's bytes (${ours.length} bytes, schema id ${id})`);
    const [many] = await registry.encodeMany(subjectOf(name), [value]);
    t.ok(many?.equals(theirs), `${name}: encodeMany() too`);
    t.same(plain(await client.decode(ours)), plain(value), `${name}: the client decodes ours`);
    t.same(plain(await registry.decode(theirs)), plain(value), `${name}: we decode the client's`);
    // a registry that has not seen the id yet takes the other path (fetch, then decode)
    t.same(plain(await new AvroRegistry().decode(theirs)), plain(value), `${name}: a cold registry decodes the client's`);
  }
});

t.test('many realistic sequences: the same bytes as the client, value by value, and decoded back equal', async (t) => {
  const client = new SchemaRegistry({ host: config().registryUrl });
  const id = ids.get('SequenceRecord')!;
  const base = exampleRecord('SequenceRecord');
  // lengths that cross the varint boundaries (64 and 8192) of the string lengths and of the int field,
  // and one (the longest sequence dedup accepts) above the encoder's first 64 KiB, with shorter ones after it
  const values = [0, 1, 63, 64, 65, 141, 1000, 8191, 8192, 100_000, 20_000, 300].map((n, i) => ({
    ...base,
    sequence: HBA_HUMAN.repeat(Math.ceil(n / HBA_HUMAN.length)).slice(0, n),
    length: n,
    first_seen_job_id: i % 2 === 0 ? null : base.first_seen_job_id,
  }));
  const ours = await registry.encodeMany(subjectOf('SequenceRecord'), values);
  const theirs = await Promise.all(values.map((v) => client.encode(id, v)));
  t.same(
    ours.map((b, i) => b.equals(theirs[i]!)),
    values.map(() => true),
    'every value: identical bytes',
  );
  const decoded = await registry.decodeMany(theirs, () => ({}));
  t.same(decoded.map(plain), values.map(plain), 'decodeMany() of the client bytes gives the values back, in order');
});

t.test('a value that does not match the schema: AVRO_ENCODE_FAILED naming the field, from encode() and encodeMany()', async (t) => {
  const subject = subjectOf('SequenceRecord');
  const good = exampleRecord('SequenceRecord');
  const bad = { ...good, length: 'long' };
  await t.rejects(registry.encode(subject, bad, { topic: 'x' }), { name: 'ProteaError', key: 'AVRO_ENCODE_FAILED', message: /field length="long"/, context: { topic: 'x', subject, field: 'length="long"' } });
  await t.rejects(registry.encodeMany(subject, [good, bad, good], { topic: 'x' }), { name: 'ProteaError', key: 'AVRO_ENCODE_FAILED', message: /field length="long"/ });
});

t.test('bytes that are not a record of a known schema: AVRO_DECODE_FAILED, one by one and in a batch', async (t) => {
  const subject = subjectOf('SequenceRecord');
  const good = await registry.encode(subject, exampleRecord('SequenceRecord'));
  const truncated = good.subarray(0, good.length - 3);
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  const badMagic = Buffer.from(good);
  badMagic[0] = 1;
  const unknownId = Buffer.from(good);
  unknownId.writeInt32BE(0x7fff_fff0, 1); // an id no registry of this stack has handed out
  const short = Buffer.from([0, 0, 0]);
  const context = { topic: 't', partition: 2, offset: '17' };
  for (const [what, bytes] of [['truncated', truncated], ['trailing data', trailing], ['magic byte 1', badMagic], ['unknown schema id', unknownId], ['shorter than the header', short]] as const) {
    await t.rejects(registry.decode(bytes, context), { name: 'ProteaError', key: 'AVRO_DECODE_FAILED', context }, what);
  }

  const batch = [good, truncated, null, unknownId, badMagic, good];
  const out = await registry.decodeMany(batch, (i) => ({ topic: 't', partition: 2, offset: String(100 + i) }));
  t.same(plain(out[0]), plain(exampleRecord('SequenceRecord')), 'a good record decodes');
  t.same(plain(out[5]), plain(exampleRecord('SequenceRecord')), 'and the next good one after the bad ones');
  t.equal(out[2], undefined, 'a null buffer (tombstone) is left to the caller');
  for (const i of [1, 3, 4]) {
    const e = out[i];
    t.ok(e instanceof ProteaError && e.key === 'AVRO_DECODE_FAILED' && e.context.offset === String(100 + i), `record ${i}: AVRO_DECODE_FAILED with its offset`);
  }
});

t.test('an unreachable registry rejects the whole batch as REGISTRY_UNAVAILABLE: no record is judged', async (t) => {
  const down = new AvroRegistry(`http://127.0.0.1:${await freePort()}`);
  const good = await registry.encode(subjectOf('SequenceRecord'), exampleRecord('SequenceRecord'));
  await t.rejects(down.decodeMany([good, Buffer.from([1, 2, 3])], () => ({ topic: 't' })), { name: 'ProteaError', key: 'REGISTRY_UNAVAILABLE', disposition: 'retry' });
  await t.rejects(down.encodeMany('any-value', [{}]), { name: 'ProteaError', key: 'REGISTRY_UNAVAILABLE' });
});
