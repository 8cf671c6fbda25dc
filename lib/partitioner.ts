// The producer's partitioner: the same partition choices as kafkajs 2.2.4's
// DefaultPartitioner (the Java client's murmur2 partitioner), without its per
// message costs (a filtered copy of the partition list, a Buffer per string
// key, 64-bit Long arithmetic). TopicProducer passes it as kafkajs's
// `createPartitioner`; it imports nothing of kafkajs (the types below are the
// shapes kafkajs hands over, structurally), so it is outside the Kafka seam.
//
// The choice, per message, as kafkajs makes it:
// - `message.partition` set (neither null nor undefined): that number, as is
//   (not checked against the topic's partitions);
// - a key (neither null nor undefined): toPositive(murmur2(bytes)) % N, where
//   N counts ALL partitions of the topic (with a leader or not) and the bytes
//   are a Buffer key's own, or else the UTF-8 encoding of String(key) (a lone
//   surrogate encodes as U+FFFD, EF BF BD, as Buffer.from does; an empty string
//   is a key);
// - no key: round robin over the partitions that have a leader (leader >= 0),
//   in the order of the metadata, from a random start per topic; when none has
//   one, over all N (the counter, not the metadata order, picks the number).
//
// murmur2 is the Java client's (org.apache.kafka.common.utils.Utils.murmur2,
// seed 0x9747b28c, m 0x5bd1e995, r 24) on 32-bit ints, with Math.imul; string
// keys are hashed from their UTF-8 encoding walked in place, no Buffer made.
import { randomBytes } from 'node:crypto';

/** What the partitioner reads of a partition's metadata. */
export interface PartitionInfo {
  partitionId: number;
  leader: number;
}

/** What the partitioner reads of a message. */
export interface PartitionedMessage {
  key?: Buffer | string | null;
  partition?: number | null;
}

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: readonly PartitionInfo[];
  message: PartitionedMessage;
}

export type Partition = (args: PartitionerArgs) => number;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** One 4-byte little-endian block mixed into h. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, M);
  k ^= k >>> 24;
  k = Math.imul(k, M);
  return Math.imul(h, M) ^ k;
}

function finish(h: number): number {
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** murmur2 of bytes (the Java client's, a signed 32-bit result). */
export function murmur2Bytes(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    h = mixBlock(h, data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
  }
  const rest = length - whole;
  if (rest > 0) {
    let k = data[whole]!;
    if (rest > 1) k |= data[whole + 1]! << 8;
    if (rest > 2) k |= data[whole + 2]! << 16;
    h = Math.imul(h ^ k, M);
  }
  return finish(h);
}

/** Bytes of the UTF-8 encoding of s (a lone surrogate counts as U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // a pair: 4 bytes for 2 code units
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

// The hash state of the multi-byte walk: module-level, so that feeding one
// byte allocates nothing (no closure per call); the walk is synchronous.
let wH = 0;
let wK = 0;
let wShift = 0;

function feed(b: number): void {
  wK |= b << wShift;
  if (wShift === 24) {
    wH = mixBlock(wH, wK);
    wK = 0;
    wShift = 0;
  } else wShift += 8;
}

/** murmur2 of the UTF-8 encoding of s, as Buffer.from(s) would give it, walked in place. */
export function murmur2String(s: string): number {
  const n = s.length;
  const length = utf8Length(s);
  let h = SEED ^ length;
  if (length === n) {
    // ASCII: a code unit is a byte
    const whole = n & ~3;
    for (let i = 0; i < whole; i += 4) {
      h = mixBlock(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24));
    }
    const rest = n - whole;
    if (rest > 0) {
      let k = s.charCodeAt(whole);
      if (rest > 1) k |= s.charCodeAt(whole + 1) << 8;
      if (rest > 2) k |= s.charCodeAt(whole + 2) << 16;
      h = Math.imul(h ^ k, M);
    }
    return finish(h);
  }
  wH = h;
  wK = 0;
  wShift = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      feed(c);
    } else if (c < 0x800) {
      feed(0xc0 | (c >>> 6));
      feed(0x80 | (c & 0x3f));
    } else {
      if ((c & 0xf800) === 0xd800) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          feed(0xf0 | (cp >>> 18));
          feed(0x80 | ((cp >>> 12) & 0x3f));
          feed(0x80 | ((cp >>> 6) & 0x3f));
          feed(0x80 | (cp & 0x3f));
          i++;
          continue;
        }
        c = 0xfffd; // a lone surrogate
      }
      feed(0xe0 | (c >>> 12));
      feed(0x80 | ((c >>> 6) & 0x3f));
      feed(0x80 | (c & 0x3f));
    }
  }
  h = wH;
  if (wShift > 0) h = Math.imul(h ^ wK, M);
  return finish(h);
}

/** murmur2 of a message key as kafkajs hashes it: a Buffer's bytes, anything else as the UTF-8 of String(key). */
export function murmur2(key: unknown): number {
  if (typeof key === 'string') return murmur2String(key);
  if (Buffer.isBuffer(key)) return murmur2Bytes(key);
  return murmur2String(String(key));
}

/** The partition of a non-null key among `numPartitions` (all of the topic's). */
export function partitionForKey(key: Buffer | string, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

/**
 * A partitioner (kafkajs `createPartitioner`): each call makes one with its own
 * round-robin counters, as kafkajs's does.
 */
export function createJavaCompatiblePartitioner(): Partition {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    const key = message.key;
    if (key !== null && key !== undefined) return partitionForKey(key, numPartitions);
    // no key: the next partition with a leader, round robin (a 32-bit counter; only its low 31 bits are used)
    let counter = counters.get(topic);
    if (counter === undefined) counter = randomBytes(4).readUInt32BE(0);
    counter = (counter + 1) | 0;
    counters.set(topic, counter);
    let available = 0;
    for (let i = 0; i < numPartitions; i++) if (partitionMetadata[i]!.leader >= 0) available++;
    if (available === 0) return (counter & 0x7fffffff) % numPartitions;
    let nth = (counter & 0x7fffffff) % available;
    for (let i = 0; i < numPartitions; i++) {
      const p = partitionMetadata[i]!;
      if (p.leader >= 0 && nth-- === 0) return p.partitionId;
    }
    /* c8 ignore next */
    throw new Error('unreachable: fewer partitions with a leader than counted');
  };
}
