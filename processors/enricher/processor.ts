// The feature enricher stage: protea.predictions.raw -> protea.predictions
// (same key '<job_id>|<query_accession>', same parts). Every term of a query
// gets the feature families its prediction set asks for (meta.features, from
// `protea predict --features`): alignment (Smith-Waterman and Needleman-Wunsch
// of the query and reference sequences, alignment-features.ts), taxonomy (from
// the NCBI taxonomy table, taxonomy-features.ts) and neighbour statistics
// (neighbour-statistics.ts). Families not asked for stay null; a set that asks
// for none passes through unchanged, so the sink reads one topic.
//
// A feature that cannot be computed for a row (a protein without a taxon, an
// empty sequence, a pair too large to align) is null and counted in
// protea_enricher_feature_nulls_total{family,reason}: it never fails the stage.
// Outputs are a function of the input and the stored reference data, so a
// redelivered record yields the same message and the sink absorbs it.
import { config } from '../../lib/config.js';
import { createQueryPool, type DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { enricherAlignmentPairsTotal, enricherFeatureNullsTotal } from '../../lib/metrics.js';
import { annotationSetUsage, proteinInputs } from '../../lib/queries/enrichment-inputs.js';
import { getPredictionSet } from '../../lib/queries/prediction-sets.js';
import { sequencesByMd5 } from '../../lib/queries/sequences.js';
import { taxonomyLineages } from '../../lib/queries/taxonomy.js';
import type { PredictionRecord } from '../../schemas/generated/types.js';
import { KEYS, topicName } from '../../topics/catalogue.js';
import { AlignmentPool, alignmentThreads } from '../alignment/index.js';
import { featuresOf, type FeatureFamily } from '../predictor/params.js';
import { runProcessor, type DecodedRecord, type ProcessorHandle, type ProcessorOptions, type TransformResult } from '../runner.js';
import { PairAligner, type AlignmentMissing, type PairAlignerStats, type PairOutcome, type SequenceRef } from './alignment-features.js';
import { enrichTerms } from './features.js';
import type { AnnotationSetStatistics } from './neighbour-statistics.js';

export const ENRICHER_STAGE = 'enricher' as const;

/** Worker threads for alignments: PROTEA_ENRICH_THREADS, or one per core less one. */
export function enricherThreads(): number {
  return alignmentThreads(config().enrichThreads);
}

interface SetContext {
  families: ReadonlySet<FeatureFamily>;
  annotationSetId: string | null;
  evidenceCodes: readonly string[];
}

/** Lineages do not change while a stage runs (a taxonomy load adds taxa: only found lineages are kept). */
const LINEAGE_CACHE = 200_000;

/** What the enricher holds between batches: set parameters, annotation-set usage, lineages and the alignment cache. */
export class Enricher {
  private readonly sets = new Map<string, Promise<SetContext>>();
  private readonly usage = new Map<string, Promise<AnnotationSetStatistics>>();
  private readonly lineages = new Map<number, number[]>();

  constructor(
    private readonly db: DatabasePool,
    private readonly aligner: PairAligner,
  ) {}

  private set(id: string): Promise<SetContext> {
    let open = this.sets.get(id);
    if (!open) {
      open = (async () => {
        const row = await getPredictionSet(this.db, id);
        if (!row) throw new ProteaError('PREDICTION_SET_INVALID', `prediction set ${id} does not exist (deleted since it was predicted?)`, { field: 'prediction_set_id' });
        const codes = row.meta.evidence_codes;
        return {
          families: new Set(featuresOf(row)),
          annotationSetId: row.annotation_set_id,
          evidenceCodes: Array.isArray(codes) ? codes.filter((c): c is string => typeof c === 'string') : [],
        };
      })();
      open.catch(() => this.sets.delete(id));
      this.sets.set(id, open);
    }
    return open;
  }

  private usageOf(ctx: SetContext): Promise<AnnotationSetStatistics> | null {
    if (!ctx.annotationSetId) return null;
    const key = `${ctx.annotationSetId}|${ctx.evidenceCodes.join(',')}`;
    let open = this.usage.get(key);
    if (!open) {
      open = annotationSetUsage(this.db, ctx.annotationSetId, ctx.evidenceCodes).then((u) => ({ references: u.termsOfProtein.size, ...u }));
      open.catch(() => this.usage.delete(key));
      this.usage.set(key, open);
    }
    return open;
  }

  private async lineagesOf(taxa: Set<number>): Promise<void> {
    const missing = [...taxa].filter((t) => !this.lineages.has(t));
    if (missing.length === 0) return;
    const found = await taxonomyLineages(this.db, missing);
    if (this.lineages.size + found.size > LINEAGE_CACHE) this.lineages.clear();
    for (const [t, l] of found) this.lineages.set(t, l);
  }

  /** The enriched record of each input (a ProteaError for one that cannot be: its prediction set is gone). */
  async enrich(records: readonly PredictionRecord[], signal?: AbortSignal): Promise<(PredictionRecord | ProteaError)[]> {
    const out: (PredictionRecord | ProteaError)[] = [...records];
    const work: { at: number; r: PredictionRecord; ctx: SetContext }[] = [];
    for (let at = 0; at < records.length; at++) {
      const r = records[at]!;
      try {
        const ctx = await this.set(r.prediction_set_id);
        if (ctx.families.size > 0 && r.terms.length > 0) work.push({ at, r, ctx });
      } catch (err) {
        if (err instanceof ProteaError && err.disposition === 'dead-letter') out[at] = err;
        else throw err;
      }
    }
    if (work.length === 0) return out;

    // one look-up per batch: proteins (taxa, reference sequences), query sequences, lineages
    const wants = (w: (typeof work)[number], f: FeatureFamily) => w.ctx.families.has(f);
    const accessions = new Set<string>();
    const queryMd5s = new Set<string>();
    for (const w of work) {
      if (wants(w, 'taxonomy')) accessions.add(w.r.query_accession);
      if (wants(w, 'taxonomy') || wants(w, 'alignment')) for (const t of w.r.terms) accessions.add(t.ref_accession);
      if (wants(w, 'alignment')) queryMd5s.add(w.r.query_md5);
    }
    const [proteins, querySequences] = await Promise.all([proteinInputs(this.db, accessions), sequencesByMd5(this.db, [...queryMd5s])]);
    const taxa = new Set<number>();
    for (const p of proteins.values()) if (p.taxonomyId !== null) taxa.add(p.taxonomyId);

    // alignments: the batch's distinct (query, reference) sequence pairs at once, each
    // once however many terms and accessions share it (per term: its pair's index, or why none)
    const pairs: { query: SequenceRef; ref: SequenceRef }[] = [];
    const pairIndex = new Map<string, number>();
    const pairOfTerm: (number | AlignmentMissing)[][] = work.map((w) => {
      if (!wants(w, 'alignment')) return [];
      const qs = querySequences.get(w.r.query_md5);
      return w.r.terms.map((t) => {
        if (qs === undefined) return 'query_sequence_unknown';
        const ref = proteins.get(t.ref_accession)?.sequence;
        if (!ref) return 'ref_sequence_unknown';
        const key = `${w.r.query_md5}|${ref.md5}`;
        let at = pairIndex.get(key);
        if (at === undefined) {
          at = pairs.length;
          pairIndex.set(key, at);
          pairs.push({ query: { md5: w.r.query_md5, sequence: qs }, ref });
        }
        return at;
      });
    });
    const tally: PairAlignerStats = { computed: 0, cached: 0 };
    // lineages and annotation-set usage are read while the workers align
    const [aligned, usages] = await Promise.all([
      pairs.length > 0 ? this.aligner.align(pairs, tally) : Promise.resolve([] as PairOutcome[]),
      Promise.all(work.map((w) => (wants(w, 'neighbours') ? this.usageOf(w.ctx) : null))),
      this.lineagesOf(taxa),
    ]);
    enricherAlignmentPairsTotal.inc({ source: 'computed' }, tally.computed);
    enricherAlignmentPairsTotal.inc({ source: 'cached' }, tally.cached);
    signal?.throwIfAborted();

    work.forEach((w, wi) => {
      const { features, nulls } = enrichTerms(w.r, {
        families: w.ctx.families,
        taxonOf: (acc) => proteins.get(acc)?.taxonomyId,
        lineageOf: (taxon) => this.lineages.get(taxon),
        alignmentOf: (ti) => {
          const p = pairOfTerm[wi]![ti]!;
          return typeof p === 'number' ? aligned[p]! : { missing: p, features: null };
        },
        usage: usages[wi] ?? null,
      });
      for (const n of nulls) enricherFeatureNullsTotal.inc({ family: n.family, reason: n.reason });
      out[w.at] = { ...w.r, terms: w.r.terms.map((t, ti) => ({ ...t, features: features[ti]! })) };
    });
    return out;
  }
}

export interface EnricherOptions extends Partial<Omit<ProcessorOptions<PredictionRecord>, 'stage' | 'transform' | 'open' | 'close'>> {
  dbUrl?: string;
  /** alignment worker threads (default PROTEA_ENRICH_THREADS) */
  threads?: number;
}

/** Starts the enricher stage (consumer group `<namespace>.enricher` unless given); resolves once it joined the group. */
export async function runEnricher(opts: EnricherOptions = {}): Promise<ProcessorHandle> {
  const namespace = opts.namespace ?? config().topicNamespace;
  const outTopic = topicName('predictions', namespace);
  const { dbUrl, threads, ...runner } = opts;
  let db: DatabasePool | undefined;
  let pool: AlignmentPool | undefined;
  let enricher: Enricher | undefined;
  return runProcessor<PredictionRecord>({
    ...runner,
    namespace,
    stage: ENRICHER_STAGE,
    inputTopic: opts.inputTopic ?? topicName('predictions.raw', namespace),
    groupId: opts.groupId ?? `${namespace}.${ENRICHER_STAGE}`,
    // one look-up and one alignment round per micro-batch; a record holds up to 2,000 terms (TERMS_PER_PART)
    microBatch: opts.microBatch ?? { maxRecords: 256 },
    partitionsAtOnce: Math.max(1, opts.partitionsAtOnce ?? config().enrichPartitionsAtOnce),
    provenance: (v) => ({ jobId: v.job_id }),
    async open() {
      db = await createQueryPool(dbUrl ?? config().dbUrl, { maximumPoolSize: 3 });
      pool = new AlignmentPool({ threads: threads ?? enricherThreads() });
      enricher = new Enricher(db, new PairAligner(pool, { maxCells: config().enrichMaxAlignCells, cacheSize: config().enrichAlignCache }));
    },
    async close() {
      await pool?.close();
      await db?.end();
      pool = undefined;
      db = undefined;
      enricher = undefined;
    },
    async transform(records: DecodedRecord<PredictionRecord>[], ctx): Promise<TransformResult[]> {
      if (!enricher) throw new ProteaError('INTERNAL', 'the enricher transformed records before opening');
      const enriched = await enricher.enrich(records.map((r) => r.value), ctx.signal);
      return enriched.map((e) => (e instanceof ProteaError ? e : [{ topic: outTopic, key: KEYS.prediction(e), value: e }]));
    },
  });
}
