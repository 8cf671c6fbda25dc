// protea demo: what `npm run demo` runs. Brings the stack up, migrates the
// database, creates topics and schemas, runs the pipeline in this process,
// produces the bundled real data (demo/: GO slim, NCBI taxonomy subtree,
// UniProt FASTA, a GAF) and prints what landed in PostgreSQL.
import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT, config } from '../../lib/config.js';
import { adminQuery } from '../../lib/db.js';
import { migrate } from '../../lib/migrate.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { SINKS } from '../../sinks/main.js';
import { formatStatus, stackStatus, stackUp } from '../../stack/stack.js';
import { createTopics } from '../../topics/create.js';
import { produce, type ProduceRun } from '../../topics/produce.js';
import { startStages, stageNames } from './pipeline.js';
import { fastaRun, gafRun, oboRun, taxonomyRun } from './produce.js';

const demo = (file: string) => path.join(PROJECT_ROOT, 'demo', file);
export const DEMO_OBO_VERSION = 'goslim_generic-demo';

interface DemoInput {
  what: string;
  /** the sink that completes its job */
  sink: string;
  run: () => ProduceRun<never, unknown>;
}

const INPUTS: DemoInput[] = [
  { what: 'GO slim (OBO)', sink: 'ontology', run: () => oboRun(demo('goslim_generic.obo'), { version: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: 'NCBI taxonomy, Mammalia', sink: 'taxonomy', run: () => taxonomyRun(demo('nodes.dmp.gz'), demo('names.dmp.gz')) as ProduceRun<never, unknown> },
  { what: 'UniProt FASTA', sink: 'proteins', run: () => fastaRun(demo('uniprot-multi_ex.fasta'), {}) as ProduceRun<never, unknown> },
  { what: 'E. coli Swiss-Prot FASTA as a query set', sink: 'proteins', run: () => fastaRun(demo('fantasia-ecoli-swissprot-33.fasta'), { querySet: 'ecoli-demo' }) as ProduceRun<never, unknown> },
  { what: 'GOA-style GAF', sink: 'annotations', run: () => gafRun(demo('oak-test-uniprot.gaf'), { source: 'goa', version: 'demo', ontology: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
];

const COUNTED_TABLES = ['sequence', 'protein', 'query_set', 'query_set_entry', 'ontology_snapshot', 'go_term', 'go_term_relationship', 'annotation_set', 'protein_go_annotation', 'taxonomy', 'job', 'job_event'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('bring up the local stack and run the ingest pipeline on the bundled demo data, then print what landed (idempotent)')
    .option('--timeout <seconds>', 'how long to wait for the jobs to complete', '180')
    .action(async (opts: { timeout: string }) => {
      const cfg = config();
      const t0 = Date.now();
      console.log('1/5 local stack');
      await stackUp(cfg, (line) => console.log(`    ${line}`));

      console.log('2/5 database migrations');
      const m = await migrate(cfg.dbUrl, { onStep: (line) => console.log(`    ${line}`) });
      console.log(`    schema at version ${m.version}`);

      console.log('3/5 topics and schemas');
      const topics = await createTopics();
      console.log(`    ${topics.length} topics (${topics.filter((r) => r.action === 'created').length} created now)`);

      console.log(`4/5 pipeline: ${stageNames().join(', ')}`);
      const stages = await startStages();
      const producer = new TopicProducer();
      try {
        console.log('5/5 producing the demo data (demo/ATTRIBUTION.md says where it comes from)');
        const jobs: { id: string; what: string }[] = [];
        for (const input of INPUTS) {
          if (!SINKS[input.sink]) {
            console.log(`    ${input.what}: skipped (no ${input.sink} sink in this build)`);
            continue;
          }
          const r = await produce(input.run(), { producer });
          jobs.push({ id: r.jobId, what: input.what });
          console.log(`    ${input.what}: ${r.sent} records sent, ${r.rejected} rejected by the reader (job ${r.jobId})`);
        }
        const deadline = Date.now() + Number(opts.timeout) * 1000;
        let rows: { id: string; status: string; progress_current: number | null; progress_total: number | null }[] = [];
        for (;;) {
          rows = await adminQuery(cfg.dbUrl, 'SELECT id::text, status, progress_current, progress_total FROM job WHERE id = ANY($1::uuid[])', [jobs.map((j) => j.id)]);
          const done = rows.filter((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)).length;
          process.stderr.write(`\r    jobs complete: ${done}/${jobs.length}`);
          if (done === jobs.length || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        process.stderr.write('\n');
        console.log('\njobs:');
        for (const j of jobs) {
          const r = rows.find((x) => x.id === j.id);
          console.log(`  ${j.id}  ${(r?.status ?? 'not seen yet').padEnd(9)}  ${`${r?.progress_current ?? 0}/${r?.progress_total ?? '?'}`.padStart(11)}  ${j.what}`);
        }
        console.log('\nrows in PostgreSQL:');
        for (const table of COUNTED_TABLES) {
          const [c] = await adminQuery<{ n: number }>(cfg.dbUrl, `SELECT count(*)::int AS n FROM ${table}`);
          console.log(`  ${table.padEnd(22)} ${String(c?.n ?? 0).padStart(7)}`);
        }
      } finally {
        await producer.disconnect();
        await Promise.allSettled(stages.map((s) => s.stop()));
      }
      console.log(`\n${formatStatus(await stackStatus(cfg))}`);
      console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(1)} s. Try: npx protea jobs; psql ${cfg.dbUrl}; npx protea stack down`);
    });
}
