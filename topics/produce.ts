// `protea produce …`: streams a reader's records onto an ingest topic in
// batches, as one job. Lines the reader rejects go to the ingest dead-letter
// topic with file, line and reason; the good records around them are sent.
import { config } from '../lib/config.js';
import { JobReporter } from '../lib/jobs.js';
import { Progress } from '../lib/progress.js';
import type { TopicProducer } from '../lib/topic-producer.js';
import { ProteaError } from '../lib/errors.js';
import { buildDeadLetter, sendDeadLetters, type DeadLetter } from '../lib/runtime/dead-letters.js';
import { topicName } from './catalogue.js';
import type { ReadProgress } from '../parsers/lines.js';
import type { NoteItem, RejectItem } from '../parsers/items.js';

/** A reader's record, with its key when the reader computes one. */
export interface ReaderRecord<V> {
  kind: 'record';
  value: V;
  key?: string;
}

export type ReaderItem<V> = ReaderRecord<V> | RejectItem | NoteItem;

export interface ProduceRun<V, Out> {
  /** the job's operation, e.g. 'produce.fasta' */
  operation: string;
  /** catalogue id of the target topic, e.g. 'ingest.fasta' */
  topicId: string;
  items: AsyncIterable<ReaderItem<V>> & { progress(): ReadProgress };
  /** the full message value and its key, given the job id */
  toMessage(item: ReaderRecord<V>, jobId: string): { key: string; value: Out };
  /** what the job records about the run (file, options) */
  payload: Record<string, unknown>;
  label: string;
}

export interface ProduceReport {
  jobId: string;
  topic: string;
  sent: number;
  rejected: number;
  notes: number;
  ms: number;
  /** the first rejects, for the summary */
  examples: RejectItem[];
}

export interface ProduceOptions {
  producer: TopicProducer;
  namespace?: string;
  batchSize?: number;
  /** where the progress bar goes (stderr by default); null for none */
  progress?: NodeJS.WriteStream | null;
  /** seconds between job progress events */
  progressEventSeconds?: number;
  /** the job's id, when the caller must know it before the run starts (the API answers with it); default a new UUIDv7 */
  jobId?: string;
}

/** A line the reader rejected, as a dead letter of the ingest stage (lib/runtime/dead-letters.ts builds it). */
function deadLetter(r: RejectItem, topic: string, jobId: string): DeadLetter {
  const reason = r.field ? `${r.field}: ${r.reason}` : r.reason;
  const error = new ProteaError(r.code, reason, { file: r.file, line: r.line, ...(r.field ? { field: r.field } : {}) });
  return buildDeadLetter({
    stage: 'ingest',
    source: { topic, partition: null, offset: null, key: null, raw: Buffer.from(r.raw, 'utf8'), headers: {} },
    error,
    jobId,
    key: `${r.file}:${r.line}`,
  });
}

export async function produce<V, Out>(run: ProduceRun<V, Out>, opts: ProduceOptions): Promise<ProduceReport> {
  const t0 = Date.now();
  const namespace = opts.namespace ?? config().topicNamespace;
  const topic = topicName(run.topicId, namespace);
  const dlq = topicName('dlq.ingest', namespace);
  const batchSize = opts.batchSize ?? 1000;
  const job = new JobReporter(opts.producer, { operation: run.operation, stage: 'ingest', payload: { ...run.payload, topic }, namespace, ...(opts.jobId ? { id: opts.jobId } : {}) });
  const bar = opts.progress === null ? undefined : new Progress({ label: run.label, total: 0, ...(opts.progress ? { stream: opts.progress } : {}) });
  await job.created();
  await job.started();

  const report: ProduceReport = { jobId: job.id, topic, sent: 0, rejected: 0, notes: 0, ms: 0, examples: [] };
  let batch: { key: string; value: Out }[] = [];
  let rejects: DeadLetter[] = [];
  let lastEvent = Date.now();
  const flush = async () => {
    if (batch.length > 0) {
      await opts.producer.send(topic, batch);
      report.sent += batch.length;
      batch = [];
    }
    if (rejects.length > 0) {
      await sendDeadLetters(opts.producer, dlq, rejects);
      await job.send(rejects.map(({ value: r }) => job.event('dead_letter', { level: 'warn', message: r.reason, error_code: r.error_code, fields_json: JSON.stringify({ file: r.file, line: r.line }) })));
      rejects = [];
    }
    const p = run.items.progress();
    // the bar's total is the file size, known once the reader opened it
    bar?.setTotal(p.totalBytes);
    bar?.update(p.bytesRead, report.sent);
    if (Date.now() - lastEvent >= (opts.progressEventSeconds ?? 2) * 1000) {
      lastEvent = Date.now();
      await job.progress(report.sent, null, `${report.sent} records sent, ${report.rejected} rejected`);
    }
  };

  try {
    for await (const item of run.items) {
      if (item.kind === 'record') {
        batch.push(run.toMessage(item, job.id));
      } else if (item.kind === 'reject') {
        report.rejected += 1;
        if (report.examples.length < 10) report.examples.push(item);
        rejects.push(deadLetter(item, topic, job.id));
      } else {
        report.notes += 1;
      }
      if (batch.length >= batchSize || rejects.length >= batchSize) await flush();
    }
    await flush();
  } catch (err) {
    // the records read before the failure (a truncated file, say) are sent, not lost
    await flush().catch(() => undefined);
    await job.finished('failed', { current: report.sent, message: (err as Error).message, errorCode: (err as { code?: string }).code ?? 'PROTEA_ERR_INTERNAL' }).catch(() => undefined);
    throw err;
  }
  bar?.finish(report.sent);
  // The job is complete once the sinks have landed `sent` records (they advance progress_current).
  await job.send([job.event('produced', { progress_total: report.sent, progress_current: 0, message: `${report.sent} records sent to ${topic}, ${report.rejected} rejected to ${dlq}` })]);
  report.ms = Date.now() - t0;
  return report;
}
