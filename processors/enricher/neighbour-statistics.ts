// Neighbour statistics of each transferred (GO term, reference) row of one
// query, over the rows of the same GO term (the neighbours carrying it). Pure.
// The README's "Neighbour statistics" section gives the same definitions.
//
// For a query q and GO term t, let N_t be the neighbours of q (within the
// index t's aspect was searched in) annotated with t, d_n their distances to q,
// and n the number of neighbours selected in that index (k plus ties, or those
// within the threshold):
//   vote_count             = |N_t|
//   neighbor_vote_fraction = |N_t| / n
//   neighbor_min_distance  = min d_n
//   neighbor_mean_distance = mean d_n
//   neighbor_distance_std  = population standard deviation of d_n (0 for one neighbour)
//   go_term_frequency      = (reference proteins of the annotation set annotated with t) / (reference proteins)
//   ref_annotation_density = GO terms annotated to the row's reference protein in the annotation set
// Reference proteins and their annotations are those the predictor transfers
// from: the set's rows with the prediction set's evidence codes, NOT-qualified
// rows excluded. k_position (the reference's rank) comes from the predictor.

export interface NeighbourStatistics {
  vote_count: number;
  go_term_frequency: number | null;
  ref_annotation_density: number | null;
  neighbor_distance_std: number;
  neighbor_vote_fraction: number;
  neighbor_min_distance: number;
  neighbor_mean_distance: number;
}

export interface StatisticsRow {
  go_id: string;
  ref_accession: string;
  distance: number;
  aspect: string | null;
}

/** What the annotation set says about its terms and proteins. */
export interface AnnotationSetStatistics {
  /** reference proteins (with at least one transferable annotation) */
  references: number;
  /** per GO id: reference proteins annotated with it */
  proteinsWithTerm: ReadonlyMap<string, number>;
  /** per reference accession: distinct GO terms annotated to it */
  termsOfProtein: ReadonlyMap<string, number>;
}

/**
 * The statistics of every row, in order. `neighboursByAspect` (from the
 * predictor: 'F' / 'P' / 'C' when aspect-separated, 'all' otherwise) gives n;
 * without it, n is the number of distinct references among the rows of the
 * term's aspect.
 */
export function neighbourStatistics(rows: readonly StatisticsRow[], neighboursByAspect: Readonly<Record<string, number>> | null, stats: AnnotationSetStatistics): NeighbourStatistics[] {
  const byTerm = new Map<string, number[]>();
  const refsByAspect = new Map<string, Set<string>>();
  for (const r of rows) {
    const d = byTerm.get(r.go_id);
    if (d) d.push(r.distance);
    else byTerm.set(r.go_id, [r.distance]);
    const a = r.aspect ?? 'all';
    const refs = refsByAspect.get(a) ?? new Set<string>();
    refs.add(r.ref_accession);
    refsByAspect.set(a, refs);
  }
  const perTerm = new Map<string, { count: number; min: number; mean: number; std: number }>();
  for (const [go, ds] of byTerm) {
    let sum = 0;
    let min = Infinity;
    for (const d of ds) {
      sum += d;
      if (d < min) min = d;
    }
    const mean = sum / ds.length;
    let sq = 0;
    for (const d of ds) sq += (d - mean) * (d - mean);
    perTerm.set(go, { count: ds.length, min, mean, std: Math.sqrt(sq / ds.length) });
  }
  const neighboursIn = (aspect: string | null): number => {
    const fromPredictor = neighboursByAspect ? (neighboursByAspect[aspect ?? 'all'] ?? neighboursByAspect.all) : undefined;
    return fromPredictor ?? refsByAspect.get(aspect ?? 'all')?.size ?? 0;
  };
  return rows.map((r) => {
    const s = perTerm.get(r.go_id)!;
    const n = Math.max(neighboursIn(r.aspect), s.count);
    const withTerm = stats.proteinsWithTerm.get(r.go_id);
    const density = stats.termsOfProtein.get(r.ref_accession);
    return {
      vote_count: s.count,
      go_term_frequency: withTerm !== undefined && stats.references > 0 ? withTerm / stats.references : null,
      ref_annotation_density: density ?? null,
      neighbor_distance_std: s.std,
      neighbor_vote_fraction: s.count / n,
      neighbor_min_distance: s.min,
      neighbor_mean_distance: s.mean,
    };
  });
}
