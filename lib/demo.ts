// The demo's steps (`protea demo`, `npm run demo`): brings the stack up,
// migrates the database, creates topics and schemas, runs the pipeline in
// this process, produces the bundled real data (demo/: GO slim, NCBI taxonomy
// subtree, UniProt FASTA, a GAF) and reports what landed in PostgreSQL; then
// evaluates an imperfect predictor and the naive baseline on the temporal
// holdout between two versions of the demo GAF (demo/evaluation/README.md).
// Every sequence is embedded on the way under the default embedding config
// (the weight-free k-mer backend), created and activated by the demo.
//
// The demo data holds known bad records (demo/ATTRIBUTION.md): the stages
// dead-letter them and log a warning each. Those logs go to a file under the
// state folder while the demo runs, and the demo reports the dead letters as
// one line per stage and error code instead. The CLI prints the events and
// the result; test/integration/demo.test.ts checks them.
import path from 'node:path';
import { naiveBaseline } from '../evaluation/baselines.js';
import { formatResultsTable } from '../evaluation/report.js';
import { DEFAULT_EVALUATION_OPTIONS } from '../evaluation/types.js';
import { importPredictions } from '../evaluation/import.js';
import { runEvaluation, writeRunOutputs } from '../evaluation/run.js';
import { createEvaluationSet } from '../evaluation/sets.js';
import { SINKS, startStages, stageNames } from '../pipeline/stages.js';
import { fastaRun, gafRun, oboRun, taxonomyRun } from '../topics/ingest-runs.js';
import { formatStatus, stackStatus, stackUp } from '../stack/stack.js';
import { createTopics } from '../topics/create.js';
import { produce, type ProduceRun } from '../topics/produce.js';
import { PROJECT_ROOT, type Config } from './config.js';
import { adminQuery, createCopyPool, createQueryPool, withQueryPool } from './db.js';
import { deadLetterKey, jobDeadLetterLines, type DeadLetterLine } from './job-status.js';
import { captureLogs } from './log.js';
import { migrate } from './migrate.js';
import { TopicProducer } from './topic-producer.js';
import { createEmbeddingConfig, setEmbeddingConfigActive, type EmbeddingConfigRow } from './queries/embedding-configs.js';
import { embeddingCounts } from './queries/sequence-embeddings.js';
import { recipeFromInput } from '../processors/embedder/recipe.js';
import { startPrediction, waitForPrediction } from '../processors/predictor/predict-job.js';
import { FEATURE_FAMILIES } from '../processors/predictor/params.js';
import { defaultScoreMap } from '../processors/predictor/transfer.js';
import { topPredictions } from './queries/prediction-sets.js';

const demoFile = (file: string) => path.join(PROJECT_ROOT, 'demo', file);
export const DEMO_OBO_VERSION = 'goslim_generic-demo';
/** The flat release of the CAFA3 ground-truth terms the prediction demo's references are annotated on (demo/predict). */
export const DEMO_PREDICT_OBO_VERSION = 'cafa3-groundtruth-flat';
export const DEMO_PREDICT_QUERY_SET = 'cafa3-demo-queries';
export const DEMO_PREDICT_ANNOTATIONS = 'cafa3-demo@1';

interface DemoInput {
  what: string;
  /** the sink that completes its job */
  sink: string;
  run: () => ProduceRun<never, unknown>;
}

