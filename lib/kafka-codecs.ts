// Kafka's record-batch compression codecs beyond gzip (the one kafkajs ships):
// snappy, lz4 and zstd, as kafkajs codec adapters over native packages that
// npm installs as prebuilt napi-rs binaries (optionalDependencies, one per
// platform; nothing compiled or downloaded at install). kafka-client.ts
// registers them with the client once, so every consumer reads batches that
// Java or librdkafka producers wrote with any codec, and our producers may send
// with one (PROTEA_KAFKA_COMPRESSION).
//
// A package is loaded the first time its codec is met, not at start-up: a
// platform without its binary fails only where that codec is used, with
// KAFKA_CODEC_UNSUPPORTED (codecUnsupported below) instead of an opaque crash.
//
// The formats, as Kafka's Java client (3.x) writes and reads them:
//   lz4     the LZ4 frame format (magic 0x184D2204, correct header checksum:
//           KIP-57, every magic-v2 batch); we write it as Java does (64 KB
//           independent blocks, below) and read any frame (lz4-napi)
//   zstd    plain zstd frames; Java's zstd-jni stream writes one frame without
//           a content size, which the decoder here streams
//   snappy  Java wraps raw snappy blocks in xerial's framing (a 16-byte header,
//           then length-prefixed blocks of up to 32 KB input); librdkafka and
//           kafkajs-snappy write one raw snappy block. We write xerial framing
//           (what Java and librdkafka read) and read both, as kafkajs-snappy does.
//
// No kafkajs import: an adapter sees only the `buffer` of the client's encoder.
import { createRequire } from 'node:module';
import { ProteaError } from './errors.js';

/** PROTEA_KAFKA_COMPRESSION's values: Kafka's codec names. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Kafka's codec ids: the low three bits of a record batch's attributes. */
export const COMPRESSION_IDS: Readonly<Record<Compression, number>> = Object.freeze({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });

/** The codecs this module adds (kafkajs has none and gzip itself). */
export type NativeCompression = Exclude<Compression, 'none' | 'gzip'>;
export const NATIVE_COMPRESSIONS: readonly NativeCompression[] = ['snappy', 'lz4', 'zstd'];

