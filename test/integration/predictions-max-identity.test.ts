// --max-identity on the real stack with the demo data (demo/predict: 230
// CAFA3 targets as references, 8 queries with homologues among them, SW
// identities up to 0.9): KNN (k = 3, aspect-separated) and the identity
// method with --max-identity 0.3 and --exclude-self. Every stored neighbour is
// at most 0.3 identical to its query (identityOverShorter, computed here with
// the alignment module); the KNN neighbours equal a brute force over the
// stored vectors restricted to the admitted references (so each query keeps
// its k nearest among them); the identity rows are the best admitted hit; the
// prediction sets record meta.max_identity.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { adminQuery, withQueryPool } from '../../lib/db.js';
import { createEmbeddingConfig } from '../../lib/queries/embedding-configs.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { startStages } from '../../pipeline/stages.js';
import { alignLocal, identityOverShorter } from '../../processors/alignment/index.js';
import { recipeFromInput } from '../../processors/embedder/recipe.js';
import { startPrediction, waitForPrediction } from '../../processors/predictor/predict-job.js';
import type { PredictionParams } from '../../processors/predictor/params.js';
import { fastaRun, gafRun, oboRun } from '../../topics/ingest-runs.js';
import { produce } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { cosineDistance, floats } from '../helpers/vectors.js';
import { until } from '../helpers/poll.js';

const DIR = 'demo/predict';
const RELEASE = 'cafa3-groundtruth-flat';
const ASPECTS = ['F', 'P', 'C'] as const;
const MAX = 0.3;
const K = 3;