export const DEMO_INPUTS: readonly DemoInput[] = [
  { what: 'GO slim (OBO)', sink: 'ontology', run: () => oboRun(demoFile('goslim_generic.obo'), { version: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: 'NCBI taxonomy, Mammalia', sink: 'taxonomy', run: () => taxonomyRun(demoFile('nodes.dmp.gz'), demoFile('names.dmp.gz')) as ProduceRun<never, unknown> },
  { what: 'UniProt FASTA', sink: 'proteins', run: () => fastaRun(demoFile('uniprot-multi_ex.fasta'), {}) as ProduceRun<never, unknown> },
  { what: 'E. coli Swiss-Prot FASTA as a query set', sink: 'proteins', run: () => fastaRun(demoFile('fantasia-ecoli-swissprot-33.fasta'), { querySet: 'ecoli-demo' }) as ProduceRun<never, unknown> },
  { what: 'GOA-style GAF', sink: 'annotations', run: () => gafRun(demoFile('oak-test-uniprot.gaf'), { source: 'goa', version: 'demo', ontology: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: 'the same GAF, rows annotated before 2012 (older version)', sink: 'annotations', run: () => gafRun(demoFile('evaluation/annotations-before-2012.gaf'), { source: 'goa-demo', version: 'before-2012', ontology: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: 'the same GAF, every row (newer version)', sink: 'annotations', run: () => gafRun(demoFile('evaluation/annotations-full.gaf'), { source: 'goa-demo', version: 'full', ontology: DEMO_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: 'CAFA3 ground-truth terms as a flat release (OBO)', sink: 'ontology', run: () => oboRun(demoFile('predict/flat.obo'), { version: DEMO_PREDICT_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: '230 CAFA3 targets: their experimental GO terms (GAF)', sink: 'annotations', run: () => gafRun(demoFile('predict/references.gaf'), { source: 'cafa3-demo', version: '1', ontology: DEMO_PREDICT_OBO_VERSION }) as ProduceRun<never, unknown> },
  { what: '230 CAFA3 targets: their sequences (FASTA)', sink: 'proteins', run: () => fastaRun(demoFile('predict/references.fasta'), { source: 'cafa' }) as ProduceRun<never, unknown> },
  { what: '8 other CAFA3 targets as a query set (FASTA)', sink: 'proteins', run: () => fastaRun(demoFile('predict/queries.fasta'), { querySet: DEMO_PREDICT_QUERY_SET }) as ProduceRun<never, unknown> },
];

/** Why the demo data's known bad records are dead-lettered (demo/ATTRIBUTION.md), by job operation, stage and code. */
export const DEMO_DEAD_LETTER_REASONS: Readonly<Record<string, string>> = {
  [deadLetterKey('produce.gaf', 'sinks', 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN')]: 'GO id not in the demo GO slim',
  [deadLetterKey('produce.fasta', 'dedup', 'PROTEA_ERR_SEQUENCE_INVALID')]: 'E. coli headers wrapped onto a second line upstream, read as sequence',
  [deadLetterKey('produce.taxonomy', 'ingest', 'PROTEA_ERR_INPUT_INVALID')]: 'names.dmp line 24766 holds a run of NUL bytes upstream',
};

export const COUNTED_TABLES = ['sequence', 'sequence_embedding', 'protein', 'query_set', 'query_set_entry', 'ontology_snapshot', 'go_term', 'go_term_relationship', 'annotation_set', 'protein_go_annotation', 'taxonomy', 'prediction_set', 'go_prediction', 'job', 'job_event'] as const;

/** Where the demo's logs go while it runs (one file per topic namespace, so concurrent demos do not share one). */
export function demoLogFile(cfg: Config): string {
  return path.join(cfg.stateDir, 'logs', `demo-${cfg.topicNamespace}.log`);
}

export type DemoEvent =
  | { kind: 'step'; n: number; of: number; title: string }
  /** a line under the current step */
  | { kind: 'detail'; text: string }
  /** a titled block of lines (tables, the summary) */
  | { kind: 'section'; title: string; lines: string[] }
  /** jobs complete so far, while waiting for them */
  | { kind: 'progress'; done: number; total: number };

export interface DemoJob {
  id: string;
  what: string;
  status: string;
  progressCurrent: number | null;
  progressTotal: number | null;
}

export interface DemoResult {
  jobs: DemoJob[];
  rows: { table: string; n: number }[];
  deadLetters: DeadLetterLine[];
  log: { file: string; counts: Readonly<Record<string, number>> };
  evaluationFiles: string[];
  seconds: number;
}

export interface DemoOptions {
  /** how long to wait for the jobs to complete */
  timeoutSeconds: number;
  /** where the evaluation step writes results.tsv, curves.tsv and the plots */
  outDir: string;
  onEvent: (e: DemoEvent) => void;
}

const STEPS = 7;

/** Step 6: the temporal holdout between the two GAF versions, an imported predictor and the naive baseline. */
async function demoEvaluation(dbUrl: string, outDir: string, say: (text: string) => void): Promise<string[]> {
  const db = await createQueryPool(dbUrl, { maximumPoolSize: 2 });
  const copyPool = createCopyPool(dbUrl, 1);
  try {
    const set = await createEvaluationSet({ old: 'goa-demo@before-2012', new: 'goa-demo@full', ontology: DEMO_OBO_VERSION }, { db, job: null, progress: null });
    const counts = Object.entries(set.stats.categories).map(([c, v]) => `${c} ${v.proteins}`).join(', ');
    say(`evaluation set ${set.id}: target proteins ${counts}`);
    const imported = await importPredictions({ file: demoFile('evaluation/predictions-cafa.tsv'), format: 'cafa', name: 'demo-predictor', ontology: DEMO_OBO_VERSION }, { db, copyPool, progress: null });
    say(`prediction set ${imported.predictionSetId} (${imported.name}): ${imported.predictions} predictions for ${imported.proteins} proteins`);
    const report = await runEvaluation(
      { set: set.id, predictions: imported.predictionSetId, prop: DEFAULT_EVALUATION_OPTIONS.prop, norm: DEFAULT_EVALUATION_OPTIONS.norm, thStep: DEFAULT_EVALUATION_OPTIONS.thStep, noRoots: false, baselines: [naiveBaseline] },
      { db, progress: null },
    );
    const docs = report.results.map((r) => r.document);
    say('');
    say(formatResultsTable(docs));
    const files = await writeRunOutputs(outDir, docs, 'demo: goa-demo@before-2012 -> goa-demo@full');
    say('');
    say(`${files.length} files (results.tsv, curves.tsv, precision-recall plots) in ${outDir}`);
    return files;
  } finally {
    await copyPool.end().catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}

const GO_ROOTS = new Set(['GO:0003674', 'GO:0008150', 'GO:0005575']);

/** Step 6: KNN predictions for the CAFA3 query set, and the best terms of a few queries with the neighbour each came from. */
async function demoPredictions(dbUrl: string, embedding: EmbeddingConfigRow, timeoutSeconds: number, say: (text: string) => void): Promise<{ predictionSetId: string; jobId: string; status: string }> {
  const started = await startPrediction({
    method: 'knn', querySet: DEMO_PREDICT_QUERY_SET, annotationSet: DEMO_PREDICT_ANNOTATIONS, embeddingConfig: embedding.id, k: 5, threshold: null, metric: 'cosine',
    aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: false, aggregation: 'mean', scoreMap: defaultScoreMap('cosine'), index: 'flat', features: [...FEATURE_FAMILIES], name: 'demo-knn', dbUrl, onInfo: say,
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutSeconds * 1000);
  let r;
  try {
    r = await waitForPrediction(started, { dbUrl, progress: false, signal: abort.signal });
  } finally {
    clearTimeout(timer);
  }
  say(`prediction set ${started.predictionSetId} (job ${started.jobId}, ${r.status}): ${r.predicted} queries predicted, ${r.terms} query-term pairs, ${r.unpredictable} unpredictable`);
  // the three namespace roots say nothing (every annotated neighbour carries its namespace's root)
  const top = (await withQueryPool((db) => topPredictions(db, started.predictionSetId, { perProtein: 8 }), dbUrl)).filter((x) => !GO_ROOTS.has(x.go_id));
  const shown = [...new Set(top.map((x) => x.protein))].slice(0, 3);
  for (const protein of shown) {
    say('');
    say(`${protein}: its best GO terms below the roots (score = mean of 1 - cosine distance over the 5 nearest references per aspect)`);
    for (const x of top.filter((y) => y.protein === protein).slice(0, 4)) {
      say(`  ${x.go_id}  ${(x.score ?? 0).toFixed(3)}  ${x.aspect ?? '?'}  ${(x.go_name ?? '').slice(0, 48).padEnd(48)}  from ${x.ref_protein} (distance ${(x.distance ?? 0).toFixed(3)})`);
    }
  }
  say('');
  say(`all of them: protea predictions export --set ${started.predictionSetId} --format tsv --out predictions.tsv`);
  return { predictionSetId: started.predictionSetId, jobId: started.jobId, status: r.status };
}

type JobState = { id: string; status: string; progress_current: number | null; progress_total: number | null };

async function waitForJobs(dbUrl: string, ids: readonly string[], timeoutSeconds: number, onEvent: DemoOptions['onEvent']): Promise<JobState[]> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const rows = await adminQuery<JobState>(dbUrl, 'SELECT id::text, status, progress_current, progress_total FROM job WHERE id = ANY($1::uuid[])', [ids]);
    const done = rows.filter((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)).length;
    onEvent({ kind: 'progress', done, total: ids.length });
    if (done === ids.length || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits until every sequence has its vectors under the config, then says so. */
async function waitForEmbeddings(dbUrl: string, conf: EmbeddingConfigRow, timeoutSeconds: number, say: (text: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  await withQueryPool(async (db) => {
    for (;;) {
      const [all] = await adminQuery<{ n: number }>(dbUrl, 'SELECT count(*)::int AS n FROM sequence');
      const c = await embeddingCounts(db, conf.id);
      const total = all?.n ?? 0;
      if (c.sequences >= total || Date.now() > deadline) {
        say(`embeddings: ${c.sequences} of ${total} sequences under ${conf.model_name} (${c.dim ?? '?'} dimensions, ${(c.dim ?? 0) * 4} bytes each, on ${c.devices.join(',') || '-'})`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }, dbUrl);
}

/** Runs the demo end to end on the configured stack, namespace and database. */
export async function runDemo(cfg: Config, opts: DemoOptions): Promise<DemoResult> {
  const { onEvent } = opts;
  const t0 = Date.now();
  const step = (n: number, title: string) => onEvent({ kind: 'step', n, of: STEPS, title });
  const detail = (text: string) => onEvent({ kind: 'detail', text });

  step(1, 'local stack');
  await stackUp(cfg, detail);

  step(2, 'database migrations');
  const m = await migrate(cfg.dbUrl, { onStep: detail });
  detail(`schema at version ${m.version}`);

  step(3, 'topics and schemas');
  const topics = await createTopics();
  detail(`${topics.length} topics (${topics.filter((r) => r.action === 'created').length} created now)`);

  const embedding = await withQueryPool(async (db) => {
    const { row } = await createEmbeddingConfig(db, recipeFromInput({ description: 'the demo default: weight-free k-mer composition' }), { active: true });
    return row.active ? row : setEmbeddingConfigActive(db, row.id, true);
  }, cfg.dbUrl);
  detail(`embedding config ${embedding.id} (${embedding.model_name}) active: the embedder embeds every new sequence under it`);

  step(4, `pipeline: ${stageNames().join(', ')}`);
  const capture = captureLogs(demoLogFile(cfg));
  const logShown = path.relative(process.cwd(), capture.file).startsWith('..') ? capture.file : path.relative(process.cwd(), capture.file);
  detail(`its logs go to ${logShown} (errors are shown here too)`);
  let result: Omit<DemoResult, 'seconds' | 'log'>;
  try {
    const stages = await startStages();
    const producer = new TopicProducer();
    try {
      step(5, 'producing the demo data (demo/ATTRIBUTION.md says where it comes from)');
      const sent: { id: string; what: string }[] = [];
      for (const input of DEMO_INPUTS) {
        if (!SINKS[input.sink]) {
          detail(`${input.what}: skipped (no ${input.sink} sink in this build)`);
          continue;
        }
        const r = await produce(input.run(), { producer });
        sent.push({ id: r.jobId, what: input.what });
        detail(`${input.what}: ${r.sent} records sent, ${r.rejected} rejected by the reader (job ${r.jobId})`);
      }
      const states = await waitForJobs(cfg.dbUrl, sent.map((j) => j.id), opts.timeoutSeconds, onEvent);
      const jobs = sent.map((j): DemoJob => {
        const s = states.find((x) => x.id === j.id);
        return { id: j.id, what: j.what, status: s?.status ?? 'not seen yet', progressCurrent: s?.progress_current ?? null, progressTotal: s?.progress_total ?? null };
      });
      onEvent({ kind: 'section', title: 'jobs', lines: jobs.map((j) => `${j.id}  ${j.status.padEnd(9)}  ${`${j.progressCurrent ?? 0}/${j.progressTotal ?? '?'}`.padStart(11)}  ${j.what}`) });

      await waitForEmbeddings(cfg.dbUrl, embedding, opts.timeoutSeconds, detail);

      step(6, 'predictions: GO terms for the CAFA3 query set from its 5 nearest annotated references (KNN, k-mer embedding)');
      const prediction = await demoPredictions(cfg.dbUrl, embedding, opts.timeoutSeconds, detail);
      jobs.push({ id: prediction.jobId, what: 'predict the CAFA3 query set (KNN)', status: prediction.status, progressCurrent: null, progressTotal: null });

      const rows: DemoResult['rows'] = [];
      for (const table of COUNTED_TABLES) {
        const [c] = await adminQuery<{ n: number }>(cfg.dbUrl, `SELECT count(*)::int AS n FROM ${table}`);
        rows.push({ table, n: c?.n ?? 0 });
      }
      onEvent({ kind: 'section', title: 'rows in PostgreSQL', lines: rows.map((r) => `${r.table.padEnd(22)} ${String(r.n).padStart(7)}`) });

      const deadLetters = await withQueryPool((db) => jobDeadLetterLines(db, sent.map((j) => j.id), { reasons: DEMO_DEAD_LETTER_REASONS }), cfg.dbUrl);
      const warnings = capture.counts.warn ?? 0;
      onEvent({
        kind: 'section',
        title: deadLetters.length === 0 ? 'no record was dead-lettered' : `dead letters (the demo data's known bad records; ${warnings} warning${warnings === 1 ? '' : 's'} logged in ${logShown})`,
        lines: deadLetters.map((d) => (d.explained ? d.text : `unexpected: ${d.text}`)),
      });

      step(7, 'evaluation: older vs newer demo GAF (NK/LK/PK targets), an imported predictor and the naive baseline');
      const evaluationFiles = await demoEvaluation(cfg.dbUrl, opts.outDir, detail);
      result = { jobs, rows, deadLetters, evaluationFiles };
    } finally {
      await producer.disconnect();
      await Promise.allSettled(stages.map((s) => s.stop()));
    }
  } finally {
    capture.end();
  }
  onEvent({ kind: 'section', title: 'stack', lines: formatStatus(await stackStatus(cfg)).split('\n') });
  return { ...result, log: { file: capture.file, counts: { ...capture.counts } }, seconds: (Date.now() - t0) / 1000 };
}
