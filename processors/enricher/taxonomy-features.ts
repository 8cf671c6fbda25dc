// Taxonomy features of a (query, reference) pair from NCBI lineages: the
// lowest common ancestor, the number of edges between the two taxa through it,
// how many ancestors they share and how the reference's taxon relates to the
// query's. Pure: the lineages come from lib/queries/taxonomy.ts.
//
// A lineage is [taxon, parent, grandparent, ..., root]: it ends at the node
// that is its own parent (NCBI's root, 1) or whose parent is not loaded (a
// subtree's top). With lineages Lq and Lr and their LCA at positions i in Lq
// and j in Lr:
//   taxonomic_distance         = i + j (edges from the query's taxon up to the LCA and down to the reference's)
//   taxonomic_common_ancestors = |Lq ∩ Lr| (the LCA and everything above it, root included)
//   taxonomic_relation         = 'same' (r = q), 'ancestor' (r is in Lq), 'descendant' (q is in Lr),
//                                'sibling' (same parent), 'other'.

export type TaxonomicRelation = 'same' | 'ancestor' | 'descendant' | 'sibling' | 'other';

export interface TaxonomyFeatures {
  query_taxonomy_id: number | null;
  ref_taxonomy_id: number | null;
  taxonomic_lca: number | null;
  taxonomic_distance: number | null;
  taxonomic_common_ancestors: number | null;
  taxonomic_relation: TaxonomicRelation | null;
}

/** Why a pair's taxonomy features are (partly) null; counted in the stage's metrics. */
export type TaxonomyMissing = 'query_taxonomy_unknown' | 'ref_taxonomy_unknown' | 'taxon_not_in_taxonomy' | 'no_common_ancestor';

export interface TaxonomyResult {
  features: TaxonomyFeatures;
  missing: TaxonomyMissing | null;
}

/** The all-null features of a pair whose family was not asked for. */
export const NO_TAXONOMY: Readonly<TaxonomyFeatures> = Object.freeze({
  query_taxonomy_id: null,
  ref_taxonomy_id: null,
  taxonomic_lca: null,
  taxonomic_distance: null,
  taxonomic_common_ancestors: null,
  taxonomic_relation: null,
});

/**
 * The features of one pair. The taxonomy ids are set whenever they are known;
 * the rest is null when a taxon is unknown, not in the taxonomy table, or the
 * two lineages meet nowhere (two disjoint subtrees loaded).
 */
export function taxonomyFeatures(queryTaxon: number | null, refTaxon: number | null, lineageOf: (taxon: number) => readonly number[] | undefined): TaxonomyResult {
  const features: TaxonomyFeatures = { ...NO_TAXONOMY, query_taxonomy_id: queryTaxon, ref_taxonomy_id: refTaxon };
  if (queryTaxon === null) return { features, missing: 'query_taxonomy_unknown' };
  if (refTaxon === null) return { features, missing: 'ref_taxonomy_unknown' };
  const lq = lineageOf(queryTaxon);
  const lr = lineageOf(refTaxon);
  if (!lq || !lr) return { features, missing: 'taxon_not_in_taxonomy' };
  const inR = new Map<number, number>();
  lr.forEach((taxon, j) => inR.set(taxon, j));
  let i = 0;
  while (i < lq.length && !inR.has(lq[i]!)) i++;
  if (i === lq.length) return { features, missing: 'no_common_ancestor' };
  const lca = lq[i]!;
  features.taxonomic_lca = lca;
  features.taxonomic_distance = i + inR.get(lca)!;
  // every node above the LCA in Lq is also above it in Lr (one tree): the shared part is Lq's tail from i
  features.taxonomic_common_ancestors = lq.length - i;
  features.taxonomic_relation =
    queryTaxon === refTaxon ? 'same'
    : lca === refTaxon ? 'ancestor'
    : lca === queryTaxon ? 'descendant'
    : lq.length > 1 && lr.length > 1 && lq[1] === lr[1] ? 'sibling'
    : 'other';
  return { features, missing: null };
}
