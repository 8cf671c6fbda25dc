// The whole pipeline under chaos, on a stack of its own (test/helpers/private-stack.ts:
// its own PostgreSQL server, broker and registry, so its faults never touch
// another test). Over 50,000 FASTA entries and 50,000 GAF rows (plus a GO
// release they are pinned to) are produced with `protea produce` while the
// stages run as separate `protea pipeline --stage` processes, and faults are
// injected at seeded random moments: kill -9 of the broker then `stack up`,
// an immediate PostgreSQL restart, kill -9 of the dedup processor or of a
// sink process, a replica of a stage joining then leaving (a rebalance each
// way), kill -9 of the registry then `stack up`. A small supervisor restarts
// any stage process that exits (as a container's restart policy would), and
// tells the test's kills from the process's own exits, which it reports.
// Once the faults are done and the pipeline has settled (lags 0, rows
// stable), every record must have landed exactly once, every job succeeded
// with progress equal to its total, every offset be at its log end, and the
// dead-letter topics hold the deliberately bad records, each once, and
// nothing else. The seed is printed first and in every failure (replay:
// PROTEA_TEST_SEED=<seed>); the count of each fault kind is printed at the end.
//
// Jars come from the main stack's cache: see test/helpers/private-stack.ts
// (here: PROTEA_STATE_DIR=/tmp/baseline/.protea).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { config } from '../../lib/config.js';
import { adminQuery } from '../../lib/db.js';
import { withAdmin } from '../../lib/kafka-client.js';
import type { DeadLetterRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { generateInputs, type ExpectedLetter } from '../helpers/chaos-inputs.js';
import { seededRandom, testSeed } from '../helpers/seeded-random.js';
import { sleep } from '../helpers/poll.js';
import { startPrivateStack, tail, type RunResult, type StageProcess } from '../helpers/private-stack.js';
import { logEnd, readToEnd } from '../helpers/read-topics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OBO_FILE = path.join(ROOT, 'demo/goslim_generic.obo');
const OBO_VERSION = 'chaos-goslim';

const FASTA_FILES = 5;
const FASTA_PER_FILE = 10_200;
const GAF_FILES = 5;
const GAF_PER_FILE = 10_100;
const MIN_FAULTS = 20;
/** the process faults stop after this long even when fewer than MIN_FAULTS happened (the checks then say so) */
const FAULT_WINDOW_MS = 10 * 60_000;
const SETTLE_TIMEOUT_MS = 4 * 60_000;
/** one fault (a server restart included) that takes longer is reported as failed */
const FAULT_TIMEOUT_MS = 180_000;

const KINDS = ['broker', 'postgres', 'kill-dedup', 'kill-sink', 'replica', 'registry'] as const;
type Kind = (typeof KINDS)[number];
/**
 * The files are produced in rounds (one FASTA and one GAF file each) and the
 * server faults come between rounds, while dedup and the sinks still work off
 * the backlog: `protea produce` itself does not ride out a broker or registry
 * outage (nor the minute of HTTP 500s the registry answers after a PostgreSQL
 * restart), and a failed produce run would leave nothing definite to check.
 * The stage process faults come at any moment, production included.
 */
const PROCESS_KINDS: readonly Kind[] = ['kill-dedup', 'kill-sink', 'replica'];
/** one server fault after each round but the last, in a seeded order */
const SERVER_PLAN: readonly Kind[] = ['broker', 'broker', 'registry', 'postgres'];

/** Stage processes: dedup and the busy sinks alone (kill targets); the quiet sinks share one. */
const SLOTS: Record<string, string[]> = {
  dedup: ['dedup'],
  sequences: ['sink:sequences'],
  proteins: ['sink:proteins'],
  annotations: ['sink:annotations'],
  jobs: ['sink:jobs'],
  others: ['sink:ontology', 'sink:taxonomy', 'sink:query_sets'],
};
const SINK_SLOTS = ['sequences', 'proteins', 'annotations', 'jobs', 'others'];
const REPLICA_STAGES = ['dedup', 'sink:sequences', 'sink:proteins', 'sink:annotations', 'sink:jobs'];
/** sink name (sink_offsets.sink) -> the catalogue topic it reads */
const SINK_TOPICS: Record<string, string> = {
  sequences: 'sequences',
  proteins: 'proteins',
  jobs: 'jobs.events',
  ontology: 'ingest.obo',
  taxonomy: 'ingest.taxonomy',
  query_sets: 'query_sets',
  annotations: 'ingest.gaf',
};

/** A timer for Promise.race that does not keep the process alive once the test is done. */
const deadlineIn = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface Job {
  id: string;
  operation: string;
  status: string;
  progress_current: number | null;
  progress_total: number | null;
}

// the root object's timeout is the one the tap runner enforces on this file (.taprc's 300 s would cut it short)
t.setTimeout(15 * 60_000);

t.test('the whole pipeline under broker, PostgreSQL, registry, process and rebalance faults lands every record exactly once', async (t) => {
  t.setTimeout(15 * 60_000);
  const t0 = Date.now();
  const seed = testSeed();
  const at = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  let progressFile: string | undefined;
  // tap prints a subtest's comments when it ends: the same lines go to <stack folder>/progress.log as they happen
  const note = (line: string) => {
    t.comment(line);
    if (progressFile) fs.appendFileSync(progressFile, `${at()} ${line}\n`);
  };
  t.comment(`seed ${seed} (replay with PROTEA_TEST_SEED=${seed})`);
  const r = seededRandom(seed);

  const name = `protea_chaos_${randomBytes(4).toString('hex')}`;
  const stack = await startPrivateStack({
    name,
    env: { PROTEA_LOG_LEVEL: 'warn', PROTEA_KAFKA_HEAP: '512m', PROTEA_REGISTRY_HEAP: '384m' },
    note: (line) => t.comment(line),
  });
  t.teardown(() => stack.destroy());
  progressFile = path.join(stack.dir, 'progress.log');
  // This process's clients (offsets, dead letters) talk to the private stack:
  // config() reads the environment once, on first use, which is after this.
  for (const k of ['PROTEA_KAFKA_BROKERS', 'PROTEA_REGISTRY_URL', 'PROTEA_DB_URL', 'PROTEA_TOPIC_NAMESPACE', 'PROTEA_STATE_DIR', 'PROTEA_LOG_LEVEL']) process.env[k] = stack.env[k];
  t.equal(config().kafkaBrokers[0], stack.env.PROTEA_KAFKA_BROKERS, 'the test reads the private broker');
  note(`private stack up after ${at()}`);
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(stack.dbUrl, text, values);
  const topic = (id: string) => topicName(id, stack.namespace);

  const inputs = generateInputs({
    dir: stack.dir,
    seed,
    oboFile: OBO_FILE,
    oboVersion: OBO_VERSION,
    fastaFiles: FASTA_FILES,
    fastaPerFile: FASTA_PER_FILE,
    gafFiles: GAF_FILES,
    gafPerFile: GAF_PER_FILE,
    querySet: 'chaos-query-set',
  });
  const fastaSent = inputs.fasta.reduce((a, f) => a + f.sent, 0);
  const gafSent = inputs.gaf.reduce((a, f) => a + f.sent, 0);
  note(`inputs: ${fastaSent} FASTA entries in ${FASTA_FILES} files (${inputs.sequences.size} distinct sequences), ${gafSent} GAF rows in ${GAF_FILES} files, ${inputs.letters.length} deliberately bad records`);

  // ── the stage processes, under a supervisor ─────────────────────────────────
  const current = new Map<string, StageProcess>();
  const crashes: string[] = [];
  let stopping = false;
  const supervise = (slot: string, stages: string[]) => {
    if (stopping) return;
    const p = stack.startStage(slot, stages);
    current.set(slot, p);
    void p.exited.then(async ({ code, signal }) => {
      if (stopping) return;
      if (!p.killedByTest) {
        crashes.push(`${at()} ${slot} exited by itself (code ${code}, signal ${signal}): ${tail(p.log, 6)}`);
        note(crashes.at(-1)!);
        await sleep(1000);
      }
      try {
        supervise(slot, stages);
      } catch {
        /* the stack is going away (teardown) */
      }
    });
  };
  for (const [slot, stages] of Object.entries(SLOTS)) supervise(slot, stages);
  t.teardown(() => {
    stopping = true;
  });

  // ── production: the release first, then FASTA and GAF files concurrently ──────
  const produced: { file: string; jobId?: string; sent?: number; result: RunResult }[] = [];
  const produceFile = async (args: string[], file: string) => {
    const result = await stack.cli(['produce', ...args, file], 600_000);
    const m = /^job ([0-9a-f-]{36}): (\d+) records/m.exec(result.stdout);
    produced.push({ file, ...(m ? { jobId: m[1]!, sent: Number(m[2]) } : {}), result });
    return m?.[1];
  };
  const oboJob = await produceFile(['obo', '--obo-version', OBO_VERSION], OBO_FILE);
  if (!oboJob) {
    t.fail(`the GO release was not produced: ${JSON.stringify(produced.at(-1)?.result)} (seed ${seed})`);
    return;
  }
  // the annotations wait for their release: no GAF row before it loaded
  const oboDeadline = Date.now() + 120_000;
  while ((await q<Job>('SELECT status FROM job WHERE id = $1', [oboJob]).catch(() => []))[0]?.status !== 'succeeded') {
    if (Date.now() > oboDeadline) {
      t.fail(`the GO release did not load within 120 s (seed ${seed})`);
      return;
    }
    await sleep(250);
  }
  note(`release ${OBO_VERSION} loaded after ${at()}`);
  // ── faults ──────────────────────────────────────────────────────────────────
  const counts: Record<Kind, number> = { broker: 0, postgres: 0, 'kill-dedup': 0, 'kill-sink': 0, replica: 0, registry: 0 };
  const faultLog: string[] = [];
  const leaves: Promise<void>[] = [];
  let replicas = 0;
  const killSlot = async (slot: string) => {
    const p = current.get(slot);
    if (!p) return 'no process';
    p.killedByTest = true;
    p.child.kill('SIGKILL');
    await p.exited;
    return `pid ${p.child.pid}`;
  };
  const inject = async (kind: Kind): Promise<string> => {
    switch (kind) {
      case 'broker':
        await stack.restartBroker();
        return 'kill -9 of the broker, stack up';
      case 'registry':
        await stack.restartRegistry();
        return 'kill -9 of the registry, stack up';
      case 'postgres':
        await stack.restartPostgres();
        return 'pg_ctl restart -m immediate';
      case 'kill-dedup':
        return `kill -9 of dedup (${await killSlot('dedup')})`;
      case 'kill-sink': {
        const slot = r.pick(SINK_SLOTS);
        return `kill -9 of ${slot} (${await killSlot(slot)})`;
      }
      case 'replica': {
        const stage = r.pick(REPLICA_STAGES);
        const p = stack.startStage(`replica-${++replicas}`, [stage]);
        const stayMs = r.int(4_000, 15_000);
        const hard = r.next() < 0.5;
        leaves.push(
          (async () => {
            const exited = await Promise.race([p.exited, sleep(stayMs).then(() => undefined)]);
            if (exited) {
              crashes.push(`${p.slot} (${stage}) exited by itself before leaving (code ${exited.code}, signal ${exited.signal}): ${tail(p.log, 6)}`);
              return;
            }
            p.killedByTest = true;
            p.child.kill(hard ? 'SIGKILL' : 'SIGTERM');
            const gone = await Promise.race([p.exited, deadlineIn(60_000).then(() => undefined)]);
            if (!gone) {
              crashes.push(`${p.slot} (${stage}) did not stop within 60 s of SIGTERM: killed`);
              p.child.kill('SIGKILL');
              await p.exited;
            }
          })(),
        );
        return `a replica of ${stage} joins, leaves after ${(stayMs / 1000).toFixed(0)} s (${hard ? 'kill -9' : 'SIGTERM'})`;
      }
    }
  };
  const total = () => Object.values(counts).reduce((a, b) => a + b, 0);
  /** records the consumers have not handled yet: the dedup group's and every sink's lag, summed */
  const backlog = async (): Promise<number> => {
    let n = 0;
    const stored = await q<{ sink: string; topic: string; partition: number; next_offset: string }>('SELECT sink, topic, partition, next_offset::text FROM sink_offsets');
    for (const [sink, id] of Object.entries(SINK_TOPICS)) {
      for (const [p, end] of await logEnd(topic(id))) n += Number(end - BigInt(stored.find((s) => s.sink === sink && s.topic === topic(id) && s.partition === p)?.next_offset ?? 0));
    }
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: `${stack.namespace}.dedup`, topics: [topic('ingest.fasta')] }));
    for (const [p, end] of await logEnd(topic('ingest.fasta'))) {
      const o = committed[0]?.partitions.find((x) => x.partition === p)?.offset ?? '-1';
      n += Number(end - BigInt(o === '-1' ? 0 : o));
    }
    return n;
  };
  const fault = async (kind: Kind) => {
    const started = Date.now();
    const behindBefore = SERVER_PLAN.includes(kind) ? await backlog().catch(() => undefined) : undefined;
    try {
      const what = await Promise.race([
        inject(kind),
        deadlineIn(FAULT_TIMEOUT_MS).then(() => {
          throw new Error(`not recovered within ${FAULT_TIMEOUT_MS / 1000} s`);
        }),
      ]);
      counts[kind]++;
      faultLog.push(`${at()} ${kind}: ${what} (${Date.now() - started} ms)${behindBefore === undefined ? '' : `; backlog ${behindBefore} records when it struck`}`);
    } catch (err) {
      faultLog.push(`${at()} ${kind} FAILED: ${(err as Error).message.slice(0, 400)}`);
    }
    note(faultLog.at(-1)!);
  };
  /** the registry answers schema lookups again (it answers 500 for about a minute after a PostgreSQL restart) */
  const registryReady = async () => {
    const url = `${stack.env.PROTEA_REGISTRY_URL}/subjects/${topic('jobs.events')}-value/versions/latest`;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if ((await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined))?.status === 200) return;
      await sleep(500);
    }
    faultLog.push(`${at()} registry FAILED: schema lookups still failing 180 s after the last server fault`);
  };

  const serverPlan = [...SERVER_PLAN].sort(() => r.next() - 0.5);
  let producing = true;
  const production = (async () => {
    for (let k = 0; k < Math.max(inputs.fasta.length, inputs.gaf.length); k++) {
      const f = inputs.fasta[k];
      const g = inputs.gaf[k];
      await Promise.all([
        f ? produceFile(['fasta', ...(f.querySet ? ['--query-set', f.querySet] : [])], f.file) : undefined,
        g ? produceFile(['gaf', '--source', 'chaos', '--version', g.version, '--ontology', OBO_VERSION], g.file) : undefined,
      ]);
      const kind = serverPlan.shift();
      if (kind) {
        await fault(kind);
        await registryReady();
      }
    }
    // a plan longer than the rounds: the rest after the last one
    for (const kind of serverPlan.splice(0)) await fault(kind);
  })().finally(() => {
    producing = false;
    note(`production done after ${at()}`);
  });

  // process faults all along, until production is done and at least MIN_FAULTS happened (every kind once, seeded order first)
  const firsts = [...PROCESS_KINDS].sort(() => r.next() - 0.5);
  const processFaults = (async () => {
    const deadline = Date.now() + FAULT_WINDOW_MS;
    while ((producing || total() < MIN_FAULTS || firsts.length > 0) && Date.now() < deadline) {
      await sleep(r.int(2_000, 6_000));
      await fault(firsts.shift() ?? r.pick(PROCESS_KINDS));
    }
  })();
  await Promise.all([production, processFaults]);
  note(`faults done after ${at()}`);
  await Promise.all(leaves);

  // ── settle: every lag 0 and the row counts stable ───────────────────────────
  const sinkTopics = Object.entries(SINK_TOPICS).map(([sink, id]) => ({ sink, topic: topic(id) }));
  const lags = async () => {
    const out: string[] = [];
    const ends = new Map<string, Map<number, bigint>>();
    for (const id of new Set([...Object.values(SINK_TOPICS), 'ingest.fasta'])) ends.set(topic(id), await logEnd(topic(id)));
    const stored = await q<{ sink: string; topic: string; partition: number; next_offset: string }>('SELECT sink, topic, partition, next_offset::text FROM sink_offsets');
    for (const { sink, topic: tp } of sinkTopics) {
      for (const [p, end] of ends.get(tp)!) {
        const row = stored.find((s) => s.sink === sink && s.topic === tp && s.partition === p);
        const next = row ? BigInt(row.next_offset) : 0n;
        if (next !== end) out.push(`sink ${sink} ${tp}[${p}] at ${next} of ${end}`);
      }
    }
    const group = `${stack.namespace}.dedup`;
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: group, topics: [topic('ingest.fasta')] }));
    for (const [p, end] of ends.get(topic('ingest.fasta'))!) {
      const o = committed[0]?.partitions.find((x) => x.partition === p)?.offset ?? '-1';
      const next = BigInt(o === '-1' ? 0 : o);
      if (next !== end) out.push(`group ${group} ${topic('ingest.fasta')}[${p}] at ${next} of ${end}`);
    }
    return out;
  };
  const counted = async () =>
    JSON.stringify(
      await q(`SELECT (SELECT count(*) FROM sequence) s, (SELECT count(*) FROM protein) p, (SELECT count(*) FROM protein_go_annotation) a,
                      (SELECT count(*) FROM query_set_entry) e, (SELECT sum(progress_current) FROM job) j`),
    );
  let behind: string[] = ['not probed'];
  let last = '';
  const settleDeadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    behind = await lags().catch((err: unknown) => [`probe failed: ${(err as Error).message}`]);
    const now = await counted().catch(() => '');
    if (behind.length === 0 && now === last) break;
    last = now;
    if (Date.now() > settleDeadline) break;
    await sleep(1_000);
  }
  stopping = true;
  note(`settled after ${at()}${behind.length ? ` (NOT settled: ${behind.slice(0, 5).join('; ')})` : ''}`);

  const why = `(seed ${seed}; replay with PROTEA_TEST_SEED=${seed})`;
  note(`faults: ${KINDS.map((k) => `${k} ${counts[k]}`).join(', ')}; total ${total()} ${why}`);
  for (const line of faultLog) t.comment(`  ${line}`);
  if (crashes.length) t.comment(`stage processes that exited by themselves (restarted by the supervisor):\n${crashes.join('\n')}`);
  t.ok(total() >= MIN_FAULTS, `at least ${MIN_FAULTS} faults injected (${total()}) ${why}`);
  for (const k of KINDS) t.ok(counts[k] >= 1, `fault ${k} happened (${counts[k]}) ${why}`);
  t.notOk(faultLog.some((l) => l.includes('FAILED')), `every fault was injected and recovered from ${why}`);

  // ── production ──────────────────────────────────────────────────────────────
  const expectedFiles = [OBO_FILE, ...inputs.fasta.map((f) => f.file), ...inputs.gaf.map((f) => f.file)];
  for (const file of expectedFiles) {
    const p = produced.find((x) => x.file === file);
    t.ok(p?.result.status === 0 && p.jobId, `protea produce ${path.basename(file)} succeeded ${why}`, { stdout: p?.result.stdout.slice(-800), stderr: p?.result.stderr.slice(-1500) });
  }
  for (const f of [...inputs.fasta, ...inputs.gaf]) {
    const p = produced.find((x) => x.file === f.file);
    if (p?.sent !== undefined) t.equal(p.sent, f.sent, `${path.basename(f.file)}: ${f.sent} records sent ${why}`);
  }

  // ── every record landed exactly once ────────────────────────────────────────
  t.same(behind, [], `every sink at its topics' log end and the dedup group's offsets at ingest.fasta's log end ${why}`);
  const [seqs] = await q<{ n: number; d: number }>('SELECT count(*)::int n, count(DISTINCT sequence_hash)::int d FROM sequence');
  t.same(seqs, { n: inputs.sequences.size, d: inputs.sequences.size }, `sequence: rows = distinct MD5s = ${inputs.sequences.size} distinct sequences produced ${why}`);
  const hashes = new Set((await q<{ h: string }>('SELECT sequence_hash h FROM sequence')).map((x) => x.h.trim()));
  t.equal([...inputs.sequences].filter((h) => !hashes.has(h)).length, 0, `every sequence produced has its row ${why}`);
  const [prots] = await q<{ n: number; d: number; unlinked: number }>('SELECT count(*)::int n, count(DISTINCT accession)::int d, count(*) FILTER (WHERE sequence_id IS NULL)::int unlinked FROM protein');
  t.same(prots, { n: inputs.accessions.size, d: inputs.accessions.size, unlinked: 0 }, `protein: rows = distinct accessions = ${inputs.accessions.size} good entries, all linked to their sequence ${why}`);
  const accs = new Set((await q<{ a: string }>('SELECT accession a FROM protein')).map((x) => x.a));
  t.equal([...inputs.accessions].filter((a) => !accs.has(a)).length, 0, `every good entry has its protein row ${why}`);
  const [ann] = await q<{ n: number; d: number }>('SELECT count(*)::int n, count(DISTINCT db_reference)::int d FROM protein_go_annotation');
  t.same(ann, { n: inputs.annotations, d: inputs.annotations }, `protein_go_annotation: rows = distinct keys = ${inputs.annotations} good GAF rows ${why}`);
  const [sets] = await q<{ n: number }>(`SELECT count(*)::int n FROM annotation_set WHERE source = 'chaos'`);
  t.equal(sets?.n, GAF_FILES, `one annotation set per GAF file ${why}`);
  const [terms] = await q<{ n: number; d: number }>('SELECT count(*)::int n, count(DISTINCT go_id)::int d FROM go_term');
  t.same(terms, { n: inputs.oboTerms, d: inputs.oboTerms }, `go_term: rows = distinct ids = ${inputs.oboTerms} terms of the release ${why}`);
  const [entries] = await q<{ n: number; d: number; pending: number }>('SELECT count(*)::int n, count(DISTINCT accession)::int d, (SELECT count(*)::int FROM query_set_entry_pending) pending FROM query_set_entry');
  t.same(entries, { n: inputs.querySetAccessions.size, d: inputs.querySetAccessions.size, pending: 0 }, `query_set_entry: rows = distinct accessions = ${inputs.querySetAccessions.size} good entries of the query set, none pending ${why}`);

  // ── every job succeeded, progress counted once per record ───────────────────
  const jobs = await q<Job>('SELECT id::text, operation, status, progress_current, progress_total FROM job ORDER BY created_at');
  const ours = produced.filter((p) => p.jobId).map((p) => p.jobId!);
  t.same(jobs.map((j) => j.id).sort(), [...ours].sort(), `the jobs are the ${ours.length} produce runs ${why}`);
  for (const j of jobs) {
    const p = produced.find((x) => x.jobId === j.id);
    const label = `job ${j.id} (${j.operation} ${p ? path.basename(p.file) : '?'})`;
    t.equal(j.status, 'succeeded', `${label}: succeeded ${why}`);
    t.equal(j.progress_total, p?.sent ?? null, `${label}: progress_total = records sent ${why}`);
    t.equal(j.progress_current, j.progress_total, `${label}: progress_current = progress_total (${j.progress_current}/${j.progress_total}) ${why}`);
  }

  // ── the dead-letter topics hold the deliberately bad records, nothing else ──────
  // Dead letters are at-least-once (sinks/runner.ts): a crash after a batch's letters were sent
  // and before its COMMIT (the before-commit fault point) sends them again when the batch is
  // redelivered. So: exactly the bad records, none missing, none unexpected; a record lettered
  // more than once only as the same source message (topic, partition, offset) again.
  const dlqIds = ['dlq.ingest', 'dlq.dedup', 'dlq.sinks', 'dlq.embedder', 'dlq.predictor', 'dlq.enricher'];
  const letters = await readToEnd(dlqIds.map(topic), { groupPrefix: `${stack.namespace}-chaos`, timeoutMs: 60_000 });
  for (const id of dlqIds) {
    const sources = new Map<string, Set<string>>();
    const got = (letters.get(topic(id)) ?? []).map((l) => {
      const v = l.value as DeadLetterRecord | undefined;
      const record = `${v?.file ?? '?'}:${v?.line ?? '?'} ${v?.error_code ?? l.error?.code ?? '?'}`;
      const source = `${v?.source_topic ?? '?'}/${v?.source_partition ?? '?'}@${v?.source_offset ?? '?'}`;
      sources.set(record, (sources.get(record) ?? new Set()).add(source));
      return record;
    });
    const want = inputs.letters.filter((x: ExpectedLetter) => x.dlq === id).map((x) => `${x.file}:${x.line} ${x.code}`);
    const unexpected = new Map<string, number>();
    for (const g of got) if (!want.includes(g)) unexpected.set(g.split(' ')[1]!, (unexpected.get(g.split(' ')[1]!) ?? 0) + 1);
    const twice = got.length - new Set(got).size;
    const summary = `${unexpected.size ? `; unexpected: ${[...unexpected].map(([code, n]) => `${n} × ${code}`).join(', ')}` : ''}${twice ? `; ${twice} letters repeated` : ''}`;
    t.same([...new Set(got)].sort(), [...new Set(want)].sort(), `${id}: exactly the ${want.length} deliberately bad records, none missing, none unexpected (${got.length} letters${summary}) ${why}`);
    const fromTwoMessages = [...sources].filter(([, s]) => s.size > 1).map(([record, s]) => `${record} from ${[...s].join(' and ')}`);
    t.same(fromTwoMessages, [], `${id}: a repeated letter is the same source message redelivered (at-least-once), never a second message ${why}`);
    if (twice > 0) note(`${id}: ${twice} letters repeated by redelivery after a crash between their send and the batch's commit`);
  }
  note(`wall time ${at()}`);
});
