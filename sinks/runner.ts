// The sink runner every sink reuses: one topic into PostgreSQL, exactly once.
//
// Transaction (writeBatch), per chunk of one partition's batch, on ONE pg client
// of the copy pool:
//   BEGIN
//   fence:  UPDATE sink_offsets SET next_offset = <next>
//            WHERE sink = .. AND topic = .. AND partition = .. AND next_offset = <expected>
//           (0 rows: insert the row on first use, ON CONFLICT DO NOTHING, and
//           re-check; still 0 rows: another writer moved the partition on, i.e.
//           this one is stale -> ROLLBACK, SINK_FENCED)
//   COPY    the decoded rows (kafka offset first) into the session's staging table
//   rejects the mapping's optional check (SinkMapping.rejects): staged records
//           the merge must not write (a GO id unknown to the ontology, say)
//           are deleted from staging and become dead letters; a reject the
//           record is not to blame for (a code whose disposition is retry:
//           ONTOLOGY_RELEASE_PENDING) rolls the transaction back and retries it
//   merge   the mapping's statements: INSERT .. SELECT .. FROM staging
//           ON CONFLICT (natural key) DO UPDATE/NOTHING, last offset wins
//   job     dead letters of a mapping with jobProgressOnDeadLetters count
//           toward their job (progress_current, a job_event each), as
//           jobProgress() counts the landed rows, so a job with rejects completes
//   dead letters (undecodable records, unmappable ones, rejects, rows
//           PostgreSQL refused) sent to dlq.sinks and acknowledged
//   COMMIT
// The fence comes first: the offsets row lock then orders writers of one
// partition (a stale writer waits there and fails before doing any work, and
// never competes with the owner for target rows), and the offset moves in the
// same transaction as the rows, whichever statement comes first. A crash at
// any point before COMMIT leaves neither rows nor offset; after it, both.
//
// A COPY or merge that PostgreSQL refuses with a data or constraint error
// (SQLSTATE classes 22, 23) is bisected inside the transaction: each half is
// retried under a savepoint until the refused rows are single; those go to
// the DLQ and the rest land, and the offset still moves past all of them in
// the same transaction. Any other non-retriable error is a bug (of a merge
// statement, say) and is thrown, never dead-lettered: the stage stops. Errors
// whose code is `retry` (PostgreSQL or Kafka away, serialization failures and
// deadlocks, a fence, a pending ontology release) roll back and are retried
// with the one policy (lib/runtime/retry.ts); a fence rereads the stored
// offset first. When the attempts run out the batch goes back to the client,
// which refetches it later: a partition waits, it never skips. Dead letters are at-least-once: a crash after their
// send and before COMMIT sends them again (same source topic/partition/offset).
//
// Offsets live in PostgreSQL only (autoCommit off). On every assignment (the
// consumer's `assigned` hook) the runner reads the stored offsets of its
// partitions and seeks there; batches fetched before the seek applied are
// stale (isStale()) and dropped. Records below the stored offset that arrive anyway are skipped. A
// batch that starts above the stored offset makes the runner seek back to the
// stored offset once: if the refetched batch still starts there, the records
// in between are gone (compaction, retention), not skipped by us.
//
// Partitions at once (PROTEA_SINK_PARTITIONS_AT_ONCE, default 2; the
// partitionsAtOnce option): batches of different partitions run at the same
// time, each partition still in order, each transaction on a connection of
// its own (the copy pool has at least one per partition at once; the TEMP
// staging table is per connection), so one batch decodes and COPYs while
// another merges and commits. Everything kept per transaction (the client a
// stop cuts) is the transaction's own; what is kept per partition (the
// expected offset, the gap check) is keyed by partition, and a partition has
// one batch in flight at a time. Two transactions of one sink touch disjoint
// target rows where the message key is the natural key (one key, one
// partition); the rows they share (a job's row in jobProgress, an annotation
// set or ontology snapshot new to the batch, the advisory locks of the link
// statements) are taken in one order in every mapping (key order within a
// statement, advisory locks before the job's row, which comes last), so the
// second transaction waits for the first's COMMIT instead of deadlocking. A
// deadlock or serialization failure that remains possible (two jobs whose
// landed rows and dead letters cross between two batches: jobProgress locks
// the one, countDeadLetters the other after it) rolls back and is retried
// like any `retry` error. Every mapping runs with partitions at once (the same
// transactions already ran side by side in two replicas of a sink).
//
// Lifecycle (lib/runtime/stage-runtime.ts): stop() lets the in-flight
// transactions finish (commit or roll back; never half) and abandons the rest
// of their batches, or, after the grace period, cuts their connections, each
// batch its own, which rolls the transactions back; then the consumer leaves
// the group and the clients disconnect. A rebalance abandons the rest of the
// batches, but lets the in-flight transactions end (the fence keeps them
// ahead of the new owners).
import { performance } from 'node:perf_hooks';
import { config } from '../lib/config.js';
import { copyRows, copyRowsBinary, runSql, type BinaryType, type CopyValue, type PgClient, type PgPool, type SqlStatement } from '../lib/copy.js';
import { createCopyPool, createQueryPool, sql, type DatabasePool } from '../lib/db.js';
import { CATALOGUE, ProteaError, classify, type ErrorName } from '../lib/errors.js';
import { clusterIdOf } from '../lib/kafka-client.js';
import { buildDeadLetter, sendDeadLetters } from '../lib/runtime/dead-letters.js';
import { emitStageEvent, lagOf } from '../lib/runtime/instrumentation.js';
import { microBatches } from '../lib/runtime/micro-batches.js';
import { BatchAbandoned, StageRuntime, isRebalance, type StageBatch, type StageOptions, type StopResult } from '../lib/runtime/stage-runtime.js';
import type { IncomingRecord } from '../lib/topic-consumer.js';
import { dlqFor, topicName } from '../topics/catalogue.js';

