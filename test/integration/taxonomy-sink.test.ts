// The taxonomy sink on the real stack: the bundled NCBI Mammalia subset
// (demo/nodes.dmp.gz + names.dmp.gz) produced with `protea produce taxonomy`'s
// run into a fresh topic namespace, sunk into a fresh database with the jobs
// sink beside it. Expected numbers come from the reader's tests
// (test/unit/parsers-taxonomy.test.ts) and from awk over nodes.dmp.
import path from 'node:path';
import t from 'tap';
import { taxonomyRun } from '../../topics/ingest-runs.js';
import { uuidv7 } from '../../lib/ids.js';
import type { IngestTaxonomyRecord } from '../../schemas/generated/types.js';
import { jobsSink } from '../../sinks/jobs.js';
import { runSink, type SinkRunner } from '../../sinks/runner.js';
import { taxonomySink } from '../../sinks/taxonomy.js';
import { topicName } from '../../topics/catalogue.js';
import { produce } from '../../topics/produce.js';
import { freshSinkStack } from '../helpers/fresh-sink-stack.js';
import { caughtUp, jobReaches } from '../helpers/sink-progress.js';

const stack = freshSinkStack(t, { poolSize: 2 });
const { namespace, producer, query } = stack;
const NODES = path.resolve('demo/nodes.dmp.gz');
const NAMES = path.resolve('demo/names.dmp.gz');

const runners: SinkRunner<unknown>[] = [];
// tap runs teardowns last-registered first: the runners stop before the stack's teardown drops their topics
t.teardown(async () => {
  for (const r of runners) await r.stop();
});

const dump = () => query('SELECT xmin::text AS v, * FROM taxonomy ORDER BY tax_id');

t.test('start the taxonomy and jobs sinks', async () => {
  runners.push(await runSink(taxonomySink, { namespace, dbUrl: stack.url, groupId: `${namespace}-taxonomy`, sessionTimeoutMs: 6000, maxRecords: 1000 }) as SinkRunner<unknown>);
  runners.push(await runSink(jobsSink, { namespace, dbUrl: stack.url, groupId: `${namespace}-jobs`, sessionTimeoutMs: 6000 }) as SinkRunner<unknown>);
});

t.test('the Mammalia subset: 12,099 nodes land, the corrupt names.dmp line is rejected by the reader, the job succeeds', async (t) => {
  const report = await produce(taxonomyRun(NODES, NAMES), { producer, namespace, progress: null });
  t.equal(report.sent, 12099);
  t.equal(report.rejected, 1);
  t.match(report.examples[0], { line: 24766, field: 'tax_id' }, 'names.dmp line 24766 (a run of NUL bytes)');
  await caughtUp(runners[0]!);

  const [c] = await query<{ n: number; named: number; orphans: number }>(
    `SELECT count(*)::int AS n, count(scientific_name)::int AS named,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM taxonomy p WHERE p.tax_id = t.parent_tax_id))::int AS orphans
       FROM taxonomy t`,
  );
  t.same(c, { n: 12099, named: 12099, orphans: 8 }, 'every node named; 8 nodes whose parent is outside the subset (awk over nodes.dmp)');
  t.same(await query('SELECT * FROM taxonomy WHERE tax_id IN (1, 9606, 10090, 10116) ORDER BY tax_id'), [
    { tax_id: 1, parent_tax_id: 1, rank: 'no rank', scientific_name: 'root' },
    { tax_id: 9606, parent_tax_id: 9605, rank: 'species', scientific_name: 'Homo sapiens' },
    { tax_id: 10090, parent_tax_id: 862507, rank: 'species', scientific_name: 'Mus musculus' },
    { tax_id: 10116, parent_tax_id: 10114, rank: 'species', scientific_name: 'Rattus norvegicus' },
  ]);
  const ranks = Object.fromEntries((await query<{ rank: string; n: number }>("SELECT rank, count(*)::int AS n FROM taxonomy WHERE rank IN ('species', 'subspecies', 'genus') GROUP BY 1")).map((r) => [r.rank, r.n]));
  t.same(ranks, { species: 8108, subspecies: 1915, genus: 1300 });
  const lineage = await query<{ label: string }>(
    `WITH RECURSIVE up AS (
       SELECT tax_id, parent_tax_id, rank, scientific_name, 0 AS depth FROM taxonomy WHERE tax_id = 9606
       UNION ALL
       SELECT t.tax_id, t.parent_tax_id, t.rank, t.scientific_name, up.depth + 1 FROM taxonomy t JOIN up ON t.tax_id = up.parent_tax_id WHERE up.tax_id <> up.parent_tax_id)
     SELECT rank || ':' || scientific_name AS label FROM up ORDER BY depth`,
  );
  t.same(lineage.slice(0, 4).map((r) => r.label), ['species:Homo sapiens', 'genus:Homo', 'subfamily:Homininae', 'family:Hominidae']);
  t.equal(lineage.at(-1)?.label, 'no rank:root');
  t.ok(lineage.some((r) => r.label === 'class:Mammalia'));

  t.same(await jobReaches(query, report.jobId, 'succeeded'), { status: 'succeeded', progress_current: 12099, progress_total: 12099 }, 'the produce job succeeded once its 12,099 records landed');
  const events = await query<{ line: string; file: string }>("SELECT fields->>'line' AS line, fields->>'file' AS file FROM job_event WHERE job_id = $1 AND event = 'dead_letter'", [report.jobId]);
  t.same(events.map((e) => [e.line, path.basename(e.file)]), [['24766', 'names.dmp.gz']], 'the reject is an event of the job');
});