t.test('--max-identity 0.3: no stored neighbour is more than 0.3 identical to its query, queries keep k neighbours, the set records the limit', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);

  const kmer = await withQueryPool(async (db) => (await createEmbeddingConfig(db, recipeFromInput({}), { active: true })).row, dbUrl);
  const stages = await startStages(
    ['dedup', 'embedder', 'predictor', 'enricher', 'sink:sequences', 'sink:proteins', 'sink:jobs', 'sink:ontology', 'sink:annotations', 'sink:query_sets', 'sink:embeddings', 'sink:predictions'],
    { namespace, dbUrl },
  );
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());

  await produce(oboRun(path.join(DIR, 'flat.obo'), { version: RELEASE }), { producer, namespace, progress: null });
  const terms = (await readFile(path.join(DIR, 'flat.obo'), 'utf8')).split('\n').filter((l) => l === '[Term]').length;
  await until('the flat release', () => q<{ n: number }>('SELECT count(*)::int AS n FROM go_term'), (r) => r[0]!.n === terms, { timeoutMs: 120_000 });
  await produce(gafRun(path.join(DIR, 'references.gaf'), { source: 'cafa3-demo', version: '1', ontology: RELEASE }), { producer, namespace, progress: null });
  await produce(fastaRun(path.join(DIR, 'references.fasta'), { source: 'cafa' }), { producer, namespace, progress: null });
  await produce(fastaRun(path.join(DIR, 'queries.fasta'), { source: 'upload', querySet: 'demo-queries' }), { producer, namespace, progress: null });
  const gafRows = (await readFile(path.join(DIR, 'references.gaf'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('!')).length;
  const queries = (await readFile(path.join(DIR, 'queries.txt'), 'utf8')).split('\n').filter(Boolean);
  await until('annotations, query set and embeddings', () => q<{ a: number; e: number; s: number; seqs: number }>(`
      SELECT (SELECT count(*) FROM protein_go_annotation)::int AS a, (SELECT count(*) FROM query_set_entry)::int AS e,
             (SELECT count(DISTINCT sequence_id) FROM sequence_embedding)::int AS s, (SELECT count(*) FROM sequence)::int AS seqs`),
    (r) => r[0]!.a === gafRows && r[0]!.e === queries.length && r[0]!.s === r[0]!.seqs && r[0]!.seqs >= queries.length, { timeoutMs: 180_000 });

  const base: Omit<PredictionParams, 'embeddingConfigId' | 'annotationSetId'> = {
    method: 'knn', k: K, threshold: null, metric: 'cosine', aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: true, features: [],
    aggregation: 'mean', scoreMap: 'one-minus-d', index: 'flat', maxIdentity: MAX,
  };
  const predict = async (p: Partial<PredictionParams>) => {
    const started = await startPrediction({ ...base, ...p, querySet: 'demo-queries', annotationSet: 'cafa3-demo@1', namespace, dbUrl });
    const r = await waitForPrediction(started, { dbUrl, progress: false });
    return { started, r };
  };
  const rowsOf = (setId: string) => q<{ protein: string; ref: string; aspect: string; distance: number }>(`
      SELECT DISTINCT p.protein_accession AS protein, p.ref_protein_accession AS ref, g.aspect, p.distance
        FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id WHERE p.prediction_set_id = $1`, [setId]);
  const metaOf = async (setId: string) => (await q<{ meta: Record<string, unknown> }>('SELECT meta FROM prediction_set WHERE id = $1', [setId]))[0]!.meta;

  const seqOf = new Map((await q<{ md5: string; sequence: string }>('SELECT sequence_hash AS md5, sequence FROM sequence')).map((r) => [r.md5, r.sequence]));
  const md5Of = new Map((await q<{ accession: string; md5: string }>(`
      SELECT p.accession, s.sequence_hash AS md5 FROM protein p JOIN sequence s ON s.id = p.sequence_id
      UNION SELECT e.accession, s.sequence_hash FROM query_set_entry e JOIN sequence s ON s.id = e.sequence_id`)).map((r) => [r.accession, r.md5]));
  const annotations = await q<{ protein: string; aspect: string }>(`
      SELECT DISTINCT a.protein_accession AS protein, g.aspect FROM protein_go_annotation a JOIN go_term g ON g.id = a.go_term_id
       WHERE a.evidence_code = 'EXP' AND a.qualifier NOT LIKE 'NOT%'`);
  const refsIn = (aspect: string) => [...new Set(annotations.filter((a) => a.aspect === aspect).map((a) => a.protein))].sort();
  const identity = new Map<string, number>();
  const idOf = (query: string, ref: string): number => {
    const key = `${query}|${ref}`;
    let x = identity.get(key);
    if (x === undefined) identity.set(key, (x = identityOverShorter(alignLocal(seqOf.get(md5Of.get(query)!)!, seqOf.get(md5Of.get(ref)!)!))));
    return x;
  };

  // ── KNN, without and with the limit ───────────────────────────────────
  const plain = await predict({ maxIdentity: null });
  const plainRows = await rowsOf(plain.started.predictionSetId);
  const above = plainRows.filter((r) => idOf(r.protein, r.ref) > MAX);
  t.ok(above.length > 0, `without the limit, ${above.length} stored neighbours are more than ${MAX} identical to their query (the demo's homologues)`);
  t.equal((await metaOf(plain.started.predictionSetId)).max_identity, null, 'a set without the limit records max_identity null');

  const knn = await predict({});
  t.equal(knn.r.status, 'succeeded', 'the KNN job succeeds');
  t.equal(knn.r.predicted, queries.length, 'every query is predicted');
  t.equal((await metaOf(knn.started.predictionSetId)).max_identity, MAX, 'the set records meta.max_identity');
  const rows = await rowsOf(knn.started.predictionSetId);
  t.ok(rows.length > 0, `${rows.length} (query, neighbour, aspect) rows stored`);
  const leaks = rows.filter((r) => idOf(r.protein, r.ref) > MAX).map((r) => `${r.protein}<-${r.ref} ${idOf(r.protein, r.ref).toFixed(3)}`);
  t.same(leaks, [], `no stored neighbour is more than ${MAX} identical to its query`);
  t.ok(above.every((a) => !rows.some((r) => r.protein === a.protein && r.ref === a.ref)), 'the homologues found without the limit are gone');

  // the brute force: per query and aspect, the k nearest (ties kept) among the admitted references
  const vec = new Map((await q<{ md5: string; hex: string }>(`
      SELECT s.sequence_hash AS md5, encode(e.embedding, 'hex') AS hex FROM sequence_embedding e JOIN sequence s ON s.id = e.sequence_id
       WHERE e.embedding_config_id = $1`, [kmer.id])).map((r) => [r.md5, floats(r.hex)]));
  let full = 0;
  for (const query of queries) {
    const qv = vec.get(md5Of.get(query)!)!;
    for (const aspect of ASPECTS) {
      const admitted = refsIn(aspect).filter((ref) => md5Of.get(ref) !== md5Of.get(query) && idOf(query, ref) <= MAX);
      const hits = admitted.map((ref) => ({ ref, d: cosineDistance(qv, vec.get(md5Of.get(ref)!)!) })).sort((a, b) => a.d - b.d || (a.ref < b.ref ? -1 : 1));
      const kth = hits[Math.min(K, hits.length) - 1]!.d;
      const expected = hits.filter((h) => h.d <= kth + 1e-6).map((h) => h.ref).sort();
      const got = [...new Set(rows.filter((r) => r.protein === query && r.aspect === aspect).map((r) => r.ref))].sort();
      t.same(got, expected, `${query} ${aspect}: the ${K} nearest of the ${admitted.length} admitted references`);
      if (admitted.length >= K && got.length >= K) full++;
    }
  }
  t.equal(full, queries.length * ASPECTS.length, `every (query, aspect) with at least ${K} admitted references got ${K} neighbours`);

  // ── identity method ───────────────────────────────────────────────────
  const ident = await predict({ method: 'identity', k: 1 });
  t.equal(ident.r.predicted, queries.length, 'the identity method predicts every query');
  t.equal((await metaOf(ident.started.predictionSetId)).max_identity, MAX, 'the identity set records meta.max_identity');
  const idRows = await rowsOf(ident.started.predictionSetId);
  t.same(idRows.filter((r) => idOf(r.protein, r.ref) > MAX).map((r) => `${r.protein}<-${r.ref}`), [], `no identity-method hit is more than ${MAX} identical to its query`);
  for (const query of queries) {
    for (const aspect of ASPECTS) {
      const scored = refsIn(aspect).filter((ref) => md5Of.get(ref) !== md5Of.get(query))
        .map((ref) => ({ ref, r: alignLocal(seqOf.get(md5Of.get(query)!)!, seqOf.get(md5Of.get(ref)!)!) }))
        .filter((s) => s.r.score > 0 && identityOverShorter(s.r) <= MAX)
        .sort((a, b) => b.r.score - a.r.score || b.r.identity - a.r.identity);
      const best = scored[0]!;
      const bestRefs = new Set(scored.filter((s) => s.r.score === best.r.score && s.r.identity === best.r.identity).map((s) => s.ref));
      const got = idRows.filter((r) => r.protein === query && r.aspect === aspect);
      t.ok(got.length > 0 && got.every((r) => bestRefs.has(r.ref)), `${query} ${aspect}: the best admitted hit ${best.ref} (score ${best.r.score})`);
    }
  }
});
