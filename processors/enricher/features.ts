// The feature record of every term of one query's predictions: the families
// its prediction set asks for, from the inputs the stage looked up for the
// batch. Pure; processor.ts does the I/O and the alignments.
import type { FeatureFamily } from '../predictor/params.js';
import type { PredictionFeatures, PredictionRecord } from '../../schemas/generated/types.js';
import { NO_ALIGNMENT, type AlignmentMissing, type PairOutcome } from './alignment-features.js';
import { neighbourStatistics, type AnnotationSetStatistics, type NeighbourStatistics } from './neighbour-statistics.js';
import { NO_TAXONOMY, taxonomyFeatures, type TaxonomyMissing } from './taxonomy-features.js';

export interface EnrichmentInputs {
  families: ReadonlySet<FeatureFamily>;
  /** taxon of a protein by accession (null: known without a taxon; undefined: unknown protein) */
  taxonOf(accession: string): number | null | undefined;
  lineageOf(taxon: number): readonly number[] | undefined;
  /** the alignment of the query with the reference of term i (alignment family only) */
  alignmentOf(termIndex: number): PairOutcome | { missing: AlignmentMissing; features: null };
  /** neighbours family only */
  usage: AnnotationSetStatistics | null;
}

export type NullReason = { family: FeatureFamily; reason: string };

type NeighbourColumns = { [K in keyof NeighbourStatistics]: NeighbourStatistics[K] | null };

const NO_NEIGHBOUR_STATS: Readonly<NeighbourColumns> = {
  vote_count: null,
  go_term_frequency: null,
  ref_annotation_density: null,
  neighbor_distance_std: null,
  neighbor_vote_fraction: null,
  neighbor_min_distance: null,
  neighbor_mean_distance: null,
};

/** The features of every term of `record`, in order, and why any requested feature is null (one entry per row and reason). */
export function enrichTerms(record: PredictionRecord, inputs: EnrichmentInputs): { features: PredictionFeatures[]; nulls: NullReason[] } {
  const nulls: NullReason[] = [];
  const { families } = inputs;
  const stats = families.has('neighbours') && inputs.usage ? neighbourStatistics(record.terms, record.neighbours_by_aspect, inputs.usage) : null;
  const queryTaxon = families.has('taxonomy') ? (inputs.taxonOf(record.query_accession) ?? null) : null;
  const features = record.terms.map((t, i): PredictionFeatures => {
    let alignment = NO_ALIGNMENT;
    if (families.has('alignment')) {
      const a = inputs.alignmentOf(i);
      if (a.features) alignment = a.features;
      if (a.missing) nulls.push({ family: 'alignment', reason: a.missing });
    }
    let taxonomy = NO_TAXONOMY;
    if (families.has('taxonomy')) {
      const r = taxonomyFeatures(queryTaxon, inputs.taxonOf(t.ref_accession) ?? null, inputs.lineageOf);
      taxonomy = r.features;
      if (r.missing) nulls.push({ family: 'taxonomy', reason: r.missing satisfies TaxonomyMissing });
    }
    let neighbours: Readonly<NeighbourColumns> = NO_NEIGHBOUR_STATS;
    if (stats) {
      const s = stats[i]!;
      neighbours = s;
      if (s.go_term_frequency === null) nulls.push({ family: 'neighbours', reason: 'term_not_in_annotation_set' });
      if (s.ref_annotation_density === null) nulls.push({ family: 'neighbours', reason: 'ref_not_in_annotation_set' });
    } else if (families.has('neighbours')) nulls.push({ family: 'neighbours', reason: 'annotation_set_unknown' });
    return { ...alignment, ...taxonomy, ...neighbours };
  });
  return { features, nulls };
}
