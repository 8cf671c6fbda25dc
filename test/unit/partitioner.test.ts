// lib/partitioner.ts chooses the partitions kafkajs 2.2.4's DefaultPartitioner
// (the Java client's murmur2 partitioner) chooses: the same murmur2, the same
// partition for every key and partition count, explicit partitions and
// keyless messages handled alike. kafkajs is imported here as the reference
// (test/unit/kafka-seam.test.ts allows this file to).
import { createRequire } from 'node:module';
import t from 'tap';
import { Partitioners } from 'kafkajs';
import { createJavaCompatiblePartitioner, murmur2, murmur2Bytes, murmur2String, partitionForKey, type PartitionInfo } from '../../lib/partitioner.js';
import { testRandom, type SeededRandom } from '../helpers/seeded-random.js';

// kafkajs's own murmur2 (not exported by the package; the default partitioner's)
const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: unknown) => number;

type Reference = (args: { topic: string; partitionMetadata: PartitionInfo[]; message: { key?: Buffer | string | null; partition?: number | null } }) => number;
const kafkajsPartitioner = (): Reference => Partitioners.DefaultPartitioner() as unknown as Reference;

const metadata = (n: number): PartitionInfo[] => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: i % 3 }));
const COUNTS = [1, 3, 6, 7, 100];

