// A prediction job asked before its queries are embedded: the predictor
// records the queries as waiting and predicts them as soon as their
// embeddings land (the embedder is started only after the request); a query
// whose embedding never comes (its config is active but no embedder runs)
// is reported unpredictable with the reason after the wait, and its job still
// completes: nothing waits forever, nothing is lost.
import path from 'node:path';
import t from 'tap';
import { adminQuery, withQueryPool } from '../../lib/db.js';
import { createEmbeddingConfig } from '../../lib/queries/embedding-configs.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { startStages } from '../../pipeline/stages.js';
import { recipeFromInput } from '../../processors/embedder/recipe.js';
import { runPredictor } from '../../processors/predictor/processor.js';
import { startPrediction, waitForPrediction } from '../../processors/predictor/predict-job.js';
import type { PredictionParams } from '../../processors/predictor/params.js';
import { fastaRun, gafRun, oboRun } from '../../topics/ingest-runs.js';
import { produce } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';

const DIR = 'demo/predict';
const RELEASE = 'cafa3-groundtruth-flat';

t.test('queries are predicted as their embeddings land; one whose embedding never comes is reported with the reason and the job completes', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);
  const kmer = await withQueryPool(async (db) => (await createEmbeddingConfig(db, recipeFromInput({}), { active: true })).row, dbUrl);
  const sinks = await startStages(['dedup', 'enricher', 'sink:sequences', 'sink:proteins', 'sink:jobs', 'sink:ontology', 'sink:annotations', 'sink:query_sets', 'sink:embeddings', 'sink:predictions'], { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(sinks.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  await produce(oboRun(path.join(DIR, 'flat.obo'), { version: RELEASE }), { producer, namespace, progress: null });
  await until('the release', () => q<{ n: number }>('SELECT count(*)::int AS n FROM go_term'), (r) => r[0]!.n > 1000, { timeoutMs: 120_000 });
  await produce(gafRun(path.join(DIR, 'references.gaf'), { source: 'cafa3-demo', version: '1', ontology: RELEASE }), { producer, namespace, progress: null });
  await produce(fastaRun(path.join(DIR, 'references.fasta'), { source: 'cafa' }), { producer, namespace, progress: null });
  await produce(fastaRun(path.join(DIR, 'queries.fasta'), { source: 'upload', querySet: 'waiting' }), { producer, namespace, progress: null });
  await until('the query set', () => q<{ n: number }>('SELECT count(*)::int AS n FROM query_set_entry'), (r) => r[0]!.n === 8, { timeoutMs: 120_000 });
  await until('the annotations', () => q<{ n: number }>('SELECT count(DISTINCT protein_accession)::int AS n FROM protein_go_annotation'), (r) => r[0]!.n === 230, { timeoutMs: 120_000 });
  t.equal((await q<{ n: number }>('SELECT count(*)::int AS n FROM sequence_embedding'))[0]!.n, 0, 'nothing is embedded yet: no embedder runs');

  const params: Omit<PredictionParams, 'embeddingConfigId' | 'annotationSetId'> = {
    method: 'knn', k: 3, threshold: null, metric: 'cosine', aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: false, features: [],
    aggregation: 'mean', scoreMap: 'one-minus-d', index: 'flat', maxIdentity: null,
  };
  let predictor = await runPredictor({ namespace, dbUrl, sweepMs: 300, waitS: 600 });
  const first = await startPrediction({ ...params, querySet: 'waiting', annotationSet: 'cafa3-demo@1', embeddingConfig: kmer.id, namespace, dbUrl });
  await until('the 8 queries waiting', () => q<{ n: number }>('SELECT count(*)::int AS n FROM prediction_pending'), (r) => r[0]!.n === 8, { timeoutMs: 60_000 });
  const [embedder] = await startStages(['embedder'], { namespace, dbUrl });
  const r1 = await waitForPrediction(first, { dbUrl, progress: false, stallMs: 120_000 });
  await embedder!.stop();
  t.equal(r1.status, 'succeeded', 'the job succeeds once the embeddings landed');
  t.equal(r1.predicted, 8, 'every waiting query was predicted');
  t.ok(r1.terms > 0, `with terms (${r1.terms} query-term pairs)`);
  t.equal((await q<{ n: number }>('SELECT count(*)::int AS n FROM prediction_pending'))[0]!.n, 0, 'no query is left waiting');
  await predictor.stop();

  // an active config no embedder serves: its queries can never be embedded
  const orphan = await withQueryPool(async (db) => (await createEmbeddingConfig(db, recipeFromInput({ model: 'kmer-3-tfidf-h1024' }), { active: true })).row, dbUrl);
  predictor = await runPredictor({ namespace, dbUrl, sweepMs: 300, waitS: 2 });
  t.teardown(() => predictor.stop());
  const second = await startPrediction({ ...params, querySet: 'waiting', annotationSet: 'cafa3-demo@1', embeddingConfig: orphan.id, namespace, dbUrl });
  const r2 = await waitForPrediction(second, { dbUrl, progress: false, stallMs: 60_000 });
  t.equal(r2.status, 'succeeded', 'the job completes: every query was dealt with');
  t.equal(r2.unpredictable, 8, 'each query is reported unpredictable');
  t.match(r2.reasons[0]?.reason ?? '', new RegExp(`no embedding under config ${orphan.id}.*after waiting`), 'with the reason: which embedding it waited for, and how long');
});
