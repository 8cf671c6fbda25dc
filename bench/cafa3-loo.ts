// Leave-one-out benchmark on the real CAFA3 targets, through the real
// pipeline (Kafka, the stages, PostgreSQL) and `protea evaluate files`:
//   - the 3,328 target sequences as one query set, and as the proteins of the
//     reference annotation set: their ground truth (leafonly_*.is_a, already
//     propagated) as a GAF with evidence EXP, on a flat ontology release of the
//     ground-truth terms (bench/cafa3-inputs.ts);
//   - every method with --exclude-self (a target never transfers from its own
//     sequence): the identity method (best Smith-Waterman hit), KNN on the
//     weight-free default embedding with k = 1 and k = 5 (mean aggregation),
//     and the CAFA3 naive baseline (the published priors); on request
//     (--methods knn5-maxid30) KNN k = 5 with --max-identity 0.3 (leakage
//     control: no reference with more than 30 % of the shorter sequence
//     identical to the target); --methods knn5-features: KNN k = 5 with every
//     feature family (the enricher's alignments, taxonomy, neighbour
//     statistics), evaluated as predicted and re-scored without recomputing
//     neighbours by the scoring presets 'embedding' and 'alignment-weighted'
//     and by a recipe of this benchmark, 'vote-alignment' (vote fraction 0.5,
//     NW identity 0.3, SW identity 0.2);
//   - Fmax, its threshold and coverage per namespace from the evaluator, and
//     each method's wall time (request to the last query landed).
//
//   npm run bench:cafa3                      # needs `protea stack up`
//   npm run bench:cafa3 -- --limit 500       # the first 500 targets only (quick look)
//   npm run bench:cafa3 -- --methods knn1,knn5
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { PredictionParams } from '../processors/predictor/params.js';
import { benchMain, benchProgram, positiveInt } from './cli.js';
import { fmt, machineLine, table } from './common.js';

const METHODS = ['identity', 'knn1', 'knn5', 'knn5-maxid30', 'knn5-features'] as const;
type Method = (typeof METHODS)[number];

interface Opts {
  limit?: number;
  methods: Method[];
  kmerModel?: string;
  keep?: boolean;
}

