// What `protea jobs ID`, `protea produce gaf` and the demo say about waits and
// dead letters, decided from rows: every branch with a fixed clock.
import t from 'tap';
import { deadLetterKey, deadLetterLines, jobStartMs, jobWait, pinnedReleaseWarning, type WaitContext } from '../../lib/job-status.js';
import type { OntologyReleaseRow } from '../../lib/queries/job-status.js';
import type { JobRow } from '../../lib/queries/jobs.js';
import { ONTOLOGY_WAIT_MINUTES } from '../../sinks/annotations.js';

const START = Date.UTC(2026, 0, 1, 10, 0, 0);
// a UUIDv7 whose time is START
const ID = `${START.toString(16).padStart(12, '0').replace(/^(.{8})(.{4})$/, '$1-$2')}-7000-8000-000000000000`;

const slim: OntologyReleaseRow = { obo_version: 'slim', term_count: 149, terms_loaded: 149, complete: true, loaded_at: START - 1000 };
const loading: OntologyReleaseRow = { obo_version: 'go-2026', term_count: 40_000, terms_loaded: 1_200, complete: false, loaded_at: START - 500 };

function job(over: Partial<JobRow>): JobRow {
  return {
    id: ID, operation: 'produce.gaf', queue_name: 'ingest', status: 'running', progress_current: 0, progress_total: 10,
    error_code: null, error_message: null, payload: { obo_version: 'missing' }, created_at: START, started_at: START, finished_at: null, ...over,
  };
}

const ctx = (now: number, over: Partial<WaitContext> = {}): WaitContext => ({
  activity: { last_event_at: START, events: 2, last_sink_commit_at: null },
  releases: [slim, loading],
  now,
  namespace: 'ns',
  ...over,
});

t.test('jobStartMs reads the run start from a UUIDv7 and nothing else', async (t) => {
  t.equal(jobStartMs(ID), START);
  t.equal(jobStartMs('not-a-uuid'), null);
  t.equal(jobStartMs('0189d6e4-8a1b-4c3d-8e5f-000000000000'), null, 'a UUIDv4 has no time');
});

t.test('a GAF job pinned to a missing release waits until the run start plus the sink\'s wait, then its rows are dead-lettered', async (t) => {
  const before = jobWait(job({}), ctx(START + 60_000));
  t.match(before, `waits for ontology release missing, which is not loaded (loaded: slim (149 terms), go-2026 (still loading: 1,200 of 40,000 terms))`);
  const deadline = new Date(START + ONTOLOGY_WAIT_MINUTES * 60_000).toISOString().replace('T', ' ').slice(0, 19);
  t.match(before, `held until ${deadline} UTC (${ONTOLOGY_WAIT_MINUTES - 1} min 0 s from now), then dead-lettered to ns.dlq.sinks`);
  t.match(before, /protea produce obo FILE/);
  const after = jobWait(job({}), ctx(START + (ONTOLOGY_WAIT_MINUTES + 1) * 60_000));
  t.match(after, `ontology release missing was not loaded within ${ONTOLOGY_WAIT_MINUTES} minutes of the run`);
  t.match(after, 'dead-lettered to ns.dlq.sinks as the annotations sink reaches them');
  t.match(jobWait(job({ payload: { obo_version: 'missing', topic: 'other.ingest.gaf' } }), ctx(START)), 'dead-lettered to other.dlq.sinks', 'the namespace the job produced to');
});

t.test('a GAF job pinned to a release still loading waits for it; one pinned to a loaded release does not', async (t) => {
  t.match(jobWait(job({ payload: { obo_version: 'go-2026' } }), ctx(START + 1000)), 'waits for ontology release go-2026 to finish loading (1200 of 40000 terms landed)');
  t.equal(jobWait(job({ payload: { obo_version: 'slim' } }), ctx(START + 1000)), null, 'recent events: moving');
});

