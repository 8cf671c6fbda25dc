// The kafkajs codec adapters of lib/kafka-codecs.ts without a broker: round
// trips, the foreign framings they must read (raw snappy as librdkafka and
// kafkajs-snappy write it, xerial streams as Java writes them, lz4 frames and
// zstd streams of the reference command-line tools), and the error a codec
// whose package does not load turns into. (test/integration/kafka-compression
// reads and writes each codec with the broker and the Java client.)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import t from 'tap';
import { ProteaError, classify } from '../../lib/errors.js';
import { CODEC_PACKAGES, NATIVE_COMPRESSIONS, XERIAL_BLOCK_BYTES, codecUnsupported, findCodecUnsupported, loadCodec, loadFailure, type CodecAdapter, type NativeCompression } from '../../lib/kafka-codecs.js';
import { seededRandom } from '../helpers/seeded-random.js';

const require = createRequire(import.meta.url);

function adapter(name: NativeCompression): CodecAdapter {
  const codec = loadCodec(name);
  if (!codec.ok) throw codec.error;
  return codec.adapter;
}

/** Text-like bytes (compressible) and random ones (not), of the length given. */
function inputs(length: number): Buffer[] {
  const rng = seededRandom(length + 7);
  const text = Buffer.alloc(length);
  const words = ['MVLSPADKTNVKAAWGKVG', 'sp|P69905|HBA_HUMAN', ' OS=Homo sapiens ', 'uniprot', '\n'];
  for (let at = 0; at < length; ) at += text.write(rng.pick(words), at);
  const random = Buffer.from(Array.from({ length }, () => rng.int(0, 255)));
  return [text, random];
}

t.test('each codec round-trips empty, small, and multi-block inputs', async (t) => {
  for (const name of NATIVE_COMPRESSIONS) {
    const codec = adapter(name);
    for (const length of [0, 1, 400, XERIAL_BLOCK_BYTES, 3 * XERIAL_BLOCK_BYTES + 17, 900_000]) {
      for (const [i, input] of inputs(length).entries()) {
        const compressed = await codec.compress({ buffer: input });
        const back = await codec.decompress(compressed);
        t.ok(back.equals(input), `${name}: ${length} ${i === 0 ? 'text-like' : 'random'} bytes round-trip (${compressed.length} compressed)`);
      }
    }
  }
});

t.test('snappy writes xerial framing (what the Java client writes) and reads it, raw snappy, and concatenated streams', async (t) => {
  const snappy = require('snappy') as { compressSync(b: Buffer): Buffer };
  const codec = adapter('snappy');
  const [text] = inputs(2 * XERIAL_BLOCK_BYTES + 5);
  const framed = await codec.compress({ buffer: text! });
  t.same([...framed.subarray(0, 16)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1], 'the xerial header: magic, version 1, compatible 1');
  // the blocks: each a length and a raw snappy block of at most 32 KB input
  let at = 16;
  const blocks: number[] = [];
  while (at < framed.length) {
    const length = framed.readInt32BE(at);
    blocks.push(length);
    at += 4 + length;
  }
  t.equal(at, framed.length, 'the blocks fill the frame exactly');
  t.equal(blocks.length, 3, 'three blocks for 64 KB + 5 bytes of input');

  // librdkafka and kafkajs-snappy write one raw snappy block
  t.ok((await codec.decompress(snappy.compressSync(text!))).equals(text!), 'raw snappy is read');
  // snappy-java reads streams written one after the other; so do we
  const twice = Buffer.concat([framed, await codec.compress({ buffer: Buffer.from('and more') })]);
  t.ok((await codec.decompress(twice)).equals(Buffer.concat([text!, Buffer.from('and more')])), 'two xerial streams back to back are read as one');
  await t.rejects(codec.decompress(framed.subarray(0, framed.length - 3)), /snappy: xerial block of \d+ bytes/, 'a truncated frame is refused, not misread');
});

/** The reference command-line tool's output for the input, or null without it. */
function tool(cmd: string, args: string[], input: Buffer): Buffer | null {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 });
  return r.error || r.status !== 0 ? null : r.stdout;
}

