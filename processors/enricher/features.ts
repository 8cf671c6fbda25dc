// The feature record of every term of one query's predictions: the families
// its prediction set asks for, from the inputs the stage looked up for the
// batch. Pure; processor.ts does the I/O and the alignments.
import type { FeatureFamily } from '../predictor/params.js';
import type { PredictionFeatures, PredictionRecord } from '../../schemas/generated/types.js';
import { NO_ALIGNMENT, type AlignmentFeatures, type AlignmentMissing, type PairOutcome } from './alignment-features.js';
import { neighbourStatistics, type AnnotationSetStatistics, type NeighbourStatistics } from './neighbour-statistics.js';
import { NO_TAXONOMY, taxonomyFeatures, type TaxonomyFeatures, type TaxonomyMissing } from './taxonomy-features.js';

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
    return featureRow(alignment, taxonomy, neighbours);
  });
  return { features, nulls };
}

/**
 * One row's features as one literal with every field in the schema's order:
 * every row then shares one object shape, where spreading three partial
 * records made shapes the encoder reads slowly (measured: spreading and
 * encoding cost ~60 µs per row, a third of the stage's main-thread time on the
 * CAFA3 workload, and held the event loop for seconds per micro-batch).
 */
function featureRow(a: Readonly<AlignmentFeatures>, t: Readonly<TaxonomyFeatures>, n: Readonly<NeighbourColumns>): PredictionFeatures {
  return {
    identity_nw: a.identity_nw,
    similarity_nw: a.similarity_nw,
    alignment_score_nw: a.alignment_score_nw,
    gaps_pct_nw: a.gaps_pct_nw,
    alignment_length_nw: a.alignment_length_nw,
    identity_sw: a.identity_sw,
    similarity_sw: a.similarity_sw,
    alignment_score_sw: a.alignment_score_sw,
    gaps_pct_sw: a.gaps_pct_sw,
    alignment_length_sw: a.alignment_length_sw,
    length_query: a.length_query,
    length_ref: a.length_ref,
    query_taxonomy_id: t.query_taxonomy_id,
    ref_taxonomy_id: t.ref_taxonomy_id,
    taxonomic_lca: t.taxonomic_lca,
    taxonomic_distance: t.taxonomic_distance,
    taxonomic_common_ancestors: t.taxonomic_common_ancestors,
    taxonomic_relation: t.taxonomic_relation,
    vote_count: n.vote_count,
    go_term_frequency: n.go_term_frequency,
    ref_annotation_density: n.ref_annotation_density,
    neighbor_distance_std: n.neighbor_distance_std,
    neighbor_vote_fraction: n.neighbor_vote_fraction,
    neighbor_min_distance: n.neighbor_min_distance,
    neighbor_mean_distance: n.neighbor_mean_distance,
  };
}