t.test('a running job with records outstanding and no sign of life waits for the pipeline', async (t) => {
  const fasta = job({ operation: 'produce.fasta', payload: {}, progress_current: 3 });
  t.equal(jobWait(fasta, ctx(START + 10_000)), null, 'within the stall time');
  t.match(jobWait(fasta, ctx(START + 120_000)), 'waiting for the pipeline: 3 of 10 records landed, no event for 2 min 0 s and no sink has committed a batch: is `protea pipeline` running?');
  t.equal(jobWait(fasta, ctx(START + 120_000, { activity: { last_event_at: START, events: 2, last_sink_commit_at: START + 110_000 } })), null, 'a sink committed 10 s ago: the pipeline runs');
  t.match(jobWait(fasta, ctx(START + 120_000, { activity: { last_event_at: START, events: 2, last_sink_commit_at: START + 60_000 } })), 'no sink has committed a batch for 1 min 0 s');
  t.match(jobWait({ ...fasta, progress_total: null }, ctx(START + 120_000)), '3 records landed, total not known yet');
  t.equal(jobWait({ ...fasta, progress_current: 10 }, ctx(START + 120_000)), null, 'nothing outstanding');
});

t.test('queued jobs wait to start; finished jobs wait for nothing', async (t) => {
  t.match(jobWait(job({ status: 'queued', queue_name: 'evaluation', started_at: null }), ctx(START + 3_700_000)), 'queued for 1 h 1 min in evaluation: not started yet');
  for (const status of ['succeeded', 'failed', 'cancelled']) t.equal(jobWait(job({ status }), ctx(START + 3_700_000)), null, status);
});

t.test('the produce gaf warning: none for a complete release; missing and loading say what happens and what to do', async (t) => {
  t.equal(pinnedReleaseWarning('slim', [slim]), null);
  const missing = pinnedReleaseWarning('go-2099', [slim], { namespace: 'ns' });
  t.match(missing, /^warning: ontology release go-2099 is not loaded; loaded releases: slim \(149 terms\)\./);
  t.match(missing, `for up to ${ONTOLOGY_WAIT_MINUTES} minutes after this run starts, then sends them to ns.dlq.sinks`);
  t.match(missing, '--obo-version go-2099');
  t.match(pinnedReleaseWarning('go-2099', [], { namespace: 'ns' }), 'loaded releases: none.');
  t.match(pinnedReleaseWarning('go-2026', [slim, loading]), /still loading \(1200 of 40000 terms landed\).*holds these rows until the release is complete/s);
});

t.test('dead-letter lines: count, noun, reason (the caller\'s, the code\'s, else the first message), code and topic', async (t) => {
  const lines = deadLetterLines(
    [
      { operation: 'produce.gaf', stage: 'sinks', error_code: 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN', n: 31, example: 'GO:1 is neither…' },
      { operation: 'produce.taxonomy', stage: 'ingest', error_code: 'PROTEA_ERR_INPUT_INVALID', n: 1, example: 'tax_id: bad' },
      { operation: 'produce.fasta', stage: 'dedup', error_code: 'PROTEA_ERR_SOMETHING_NEW', n: 2, example: 'a new kind of failure' },
      { operation: 'evaluation.run', stage: null, error_code: null, n: 1, example: null },
    ],
    { namespace: 'protea', reasons: { [deadLetterKey('produce.gaf', 'sinks', 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN')]: 'GO id not in the demo GO slim' } },
  );
  t.same(lines.map((l) => l.text), [
    '31 annotation rows dead-lettered: GO id not in the demo GO slim (PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN); see protea.dlq.sinks',
    '1 taxonomy line dead-lettered: malformed line (PROTEA_ERR_INPUT_INVALID); see protea.dlq.ingest',
    '2 FASTA records dead-lettered: a new kind of failure (PROTEA_ERR_SOMETHING_NEW); see protea.dlq.dedup',
    '1 record dead-lettered: no reason given',
  ]);
  t.same(lines.map((l) => l.explained), [true, false, false, false], 'explained: only what the caller gave a reason for');
});
