// Views of a stored EvaluationResultDocument for the API's JSON: its namespaces
// and the short per-namespace summary a results table shows. (The TSV of best
// rows is evaluation/report.ts's, the same as `protea evaluate run` writes.)
import { CATEGORIES, type Category, type EvaluationResultDocument, type StoredNamespaceResult } from '../evaluation/types.js';

/** Category, namespace and result of every namespace the document holds, categories in NK, LK, PK order, namespaces sorted. */
export function namespaceResults(doc: EvaluationResultDocument): Array<{ category: Category; namespace: string; result: StoredNamespaceResult }> {
  const out: Array<{ category: Category; namespace: string; result: StoredNamespaceResult }> = [];
  for (const category of CATEGORIES) {
    const byNs = doc.categories?.[category];
    if (!byNs) continue;
    for (const namespace of Object.keys(byNs).sort()) out.push({ category, namespace, result: byNs[namespace]! });
  }
  return out;
}

export interface NamespaceSummary {
  category: Category;
  namespace: string;
  ground_truth_targets: number;
  predicted_targets: number;
  fmax: number | null;
  tau: number | null;
  coverage: number | null;
  smin: number | null;
  fmax_w?: number | null;
  smin_w?: number | null;
}

/** Fmax (with its threshold and coverage) and S-min per category and namespace. */
export function summarise(doc: EvaluationResultDocument): NamespaceSummary[] {
  return namespaceResults(doc).map(({ category, namespace, result }) => {
    const s: NamespaceSummary = {
      category,
      namespace,
      ground_truth_targets: result.groundTruthTargets,
      predicted_targets: result.predictedTargets,
      fmax: result.bestF?.f ?? null,
      tau: result.bestF?.tau ?? null,
      coverage: result.bestF?.cov ?? null,
      smin: result.bestS?.s ?? null,
    };
    if (result.bestFW !== undefined) s.fmax_w = result.bestFW?.f_w ?? null;
    if (result.bestSW !== undefined) s.smin_w = result.bestSW?.s_w ?? null;
    return s;
  });
}