t.test('murmur2: the published reference values', async (t) => {
  // kafkajs's spec of its Java-compatible murmur2 (src/producer/partitioners/defaultJava/murmur2.spec.js
  // in kafkajs 1.x, the default partitioner since 2.0; values generated there with the Java client)
  const kafkajsSpec: [string, number][] = [
    ['0', 971027396], ['1', -1993445489], ['128', -326012175], ['2187', -1508407203], ['16384', -325739742], ['78125', -1654490814],
    ['279936', 1462227128], ['823543', -2014198330], ['2097152', 607668903], ['4782969', -1182699775], ['10000000', -1830336757],
    ['19487171', -1603849305], ['35831808', -857013643], ['62748517', -1167431028], ['105413504', -381294639], ['170859375', -1658323481],
    ['100:48069', 1009543857],
  ];
  // Apache Kafka's UtilsTest.testMurmur2 (the Java client)
  const kafkaUtilsTest: [string, number][] = [
    ['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536], ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971], ['abc', 479470107],
  ];
  for (const [key, want] of [...kafkajsSpec, ...kafkaUtilsTest]) {
    t.equal(murmur2String(key), want, `murmur2(${JSON.stringify(key)}) = ${want}`);
    t.equal(murmur2Bytes(Buffer.from(key)), want, `the same from its bytes`);
    t.equal(kafkajsMurmur2(key), want, `and kafkajs's murmur2 says so too`);
  }
  t.equal(murmur2(0), 971027396, 'a number key hashes as its decimal string (kafkajs spec: numeric input)');
  t.equal(murmur2(Buffer.from('1')), -1993445489, 'a Buffer key hashes its bytes (kafkajs spec: buffer input)');
  t.equal(murmur2(''), kafkajsMurmur2(''), 'the empty key');
});

/** Keys of every shape the producers make or a caller could pass. */
function generatedKeys(r: SeededRandom, n: number): string[] {
  const printable = () => String.fromCharCode(r.int(0x20, 0x7e));
  const upper = () => String.fromCharCode(r.int(0x41, 0x5a));
  const digit = () => String(r.int(0, 9));
  const alnum = () => (r.next() < 0.5 ? upper() : digit());
  const accession = () =>
    r.next() < 0.3 ? `A0A${alnum()}${alnum()}${alnum()}${digit()}${upper()}${alnum()}${digit()}` : `${r.pick(['O', 'P', 'Q'])}${digit()}${alnum()}${alnum()}${alnum()}${digit()}${r.next() < 0.2 ? `-${r.int(2, 40)}` : ''}`;
  const times = (k: number, f: () => string) => Array.from({ length: k }, f).join('');
  // code units of every UTF-8 length, astral code points (surrogate pairs) and lone or misordered surrogates
  const bmp2 = () => String.fromCharCode(r.int(0x80, 0x7ff));
  const bmp3 = () => String.fromCharCode(r.pick([r.int(0x800, 0xd7ff), r.int(0xe000, 0xffff)]));
  const astral = () => String.fromCodePoint(r.int(0x10000, 0x10ffff));
  const high = () => String.fromCharCode(r.int(0xd800, 0xdbff));
  const low = () => String.fromCharCode(r.int(0xdc00, 0xdfff));
  const unit = (): string => r.pick([printable, bmp2, bmp3, astral, high, low, () => low() + high()])();
  const kinds: (() => string)[] = [
    () => times(r.int(0, 40), printable),
    accession,
    () => `goa|${r.int(200, 230)}|${accession()}`,
    () => times(4, () => r.int(0, 0xffffffff).toString(16).padStart(8, '0')),
    () => times(r.int(64, 600), printable),
    () => times(r.int(1, 24), unit),
    () => `${accession()}${times(r.int(1, 3), astral)}`,
    () => r.pick([high(), low(), `${accession()}${high()}`, `${high()}${accession()}`, `${low()}${high()}`, `${high()}${high()}${low()}`]),
  ];
  const keys = ['', 'a', 'ab', 'abc', 'abcd', 'é', '€', '😀', '\ud83d', '\ude00', '\ude00\ud83d', 'x\ud83d', '\0'];
  while (keys.length < n) keys.push(r.pick(kinds)());
  return keys;
}

t.test('the same partition as kafkajs for 120,000 generated keys over 1, 3, 6, 7 and 100 partitions', async (t) => {
  const r = testRandom(t, 'generated keys');
  const keys = generatedKeys(r, 120_000);
  const ours = createJavaCompatiblePartitioner();
  const theirs = kafkajsPartitioner();
  const topic = 'protea.test.partitioner';
  let hashMismatch: string | undefined;
  for (const key of keys) {
    if (murmur2String(key) !== kafkajsMurmur2(key)) {
      hashMismatch = key;
      break;
    }
  }
  t.equal(hashMismatch, undefined, 'murmur2 of every key equals kafkajs\'s');
  for (const n of COUNTS) {
    const partitionMetadata = metadata(n);
    let mismatches = 0;
    let first: string | undefined;
    const used = new Set<number>();
    for (const key of keys) {
      const message = { key };
      const got = ours({ topic, partitionMetadata, message });
      used.add(got);
      if (got !== theirs({ topic, partitionMetadata, message }) || got !== partitionForKey(key, n)) {
        mismatches++;
        first ??= key;
      }
    }
    t.equal(mismatches, 0, `${n} partitions: every key on kafkajs's partition${first === undefined ? '' : ` (first mismatch: ${JSON.stringify(first)})`}`);
    t.equal(used.size, n, `${n} partitions: every partition gets keys`);
  }
});

t.test('Buffer keys: their bytes, valid UTF-8 or not, as kafkajs hashes them', async (t) => {
  const r = testRandom(t, 'generated bytes');
  const ours = createJavaCompatiblePartitioner();
  const theirs = kafkajsPartitioner();
  const topic = 'protea.test.partitioner';
  let mismatches = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = Buffer.from(Array.from({ length: r.int(0, 64) }, () => r.int(0, 255)));
    for (const n of COUNTS) {
      const partitionMetadata = metadata(n);
      if (ours({ topic, partitionMetadata, message: { key: bytes } }) !== theirs({ topic, partitionMetadata, message: { key: bytes } })) mismatches++;
    }
    if (murmur2(bytes) !== kafkajsMurmur2(bytes)) mismatches++;
  }
  t.equal(mismatches, 0, '20,000 random byte keys');
  for (const key of ['P69905', 'goa|220|P69905', 'é😀\ud83d']) {
    t.equal(murmur2(Buffer.from(key)), murmur2(key), `${JSON.stringify(key)}: the Buffer of a string hashes as the string`);
  }
  // a key neither string nor Buffer: kafkajs hashes String(key)
  const u8 = new Uint8Array([1, 2, 3]);
  t.equal(murmur2(u8), kafkajsMurmur2(u8), 'a plain Uint8Array hashes as String(key), "1,2,3", as kafkajs does');
  t.equal(murmur2(12345), kafkajsMurmur2(12345), 'a number hashes as its decimal string');
});