t.test('lz4 and zstd read what the reference tools write (frame options Kafka and librdkafka use or allow)', async (t) => {
  const [text] = inputs(300_000);
  const cases: [NativeCompression, string, string[]][] = [
    ['lz4', 'lz4', ['-q', '-c', '-B4']], // 64 KB blocks, as Kafka's Java client writes them
    ['lz4', 'lz4', ['-q', '-c', '-B7', '-BD']], // 4 MB linked blocks
    ['lz4', 'lz4', ['-q', '-c', '-B4', '--content-size', '-BX']], // content size and block checksums
    ['zstd', 'zstd', ['-q', '-c', '-3']], // from a pipe: a streamed frame without content size (as zstd-jni's stream)
    ['zstd', 'zstd', ['-q', '-c', '-19', '--long']],
  ];
  for (const [name, cmd, args] of cases) {
    const compressed = tool(cmd, args, text!);
    if (!compressed) {
      t.skip(`${cmd} ${args.join(' ')}: the tool is not installed here`, () => {});
      continue;
    }
    t.ok((await adapter(name).decompress(compressed)).equals(text!), `${name} reads \`${cmd} ${args.join(' ')}\``);
  }
  const zstd = tool('zstd', ['-q', '-c'], text!);
  if (zstd) t.ok((await adapter('zstd').decompress(Buffer.concat([zstd, zstd]))).equals(Buffer.concat([text!, text!])), 'zstd reads two frames back to back');
  const ours = await adapter('lz4').compress({ buffer: text! });
  t.equal(ours.subarray(0, 7).toString('hex'), '04224d18604082', 'our lz4 frame: magic, independent 64 KB blocks (as Kafka\'s Java producer writes), no checksums, its header checksum');
  const [, random] = inputs(200_000);
  const stored = await adapter('lz4').compress({ buffer: random! });
  t.equal(stored.length, 7 + 4 * Math.ceil(200_000 / 65_536) + 200_000 + 4, 'incompressible input is stored in uncompressed blocks (header, block sizes, bytes, end mark)');
  t.ok((await adapter('lz4').decompress(stored)).equals(random!), 'and read back');
  const back = tool('lz4', ['-q', '-d', '-c'], ours);
  if (back) t.ok(back.equals(text!), 'the lz4 tool reads our frames');
  const ourZstd = await adapter('zstd').compress({ buffer: text! });
  const zback = tool('zstd', ['-q', '-d', '-c'], ourZstd);
  if (zback) t.ok(zback.equals(text!), 'the zstd tool reads our frames');
});

t.test('a codec whose package does not load is reported, not thrown at load', async (t) => {
  const failing = (id: string): never => {
    throw new Error(`Cannot find module '${id}-linux-x64-gnu'`);
  };
  for (const name of NATIVE_COMPRESSIONS) {
    const codec = loadCodec(name, failing);
    t.equal(codec.ok, false, `${name}: not loaded`);
    if (codec.ok) continue;
    t.equal(codec.package, CODEC_PACKAGES[name]);
    t.match(loadFailure(codec), new RegExp(`its package ${CODEC_PACKAGES[name].replace('/', '\\/')} did not load \\(Cannot find module`));
  }
  t.equal(loadCodec('lz4').ok, true, 'the real package still loads (a failing loader is not cached)');
});

t.test('KAFKA_CODEC_UNSUPPORTED names the topic and partitions as far as they are known', async (t) => {
  const one = codecUnsupported('lz4', 'its package lz4-napi did not load (x)', new Map([['p.ingest.fasta', [3]]]));
  t.equal(one.code, 'PROTEA_ERR_KAFKA_CODEC_UNSUPPORTED');
  t.equal(one.retriable, false);
  t.equal(one.disposition, 'fatal');
  t.equal(one.message, 'a record batch of p.ingest.fasta partition 3 is lz4-compressed, and this process cannot decompress lz4: its package lz4-napi did not load (x)');
  t.match(one.context, { topic: 'p.ingest.fasta', partition: 3, codec: 'lz4' });
  t.match(one.hint, /Install lz4-napi .*another compression\.type \(none, gzip, snappy, zstd\)/);
  t.match(one.describe(), /topic=p\.ingest\.fasta partition=3/);

  const several = codecUnsupported('zstd', 'r', new Map([['p.a', [0, 2]]]));
  t.match(several.message, /^a record batch of p\.a \(one of its partitions 0,2\) is zstd-compressed/);
  t.equal(several.context.partition, undefined, 'no single partition is claimed');
  const topics = codecUnsupported('snappy', 'r', new Map([['p.a', [0]], ['p.b', [1, 2]]]));
  t.match(topics.message, /^a record batch of one of p\.a\[0\] p\.b\[1,2\] is snappy-compressed/);
  t.match(codecUnsupported('snappy', 'r').message, /^a record batch is snappy-compressed/);

  // the client wraps ours in its own error; it is found, and classify hands it back
  const wrapped = Object.assign(new Error(one.message, { cause: one }), { name: 'KafkaJSNotImplemented', retriable: false });
  const outer = Object.assign(new Error('crash', { cause: wrapped }), { name: 'KafkaJSNonRetriableError' });
  t.equal(findCodecUnsupported(outer), one, 'found in the cause chain');
  t.equal(findCodecUnsupported(new Error('other')), undefined);
  t.equal(classify(wrapped), one, 'classify passes a wrapped ProteaError through');
  t.ok(classify(Object.assign(new Error('x'), { name: 'KafkaJSNotImplemented' })) instanceof ProteaError);
});
