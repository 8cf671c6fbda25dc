// Faults of the processor runner on the real broker, in a fresh topic namespace:
// - the dedup processor as a child process (`protea pipeline --stage dedup`) gets SIGTERM mid-stream: it exits 0
//   within its grace period, and after a restart every input has its outputs
//   (nothing lost; duplicates only as the same key and value);
// - a batch that cannot finish within the grace period is abandoned uncommitted
//   and redelivered to the next run;
// - a retriable failure that outlasts the retries stops the processor loudly,
//   with nothing committed and nothing dead-lettered.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { withAdmin } from '../../lib/kafka-client.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { md5Hex } from '../../parsers/fasta-sequence.js';
import { runProcessor, type ProcessorOptions } from '../../processors/runner.js';
import type { IngestFastaRecord, ProteinRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { IDS } from '../fixtures/records.js';
import { createNamespace, dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';
import { waitFor as waitUntil, type PollOptions } from '../helpers/poll.js';
import { logEndTotal, readToEnd } from '../helpers/read-topics.js';

const namespace = namespaceName();
const T = {
  ingest: topicName('ingest.fasta', namespace),
  sequences: topicName('sequences', namespace),
  proteins: topicName('proteins', namespace),
  dlq: topicName('dlq.dedup', namespace),
};
const BIN = path.join(PROJECT_ROOT, 'bin', 'protea.js');
// the built CLI that bin/protea.js runs
const MAIN = path.join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
const GRACE_MS = 8_000;

t.teardown(() => dropNamespace(namespace));

// ── helpers ─────────────────────────────────────────────────────────────────

const AA = 'ACDEFGHIKLMNPQRSTVWY';
function sequenceFor(i: number): string {
  // deterministic, ~10% shared with an earlier entry
  const n = i % 10 === 9 ? i - 7 : i;
  let s = '';
  const len = 60 + ((n * 37) % 400);
  for (let k = 0; k < len; k++) s += AA[(n * 7 + k * 13 + ((k * k) % 17) + Math.floor(n / 20)) % 20];
  return `M${s}${n.toString(20).toUpperCase().replace(/[0-9]/g, (d) => 'ACDEFGHIKL'[Number(d)]!)}`;
}
function record(i: number, prefix: string): IngestFastaRecord {
  return {
    header: `tr|${prefix}${String(i).padStart(6, '0')}|${prefix}${i}_SYNTH Synthetic ${i} OS=Synthetica OX=${1000 + (i % 7)} PE=4 SV=1`,
    sequence: sequenceFor(i),
    source_file: 'faults.fasta',
    line: i * 4 + 1,
    source: 'uniprot',
    query_set_id: null,
    query_set_name: null,
    job_id: IDS.job,
  };
}

async function produce(records: IngestFastaRecord[], chunk = 1000, pauseMs = 0): Promise<void> {
  const producer = new TopicProducer();
  try {
    for (let i = 0; i < records.length; i += chunk) {
      await producer.send(
        T.ingest,
        records.slice(i, i + chunk).map((value) => ({ key: value.header.split('|')[1]!, value })),
      );
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs)); // the pace of production (scenario): the stream is still flowing when SIGTERM comes
    }
  } finally {
    await producer.disconnect();
  }
}

/** Sum over partitions of (log end) and of (the group's committed offset, 0 when none). */
async function progress(groupId: string, topic = T.ingest): Promise<{ end: number; committed: number }> {
  return withAdmin(async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return {
      end: ends.reduce((a, p) => a + Number(p.high), 0),
      committed: ends.reduce((a, p) => a + Math.max(0, committed.get(p.partition) ?? -1), 0),
    };
  });
}

/** Every record of the topics so far, read back in a group of the test's own. */
const readAll = (topics: string[]) => readToEnd(topics, { groupPrefix: namespace, timeoutMs: 120_000 });

/** Polls every 50 ms: the SIGTERM test must see the first outputs early to stop the processor mid-stream. */
const waitFor = (what: string, cond: () => Promise<boolean> | boolean, options: PollOptions = {}) => waitUntil(what, cond, { timeoutMs: 120_000, intervalMs: 50, ...options });

/** The dedup stage's runner in-process on the ingest topic, with a transform of the test's own. */
const processor = (groupId: string, options: Pick<ProcessorOptions<IngestFastaRecord>, 'transform' | 'gracePeriodMs' | 'retry'>) =>
  runProcessor<IngestFastaRecord>({ stage: 'dedup', namespace, inputTopic: T.ingest, groupId, handleSignals: false, ...options });

