// Output for people, on the real stack (fresh namespace, fresh database):
// `protea produce gaf` pinned to an ontology release that is not loaded says
// so before it sends anything (and says it could not check when PostgreSQL is
// away), and `protea jobs ID` says what a job waits for: its ontology release,
// the pipeline, or its start.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t, { type Test } from 'tap';
import { oboRun } from '../../topics/ingest-runs.js';
import { PROJECT_ROOT } from '../../lib/config.js';
import { uuidv7 } from '../../lib/ids.js';
import { jobsSink } from '../../sinks/jobs.js';
import { ontologySink } from '../../sinks/ontology.js';
import { ONTOLOGY_WAIT_MINUTES } from '../../sinks/annotations.js';
import { runSink, type SinkRunner } from '../../sinks/runner.js';
import { produce } from '../../topics/produce.js';
import { freshSinkStack } from '../helpers/fresh-sink-stack.js';
import { until } from '../helpers/poll.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'protea.js');
const SLIM = path.join(PROJECT_ROOT, 'demo', 'goslim_generic.obo');
const GAF = path.join(PROJECT_ROOT, 'demo', 'oak-test-uniprot.gaf');
const GAF_ROWS = 232; // demo/ATTRIBUTION.md
const RELEASE = 'job-waits-slim';

const stack = freshSinkStack(t, { poolSize: 2 });
const runners: SinkRunner<unknown>[] = [];
t.teardown(async () => {
  for (const r of runners) await r.stop();
});

/** The built CLI, run as a user would, on this test's database and namespace (async: the sinks run in this process). */
function protea(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PROTEA_DB_URL: stack.url, PROTEA_TOPIC_NAMESPACE: stack.namespace, PROTEA_LOG_LEVEL: 'warn', CI: 'true', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function exitsZero(t: Test, r: { code: number | null; stderr: string }): void {
  t.equal(r.code, 0, 'exit code 0');
  if (r.code !== 0) t.comment(`stderr tail:\n${r.stderr.slice(-2000)}`);
}

const waitingLine = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('  waiting   ')) ?? null;

t.test('protea jobs ID: a queued job, a job the pipeline left behind, and a moving job', async (t) => {
  // rows as the jobs sink leaves them, before any sink of this database has run
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000);
  const queued = uuidv7();
  const stalled = uuidv7();
  const moving = uuidv7();
  await stack.query(
    `INSERT INTO job (id, operation, queue_name, status, progress_current, progress_total, created_at, started_at) VALUES
       ($1, 'evaluation.run', 'evaluation', 'queued', NULL, NULL, $4, NULL),
       ($2, 'produce.fasta', 'ingest', 'running', 3, 10, $4, $4),
       ($3, 'produce.fasta', 'ingest', 'running', 3, 10, $4, $4)`,
    [queued, stalled, moving, fiveMinutesAgo],
  );

  const q = await protea(['jobs', queued]);
  exitsZero(t, q);
  t.match(waitingLine(q.stdout), /^ {2}waiting {3}queued for 5 min \d+ s in evaluation: not started yet/, 'a queued job: for how long, in which queue');

  const s = await protea(['jobs', stalled]);
  exitsZero(t, s);
  t.match(waitingLine(s.stdout), /waiting for the pipeline: 3 of 10 records landed, no event for 5 min \d+ s and no sink has committed a batch: is `protea pipeline` running\?/, 'a running job nobody works on');
  const json = await protea(['jobs', stalled, '--json']);
  t.match(JSON.parse(json.stdout) as object, { id: stalled, status: 'running', waiting: /^waiting for the pipeline/ }, '--json has the same line');

  // an event just now (the CLI starts in well under the 30 s that count as a stall)
  await stack.query(`INSERT INTO job_event (job_id, event, level, stage, ts) VALUES ($1, 'progress', 'info', 'ingest', now())`, [moving]);
  const m = await protea(['jobs', moving]);
  exitsZero(t, m);
  t.equal(waitingLine(m.stdout), null, 'a job with a recent event does not wait');
  t.match(m.stdout, /status {4}running\n {2}progress {2}3\/10/);
});

