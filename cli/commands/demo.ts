// protea demo: what `npm run demo` runs. Brings the stack up, migrates the
// database, creates topics and schemas, runs the pipeline in this process,
// produces the bundled real data (demo/: GO slim, NCBI taxonomy subtree,
// UniProt FASTA, a GAF) and prints what landed in PostgreSQL; then evaluates an
// imperfect predictor and the naive baseline on the temporal holdout between
// two versions of the demo GAF (demo/evaluation/README.md).
import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT, config } from '../../lib/config.js';
import { naiveBaseline } from '../../evaluation/baselines.js';
import { formatResultsTable } from '../../evaluation/report.js';
import { DEFAULT_EVALUATION_OPTIONS } from '../../evaluation/types.js';
import { adminQuery, createCopyPool, createQueryPool } from '../../lib/db.js';
import { migrate } from '../../lib/migrate.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { SINKS } from '../../pipeline/stages.js';
import { formatStatus, stackStatus, stackUp } from '../../stack/stack.js';
import { createTopics } from '../../topics/create.js';
import { produce, type ProduceRun } from '../../topics/produce.js';
import { importPredictions } from './evaluate-import.js';
import { runEvaluation, writeRunOutputs } from './evaluate-run.js';
import { createEvaluationSet } from './evaluate-set.js';
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
  { what: 'the same GAF, rows annotated before 2012 (older version)', sink: 'annotations', run: () => gafRun(demo('evaluation/annotations-before-2012.gaf'), { source: 'goa-demo', version: 'before-2012', ontology: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: 'the same GAF, every row (newer version)', sink: 'annotations', run: () => gafRun(demo('evaluation/annotations-full.gaf'), { source: 'goa-demo', version: 'full', ontology: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
];

/** Step 6: the temporal holdout between the two GAF versions, an imported predictor and the naive baseline. */
async function demoEvaluation(dbUrl: string, outDir: string): Promise<void> {
  const db = await createQueryPool(dbUrl, { maximumPoolSize: 2 });
  const copyPool = createCopyPool(dbUrl, 1);
  try {
    const set = await createEvaluationSet({ old: 'goa-demo@before-2012', new: 'goa-demo@full', ontology: DEMO_OBO_VERSION }, { db, job: null, progress: null });
    const counts = Object.entries(set.stats.categories).map(([c, v]) => `${c} ${v.proteins}`).join(', ');
    console.log(`    evaluation set ${set.id}: target proteins ${counts}`);
    const imported = await importPredictions({ file: demo('evaluation/predictions-cafa.tsv'), format: 'cafa', name: 'demo-predictor', ontology: DEMO_OBO_VERSION }, { db, copyPool, progress: null });
    console.log(`    prediction set ${imported.predictionSetId} (${imported.name}): ${imported.predictions} predictions for ${imported.proteins} proteins`);
    const report = await runEvaluation(
      { set: set.id, predictions: imported.predictionSetId, prop: DEFAULT_EVALUATION_OPTIONS.prop, norm: DEFAULT_EVALUATION_OPTIONS.norm, thStep: DEFAULT_EVALUATION_OPTIONS.thStep, noRoots: false, baselines: [naiveBaseline] },
      { db, progress: null },
    );
    const docs = report.results.map((r) => r.document);
    console.log(`\n${formatResultsTable(docs).replace(/^/gm, '    ')}`);
    const files = await writeRunOutputs(outDir, docs, 'demo: goa-demo@before-2012 -> goa-demo@full');
    console.log(`\n    ${files.length} files (results.tsv, curves.tsv, precision-recall plots) in ${outDir}`);
  } finally {
    await copyPool.end().catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}

const COUNTED_TABLES = ['sequence', 'protein', 'query_set', 'query_set_entry', 'ontology_snapshot', 'go_term', 'go_term_relationship', 'annotation_set', 'protein_go_annotation', 'taxonomy', 'job', 'job_event'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('bring up the local stack, run the ingest pipeline on the bundled demo data and print what landed, then evaluate a predictor and the naive baseline on a temporal holdout of the demo annotations (repeatable)')
    .option('--timeout <seconds>', 'how long to wait for the jobs to complete', '180')
    .option('--out <dir>', 'where the evaluation step writes results.tsv, curves.tsv and the precision-recall plots (default: <PROTEA_STATE_DIR>/demo-evaluation)')
    .action(async (opts: { timeout: string; out?: string }) => {
      const cfg = config();
      const t0 = Date.now();
      console.log('1/6 local stack');
      await stackUp(cfg, (line) => console.log(`    ${line}`));

      console.log('2/6 database migrations');
      const m = await migrate(cfg.dbUrl, { onStep: (line) => console.log(`    ${line}`) });
      console.log(`    schema at version ${m.version}`);

      console.log('3/6 topics and schemas');
      const topics = await createTopics();
      console.log(`    ${topics.length} topics (${topics.filter((r) => r.action === 'created').length} created now)`);

      console.log(`4/6 pipeline: ${stageNames().join(', ')}`);
      const stages = await startStages();
      const producer = new TopicProducer();
      try {
        console.log('5/6 producing the demo data (demo/ATTRIBUTION.md says where it comes from)');
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
        console.log('\n6/6 evaluation: older vs newer demo GAF (NK/LK/PK targets), an imported predictor and the naive baseline');
        await demoEvaluation(cfg.dbUrl, path.resolve(opts.out ?? path.join(cfg.stateDir, 'demo-evaluation')));
      } finally {
        await producer.disconnect();
        await Promise.allSettled(stages.map((s) => s.stop()));
      }
      console.log(`\n${formatStatus(await stackStatus(cfg))}`);
      console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(1)} s. Try: npx protea jobs; psql ${cfg.dbUrl}; npx protea stack down`);
    });
}
