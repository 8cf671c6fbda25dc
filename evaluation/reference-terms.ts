// The terms each protein of a reference annotation set carries, as every
// baseline reads them: positive rows with the set's evidence codes (NOT rows
// count with any code), ids resolved on the evaluation's ontology (alt_ids
// onto their term; unknown and obsolete ids dropped), and a protein's NOT row
// removing its positives to that term and its descendants, as in the
// evaluation set. Shared by the naive baseline (term frequencies) and the
// identity baseline (the terms a hit passes on).
import type { ReferenceAnnotations } from './baselines.js';
import type { EvalOntology } from './ontology.js';
import { isNotQualifier } from './temporal-holdout.js';

export interface ReferenceTerms {
  /** per protein with at least one term kept: its terms (ontology indices, as annotated, not propagated) */
  proteins: ReadonlyMap<string, readonly number[]>;
  /** rows dropped: other evidence, unknown or obsolete term; positive terms removed by a NOT row */
  dropped: { otherEvidence: number; unknownTerm: number; notExcluded: number };
}

export function referenceTerms(ontology: EvalOntology, reference: ReferenceAnnotations): ReferenceTerms {
  const codes = new Set(reference.evidenceCodes);
  const positive = new Map<string, Set<number>>();
  const negative = new Map<string, Set<number>>();
  const dropped = { otherEvidence: 0, unknownTerm: 0, notExcluded: 0 };
  for (const row of reference.rows) {
    const not = isNotQualifier(row.qualifier);
    if (!not && !codes.has(row.evidenceCode)) {
      dropped.otherEvidence += 1;
      continue;
    }
    const t = ontology.resolve(row.goId);
    if (t === undefined) {
      dropped.unknownTerm += 1;
      continue;
    }
    const into = not ? negative : positive;
    let set = into.get(row.protein);
    if (!set) into.set(row.protein, (set = new Set()));
    set.add(t);
  }
  const proteins = new Map<string, number[]>();
  for (const [protein, terms] of positive) {
    const nots = negative.get(protein);
    const kept: number[] = [];
    for (const t of terms) {
      if (nots && [...ontology.ancestors(t)].some((a) => nots.has(a))) dropped.notExcluded += 1;
      else kept.push(t);
    }
    if (kept.length > 0) proteins.set(protein, kept);
  }
  return { proteins, dropped };
}

/** The terms of a protein in one namespace, propagated over is_a/part_of (ancestors included, each once). */
export function closureIn(ontology: EvalOntology, terms: readonly number[], namespace: string): number[] {
  const out = new Set<number>();
  for (const t of terms) {
    if (ontology.namespace(t) !== namespace) continue;
    for (const a of ontology.ancestors(t)) out.add(a);
  }
  return [...out];
}