/** The kafkajs codec interface (src/protocol/message/compression/gzip.js is its model). */
export interface CodecAdapter {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** The npm package behind each codec (its platform binary comes as an optional dependency). */
export const CODEC_PACKAGES: Readonly<Record<NativeCompression, string>> = Object.freeze({ snappy: 'snappy', lz4: 'lz4-napi', zstd: '@mongodb-js/zstd' });

interface Lz4Module {
  /** one raw LZ4 block, after a 4-byte little-endian length of the input (lz4_flex's compress_prepend_size) */
  compress(data: Uint8Array): Promise<Buffer>;
  decompressFrame(data: Uint8Array): Promise<Buffer>;
}
interface SnappyModule {
  compress(data: Uint8Array): Promise<Buffer>;
  uncompress(data: Uint8Array, options: { asBuffer: true }): Promise<string | Buffer>;
}
interface ZstdModule {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

// xerial snappy-java's stream framing (SnappyOutputStream / SnappyInputStream)
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16; // magic, int32 version 1, int32 minimum compatible version 1
/** Input bytes per block: SnappyOutputStream's default, which Kafka's producer uses. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;
/** Kafka's default zstd level (compression.zstd.level = 3). */
const ZSTD_LEVEL = 3;

function isXerial(buffer: Buffer, at = 0): boolean {
  return buffer.length - at >= XERIAL_HEADER_BYTES && buffer.subarray(at, at + XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

function xerialHeader(): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  return header;
}

function snappyBuffer(out: string | Buffer): Buffer {
  return typeof out === 'string' ? Buffer.from(out, 'latin1') : out;
}

function snappyAdapter(snappy: SnappyModule): CodecAdapter {
  return {
    async compress(encoder) {
      const input = encoder.buffer;
      const blocks: Promise<Buffer>[] = [];
      for (let at = 0; at < input.length; at += XERIAL_BLOCK_BYTES) blocks.push(snappy.compress(input.subarray(at, at + XERIAL_BLOCK_BYTES)));
      const parts: Buffer[] = [xerialHeader()];
      for (const block of await Promise.all(blocks)) {
        const length = Buffer.alloc(4);
        length.writeInt32BE(block.length, 0);
        parts.push(length, block);
      }
      return Buffer.concat(parts);
    },
    async decompress(buffer) {
      if (!isXerial(buffer)) return snappyBuffer(await snappy.uncompress(buffer, { asBuffer: true }));
      const blocks: Promise<string | Buffer>[] = [];
      let at = XERIAL_HEADER_BYTES;
      while (at < buffer.length) {
        // snappy-java reads concatenated streams: a header may follow a block
        if (isXerial(buffer, at)) {
          at += XERIAL_HEADER_BYTES;
          continue;
        }
        if (buffer.length - at < 4) throw new Error(`snappy: truncated xerial block header at byte ${at} of ${buffer.length}`);
        const length = buffer.readInt32BE(at);
        at += 4;
        if (length < 0 || at + length > buffer.length) throw new Error(`snappy: xerial block of ${length} bytes at byte ${at} overruns the ${buffer.length}-byte batch`);
        blocks.push(snappy.uncompress(buffer.subarray(at, at + length), { asBuffer: true }));
        at += length;
      }
      const parts = (await Promise.all(blocks)).map(snappyBuffer);
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };
}

// The LZ4 frame as Kafka's Java producer writes it (Lz4BlockOutputStream):
// independent blocks of at most 64 KB, no block or content checksums, no
// content size. lz4-napi's own frame writer declares 4 MB blocks, and a reader
// allocates a buffer of the declared block size per frame: decoding such a
// frame of a ~600 KB batch measured 2.6x the CPU of the same data in 64 KB
// blocks (lz4_flex here; Java's reader sizes its buffer the same way).
const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_BYTES = 64 * 1024;
const LZ4_FLG = 0x60; // version 01, independent blocks
const LZ4_BD = 0x40; // block maximum size 64 KB
const LZ4_UNCOMPRESSED = 0x80000000; // a block's size with this bit: stored as is

/** xxHash32 of a short input (under 16 bytes), seed 0: the frame descriptor's checksum. */
function xxh32Short(bytes: readonly number[]): number {
  const P1 = 0x9e3779b1;
  const P5 = 0x165667b1;
  const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
  let h = (P5 + bytes.length) | 0;
  for (const b of bytes) h = Math.imul(rotl((h + Math.imul(b, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d);
  h ^= h >>> 16;
  return h >>> 0;
}

const LZ4_HEADER: Buffer = (() => {
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_MAGIC, 0);
  header[4] = LZ4_FLG;
  header[5] = LZ4_BD;
  header[6] = (xxh32Short([LZ4_FLG, LZ4_BD]) >>> 8) & 0xff; // the header checksum KIP-57 made Kafka compute right
  return header;
})();
const LZ4_END_MARK = Buffer.alloc(4);

function lz4Adapter(lz4: Lz4Module): CodecAdapter {
  return {
    async compress(encoder) {
      const input = encoder.buffer;
      const chunks: Buffer[] = [];
      for (let at = 0; at < input.length; at += LZ4_BLOCK_BYTES) chunks.push(input.subarray(at, at + LZ4_BLOCK_BYTES));
      const blocks = await Promise.all(chunks.map((chunk) => lz4.compress(chunk)));
      const parts: Buffer[] = [LZ4_HEADER];
      blocks.forEach((prefixed, i) => {
        const block = prefixed.subarray(4);
        const chunk = chunks[i]!;
        const size = Buffer.alloc(4);
        if (block.length < chunk.length) {
          size.writeUInt32LE(block.length, 0);
          parts.push(size, block);
        } else {
          size.writeUInt32LE((LZ4_UNCOMPRESSED | chunk.length) >>> 0, 0);
          parts.push(size, chunk);
        }
      });
      parts.push(LZ4_END_MARK);
      return Buffer.concat(parts);
    },
    decompress: (buffer) => lz4.decompressFrame(buffer),
  };
}

function zstdAdapter(zstd: ZstdModule): CodecAdapter {
  return {
    compress: (encoder) => zstd.compress(encoder.buffer, ZSTD_LEVEL),
    decompress: (buffer) => zstd.decompress(buffer),
  };
}

const require = createRequire(import.meta.url);

/** Loads a codec's package: the adapter, or why it cannot be had on this machine. */
export type CodecLoad = { ok: true; adapter: CodecAdapter } | { ok: false; package: string; error: Error };

const loaded = new Map<NativeCompression, CodecLoad>();

/**
 * The adapter of a codec, its package loaded on first use (then cached).
 * `load` replaces require (tests: a package that fails to load).
 */
export function loadCodec(name: NativeCompression, load: (id: string) => unknown = require): CodecLoad {
  const cached = load === require ? loaded.get(name) : undefined;
  if (cached) return cached;
  const pkg = CODEC_PACKAGES[name];
  let result: CodecLoad;
  try {
    const mod = load(pkg);
    const adapter = name === 'snappy' ? snappyAdapter(mod as SnappyModule) : name === 'lz4' ? lz4Adapter(mod as Lz4Module) : zstdAdapter(mod as ZstdModule);
    result = { ok: true, adapter };
  } catch (err) {
    result = { ok: false, package: pkg, error: err instanceof Error ? err : new Error(String(err)) };
  }
  if (load === require) loaded.set(name, result);
  return result;
}

/**
 * A batch compressed with a codec this process cannot run (its package did not
 * load). `fetched`: the partitions, by topic, the consumer fetched when it met
 * the batch (the client decodes a whole fetch response at once, so the batch
 * is named exactly only when that is one partition).
 */
export function codecUnsupported(codec: string, reason: string, fetched: ReadonlyMap<string, readonly number[]> = new Map(), cause?: unknown): ProteaError {
  const topics = [...fetched].filter(([, ps]) => ps.length > 0);
  let place = 'a record batch';
  let where: { topic?: string; partition?: number } = {};
  if (topics.length === 1) {
    const [topic, partitions] = topics[0]!;
    place = partitions.length === 1 ? `a record batch of ${topic} partition ${partitions[0]}` : `a record batch of ${topic} (one of its partitions ${partitions.join(',')})`;
    where = partitions.length === 1 ? { topic, partition: partitions[0]! } : { topic };
  } else if (topics.length > 1) {
    place = `a record batch of one of ${topics.map(([t, ps]) => `${t}[${ps.join(',')}]`).join(' ')}`;
    where = { topic: topics.map(([t]) => t).join(',') };
  }
  return new ProteaError(
    'KAFKA_CODEC_UNSUPPORTED',
    `${place} is ${codec}-compressed, and this process cannot decompress ${codec}: ${reason}`,
    {
      component: 'kafka',
      codec,
      reason,
      ...where,
      ...((NATIVE_COMPRESSIONS as readonly string[]).includes(codec) ? { hint: codecInstallHint(codec as NativeCompression) } : {}),
    },
    cause === undefined ? undefined : { cause },
  );
}

/** What to do about a codec whose package did not load: install it, or have the producers use another codec. */
export function codecInstallHint(codec: NativeCompression, producers = "the topic's producers"): string {
  const others = COMPRESSIONS.filter((c) => c !== codec).join(', ');
  return `Install ${CODEC_PACKAGES[codec]} with its platform binary (\`npm ci\`, optional dependencies included, on a platform the package ships a binary for), or have ${producers} use another compression.type (${others}).`;
}

/** The reason a codec's package did not load, for codecUnsupported. */
export function loadFailure(failure: { package: string; error: Error }): string {
  return `its package ${failure.package} did not load (${failure.error.message.split('\n')[0]})`;
}

/** The KAFKA_CODEC_UNSUPPORTED error in an error's cause chain (the client wraps it), if any. */
export function findCodecUnsupported(err: unknown): ProteaError | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ProteaError && e.key === 'KAFKA_CODEC_UNSUPPORTED') return e;
  }
  return undefined;
}