t.test('produce gaf pinned to a release that is not loaded: warned before sending, and the job says what it waits for', async (t) => {
  runners.push((await runSink(ontologySink, { namespace: stack.namespace, dbUrl: stack.url, groupId: `${stack.namespace}-ontology`, sessionTimeoutMs: 6000 })) as SinkRunner<unknown>);
  runners.push((await runSink(jobsSink, { namespace: stack.namespace, dbUrl: stack.url, groupId: `${stack.namespace}-jobs`, sessionTimeoutMs: 6000 })) as SinkRunner<unknown>);
  await produce(oboRun(SLIM, { version: RELEASE }), { producer: stack.producer, namespace: stack.namespace, progress: null });
  await until('the GO slim loaded', () => stack.query<{ complete: boolean }>('SELECT complete FROM ontology_snapshot_status WHERE obo_version = $1', [RELEASE]), (r) => r[0]?.complete === true);

  const loaded = await protea(['produce', 'gaf', GAF, '--source', 'goa', '--version', 'waits-1', '--ontology', RELEASE]);
  exitsZero(t, loaded);
  t.notMatch(loaded.stderr, /ontology release/, 'a loaded release: no warning');

  const missing = 'go-2099-01-01';
  const r = await protea(['produce', 'gaf', GAF, '--source', 'goa', '--version', 'waits-2', '--ontology', missing]);
  exitsZero(t, r);
  t.match(r.stderr, `warning: ontology release ${missing} is not loaded; loaded releases: ${RELEASE} (149 terms).`, 'names the pinned release and the loaded ones');
  t.match(r.stderr, `holds these rows for up to ${ONTOLOGY_WAIT_MINUTES} minutes after this run starts, then sends them to ${stack.namespace}.dlq.sinks`, 'how long the rows wait, and where they go then');
  t.match(r.stderr, /protea produce obo FILE/, 'what to do');
  t.ok(r.stderr.indexOf('warning: ontology release') < r.stderr.indexOf('oak-test-uniprot.gaf'), 'said before the records are sent (the progress line comes after)');
  const job = /^job ([0-9a-f-]{36}): (\d+) records/m.exec(r.stdout);
  t.equal(Number(job?.[2]), GAF_ROWS, 'and the rows are sent anyway');
  const jobId = job?.[1] ?? '';

  // the jobs sink records the job; no annotations sink runs, so its rows wait
  await until('the GAF job recorded', () => stack.query<{ progress_total: number | null }>('SELECT progress_total FROM job WHERE id = $1', [jobId]), (rows) => rows[0]?.progress_total === GAF_ROWS);
  const shown = await protea(['jobs', jobId]);
  exitsZero(t, shown);
  const line = waitingLine(shown.stdout) ?? '';
  t.match(line, `waits for ontology release ${missing}, which is not loaded (loaded: ${RELEASE} (149 terms))`, 'the job waits for its release');
  t.match(line, new RegExp(`held until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\((\\d+ min )?\\d+ s from now\\), then dead-lettered to ${stack.namespace}\\.dlq\\.sinks`), 'until when, and where the rows go then');
  const deadline = Date.parse(`${/held until ([\d-]+ [\d:]+) UTC/.exec(line)?.[1] ?? ''}Z`);
  const start = parseInt(jobId.replace(/-/g, '').slice(0, 12), 16);
  t.ok(Math.abs(deadline - (start + ONTOLOGY_WAIT_MINUTES * 60_000)) < 1000, 'the deadline is the run start (the job id\'s time) plus the wait the sink allows');
});

t.test('produce gaf with PostgreSQL away: it says it could not check, and produces', async (t) => {
  const r = await protea(['produce', 'gaf', GAF, '--source', 'goa', '--version', 'waits-3', '--ontology', 'any-release'], { PROTEA_DB_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
  exitsZero(t, r);
  t.match(r.stderr, /could not check whether ontology release any-release is loaded \(PROTEA_ERR_DB_UNAVAILABLE/, 'says it could not check, and why');
  t.match(r.stdout, new RegExp(`^job [0-9a-f-]{36}: ${GAF_ROWS} records`, 'm'), 'and goes on');
});

t.test('protea jobs ID for a job the jobs sink has not recorded says where it may be', async (t) => {
  const r = await protea(['jobs', uuidv7()]);
  t.equal(r.code, 1);
  t.match(r.stderr, /no job .* is `protea pipeline` running\?/s);
});
