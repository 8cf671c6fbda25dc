// Job events for commands whose work does not need Kafka (evaluation set,
// import, run): reported when the broker answers, and a broker that goes away
// mid-run costs the job's events, not the work.
import { config } from './config.js';
import { classify } from './errors.js';
import { JobReporter } from './jobs.js';
import { describeCluster } from './kafka-client.js';
import { logger } from './log.js';
import { TopicProducer } from './topic-producer.js';

const log = () => logger('jobs');

export class BestEffortJob {
  private reporter: JobReporter | null;
  /** the job's id; null when no job exists (no broker, or its 'created' event never went out) */
  id: string | null;

  private constructor(reporter: JobReporter | null, private readonly producer: TopicProducer | null) {
    this.reporter = reporter;
    this.id = reporter?.id ?? null;
  }

  /** Events through a reporter the caller owns (tests, or a command with its own producer); null: no job. */
  static of(reporter: JobReporter | null): BestEffortJob {
    return new BestEffortJob(reporter, null);
  }

  /** A job of `operation` when Kafka is reachable now; otherwise none (logged with what to do). */
  static async start(operation: string, payload: Record<string, unknown>, opts: { kafka?: boolean; stage?: string } = {}): Promise<BestEffortJob> {
    if (opts.kafka === false) return new BestEffortJob(null, null);
    try {
      await describeCluster({ quick: true });
    } catch (err) {
      log().warn({ err: classify(err).message, operation }, 'Kafka is not reachable: running without a job (start the stack to have it reported)');
      return new BestEffortJob(null, null);
    }
    const producer = new TopicProducer();
    const reporter = new JobReporter(producer, { operation, stage: opts.stage ?? 'evaluate', payload, namespace: config().topicNamespace });
    return new BestEffortJob(reporter, producer);
  }

  /** Sends an event; the first failure turns job reporting off for the rest of the run. */
  async emit(what: string, fn: (r: JobReporter) => Promise<void>): Promise<void> {
    if (!this.reporter) return;
    try {
      await fn(this.reporter);
    } catch (err) {
      log().warn({ err: classify(err).message, jobId: this.id }, `could not send the job's ${what} event; going on without job events`);
      this.reporter = null;
      // a job whose 'created' event never went out does not exist
      if (what === 'created') this.id = null;
    }
  }

  /** A warning event (level warn) that does not count toward progress. */
  async warn(event: string, message: string, fields: Record<string, unknown>): Promise<void> {
    await this.emit(event, (j) => j.send([j.event(event, { level: 'warn', message, fields_json: JSON.stringify(fields) })]));
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }
}
