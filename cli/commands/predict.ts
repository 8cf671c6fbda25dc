// protea predict: GO terms for a query set, by KNN over embeddings or by the
// best alignment hit, through the pipeline (processors/predictor/).
import { Option, type Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';
import { DEFAULT_EVIDENCE_CODES } from '../../evaluation/temporal-holdout.js';
import { AGGREGATIONS, FEATURE_FAMILIES, INDEX_KINDS, METHODS, METRICS, SCORE_MAP_NAMES, parseFeatureFamilies, parseMaxIdentity, type IndexKind, type Method } from '../../processors/predictor/params.js';
import { defaultScoreMap, type Aggregation, type Metric, type ScoreMap } from '../../processors/predictor/transfer.js';

interface PredictFlags {
  querySet: string;
  annotationSet: string;
  method: Method;
  embeddingConfig?: string;
  k: string;
  distanceThreshold?: string;
  metric: Metric;
  aspectSeparated: boolean;
  evidence?: string;
  excludeSelf?: boolean;
  maxIdentity?: string;
  aggregate: Aggregation;
  scoreMap?: ScoreMap;
  index: IndexKind;
  features: string;
  name?: string;
  wait?: boolean;
  stallTimeoutS?: string;
}

function positiveInt(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ProteaError('USAGE', `${option} ${value}: expected a whole number of at least 1`, { field: option });
  return Number(value);
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict GO terms for every protein of a query set from an annotation set, as a prediction set and a job run by `protea pipeline`. Prints the prediction set id on its last line.')
    .requiredOption('--query-set <id|name>', 'query set (from `protea produce fasta FILE --query-set NAME`)')
    .requiredOption('--annotation-set <id|source@version>', 'reference annotation set whose proteins pass on their GO terms')
    .addOption(new Option('--method <method>', 'knn: nearest neighbours by embedding; identity: best Smith-Waterman hit, score = identity').choices([...METHODS]).default('knn'))
    .option('--embedding-config <id>', 'embedding config of query and reference vectors (default: the active one, else the built-in k-mer default)')
    .option('--k <n>', 'neighbours per query and aspect; ties at the k-th distance are kept', '5')
    .option('--distance-threshold <d>', 'only neighbours at most this far (cosine distance 0..2, or Euclidean)')
    .addOption(new Option('--metric <metric>', 'distance between embeddings').choices([...METRICS]).default('cosine'))
    .option('--no-aspect-separated', 'one index over all references instead of one per GO aspect')
    .option('--evidence <codes>', `evidence codes of the reference annotations that transfer (default: experimental, ${DEFAULT_EVIDENCE_CODES.join(',')})`)
    .option('--exclude-self', "drop references with the query's own sequence (benchmark mode)")
    .option('--max-identity <x>', 'leakage control (benchmarks): drop references with more than this fraction (0 < x <= 1) of the shorter sequence identical to the query in their Smith-Waterman alignment, before neighbour selection')
    .addOption(new Option('--aggregate <how>', "a term's score over the neighbours: mean of s(d) over the k hits (GOPredSim), max (FANTASIA), vote fraction").choices([...AGGREGATIONS]).default('mean'))
    .addOption(new Option('--score-map <map>', 'distance -> score s(d): one-minus-d (1-d), half-over-half-plus-d (0.5/(0.5+d)), one-minus-half-d (1-d/2); default by metric').choices([...SCORE_MAP_NAMES]))
    .addOption(new Option('--index <kind>', 'reference index: flat (exact), hnsw or ivf (approximate)').choices([...INDEX_KINDS]).default('flat'))
    .option('--features <families>', `feature families the enricher adds to every prediction row: a comma list of ${FEATURE_FAMILIES.join(', ')}, or all, or none`, 'all')
    .option('--name <name>', 'a name for the prediction set')
    .option('--wait', 'follow the job with a progress bar until every query is predicted')
    .option('--stall-timeout-s <s>', 'with --wait: give up when no query is predicted for this long (default: wait)')
    .addHelpText('after', `
Examples:
  protea predict --query-set my-proteins --annotation-set goa@2024-01 --wait
  protea predict --query-set cafa3 --annotation-set cafa3-gt@1 --exclude-self --k 1 --wait
  protea predict --query-set cafa3 --annotation-set cafa3-gt@1 --exclude-self --max-identity 0.3 --wait
  protea predict --query-set my-proteins --annotation-set goa@2024-01 --method identity --wait
Then: protea predictions export --set <id> --format cafa --out predictions.tsv`)
    .action(async (flags: PredictFlags) => {
      const k = positiveInt(flags.k, '--k');
      // the API's limit too; a part of a query's predictions must hold one GO term's rows (processors/predictor/records.ts)
      if (k > 1000) throw new ProteaError('USAGE', `--k ${k}: at most 1000 neighbours per query and aspect`, { field: '--k' });
      let threshold: number | null = null;
      if (flags.distanceThreshold !== undefined) {
        threshold = Number(flags.distanceThreshold);
        if (!Number.isFinite(threshold) || threshold < 0) throw new ProteaError('USAGE', `--distance-threshold ${flags.distanceThreshold}: expected a distance >= 0`, { field: '--distance-threshold' });
      }
      const maxIdentity = flags.maxIdentity === undefined ? null : parseMaxIdentity(flags.maxIdentity);
      const evidenceCodes = flags.evidence ? flags.evidence.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean) : [...DEFAULT_EVIDENCE_CODES];
      if (evidenceCodes.length === 0 || !evidenceCodes.every((c) => /^[A-Z]{2,4}$/.test(c))) {
        throw new ProteaError('USAGE', `--evidence ${flags.evidence}: expected GO evidence codes separated by commas, e.g. EXP,IDA,IPI`, { field: '--evidence' });
      }
      if (flags.method === 'identity' && (flags.embeddingConfig || flags.distanceThreshold !== undefined || flags.k !== '5')) {
        throw new ProteaError('USAGE', '--method identity takes the best alignment hit: --embedding-config, --k and --distance-threshold do not apply', { field: '--method' });
      }
      const { startPrediction, waitForPrediction } = await import('../../processors/predictor/predict-job.js');
      const started = await startPrediction({
        method: flags.method,
        querySet: flags.querySet,
        annotationSet: flags.annotationSet,
        ...(flags.embeddingConfig ? { embeddingConfig: flags.embeddingConfig } : {}),
        k,
        threshold,
        metric: flags.metric,
        aspectSeparated: flags.aspectSeparated,
        evidenceCodes,
        excludeSelf: flags.excludeSelf === true,
        maxIdentity,
        aggregation: flags.aggregate,
        scoreMap: flags.scoreMap ?? defaultScoreMap(flags.metric),
        index: flags.index,
        features: parseFeatureFamilies(flags.features, '--features'),
        ...(flags.name ? { name: flags.name } : {}),
        onInfo: (line) => console.error(line),
      });
      console.error(`prediction set ${started.predictionSetId}: ${started.queries} queries requested (job ${started.jobId})`);
      if (flags.wait) {
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const stallMs = flags.stallTimeoutS === undefined ? undefined : positiveInt(flags.stallTimeoutS, '--stall-timeout-s') * 1000;
          const r = await waitForPrediction(started, { signal: abort.signal, ...(stallMs === undefined ? {} : { stallMs }) });
          console.error(`${r.status} in ${r.seconds.toFixed(1)} s: ${r.predicted} queries predicted (${r.terms} query-term pairs), ${r.unpredictable} unpredictable${r.deadLettered ? `, ${r.deadLettered} dead-lettered (see protea jobs ${started.jobId})` : ''}`);
          for (const u of r.reasons) console.error(`  ${u.accession}: ${u.reason}`);
          if (r.status !== 'succeeded') process.exitCode = r.status === 'waiting' ? 130 : 1;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      } else {
        console.error(`follow it with: protea jobs ${started.jobId}`);
      }
      console.log(started.predictionSetId);
    });
}