function methodList(raw: string): Method[] {
  const list = raw.split(',').map((m) => m.trim());
  const unknown = list.filter((m) => !(METHODS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown method ${unknown.join(', ')} (${METHODS.join(', ')})`);
  return list as Method[];
}

const program = benchProgram('cafa3-loo', 'leave-one-out GO prediction on the real CAFA3 targets: naive, identity, KNN k=1 and k=5 on the default embedding')
  .option('--limit <n>', 'only the first N targets (by id)', positiveInt)
  .option('--methods <list>', `methods to run, comma-separated: ${METHODS.join(',')}`, methodList, methodList('identity,knn1,knn5'))
  .option('--kmer-model <name>', 'embed with this k-mer model instead of the default (e.g. kmer-3-tfidf)')
  .option('--keep', 'keep the database and topics for inspection');

benchMain<Opts>(import.meta.url, program, async (opts) => {
  // what the run needs loads after the options are parsed (bench/cli.ts says why)
  const [{ createScoringConfig, scorePredictionSet }, { evaluateFiles }, { exportPredictions }, { startPrediction, waitForPrediction }, { FEATURE_FAMILIES }, { writeCafa3Inputs, writeNaivePredictions }, { startCafa3Pipeline }, { withQueryPool }] = await Promise.all([
    import('../lib/queries/scoring-configs.js'),
    import('../evaluation/run-files.js'),
    import('../lib/predictions-export.js'),
    import('../processors/predictor/predict-job.js'),
    import('../processors/predictor/params.js'),
    import('./cafa3-inputs.js'),
    import('./cafa3-pipeline.js'),
    import('../lib/db.js'),
  ]);
  const methods = opts.methods;
  const t0 = Date.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'protea-cafa3-'));
  const inputs = await writeCafa3Inputs(dir, opts.limit ? { limit: opts.limit } : {});
  console.log(`${machineLine()}\nCAFA3 targets ${inputs.targets.length} (with ground truth: MFO ${inputs.perNamespace.F}, BPO ${inputs.perNamespace.P}, CCO ${inputs.perNamespace.C}); ${inputs.terms} terms in the flat release`);
  const pipeline = await startCafa3Pipeline(inputs, opts.kmerModel ? { kmerModel: opts.kmerModel } : {});
  const { db, ns, kmer } = pipeline;
  try {
    const distinct = (await pipeline.q<{ n: number }>('SELECT count(*)::int AS n FROM sequence'))[0]!.n;
    console.log(`loaded in ${pipeline.loadSeconds.toFixed(1)} s: ${fmt(pipeline.gafRows)} annotation rows, ${fmt(inputs.targets.length)} query proteins, ${fmt(distinct)} distinct sequences embedded (${kmer.model_name})`);

    const preds = path.join(dir, 'predictions');
    await mkdir(preds, { recursive: true });
    const common: Omit<PredictionParams, 'embeddingConfigId' | 'annotationSetId'> = {
      method: 'knn', k: 5, threshold: null, metric: 'cosine', aspectSeparated: true, evidenceCodes: ['EXP'], excludeSelf: true, features: [],
      aggregation: 'mean', scoreMap: 'one-minus-d', index: 'flat', maxIdentity: null,
    };
    const plans: Record<Method, Partial<PredictionParams>> = { identity: { method: 'identity', k: 1 }, knn1: { k: 1 }, knn5: { k: 5 }, 'knn5-maxid30': { k: 5, maxIdentity: 0.3 }, 'knn5-features': { k: 5, features: [...FEATURE_FAMILIES] } };
    // sets re-scored by these presets (protea predictions score) besides their own scores
    // ('vote-alignment' is this benchmark's own recipe: the neighbours' vote with the alignment identities)
    await withQueryPool((pool) => createScoringConfig(pool, { name: 'vote-alignment', weights: { neighbor_vote_fraction: 0.5, identity_nw: 0.3, identity_sw: 0.2 }, description: 'bench/cafa3-loo.ts' }), db.url);
    const rescored: Record<string, readonly string[]> = { 'knn5-features': ['embedding', 'alignment-weighted', 'vote-alignment'] };
    const timing: string[][] = [['method', 'wall s', 'queries/s', 'predicted', 'unpredictable', 'query-term pairs']];
    for (const m of methods) {
      const plan = plans[m];
      const t = Date.now();
      const started = await startPrediction({ ...common, ...plan, querySet: 'cafa3-targets', annotationSet: 'cafa3-groundtruth@1', embeddingConfig: kmer.id, name: `cafa3-loo-${m}`, namespace: ns.namespace, dbUrl: db.url });
      const r = await waitForPrediction(started, { dbUrl: db.url, progress: process.stderr.isTTY });
      const secs = (Date.now() - t) / 1000;
      timing.push([m, secs.toFixed(1), fmt(started.queries / secs), fmt(r.predicted), fmt(r.unpredictable), fmt(r.terms)]);
      await exportPredictions({ set: started.predictionSetId, format: 'cafa', out: path.join(preds, `${m}.tsv`), cafaHeader: false, decimals: 3, dbUrl: db.url });
      for (const scoring of rescored[m] ?? []) {
        const ts = Date.now();
        const scored = await withQueryPool((pool) => scorePredictionSet(pool, { set: started.predictionSetId, scoring }), db.url);
        timing.push([`${m}@${scoring} (re-scored)`, ((Date.now() - ts) / 1000).toFixed(1), '-', '-', '-', fmt(scored.rows)]);
        await exportPredictions({ set: scored.id, format: 'cafa', out: path.join(preds, `${m}@${scoring}.tsv`), cafaHeader: false, decimals: 3, dbUrl: db.url });
      }
    }
    await writeNaivePredictions(path.join(preds, 'naive.tsv'), inputs.targets);
    const report = await evaluateFiles({ ontology: inputs.obo, groundTruth: inputs.groundTruth, predictions: preds, prop: 'max', norm: 'cafa', noRoots: false, thStep: 0.01, out: path.join(dir, 'evaluation') });
    const rows: string[][] = [['method', 'namespace', 'Fmax', 'tau', 'coverage']];
    for (const m of report.methods) {
      for (const r of m.results) rows.push([m.method, r.namespace, r.bestF?.f.toFixed(3) ?? '-', r.bestF?.tau.toFixed(2) ?? '-', r.bestF?.cov.toFixed(3) ?? '-']);
    }
    console.log(`\n${table(timing)}\n\n${table(rows)}\n\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await pipeline.close({ keep: opts.keep, dir });
  }
});
