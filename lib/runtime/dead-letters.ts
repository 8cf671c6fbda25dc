// The only place that builds a dead letter: its DeadLetterRecord value, its
// headers (one set for every stage: source topic, partition, offset, stage,
// error code, reason, file, line, job) and, for the stages that report to
// jobs over Kafka, its 'dead_letter' job event. Processors, sinks and
// `protea produce` (topics/produce.ts) all send what this module builds.
import { createHash } from 'node:crypto';
import type { DeadLetterRecord, JobEventRecord } from '../../schemas/generated/types.js';
import { KEYS, SOURCE_FILE_HEADER, SOURCE_LINE_HEADER, subjectFor } from '../../topics/catalogue.js';
import type { ProteaError } from '../errors.js';
import type { TopicProducer } from '../topic-producer.js';

/** Where the failed input came from; partition and offset are null for input read from a file. */
export interface DeadLetterSource {
  topic: string;
  partition: number | null;
  offset: string | null;
  key: string | null;
  /** the original bytes, kept as they were */
  raw: Buffer | null;
  headers: Readonly<Record<string, string>>;
}

export interface DeadLetterInput {
  stage: string;
  source: DeadLetterSource;
  error: ProteaError;
  /** file and line of the input (the error's context wins when it names them) */
  file?: string | null;
  line?: number | null;
  /** the job of the input (its protea-job-id header otherwise) */
  jobId?: string | null;
  /** the message key of the dead letter (default: the source record's key) */
  key?: string | null;
  /** the reason text (default: the error's message) */
  reason?: string;
  now?: number;
}

/** A dead letter ready to send: its key, value and headers. */
export interface DeadLetter {
  key: string | null;
  value: DeadLetterRecord;
  headers: Record<string, string>;
}

/** Header values are bytes; keep the reason readable and bounded. */
function headerText(s: string, max = 1024): string {
  const oneLine = s.replace(/[\r\n]+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function buildDeadLetter(input: DeadLetterInput): DeadLetter {
  const { stage, source, error } = input;
  const file = typeof error.context.file === 'string' ? error.context.file : (input.file ?? null);
  const line = typeof error.context.line === 'number' ? error.context.line : (input.line ?? null);
  const jobId = input.jobId ?? source.headers['protea-job-id'] ?? null;
  const reason = input.reason ?? error.message;
  const value: DeadLetterRecord = {
    stage,
    source_topic: source.topic,
    source_partition: source.partition,
    source_offset: source.offset,
    error_code: error.code,
    reason,
    retriable: error.retriable,
    original_key: source.key === null ? null : Buffer.from(source.key, 'utf8'),
    original_value: source.raw,
    original_headers: Object.fromEntries(Object.entries(source.headers).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
    file,
    line,
    job_id: jobId,
    failed_at: input.now ?? Date.now(),
  };
  const headers: Record<string, string> = {
    'protea-stage': stage,
    'protea-source-topic': source.topic,
    'protea-error-code': error.code,
    'protea-error-reason': headerText(reason),
  };
  if (source.partition !== null) headers['protea-source-partition'] = String(source.partition);
  if (source.offset !== null) headers['protea-source-offset'] = source.offset;
  if (file !== null) headers[SOURCE_FILE_HEADER] = file;
  if (line !== null) headers[SOURCE_LINE_HEADER] = String(line);
  if (jobId !== null) headers['protea-job-id'] = jobId;
  return { key: input.key === undefined ? source.key : input.key, value, headers };
}

/** Encodes the dead letters under the DLQ topic's subject and sends them; resolves once acknowledged. */
export async function sendDeadLetters(producer: TopicProducer, dlqTopic: string, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const subject = subjectFor(dlqTopic);
  const values = await producer.registry.encodeMany(subject, letters.map((l) => l.value), { topic: dlqTopic });
  const messages = letters.map((l, i) => ({ key: l.key, value: values[i]!, headers: l.headers }));
  await producer.sendRaw(dlqTopic, messages);
}

/**
 * A UUIDv7 that is a function of its inputs: the 48-bit time field is `ms`, the
 * 74 "random" bits come from the MD5 of `seed`. The same dead letter redelivered
 * gets the same event id, which the jobs sink stores once.
 */
export function deterministicUuidV7(ms: number, seed: string): string {
  const h = createHash('md5').update(seed).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Math.max(0, Math.floor(ms)) % 2 ** 48, 0, 6);
  b[6] = 0x70 | (h[0]! & 0x0f);
  b[7] = h[1]!;
  b[8] = 0x80 | (h[2]! & 0x3f);
  h.copy(b, 9, 3, 10);
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The 'dead_letter' job event of a dead letter whose job is known (null
 * otherwise), keyed for jobs.events; its id is deterministic in the source
 * position, so a redelivered dead letter is one event.
 */
export function deadLetterJobEvent(letter: DeadLetter, dlqTopic: string, recordTimestampMs?: number): { key: string; value: JobEventRecord } | null {
  const v = letter.value;
  if (v.job_id === null) return null;
  const fields = { file: v.file, line: v.line, source_topic: v.source_topic, source_partition: v.source_partition, source_offset: v.source_offset, dlq_topic: dlqTopic };
  return {
    key: KEYS.jobEvent({ job_id: v.job_id }),
    value: {
      event_id: deterministicUuidV7(recordTimestampMs || v.failed_at, `${v.stage}|dead_letter|${v.source_topic}|${v.source_partition}|${v.source_offset}`),
      job_id: v.job_id,
      event: 'dead_letter',
      status: null,
      operation: null,
      stage: v.stage,
      progress_current: null,
      progress_total: null,
      level: 'warn',
      message: v.reason,
      error_code: v.error_code,
      fields_json: JSON.stringify(fields),
      ts: v.failed_at,
      parent_job_id: null,
      payload_json: null,
    },
  };
}