interface Child {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function startChild(groupId: string): Promise<Child> {
  const proc = spawn(process.execPath, [BIN, 'pipeline', '--stage', 'dedup', '--group-id', groupId, '--grace-ms', String(GRACE_MS)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PROTEA_TOPIC_NAMESPACE: namespace, PROTEA_METRICS_PORT: '0', PROTEA_LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: Child = {
    proc,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))),
  };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => child.stdout.push(d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => child.stderr.push(d));
  await Promise.race([
    waitFor('the child to join its group', () => child.stdout.join('').includes('ready '), { timeoutMs: 60_000 }),
    child.exited.then((e) => {
      throw new Error(`the child exited early (${e.code}): ${child.stderr.join('').slice(-2000)}`);
    }),
  ]);
  return child;
}

t.before(async () => {
  const sources = ['processors/runner.ts', 'processors/dedup/processor.ts', 'parsers/fasta-sequence.ts', 'parsers/fasta-header.ts', 'pipeline/stages.ts', 'cli/commands/pipeline.ts', 'lib/runtime/stage-runtime.ts'].map((f) => path.join(PROJECT_ROOT, f));
  const stale = !fs.existsSync(MAIN) || sources.some((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs > fs.statSync(MAIN).mtimeMs);
  if (stale) {
    // tsc emits even when another module of the checkout has a type error; only the file matters here
    spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', PROJECT_ROOT], { stdio: 'ignore' });
  }
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing after \`tsc -p .\``);
  await createNamespace(namespace);
});

// ── tests ───────────────────────────────────────────────────────────────────

t.test('SIGTERM mid-stream: exit 0 within the grace period; after a restart every input has its outputs', async (t) => {
  const TOTAL = 24_000;
  const inputs = Array.from({ length: TOTAL }, (_, i) => record(i, 'S'));
  const groupId = `${namespace}.dedup-sigterm`;

  const first = await startChild(groupId);
  // the stream keeps flowing while the processor runs
  const producing = produce(inputs, 500, 40);
  await waitFor('the first outputs', async () => (await logEndTotal(T.proteins)) > 0);
  const before = await progress(groupId);
  const sentAt = Date.now();
  first.proc.kill('SIGTERM');
  const exit = await first.exited;
  const tookMs = exit.at - sentAt;
  t.equal(exit.code, 0, `exit code 0 (stderr tail: ${first.stderr.join('').slice(-300)})`);
  t.ok(tookMs <= GRACE_MS + 1_000, `exited ${tookMs} ms after SIGTERM (grace ${GRACE_MS} ms)`);
  const stopped = /stopped (\{.*\})/.exec(first.stdout.join(''))?.[1];
  t.match(JSON.parse(stopped ?? '{}'), { reason: 'SIGTERM', clean: true }, 'it stopped because of the signal and left its group cleanly');
  t.comment(`stop result: ${stopped}`);
  await producing;
  const after = await progress(groupId);
  t.comment(`at SIGTERM: ${before.committed} of ${before.end} inputs committed; after exit: ${after.committed} of ${after.end}`);
  t.ok(after.committed < TOTAL, 'the processor was stopped mid-stream (not every input committed)');

  const second = await startChild(groupId);
  await waitFor('the restarted processor to commit every input', async () => {
    const p = await progress(groupId);
    return p.end === TOTAL && p.committed === TOTAL;
  });
  second.proc.kill('SIGTERM');
  const exit2 = await second.exited;
  t.equal(exit2.code, 0, 'the restarted processor also exits 0');

  const seen = await readAll([T.proteins, T.sequences]);
  const proteins = new Map<string, ProteinRecord[]>();
  for (const r of seen.get(T.proteins)!) {
    if (!r.key?.startsWith('S')) continue;
    proteins.set(r.key, [...(proteins.get(r.key) ?? []), r.value as ProteinRecord]);
  }
  const missing = inputs.filter((r) => !proteins.has(r.header.split('|')[1]!));
  t.equal(missing.length, 0, 'every input has its protein (none lost)');
  let conflicting = 0;
  let duplicates = 0;
  for (const values of proteins.values()) {
    duplicates += values.length - 1;
    if (values.some((v) => JSON.stringify(v) !== JSON.stringify(values[0]))) conflicting++;
  }
  t.equal(conflicting, 0, 'a duplicated protein always has the same value');
  t.comment(`${duplicates} duplicate protein messages from redelivery (allowed: same key and value)`);
  const expectedMd5 = new Set(inputs.map((r) => md5Hex(r.sequence)));
  const sequences = new Map<string, SequenceRecord[]>();
  for (const r of seen.get(T.sequences)!) sequences.set(r.key!, [...(sequences.get(r.key!) ?? []), r.value as SequenceRecord]);
  t.equal([...expectedMd5].filter((m) => !sequences.has(m)).length, 0, 'every distinct sequence is on protea.sequences');
  t.equal([...sequences.values()].filter((vs) => vs.some((v) => JSON.stringify(v) !== JSON.stringify(vs[0]))).length, 0, 'a duplicated sequence always has the same value');
  for (const [input, p] of [[inputs[9]!, proteins.get('S000009')?.[0]]] as const) {
    t.equal(p?.sequence_md5, md5Hex(input.sequence), 'a shared sequence points to the right MD5');
  }
});