export type { StopResult };

/** How one topic lands in PostgreSQL. */
export interface SinkMapping<T> {
  /** sink name: sink_offsets.sink, the default consumer group suffix, logs */
  name: string;
  /** catalogue topic id, e.g. 'sequences' */
  topic: string;
  /**
   * The staging table: a session TEMP table (`CREATE TEMP TABLE IF NOT EXISTS
   * <table> (kafka_offset bigint NOT NULL, <columns>) ON COMMIT DELETE ROWS`),
   * so it is private to the connection and empty at every transaction's start.
   * The runner prepends kafka_offset: merges order by it so the last record of
   * a key wins.
   */
  staging: { table: string; columns: string };
  /** staging columns the row values fill, in order (kafka_offset excluded) */
  columns: readonly string[];
  /** binary COPY with these column types (kafka_offset's int8 excluded); text COPY when absent */
  binaryTypes?: readonly BinaryType[];
  /** the row of a record; throws a (non-retriable) ProteaError for a record that cannot be mapped */
  toRow(record: T): CopyValue[];
  /**
   * Statements run in order after the COPY, from staging into the target:
   * INSERT .. SELECT DISTINCT ON (key) .. ORDER BY key, kafka_offset DESC
   * ON CONFLICT (natural key) DO UPDATE/NOTHING. They must be idempotent and
   * deterministic: a redelivered batch changes nothing.
   */
  merge: readonly SqlStatement[];
  /**
   * Optional check run after the COPY and before the merge, returning the
   * staged records the merge must not write, one row each:
   *   kafka_offset bigint, reason text, and optionally field text,
   *   code text (an error catalogue name, default SINK_WRITE_FAILED), hint text.
   * The runner deletes them from staging and dead-letters them in the same
   * transaction as the good rows (the offset moves past them). A row whose
   * code has the disposition `retry` is not the record's fault (e.g.
   * ONTOLOGY_RELEASE_PENDING: the release it names is not loaded yet): the
   * runner throws it, the transaction rolls back and is retried with backoff,
   * nothing is dead-lettered. The statement must be read-only and deterministic.
   */
  rejects?: SqlStatement;
  /**
   * Count this sink's dead letters toward their job (jobId(), else the
   * protea-job-id header): progress_current += 1 and a 'dead_letter'
   * job_event each, in the batch's transaction, for sinks whose landed records
   * count toward their job (jobProgress), so a job with dead letters completes.
   */
  jobProgressOnDeadLetters?: boolean;
  /** job of a record, for its dead letter (the protea-job-id header otherwise) */
  jobId?(record: T): string | null;
  /**
   * The record's identity within its job (e.g. file and line of the input it
   * came from), so that progress counts it once however often it is
   * redelivered. When set, the runner appends it to every staged row (the
   * mapping's last column must be `progress_item`, for jobProgress()), and it
   * identifies the record's dead letters. Null: the message's own position.
   */
  progressItem?(record: IncomingRecord<T>): string | null;
}