t.test('producing the same dump again changes no row', async (t) => {
  const before = await dump();
  const report = await produce(taxonomyRun(NODES, NAMES), { producer, namespace, progress: null });
  await caughtUp(runners[0]!);
  t.same(await dump(), before, 'row versions included');
  t.same(await jobReaches(query, report.jobId, 'succeeded'), { status: 'succeeded', progress_current: 12099, progress_total: 12099 });
});

t.test('the last record of a tax_id wins; an empty name is NULL; an id that is no taxonomy id goes to the DLQ', async (t) => {
  const topic = topicName('ingest.taxonomy', namespace);
  const jobId = uuidv7();
  const node = (tax_id: number, parent_tax_id: number, rank: string, scientific_name: string): { key: string; value: IngestTaxonomyRecord } => ({
    key: String(tax_id),
    value: { tax_id, parent_tax_id, rank, scientific_name, job_id: jobId },
  });
  const original = (await query('SELECT * FROM taxonomy WHERE tax_id = 9606'))[0];
  const before = runners[0]!.metrics.deadLettered;
  await producer.send(topic, [node(9606, 9605, 'species', 'first'), node(9606, 9605, 'species', 'Homo sapiens (renamed)'), node(2000000001, 9606, 'no rank', ''), node(0, 1, 'no rank', 'zero')]);
  await caughtUp(runners[0]!);
  t.same(await query('SELECT * FROM taxonomy WHERE tax_id IN (9606, 2000000001) ORDER BY tax_id'), [
    { tax_id: 9606, parent_tax_id: 9605, rank: 'species', scientific_name: 'Homo sapiens (renamed)' },
    { tax_id: 2000000001, parent_tax_id: 9606, rank: 'no rank', scientific_name: null },
  ]);
  t.equal(runners[0]!.metrics.deadLettered - before, 1, 'tax_id 0 dead-lettered');
  t.equal((await query<{ n: number }>('SELECT count(*)::int AS n FROM taxonomy WHERE tax_id = 0'))[0]?.n, 0);
  t.same(await query('SELECT progress_current FROM job WHERE id = $1', [jobId]), [{ progress_current: 3 }], 'the landed records counted toward their job');
  await producer.send(topic, [node(9606, 9605, 'species', 'Homo sapiens')]);
  await caughtUp(runners[0]!);
  t.same((await query('SELECT * FROM taxonomy WHERE tax_id = 9606'))[0], original, 'and back');
});

t.test('stop the sinks', async (t) => {
  for (const r of runners.splice(0)) await r.stop();
  await stack.endPool();
  t.pass();
});