t.test('a batch that cannot finish within the grace period is abandoned uncommitted and redelivered', async (t) => {
  const groupId = `${namespace}.abandon`;
  const inputs = Array.from({ length: 300 }, (_, i) => record(i, 'A'));
  await produce(inputs);
  let entered = 0;
  const hanging = await processor(groupId, {
    gracePeriodMs: 2_000,
    transform: async () => {
      entered++;
      return new Promise<never>(() => undefined); // never finishes
    },
  });
  await waitFor('a batch in flight', () => entered > 0);
  const t0 = Date.now();
  const result = await hanging.stop('test');
  t.ok(Date.now() - t0 <= 2_500, `stop() returned within the grace period (${Date.now() - t0} ms)`);
  t.equal(result.abandoned, true, 'the in-flight batch was abandoned');
  t.equal(hanging.stats.abandonedBatches >= 1, true);
  t.equal((await progress(groupId)).committed, 0, 'nothing of it was committed');

  const seen: string[] = [];
  const normal = await processor(groupId, {
    transform: async (records) => {
      for (const r of records) seen.push(r.key ?? '');
      return records.map(() => []);
    },
  });
  const end = (await progress(groupId)).end;
  await waitFor('the next run to process everything', () => normal.stats.recordsIn >= end);
  t.equal(normal.stats.recordsIn, end, 'the next run got every record, the abandoned batch included');
  await normal.stop();
  t.equal((await progress(groupId)).committed, end, 'then everything is committed');
});

t.test('a retriable failure that outlasts the retries fails the processor loudly: nothing committed, nothing dead-lettered', async (t) => {
  const groupId = `${namespace}.outage`;
  const dlqBefore = await logEndTotal(T.dlq);
  let calls = 0;
  const handle = await processor(groupId, {
    retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
    transform: async () => {
      calls++;
      throw new ProteaError('DB_UNAVAILABLE', 'connection refused (simulated outage)');
    },
  });
  const err = await handle.done.then(
    () => undefined,
    (e: unknown) => e as ProteaError,
  );
  t.equal(err?.code, 'PROTEA_ERR_DB_UNAVAILABLE', 'done rejects with the retriable error');
  t.equal(calls, 3, 'the transform was tried maxAttempts times');
  t.equal(handle.stats.retries, 2);
  t.equal((await progress(groupId)).committed, 0, 'nothing committed');
  t.equal(await logEndTotal(T.dlq), dlqBefore, 'nothing dead-lettered for an outage');
});

t.test('a transform that throws a non-retriable error for some records dead-letters only those', async (t) => {
  const groupId = `${namespace}.throws`;
  const dlqBefore = await logEndTotal(T.dlq);
  const total = (await progress(groupId)).end;
  const handle = await processor(groupId, {
    transform: async (records) => {
      if (records.some((r) => r.key === 'A000007')) throw new TypeError('cannot read properties of undefined (simulated bug)');
      return records.map(() => []);
    },
  });
  await waitFor('everything processed', () => handle.stats.recordsIn >= total);
  await handle.stop();
  t.equal(handle.stats.deadLetters, 1, 'one record dead-lettered');
  const dlq = (await readAll([T.dlq])).get(T.dlq)!;
  t.equal(dlq.length, dlqBefore + 1, 'one more dead letter');
  const letter = dlq.find((r) => r.key === 'A000007');
  t.ok(letter, 'the culprit is on the DLQ');
  t.match(letter?.headers, { 'protea-error-code': 'PROTEA_ERR_PROCESSOR_FAILED', 'protea-error-reason': /simulated bug/, 'protea-source-topic': T.ingest });
  t.match(letter?.value, { file: 'faults.fasta', line: 7 * 4 + 1, job_id: IDS.job });
});
