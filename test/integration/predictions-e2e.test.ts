// Predictions on the real stack with the demo data (demo/predict: 230 CAFA3
// targets with their ground truth as annotations, on a flat release; 8 query
// targets with homologues among them): query FASTA -> dedup -> embedder ->
// predictor -> enricher -> predictions sink -> go_prediction, for KNN (cosine,
// k = 3, aspect-separated, mean aggregation) and the identity method, with
// every feature family; the KNN rows equal an independent brute-force
// computation over the stored vectors, the identity rows the best hit found by
// aligning each query against every reference; every feature column of every
// row is filled, alignment and neighbour features equal values computed here;
// then every export format.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import t from 'tap';
import { adminQuery, withQueryPool } from '../../lib/db.js';
import { createEmbeddingConfig } from '../../lib/queries/embedding-configs.js';
import { exportPredictions } from '../../lib/predictions-export.js';
import { FEATURE_COLUMNS as EXPORTED_FEATURES, type FeatureColumn } from '../../lib/queries/prediction-export.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { startStages } from '../../pipeline/stages.js';
import { alignGlobal, alignLocal } from '../../processors/alignment/index.js';
import { recipeFromInput } from '../../processors/embedder/recipe.js';
import { startPrediction, waitForPrediction } from '../../processors/predictor/predict-job.js';
import type { PredictionParams } from '../../processors/predictor/params.js';
import { fastaRun, gafRun, oboRun, taxonomyRun } from '../../topics/ingest-runs.js';
import { produce } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { lineagesFromDump } from '../helpers/ncbi-lineages.js';
import { cosineDistance, floats } from '../helpers/vectors.js';
import { until } from '../helpers/poll.js';

const DIR = 'demo/predict';
const RELEASE = 'cafa3-groundtruth-flat';
const ASPECTS = ['F', 'P', 'C'] as const;

interface Pred { protein: string; go_id: string; ref: string; distance: number; score: number; evidence: string | null; k: number | null }

/** go_prediction's feature columns (the enricher's three families, and the predictor's k_position). */
const FEATURE_COLUMNS = EXPORTED_FEATURES.map(([c]) => c);

