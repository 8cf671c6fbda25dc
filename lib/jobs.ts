// Job lifecycle events on the jobs.events topic (keyed by job id, so one job's
// events stay in order). The jobs sink materialises them into job / job_event.
import type { JobEventLevel, JobEventRecord, JobStatus } from '../schemas/generated/types.js';
import { topicName } from '../topics/catalogue.js';
import { uuidv7 } from './ids.js';
import type { TopicProducer } from './topic-producer.js';

export interface JobOptions {
  operation: string;
  stage: string;
  payload?: Record<string, unknown>;
  parentJobId?: string | null;
  namespace?: string;
  /** an existing job to report on (e.g. a stage reporting dead letters of a produce job) */
  id?: string;
}

export class JobReporter {
  readonly id: string;
  private readonly topic: string;

  constructor(
    private readonly producer: TopicProducer,
    private readonly opts: JobOptions,
  ) {
    this.id = opts.id ?? uuidv7();
    this.topic = opts.namespace ? topicName('jobs.events', opts.namespace) : topicName('jobs.events');
  }

  event(event: string, fields: Partial<Omit<JobEventRecord, 'event_id' | 'job_id' | 'event' | 'ts'>> & { level?: JobEventLevel } = {}): JobEventRecord {
    return {
      event_id: uuidv7(),
      job_id: this.id,
      event,
      status: fields.status ?? null,
      operation: fields.operation ?? this.opts.operation,
      stage: fields.stage ?? this.opts.stage,
      progress_current: fields.progress_current ?? null,
      progress_total: fields.progress_total ?? null,
      level: fields.level ?? 'info',
      message: fields.message ?? null,
      error_code: fields.error_code ?? null,
      fields_json: fields.fields_json ?? null,
      ts: Date.now(),
      parent_job_id: fields.parent_job_id ?? this.opts.parentJobId ?? null,
      payload_json: fields.payload_json ?? null,
    };
  }

  async send(events: JobEventRecord[]): Promise<void> {
    await this.producer.send(this.topic, events.map((value) => ({ key: this.id, value })));
  }

  async created(message?: string): Promise<void> {
    await this.send([this.event('created', { status: 'queued', message: message ?? null, payload_json: JSON.stringify(this.opts.payload ?? {}) })]);
  }

  async started(total?: number): Promise<void> {
    await this.send([this.event('started', { status: 'running', progress_total: total ?? null })]);
  }

  async progress(current: number, total?: number | null, message?: string): Promise<void> {
    await this.send([this.event('progress', { progress_current: current, progress_total: total ?? null, message: message ?? null })]);
  }

  async deadLetter(reason: string, errorCode: string, where: Record<string, unknown> = {}): Promise<void> {
    await this.send([this.event('dead_letter', { level: 'warn', message: reason, error_code: errorCode, fields_json: JSON.stringify(where) })]);
  }

  async finished(status: Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>, opts: { current?: number; total?: number; message?: string; errorCode?: string } = {}): Promise<void> {
    await this.send([
      this.event('finished', {
        status,
        level: status === 'failed' ? 'error' : 'info',
        progress_current: opts.current ?? null,
        progress_total: opts.total ?? null,
        message: opts.message ?? null,
        error_code: opts.errorCode ?? null,
      }),
    ]);
  }
}