/** The identity of a record for job progress: the mapping's, else the message's own position. */
export function progressItemOf<T>(mapping: SinkMapping<T>, record: IncomingRecord<T>): string {
  return mapping.progressItem?.(record) ?? `offset:${record.topic}:${record.partition}:${record.offset}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** File and line of an ingest record (they carry source_file and line), for its dead letter. */
function inputPosition(value: unknown): { file: string | null; line: number | null } {
  const v = value as { source_file?: unknown; line?: unknown } | undefined;
  return {
    file: typeof v?.source_file === 'string' ? v.source_file : null,
    line: typeof v?.line === 'number' ? v.line : null,
  };
}

/** The job of a record (the mapping's jobId(), else its protea-job-id header), or null. */
export function jobIdOf<T>(mapping: SinkMapping<T>, record: IncomingRecord<T>): string | null {
  return (record.value !== undefined ? mapping.jobId?.(record.value) : null) ?? record.headers['protea-job-id'] ?? null;
}

interface RejectRow {
  kafka_offset: string | number;
  reason?: string | null;
  field?: string | null;
  code?: string | null;
  hint?: string | null;
}

const isErrorName = (code: unknown): code is ErrorName => typeof code === 'string' && Object.hasOwn(CATALOGUE, code);

/** Where a test may crash the writer (the PROTEA_FAULT_CRASH test hook of pipeline/stages.ts). */
export type FaultPoint = 'after-copy' | 'after-merge' | 'before-commit';
export type FaultHook = (point: FaultPoint, at: { topic: string; partition: number; expected: string; next: string }) => void | Promise<void>;

/** Counters the lead wires into Prometheus. Plain numbers, only ever increased (but last*). */
export interface SinkMetrics {
  /** committed transactions */
  batches: number;
  /** records merged (before key dedup) in committed transactions */
  recordsWritten: number;
  /** records below the stored offset, not written again */
  recordsSkipped: number;
  /** records sent to the DLQ in committed transactions */
  deadLettered: number;
  /** transactions rolled back by the fence */
  fenced: number;
  /** retries after retriable errors (fences excluded) */
  retries: number;
  /** transactions in which a refused COPY/merge was bisected */
  bisections: number;
  /** seeks back to a stored offset (assignment, or a batch past it) */
  seeks: number;
  /** wall time of the last committed transaction, ms */
  lastBatchMs: number;
  /** wall time of all committed transactions, ms (rates: recordsWritten / batchMsTotal) */
  batchMsTotal: number;
  /** records of the last committed transaction */
  lastBatchRecords: number;
}

export function newMetrics(): SinkMetrics {
  return { batches: 0, recordsWritten: 0, recordsSkipped: 0, deadLettered: 0, fenced: 0, retries: 0, bisections: 0, seeks: 0, lastBatchMs: 0, batchMsTotal: 0, lastBatchRecords: 0 };
}

/** A record that goes to the DLQ, and why. */
export interface DeadLetter<T> {
  record: IncomingRecord<T>;
  error: ProteaError;
}

export interface PartitionBatch<T> {
  topic: string;
  partition: number;
  /** the stored next_offset this writer believes in */
  expected: bigint;
  /** the offset after the batch: stored on commit */
  next: bigint;
  records: readonly IncomingRecord<T>[];
}

export interface WriteOptions<T> {
  /** sends and awaits the acknowledgement (inside the transaction, before COMMIT) */
  sendDeadLetters(letters: readonly DeadLetter<T>[]): Promise<void>;
  /** the Kafka cluster the batch came from, recorded on a partition's first offsets row */
  clusterId?: string | null;
  fault?: FaultHook;
}

export interface WriteResult {
  written: number;
  deadLettered: number;
  bisected: boolean;
  ms: number;
}

// Data exceptions (22xxx) and integrity violations (23xxx) belong to rows;
// every other non-retriable SQLSTATE is a bug of the statement itself.
const ROW_SQLSTATE = /^(22|23)/;

/**
 * pg reports a dropped connection with a bare Error (no SQLSTATE, no errno);
 * the client it happened on says so: ended (`_ended`), or broken and no
 * longer queryable (`_queryable` false). Decided on that state, never on the text.
 */
function connectionLost(client: PgClient | undefined): boolean {
  const c = client as unknown as { _ended?: boolean; _queryable?: boolean } | undefined;
  return c !== undefined && (c._ended === true || c._queryable === false);
}

/** classify(), plus a failure on a client whose connection is lost as DB_UNAVAILABLE (retriable). */
export function classifySinkError(err: unknown, context: { topic?: string; partition?: number } = {}, client?: PgClient): ProteaError {
  const e = classify(err, context);
  if (e.key === 'INTERNAL' && connectionLost(client)) return new ProteaError('DB_UNAVAILABLE', e.message, { ...context, component: 'postgresql' }, { cause: err });
  return e;
}

function sqlstate(e: ProteaError): string | undefined {
  const s = e.context.sqlstate;
  return typeof s === 'string' ? s : undefined;
}

function reasonOf(err: unknown, e: ProteaError): string {
  const pgErr = err as { detail?: string; constraint?: string; column?: string; where?: string };
  const parts = [e.message];
  if (pgErr?.constraint) parts.push(`constraint ${pgErr.constraint}`);
  if (pgErr?.column) parts.push(`column ${pgErr.column}`);
  if (pgErr?.detail) parts.push(pgErr.detail.length > 300 ? `${pgErr.detail.slice(0, 299)}…` : pgErr.detail);
  return parts.join('; ');
}

async function storedOffset(client: PgClient, sink: string, topic: string, partition: number): Promise<string | null> {
  const r = await runSql(client, sql.unsafe`SELECT next_offset::text AS o FROM sink_offsets WHERE sink = ${sink} AND topic = ${topic} AND partition = ${partition}`);
  return (r.rows[0] as { o: string } | undefined)?.o ?? null;
}

/**
 * One exactly-once transaction for one partition: fence, COPY, merge (bisecting
 * refused rows into dead letters), dead letters sent, COMMIT. Throws SINK_FENCED
 * (rolled back) when the stored offset is not `expected`. Records below
 * `expected` are ignored. The client is left idle (outside a transaction).
 */
export async function writeBatch<T>(client: PgClient, sink: string, mapping: SinkMapping<T>, batch: PartitionBatch<T>, opts: WriteOptions<T>): Promise<WriteResult> {
  const t0 = performance.now();
  const at = { topic: batch.topic, partition: batch.partition, expected: batch.expected.toString(), next: batch.next.toString() };
  const dead: DeadLetter<T>[] = [];
  const rows: { record: IncomingRecord<T>; row: CopyValue[] }[] = [];
  for (const record of batch.records) {
    if (BigInt(record.offset) < batch.expected) continue; // stored already: never written twice
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    if (record.error || record.value === undefined) {
      dead.push({ record, error: record.error ?? new ProteaError('AVRO_DECODE_FAILED', 'record has no decoded value', where) });
      continue;
    }
    try {
      // a mapping that counts job progress stages each record's identity last (progress_item)
      rows.push({ record, row: [record.offset, ...mapping.toRow(record.value), ...(mapping.progressItem ? [progressItemOf(mapping, record)] : [])] });
    } catch (err) {
      const e = err instanceof ProteaError ? err : new ProteaError('SINK_WRITE_FAILED', `cannot map the record: ${(err as Error)?.message ?? String(err)}`, where, { cause: err });
      if (e.retriable) throw e;
      dead.push({ record, error: e.context.offset === undefined ? new ProteaError(e.key, e.message, { ...e.context, ...where }, { cause: e.cause }) : e });
    }
  }

  const q = (text: string) => client.query(text);
  const staging = mapping.staging.table;
  const columns = ['kafka_offset', ...mapping.columns];
  const binaryTypes: readonly BinaryType[] | undefined = mapping.binaryTypes ? ['int8', ...mapping.binaryTypes] : undefined;
  let copied = false;
  let firstCopy = true;
  let written = 0;
  let bisected = false;

  // The mapping's rejects of the staged part: deleted from staging, returned as dead letters.
  const rejectStaged = async (part: readonly { record: IncomingRecord<T> }[]): Promise<DeadLetter<T>[]> => {
    const result = await runSql(client, mapping.rejects!);
    if (result.rows.length === 0) return [];
    const byOffset = new Map(part.map((p) => [p.record.offset, p.record]));
    const letters = new Map<string, DeadLetter<T>>();
    for (const row of result.rows as RejectRow[]) {
      const offset = String(row.kafka_offset);
      const record = byOffset.get(offset);
      if (!record) throw new ProteaError('INTERNAL', `sink ${sink}: its rejects statement returned offset ${offset}, which is not staged`, { topic: batch.topic, partition: batch.partition, offset });
      if (letters.has(offset)) continue;
      const context = {
        topic: record.topic, partition: record.partition, offset,
        ...(row.field ? { field: row.field } : {}),
        ...(row.hint ? { hint: row.hint } : {}),
      };
      const error = new ProteaError(isErrorName(row.code) ? row.code : 'SINK_WRITE_FAILED', row.reason ?? 'rejected by the sink', context);
      if (error.disposition === 'retry') throw error; // not the record's fault (its code says so): roll back, retry later
      letters.set(offset, { record, error });
    }
    await runSql(client, sql.unsafe`DELETE FROM ${sql.identifier([staging])} WHERE kafka_offset = ANY(${sql.array([...letters.keys()], 'int8')})`);
    return [...letters.values()];
  };

  const attempt = async (part: readonly { record: IncomingRecord<T>; row: CopyValue[] }[]): Promise<void> => {
    await q('SAVEPOINT sink_rows');
    try {
      if (copied) await q(`TRUNCATE ${staging}`);
      copied = true;
      const data = part.map((p) => p.row);
      if (binaryTypes) await copyRowsBinary(client, staging, columns, binaryTypes, data);
      else await copyRows(client, staging, columns, data);
      if (firstCopy) {
        firstCopy = false;
        await opts.fault?.('after-copy', at);
      }
      const rejected = mapping.rejects ? await rejectStaged(part) : [];
      for (const statement of mapping.merge) await runSql(client, statement);
      await q('RELEASE SAVEPOINT sink_rows');
      written += part.length - rejected.length;
      dead.push(...rejected);
    } catch (err) {
      const e = classifySinkError(err, { topic: batch.topic, partition: batch.partition }, client);
      if (e.retriable) throw e; // the whole transaction is retried
      await q('ROLLBACK TO SAVEPOINT sink_rows');
      await q('RELEASE SAVEPOINT sink_rows');
      const state = sqlstate(e);
      if (state === undefined || !ROW_SQLSTATE.test(state)) throw e; // not a row's fault: never dead-letter it
      if (part.length === 1) {
        const { record } = part[0]!;
        dead.push({
          record,
          error: new ProteaError('SINK_WRITE_FAILED', reasonOf(err, e), { topic: record.topic, partition: record.partition, offset: record.offset, sqlstate: state }, { cause: err }),
        });
        return;
      }
      bisected = true;
      const mid = part.length >>> 1;
      await attempt(part.slice(0, mid)); // lower offsets first: the last record of a key still wins
      await attempt(part.slice(mid));
    }
  };

  await q('BEGIN');
  try {
    const fence = () =>
      runSql(
        client,
        sql.unsafe`UPDATE sink_offsets SET next_offset = ${at.next}, updated_at = now()
                    WHERE sink = ${sink} AND topic = ${batch.topic} AND partition = ${batch.partition} AND next_offset = ${at.expected}`,
      );
    let fenced = await fence();
    if (fenced.rowCount === 0) {
      await runSql(
        client,
        sql.unsafe`INSERT INTO sink_offsets (sink, topic, partition, next_offset, cluster_id) VALUES (${sink}, ${batch.topic}, ${batch.partition}, 0, ${opts.clusterId ?? null}) ON CONFLICT DO NOTHING`,
      );
      fenced = await fence();
    }
    if (fenced.rowCount === 0) {
      const stored = await storedOffset(client, sink, batch.topic, batch.partition);
      throw new ProteaError('SINK_FENCED', `sink ${sink}: ${batch.topic}[${batch.partition}] is at offset ${stored ?? '?'}, not ${at.expected}: another writer owns the partition`, {
        topic: batch.topic,
        partition: batch.partition,
        offset: at.expected,
        stored,
      });
    }
    if (rows.length > 0) {
      await q(`CREATE TEMP TABLE IF NOT EXISTS ${staging} (kafka_offset bigint NOT NULL, ${mapping.staging.columns}) ON COMMIT DELETE ROWS`);
      await attempt(rows);
    }
    await opts.fault?.('after-merge', at);
    if (dead.length > 0 && mapping.jobProgressOnDeadLetters) await countDeadLetters(client, sink, mapping, dead);
    if (dead.length > 0) await opts.sendDeadLetters(dead);
    await opts.fault?.('before-commit', at);
    await q('COMMIT');
  } catch (err) {
    await q('ROLLBACK').catch(() => undefined);
    throw classifySinkError(err, { topic: batch.topic, partition: batch.partition }, client);
  }
  return { written, deadLettered: dead.length, bisected, ms: performance.now() - t0 };
}

/**
 * Dead letters of a batch counted toward their jobs, in the batch's
 * transaction: progress_current += n per job (as jobProgress() does for landed
 * rows; the job_complete trigger then finishes the job) and one 'dead_letter'
 * job_event each, with code and reason. Records without a (well-formed) job id
 * count toward nothing.
 */
async function countDeadLetters<T>(client: PgClient, sink: string, mapping: SinkMapping<T>, dead: readonly DeadLetter<T>[]): Promise<void> {
  const jobs: string[] = [];
  const items: string[] = [];
  const codes: string[] = [];
  const reasons: string[] = [];
  const fields: string[] = [];
  for (const { record, error } of dead) {
    const job = jobIdOf(mapping, record);
    if (job === null || !UUID.test(job)) continue;
    jobs.push(job);
    items.push(progressItemOf(mapping, record));
    codes.push(error.code);
    reasons.push(error.message);
    fields.push(JSON.stringify({ sink, topic: record.topic, partition: record.partition, offset: record.offset, ...(error.context.field ? { field: error.context.field } : {}) }));
  }
  if (jobs.length === 0) return;
  // only records new to their job count (and get an event): a copy of a record already
  // counted (redelivered upstream, produced twice) was handled already
  await runSql(
    client,
    sql.unsafe`
      WITH d AS (
        SELECT DISTINCT ON (job_id, item) job_id, item, code, reason, fields
          FROM unnest(${sql.array(jobs, 'uuid')}, ${sql.array(items, 'text')}, ${sql.array(codes, 'text')}, ${sql.array(reasons, 'text')}, ${sql.array(fields, 'jsonb')})
               AS u(job_id, item, code, reason, fields)
         ORDER BY job_id, item),
      counted AS (
        INSERT INTO job_progress_item (job_id, item) SELECT job_id, item FROM d ORDER BY job_id, item
        ON CONFLICT DO NOTHING
        RETURNING job_id, item),
      events AS (
        INSERT INTO job_event (job_id, event, message, fields, level, stage, error_code)
        SELECT d.job_id, 'dead_letter', d.reason, d.fields, 'warn', 'sinks', d.code FROM d JOIN counted c USING (job_id, item)
        RETURNING 1)
      INSERT INTO job (id, operation, queue_name, progress_current)
      SELECT job_id, 'pending', 'pending', count(*)::int FROM counted GROUP BY job_id ORDER BY job_id
      ON CONFLICT (id) DO UPDATE SET progress_current = COALESCE(job.progress_current, 0) + EXCLUDED.progress_current`,
  );
}

export interface SinkOptions extends StageOptions {
  /** topic namespace (default: PROTEA_TOPIC_NAMESPACE) */
  namespace?: string;
  dbUrl?: string;
  /** consumer group (default `<namespace>.sink.<name>`) */
  groupId?: string;
  /** sink_offsets.sink (default: the mapping's name) */
  sinkName?: string;
  /** records per transaction at most (a fetched batch is split); default 5000 */
  maxRecords?: number;
  /** seek to the stored offsets on assignment (default true; tests turn it off to exercise the skip) */
  seekOnAssign?: boolean;
  /** test hook: called at the fault points of every transaction */
  fault?: FaultHook;
  /** partitions whose batches are written at once, each in its own transaction (default PROTEA_SINK_PARTITIONS_AT_ONCE) */
  partitionsAtOnce?: number;
}

interface PartitionState {
  expected: bigint;
  /** the stored offset a seek already refetched from (a gap after it is real) */
  gapChecked?: bigint;
}

/** A running sink; see the file comment. */
export class SinkRunner<T> {
  readonly metrics: SinkMetrics = newMetrics();
  readonly topic: string;
  readonly dlqTopic: string;
  readonly sinkName: string;
  readonly groupId: string;
  readonly runtime: StageRuntime<T>;
  /** settles when the runner stopped: resolves after stop(), rejects with the error that stopped it */
  readonly done: Promise<StopResult>;

  private readonly stage: string;
  private readonly dbUrl: string;
  private copyPool: PgPool | undefined;
  private queryPool: DatabasePool | undefined;
  private readonly partitions = new Map<number, PartitionState>();
  private assignmentReady: Promise<void> = Promise.resolve();
  private assignment: AbortController | undefined;
  /** the cluster this runner consumes from (set on open) */
  private clusterId: string | null = null;
  /** partitions whose batches are written at once (a copy pool connection each) */
  readonly partitionsAtOnce: number;

  constructor(
    private readonly mapping: SinkMapping<T>,
    private readonly opts: SinkOptions = {},
  ) {
    const namespace = opts.namespace ?? config().topicNamespace;
    this.topic = topicName(mapping.topic, namespace);
    this.dlqTopic = topicName(dlqFor('sinks'), namespace);
    this.sinkName = opts.sinkName ?? mapping.name;
    this.groupId = opts.groupId ?? `${namespace}.sink.${mapping.name}`;
    this.dbUrl = opts.dbUrl ?? config().dbUrl;
    this.stage = `sink:${mapping.name}`;
    this.partitionsAtOnce = Math.max(1, opts.partitionsAtOnce ?? config().sinkPartitionsAtOnce);
    const { namespace: _n, dbUrl: _d, groupId: _g, sinkName: _s, maxRecords: _m, seekOnAssign: _k, fault: _f, partitionsAtOnce: _p, ...stageOptions } = opts;
    this.runtime = new StageRuntime<T>({
      handleSignals: false,
      maxBytesPerPartition: 4 * 1024 * 1024,
      ...stageOptions,
      stage: this.stage,
      groupId: this.groupId,
      topics: [this.topic],
      autoCommit: false, // offsets live in PostgreSQL only
      partitionsAtOnce: this.partitionsAtOnce,
      onExhausted: 'redeliver', // the client refetches the batch later: a partition waits, it never skips
      open: () => this.open(),
      close: () => this.close(),
      assigned: (byTopic) => {
        const assigned = [...(byTopic.get(this.topic) ?? [])];
        this.assignment?.abort(new BatchAbandoned('reassigned'));
        const controller = new AbortController();
        this.assignment = controller;
        this.partitions.clear();
        this.assignmentReady = this.onAssigned(assigned, controller.signal);
      },
      handle: (batch) => this.onBatch(batch),
    });
    this.done = this.runtime.done;
  }

  /** Connects, subscribes and starts consuming; resolves once the consumer runs. */
  start(): Promise<void> {
    return this.runtime.start();
  }

  /** Finishes or abandons the in-flight transactions, leaves the group, disconnects. Idempotent. */
  stop(reason?: string): Promise<StopResult> {
    this.assignment?.abort(new BatchAbandoned('stopping'));
    return this.runtime.stop(reason);
  }

  private async open(): Promise<void> {
    // one connection per transaction in flight (only writeChunk takes them; a cut or broken
    // one is destroyed, not returned), never fewer than the two the runner always had
    this.copyPool = createCopyPool(this.dbUrl, Math.max(2, this.partitionsAtOnce));
    this.queryPool = await createQueryPool(this.dbUrl, { maximumPoolSize: 2 });
    this.clusterId = await clusterIdOf(this.runtime.kafka);
    await this.adoptStoredOffsets(this.queryPool, this.clusterId);
  }

  private async close(): Promise<void> {
    await this.copyPool?.end().catch(() => undefined);
    await this.queryPool?.end().catch(() => undefined);
  }

  /**
   * Offsets stored for another Kafka cluster point into a log that no longer
   * exists (a fresh cluster starts at 0): they restart at 0 here, before any
   * partition is assigned; re-merging is harmless (natural keys). Rows from
   * before cluster ids were recorded (NULL) are taken to be this cluster's.
   */
  private async adoptStoredOffsets(pool: DatabasePool, clusterId: string): Promise<void> {
    const reset = await pool.any(sql.unsafe`
      UPDATE sink_offsets o SET next_offset = 0, cluster_id = ${clusterId}, updated_at = now()
        FROM sink_offsets was
       WHERE o.sink = ${this.sinkName} AND o.topic = ${this.topic} AND o.cluster_id <> ${clusterId}
         AND was.sink = o.sink AND was.topic = o.topic AND was.partition = o.partition
      RETURNING o.partition, was.next_offset::text AS was_offset, was.cluster_id AS was_cluster`);
    if (reset.length > 0) {
      this.runtime.log.warn(
        { clusterId, reset: reset.map((r) => ({ partition: r.partition, was: r.was_offset, cluster: r.was_cluster })) },
        'stored offsets belong to another Kafka cluster: reading this cluster\'s partitions from the beginning',
      );
    }
    await pool.query(sql.unsafe`UPDATE sink_offsets SET cluster_id = ${clusterId} WHERE sink = ${this.sinkName} AND topic = ${this.topic} AND cluster_id IS NULL`);
  }

  /** The stored offsets of this sink, partition -> next_offset. */
  async storedOffsets(): Promise<Map<number, bigint>> {
    const pool = this.queryPool ?? (await createQueryPool(this.dbUrl, { maximumPoolSize: 1 }));
    try {
      const rows = await pool.any(sql.unsafe`SELECT partition, next_offset::text AS next FROM sink_offsets WHERE sink = ${this.sinkName} AND topic = ${this.topic}`);
      return new Map(rows.map((r) => [Number(r.partition), BigInt(String(r.next))]));
    } finally {
      if (pool !== this.queryPool) await pool.end();
    }
  }

  /** retries after `retry` failures, fences excepted (they have their own count) */
  private readonly countRetry = (e: ProteaError): void => {
    if (e.key !== 'SINK_FENCED') this.metrics.retries++;
  };

  /** Reads the stored offsets of the assigned partitions and seeks there; retried until it works or the assignment changes. */
  private async onAssigned(assigned: readonly number[], signal: AbortSignal): Promise<void> {
    try {
      const stored = await this.runtime.retrying('reading the stored offsets', () => this.storedOffsets(), {
        policy: { ...this.runtime.retry, maxAttempts: Number.POSITIVE_INFINITY },
        signal,
        classify: (err) => classify(err, { component: 'postgresql' }),
        counted: this.countRetry,
      });
      if (signal.aborted) return;
      for (const p of assigned) {
        const expected = stored.get(p) ?? 0n;
        this.partitions.set(p, { expected });
        if (this.opts.seekOnAssign !== false) {
          // a member that left the group meanwhile seeks again on its next join
          if (!this.runtime.consumer.seek(this.topic, p, expected.toString())) return;
          this.metrics.seeks++;
        }
      }
      this.runtime.log.debug({ offsets: assigned.map((p) => [p, String(stored.get(p) ?? 0n)]) }, 'seeked to the stored offsets');
    } catch (err) {
      if (signal.aborted) return; // reassigned or stopping: the next assignment reads them again
      throw err;
    }
  }

  private async partitionState(partition: number): Promise<PartitionState> {
    let state = this.partitions.get(partition);
    if (!state) {
      const stored = await this.storedOffsets();
      state = this.partitions.get(partition) ?? { expected: stored.get(partition) ?? 0n };
      this.partitions.set(partition, state);
    }
    return state;
  }

  private async onBatch(batch: StageBatch<T>): Promise<void> {
    await this.assignmentReady;
    if (batch.isStale()) return; // a seek is pending: the client refetches from there
    const { records } = batch;
    const state = await this.partitionState(batch.partition);
    const chunks = microBatches(records, { maxRecords: this.opts.maxRecords ?? 5000 });
    let start = 0;
    for (const [i, chunk] of chunks.entries()) {
      // the rest of the batch is abandoned on stop: nothing of it is committed
      if (this.runtime.stopping || batch.signal.aborted) throw batch.signal.reason ?? new BatchAbandoned('stopping');
      start += chunk.length;
      // the chunk ends where the next one starts (records between are known absent), the last at the batch's end
      const next = start < records.length ? BigInt(records[start]!.offset) : BigInt(batch.nextOffset);
      const outcome = await this.writeChunk(state, chunk, next, batch, i === 0);
      if (outcome !== 'done') return;
    }
    const lag = lagOf(batch.highWatermark, batch.nextOffset);
    if (lag !== undefined) emitStageEvent({ type: 'lag', stage: this.stage, topic: batch.topic, partition: batch.partition, lag });
  }

  /** One chunk in one transaction, retried with the one policy; a fence rereads the stored offset first. */
  private writeChunk(state: PartitionState, chunk: IncomingRecord<T>[], next: bigint, batch: StageBatch<T>, batchStart: boolean): Promise<'done' | 'reseek'> {
    const { partition, signal } = batch;
    return this.runtime.retrying('sink transaction', async () => {
      if (next <= state.expected) {
        this.metrics.recordsSkipped += chunk.length;
        return 'done';
      }
      const first = BigInt(chunk[0]!.offset);
      if (batchStart && first > state.expected && state.gapChecked !== state.expected) {
        // Records between the stored offset and this batch were never seen here: refetch from the stored offset.
        state.gapChecked = state.expected;
        this.runtime.log.info({ partition, stored: String(state.expected), first: String(first) }, 'batch starts past the stored offset; seeking back');
        this.runtime.consumer.seek(this.topic, partition, state.expected.toString());
        this.metrics.seeks++;
        return 'reseek';
      }
      const expected = state.expected;
      const todo = chunk.filter((r) => BigInt(r.offset) >= expected);
      // This attempt's connection: its own, whatever the other partitions' transactions do.
      const held: { client?: PgClient; released: boolean } = { released: false };
      const release = (err?: Error) => {
        if (held.client && !held.released) {
          held.released = true;
          held.client.release(err);
        }
      };
      // Past the grace period the connection is cut: the transaction rolls back, never half. A
      // rebalance does not cut it: the fence orders it before the partition's new owner, and a
      // transaction that already sent its dead letters must commit, or they would be sent twice.
      const cut = () => {
        if (isRebalance(signal.reason)) return;
        release(new Error('sink stopping'));
      };
      signal.addEventListener('abort', cut, { once: true });
      try {
        held.client = await this.copyPool!.connect().catch((err: unknown) => {
          // no SQLSTATE from a connect: the server is not there (refused, timed out)
          const e = classify(err, { component: 'postgresql', topic: this.topic, partition });
          throw e.key === 'INTERNAL' ? new ProteaError('DB_UNAVAILABLE', e.message, e.context, { cause: err }) : e;
        });
        if (signal.aborted) throw signal.reason; // aborted while connecting: nothing begun
        const result = await writeBatch(held.client, this.sinkName, this.mapping, { topic: this.topic, partition, expected, next, records: todo }, {
          sendDeadLetters: (letters) => this.sendDeadLetters(letters),
          clusterId: this.clusterId,
          ...(this.opts.fault ? { fault: this.opts.fault } : {}),
        });
        release();
        state.expected = next;
        const m = this.metrics;
        m.batches++;
        m.recordsSkipped += chunk.length - todo.length;
        m.recordsWritten += result.written;
        m.deadLettered += result.deadLettered;
        if (result.bisected) m.bisections++;
        m.lastBatchMs = result.ms;
        m.batchMsTotal += result.ms;
        m.lastBatchRecords = todo.length;
        emitStageEvent({ type: 'batch', stage: this.stage, topic: this.topic, partition, records: todo.length, seconds: result.ms / 1000, outputs: { postgresql: result.written } });
        return 'done';
      } catch (err) {
        const e = classifySinkError(err, { topic: this.topic, partition }, held.client);
        // a fenced transaction ended cleanly; after anything else the connection is not trusted
        release(e.key === 'SINK_FENCED' ? undefined : e);
        if (signal.aborted) throw signal.reason;
        if (e.key === 'SINK_FENCED') {
          this.metrics.fenced++;
          this.runtime.log.warn({ partition, expected: String(expected), stored: e.context.stored }, 'fenced: another writer moved the partition on; rereading the stored offset');
          const stored = await this.storedOffsets().then((o) => o.get(partition) ?? null, () => null);
          if (stored !== null && stored > state.expected) state.expected = stored;
          if (batch.isStale()) return 'reseek';
        }
        throw e;
      } finally {
        signal.removeEventListener('abort', cut);
        release();
      }
    }, { signal, partition, classify: (err) => classifySinkError(err, { topic: this.topic, partition }), counted: this.countRetry });
  }

  private async sendDeadLetters(letters: readonly DeadLetter<T>[]): Promise<void> {
    const now = Date.now();
    const built = letters.map(({ record, error }) => {
      this.runtime.log.warn({ topic: record.topic, partition: record.partition, offset: record.offset, code: error.code }, `dead-lettered: ${error.message}`);
      return buildDeadLetter({ stage: 'sinks', source: record, error, ...inputPosition(record.value), jobId: jobIdOf(this.mapping, record), now });
    });
    await sendDeadLetters(this.runtime.producer, this.dlqTopic, built);
    for (const [code, n] of countCodes(letters)) emitStageEvent({ type: 'dead_letter', stage: this.stage, topic: this.topic, code, count: n });
  }
}

function countCodes(letters: readonly { error: ProteaError }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const { error } of letters) m.set(error.code, (m.get(error.code) ?? 0) + 1);
  return m;
}

/** Starts a sink; stop it with `await runner.stop()`. */
export async function runSink<T>(mapping: SinkMapping<T>, opts: SinkOptions = {}): Promise<SinkRunner<T>> {
  const runner = new SinkRunner(mapping, opts);
  await runner.start();
  return runner;
}