t.test('a query FASTA gets GO terms with scores, evidence and the neighbours they came from, by KNN and by identity, exported in every format', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);
  const out = await mkdtemp(path.join(tmpdir(), 'protea-predict-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));

  const kmer = await withQueryPool(async (db) => (await createEmbeddingConfig(db, recipeFromInput({}), { active: true })).row, dbUrl);
  const stages = await startStages(
    ['dedup', 'embedder', 'predictor', 'enricher', 'sink:sequences', 'sink:proteins', 'sink:jobs', 'sink:ontology', 'sink:taxonomy', 'sink:annotations', 'sink:query_sets', 'sink:embeddings', 'sink:predictions'],
    { namespace, dbUrl },
  );
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());

  await produce(oboRun(path.join(DIR, 'flat.obo'), { version: RELEASE }), { producer, namespace, progress: null });
  const terms = (await readFile(path.join(DIR, 'flat.obo'), 'utf8')).split('\n').filter((l) => l === '[Term]').length;
  await until('the flat release', () => q<{ n: number }>('SELECT count(*)::int AS n FROM go_term'), (r) => r[0]!.n === terms, { timeoutMs: 120_000 });
  // the demo's NCBI subtree (Mammalia): the demo's queries and references are human, mouse and rat targets
  await produce(taxonomyRun('demo/nodes.dmp.gz', 'demo/names.dmp.gz'), { producer, namespace, progress: null });
  await produce(gafRun(path.join(DIR, 'references.gaf'), { source: 'cafa3-demo', version: '1', ontology: RELEASE }), { producer, namespace, progress: null });
  await produce(fastaRun(path.join(DIR, 'references.fasta'), { source: 'cafa' }), { producer, namespace, progress: null });
  await produce(fastaRun(path.join(DIR, 'queries.fasta'), { source: 'upload', querySet: 'demo-queries' }), { producer, namespace, progress: null });
  const gafRows = (await readFile(path.join(DIR, 'references.gaf'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('!')).length;
  const queries = (await readFile(path.join(DIR, 'queries.txt'), 'utf8')).split('\n').filter(Boolean);
  await until('annotations, query set and embeddings', () => q<{ a: number; e: number; s: number; seqs: number }>(`
      SELECT (SELECT count(*) FROM protein_go_annotation)::int AS a, (SELECT count(*) FROM query_set_entry)::int AS e,
             (SELECT count(DISTINCT sequence_id) FROM sequence_embedding)::int AS s, (SELECT count(*) FROM sequence)::int AS seqs`),
    (r) => r[0]!.a === gafRows && r[0]!.e === queries.length && r[0]!.s === r[0]!.seqs && r[0]!.seqs >= queries.length, { timeoutMs: 180_000 });
  await until('the taxonomy', () => q<{ n: number }>('SELECT count(*)::int AS n FROM taxonomy'), (r) => r[0]!.n >= 12_000, { timeoutMs: 120_000 });

  const base: Omit<PredictionParams, 'embeddingConfigId' | 'annotationSetId'> = {
    method: 'knn', k: 3, threshold: null, metric: 'cosine', aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: false, features: ['alignment', 'taxonomy', 'neighbours'],
    aggregation: 'mean', scoreMap: 'one-minus-d', index: 'flat', maxIdentity: null,
  };
  const predict = async (p: Partial<PredictionParams>) => {
    const started = await startPrediction({ ...base, ...p, querySet: 'demo-queries', annotationSet: 'cafa3-demo@1', namespace, dbUrl });
    const r = await waitForPrediction(started, { dbUrl, progress: false });
    return { started, r };
  };
  const rowsOf = (setId: string) => q<Pred>(`
      SELECT p.protein_accession AS protein, g.go_id, p.ref_protein_accession AS ref, p.distance, p.score, p.evidence_code AS evidence, p.k_position AS k
        FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id WHERE p.prediction_set_id = $1 ORDER BY 1, 2, 3`, [setId]);

  // ── KNN ────────────────────────────────────────────────────────────────
  const knn = await predict({});
  t.equal(knn.r.status, 'succeeded', 'the KNN job succeeds');
  t.equal(knn.r.predicted, queries.length, 'every query protein is predicted');
  t.equal(knn.r.unpredictable, 0, 'none is unpredictable');
  const job = (await q<{ progress_current: number; progress_total: number }>('SELECT progress_current, progress_total FROM job WHERE id = $1', [knn.started.jobId]))[0]!;
  t.same(job, { progress_current: queries.length, progress_total: queries.length }, 'progress counts each query protein once');

  // the brute force: every stored vector, every reference annotation, in the test
  const vec = new Map((await q<{ md5: string; hex: string }>(`
      SELECT s.sequence_hash AS md5, encode(e.embedding, 'hex') AS hex FROM sequence_embedding e JOIN sequence s ON s.id = e.sequence_id
       WHERE e.embedding_config_id = $1`, [kmer.id])).map((r) => [r.md5, floats(r.hex)]));
  const md5Of = new Map((await q<{ accession: string; md5: string }>(`
      SELECT p.accession, s.sequence_hash AS md5 FROM protein p JOIN sequence s ON s.id = p.sequence_id
      UNION SELECT e.accession, s.sequence_hash FROM query_set_entry e JOIN sequence s ON s.id = e.sequence_id`)).map((r) => [r.accession, r.md5]));
  const annotations = await q<{ protein: string; go_id: string; aspect: string }>(`
      SELECT DISTINCT a.protein_accession AS protein, g.go_id, g.aspect FROM protein_go_annotation a JOIN go_term g ON g.id = a.go_term_id
       WHERE a.evidence_code = 'EXP' AND a.qualifier NOT LIKE 'NOT%'`);
  const expected: Pred[] = [];
  for (const query of queries) {
    const qv = vec.get(md5Of.get(query)!)!;
    for (const aspect of ASPECTS) {
      const refs = [...new Set(annotations.filter((a) => a.aspect === aspect).map((a) => a.protein))];
      const hits = refs.map((ref) => ({ ref, d: cosineDistance(qv, vec.get(md5Of.get(ref)!)!) })).sort((a, b) => a.d - b.d || (a.ref < b.ref ? -1 : 1));
      const kth = hits[2]!.d;
      const chosen = hits.filter((h) => h.d <= kth + 1e-6); // ties at the k-th kept
      const byTerm = new Map<string, { refs: { ref: string; d: number; k: number }[] }>();
      chosen.forEach((h, i) => {
        for (const a of annotations) {
          if (a.protein !== h.ref || a.aspect !== aspect) continue;
          const e = byTerm.get(a.go_id) ?? { refs: [] };
          e.refs.push({ ref: h.ref, d: h.d, k: i + 1 });
          byTerm.set(a.go_id, e);
        }
      });
      for (const [go, e] of byTerm) {
        const score = e.refs.reduce((s, r) => s + (1 - r.d), 0) / chosen.length; // GOPredSim: mean of 1-d over the k hits
        for (const r of e.refs) expected.push({ protein: query, go_id: go, ref: r.ref, distance: r.d, score, evidence: 'EXP', k: r.k });
      }
    }
  }
  expected.sort((a, b) => (a.protein + a.go_id + a.ref < b.protein + b.go_id + b.ref ? -1 : 1));
  const knnRows = await rowsOf(knn.started.predictionSetId);
  t.equal(knnRows.length, expected.length, `one row per (query, term, neighbour): ${expected.length}`);
  const bad = knnRows.filter((r, i) => {
    const e = expected[i];
    return !e || r.protein !== e.protein || r.go_id !== e.go_id || r.ref !== e.ref || Math.abs(r.distance - e.distance) > 1e-5 || Math.abs(r.score - e.score) > 1e-5 || r.evidence !== 'EXP';
  });
  t.same(bad.slice(0, 3), [], 'neighbours, distances and mean scores equal the brute force (to 1e-5)');

  // ── features ───────────────────────────────────────────────────────────
  const seqOf = new Map((await q<{ md5: string; sequence: string }>('SELECT sequence_hash AS md5, sequence FROM sequence')).map((r) => [r.md5, r.sequence]));
  type FeatureRow = Pred & Record<FeatureColumn, number | string | null>;
  const featureRows = (setId: string) => q<FeatureRow>(`
      SELECT p.protein_accession AS protein, g.go_id, g.aspect, p.ref_protein_accession AS ref, p.distance, ${FEATURE_COLUMNS.map((c) => `p.${c}`).join(', ')}
        FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id WHERE p.prediction_set_id = $1 ORDER BY 1, 2, 4`, [setId]);
  const knnFeatures = await featureRows(knn.started.predictionSetId);
  const unfilled = knnFeatures.filter((r) => FEATURE_COLUMNS.some((c) => r[c] === null));
  t.same(unfilled.slice(0, 2), [], `every feature column of all ${knnFeatures.length} KNN rows is filled`);
  const taxonOf = (target: string) => Number(target.slice(1, -7));
  let checked = 0;
  const wrong: string[] = [];
  for (const r of knnFeatures) {
    const qs = seqOf.get(md5Of.get(r.protein)!)!;
    const rs = seqOf.get(md5Of.get(r.ref)!)!;
    const sw = alignLocal(qs, rs);
    const nw = alignGlobal(qs, rs);
    const same = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) < 1e-9;
    if (!(same(r.identity_sw, sw.identity) && same(r.alignment_score_sw, sw.score) && same(r.alignment_length_sw, sw.length) && same(r.similarity_sw, sw.similarity) && same(r.gaps_pct_sw, sw.gapsPct)
      && same(r.identity_nw, nw.identity) && same(r.alignment_score_nw, nw.score) && same(r.alignment_length_nw, nw.length) && same(r.length_query, qs.length) && same(r.length_ref, rs.length))) wrong.push(`${r.protein} ${r.ref}: alignment`);
    if (r.query_taxonomy_id !== taxonOf(r.protein) || r.ref_taxonomy_id !== taxonOf(r.ref)) wrong.push(`${r.protein} ${r.ref}: taxa`);
    // neighbour statistics: the neighbours carrying the term are the brute force's; distances as stored
    const carrying = knnFeatures.filter((e) => e.protein === r.protein && e.go_id === r.go_id);
    if (carrying.length !== expected.filter((e) => e.protein === r.protein && e.go_id === r.go_id).length) wrong.push(`${r.protein} ${r.go_id}: neighbours carrying it`);
    const ds = carrying.map((e) => e.distance);
    const mean = ds.reduce((a, b) => a + b, 0) / ds.length;
    const std = Math.sqrt(ds.reduce((a, d) => a + (d - mean) ** 2, 0) / ds.length);
    if (!same(r.neighbor_distance_std, std)) wrong.push(`${r.protein} ${r.go_id}: std`);
    const inAspect = new Set(expected.filter((e) => e.protein === r.protein && annotations.some((a) => a.go_id === e.go_id && a.aspect === (r as unknown as { aspect: string }).aspect)).map((e) => e.ref)).size;
    if (r.vote_count !== ds.length || !same(r.neighbor_min_distance, Math.min(...ds)) || !same(r.neighbor_mean_distance, mean)) wrong.push(`${r.protein} ${r.go_id}: vote/min/mean`);
    if (!same(r.neighbor_vote_fraction, ds.length / inAspect)) wrong.push(`${r.protein} ${r.go_id}: fraction ${r.neighbor_vote_fraction} vs ${ds.length}/${inAspect}`);
    checked++;
  }
  t.same(wrong.slice(0, 5), [], `alignment (SW and NW, recomputed here), taxa (from the target ids) and neighbour statistics (from the brute force) of ${checked} rows`);
  // taxonomy: lineages walked here from the dump the stack loaded
  const lineageOf = lineagesFromDump(gunzipSync(await readFile('demo/nodes.dmp.gz')).toString('utf8'));
  const lineage = (taxon: number) => lineageOf(taxon) ?? [taxon];
  const taxWrong = knnFeatures.filter((r) => {
    const lq = lineage(Number(r.query_taxonomy_id));
    const lr = lineage(Number(r.ref_taxonomy_id));
    const i = lq.findIndex((x) => lr.includes(x));
    const relation = lq[0] === lr[0] ? 'same' : lr[0] === lq[i] ? 'ancestor' : lq[0] === lq[i] ? 'descendant' : lq[1] === lr[1] ? 'sibling' : 'other';
    return r.taxonomic_lca !== lq[i] || r.taxonomic_distance !== i + lr.indexOf(lq[i]!) || r.taxonomic_common_ancestors !== lq.length - i || r.taxonomic_relation !== relation;
  });
  t.same(taxWrong.slice(0, 2), [], 'LCA, distance, common ancestors and relation equal lineages walked in the test');
  t.ok(new Set(knnFeatures.map((r) => `${r.query_taxonomy_id}>${r.ref_taxonomy_id}`)).size > 1, 'several taxon pairs among the rows');

  // ── identity ───────────────────────────────────────────────────────────
  const identity = await predict({ method: 'identity', k: 1 });
  t.equal(identity.r.predicted, queries.length, 'the identity method predicts every query');
  const idFeatures = await featureRows(identity.started.predictionSetId);
  t.same(idFeatures.filter((r) => FEATURE_COLUMNS.some((c) => r[c] === null)).slice(0, 2), [], `every feature column of all ${idFeatures.length} identity rows is filled`);
  t.ok(idFeatures.every((r) => Math.abs(Number(r.identity_sw) - (1 - r.distance)) < 1e-9 && Number(r.vote_count) >= 1 && Number(r.neighbor_vote_fraction) > 0 && Number(r.neighbor_vote_fraction) <= 1), 'identity rows: SW identity = 1 - distance (the method\'s score), a vote fraction in (0, 1]');
  const idRows = await rowsOf(identity.started.predictionSetId);
  for (const query of queries) {
    for (const aspect of ASPECTS) {
      const refs = [...new Set(annotations.filter((a) => a.aspect === aspect).map((a) => a.protein))];
      const scored = refs.map((ref) => ({ ref, r: alignLocal(seqOf.get(md5Of.get(query)!)!, seqOf.get(md5Of.get(ref)!)!) }))
        .sort((a, b) => b.r.score - a.r.score || b.r.identity - a.r.identity);
      const best = scored[0]!;
      const got = idRows.filter((r) => r.protein === query && annotations.some((a) => a.go_id === r.go_id && a.aspect === aspect));
      const bestRefs = new Set(scored.filter((s) => s.r.score === best.r.score && s.r.identity === best.r.identity).map((s) => s.ref));
      t.ok(got.length > 0 && got.every((r) => bestRefs.has(r.ref) && Math.abs(r.score - best.r.identity) < 1e-9), `${query} ${aspect}: the terms of the best Smith-Waterman hit ${best.ref}, score = identity ${best.r.identity.toFixed(3)}`);
    }
  }

  // ── exports ────────────────────────────────────────────────────────────
  const file = (f: string) => path.join(out, f);
  const cafa = await exportPredictions({ set: knn.started.predictionSetId, format: 'cafa', out: file('knn.cafa'), dbUrl });
  const pairs = new Set(knnRows.map((r) => `${r.protein}\t${r.go_id}`));
  const cafaLines = (await readFile(file('knn.cafa'), 'utf8')).split('\n').filter((l) => /^T\d+\tGO:/.test(l));
  t.equal(cafaLines.length, pairs.size - cafa.skipped, 'cafa: one line per (query, term) with a score');
  const maxScore = new Map<string, number>();
  for (const r of knnRows) maxScore.set(`${r.protein}\t${r.go_id}`, Math.max(maxScore.get(`${r.protein}\t${r.go_id}`) ?? 0, r.score));
  t.ok(cafaLines.every((l) => { const [p, g, s] = l.split('\t'); return Math.abs(Number(s) - maxScore.get(`${p}\t${g}`)!) <= 0.005; }), 'cafa scores are the stored scores (2 decimals)');
  await exportPredictions({ set: knn.started.predictionSetId, format: 'tsv', out: file('knn.tsv'), dbUrl });
  const tsv = (await readFile(file('knn.tsv'), 'utf8')).trim().split('\n');
  t.equal(tsv.length - 1, knnRows.length, 'tsv: a header and one line per go_prediction row');
  await exportPredictions({ set: knn.started.predictionSetId, format: 'arrow', out: file('knn.arrow'), dbUrl });
  const arrow = tableFromIPC(await readFile(file('knn.arrow')));
  t.equal(arrow.numRows, knnRows.length, 'arrow: one row per go_prediction row');
  await exportPredictions({ set: identity.started.predictionSetId, format: 'gaf', out: file('identity.gaf'), dbUrl });
  const gaf = (await readFile(file('identity.gaf'), 'utf8')).split('\n');
  t.equal(gaf[0], '!gaf-version: 2.2', 'gaf: a GAF 2.2 header');
  const gafLines = gaf.filter((l) => l && !l.startsWith('!')).map((l) => l.split('\t'));
  t.ok(gafLines.length > 0 && gafLines.every((f) => f.length === 17 && f[6] === 'IEA' && f[7]!.startsWith('UniProtKB:')), 'gaf: 17 columns, evidence IEA, the neighbour in with/from');
});