t.test('an explicit partition is taken as is, before the key', async (t) => {
  const ours = createJavaCompatiblePartitioner();
  const theirs = kafkajsPartitioner();
  const topic = 'protea.test.partitioner';
  const partitionMetadata = metadata(3);
  for (const message of [{ key: '1', partition: 99 }, { key: '1', partition: 0 }, { key: null, partition: 2 }, { partition: 1 }, { key: 'P69905', partition: null }, { key: 'P69905', partition: undefined }]) {
    t.equal(ours({ topic, partitionMetadata, message }), theirs({ topic, partitionMetadata, message }), JSON.stringify(message));
  }
  t.equal(ours({ topic, partitionMetadata, message: { key: '1', partition: 99 } }), 99, 'out of range, still taken (kafkajs does not check)');
  t.equal(ours({ topic, partitionMetadata, message: { key: 'P69905', partition: null } }), partitionForKey('P69905', 3), 'a null partition: the key decides');
});

t.test('the key counts all partitions, with a leader or not, in any metadata order', async (t) => {
  const ours = createJavaCompatiblePartitioner();
  const theirs = kafkajsPartitioner();
  const topic = 'protea.test.partitioner';
  const partitionMetadata = [
    { partitionId: 4, leader: 1 },
    { partitionId: 1, leader: -1 },
    { partitionId: 0, leader: 2 },
    { partitionId: 3, leader: -1 },
    { partitionId: 2, leader: 0 },
    { partitionId: 5, leader: 1 },
  ];
  const keys = Array.from({ length: 600 }, (_, i) => `P${String(i).padStart(5, '0')}`);
  const got = keys.map((key) => ours({ topic, partitionMetadata, message: { key } }));
  t.same(got, keys.map((key) => theirs({ topic, partitionMetadata, message: { key } })), 'as kafkajs');
  t.ok(got.includes(1) && got.includes(3), 'partitions without a leader still get their keys');
  t.same(got, keys.map((key) => partitionForKey(key, 6)), 'the number is hash % 6, not an index into the metadata');
});

/** True when `seq` visits `cycle` in order, starting anywhere. */
function isRotationOf(seq: readonly number[], cycle: readonly number[]): boolean {
  const start = cycle.indexOf(seq[0]!);
  return start >= 0 && seq.every((p, i) => p === cycle[(start + i) % cycle.length]);
}

t.test('keyless messages: round robin over the partitions with a leader, in metadata order, per topic, as kafkajs', async (t) => {
  const partitionMetadata = [
    { partitionId: 1, leader: 1 },
    { partitionId: 2, leader: -1 },
    { partitionId: 0, leader: 0 },
    { partitionId: 3, leader: 2 },
  ];
  const available = [1, 0, 3];
  for (const [name, make] of [['ours', createJavaCompatiblePartitioner], ['kafkajs', kafkajsPartitioner]] as const) {
    const partition = make() as Reference;
    for (const key of [null, undefined]) {
      const a = Array.from({ length: 30 }, () => partition({ topic: 'a', partitionMetadata, message: { key } }));
      t.ok(isRotationOf(a, available), `${name}, key ${key}: cycles 1, 0, 3 (no leader: 2 skipped): ${a.slice(0, 6).join(',')}...`);
    }
    // per topic: topic b's picks do not advance topic a's cycle
    const a1 = partition({ topic: 'a', partitionMetadata, message: {} });
    for (let i = 0; i < 5; i++) partition({ topic: 'b', partitionMetadata, message: {} });
    const a2 = partition({ topic: 'a', partitionMetadata, message: {} });
    t.equal(available[(available.indexOf(a1) + 1) % 3], a2, `${name}: each topic has its own counter`);
    const none = partitionMetadata.map((p) => ({ ...p, leader: -1 }));
    const n = Array.from({ length: 12 }, () => partition({ topic: 'c', partitionMetadata: none, message: {} }));
    t.ok(isRotationOf(n, [0, 1, 2, 3]), `${name}: no partition with a leader: the counter over all 4 numbers: ${n.slice(0, 5).join(',')}...`);
  }
  t.not(
    Array.from({ length: 8 }, () => createJavaCompatiblePartitioner()({ topic: 'a', partitionMetadata: metadata(100), message: {} })).join(),
    Array.from({ length: 8 }, () => 0).join(),
    'the start is random per partitioner (8 new partitioners do not all start at 0)',
  );
});
