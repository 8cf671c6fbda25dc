// The evaluator's vocabulary, shared by the metric core (pure), the evaluation
// on files (run-files.ts), on stored sets (sets.ts, import.ts, run.ts), the
// baselines and the API. Names of curve columns follow the CAFA-evaluator's
// output columns so our TSVs line up with its own. What is stored as it is
// (a result document, its curve rows and options, the target categories) is
// defined by lib/queries/, which owns the stored layouts, and re-exported here.
import type { Category } from '../lib/queries/evaluation-sets.js';
import type { CurveRow, Normalization, Propagation } from '../lib/queries/evaluation-results.js';

export type { Category } from '../lib/queries/evaluation-sets.js';
export type { CurveRow, EvaluationResultDocument, Normalization, Propagation, StoredNamespaceResult } from '../lib/queries/evaluation-results.js';

export interface EvaluationOptions {
  prop: Propagation;
  norm: Normalization;
  /** threshold step (default 0.01); thresholds are step, 2*step, ... below 1, the
   * float64 values of numpy.arange(step, 1, step) as the reference tool forms them;
   * a score counts at tau when score >= tau */
  thStep: number;
  /** drop each namespace's root terms from ground truth and predictions */
  noRoots: boolean;
  /** information accretion per term id; weighted (_w) columns only when given */
  ia?: ReadonlyMap<string, number> | undefined;
}

export const DEFAULT_EVALUATION_OPTIONS: Readonly<EvaluationOptions> = Object.freeze({ prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false });

/** One ontology term as the evaluator needs it (from an OBO file or go_term rows). */
export interface OntologyTermInput {
  id: string;
  namespace: string | null;
  name?: string | null;
  obsolete?: boolean;
  altIds?: readonly string[];
  /** parent ids by relation; only is_a and part_of propagate, and only within the term's namespace */
  isA?: readonly string[];
  partOf?: readonly string[];
}

/** A ground-truth (or known) annotation: a target protein and a term id (alt ids allowed). */
export interface Annotation {
  target: string;
  term: string;
}

/** A scored prediction; score in [0, 1]. */
export interface ScoredPrediction extends Annotation {
  score: number;
}

export interface NamespaceResult {
  namespace: string;
  /** ground-truth proteins in this namespace (after dropping roots when asked) */
  groundTruthTargets: number;
  /** of those, proteins with any prediction in this namespace */
  predictedTargets: number;
  /** every threshold, ascending tau */
  curve: CurveRow[];
  /** the reference tool's choice of best rows; null when nothing was predicted */
  bestF: CurveRow | null;
  bestS: CurveRow | null;
  bestFW?: CurveRow | null;
  bestSW?: CurveRow | null;
}

/** PK scoring: terms a target already had, removed (propagated) from its
 * ground truth and its predictions before scoring. */
export type KnownAnnotations = Iterable<Annotation>;

export const CATEGORIES: readonly Category[] = ['NK', 'LK', 'PK'];
