// The evaluator's vocabulary, shared by the metric core (pure), the file
// command (`protea evaluate files`), the database commands (`evaluate set|run|
// import`), the baselines and the API. Names of curve columns follow the
// CAFA-evaluator's output columns so our TSVs line up with its own.

/** How predicted scores reach ancestors: every ancestor gets the maximum score
 * of its predicted descendants ('max'), or only ancestors without a score of
 * their own get it ('fill'). */
export type Propagation = 'max' | 'fill';

/** Which proteins precision is averaged over ('cafa': proteins with at least one
 * prediction at the threshold; 'pred': ... as the reference tool defines it;
 * 'gt': all ground-truth proteins). Recall is always over ground-truth proteins. */
export type Normalization = 'cafa' | 'pred' | 'gt';

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

/** One threshold of one namespace: the columns of the reference tool's output.
 * The *_w fields are present only when information accretion was given. */
export interface CurveRow {
  tau: number;
  /** proteins over which precision was averaged at this threshold */
  n: number;
  tp: number;
  fp: number;
  fn: number;
  pr: number;
  rc: number;
  /** coverage: share of ground-truth proteins with at least one prediction at tau */
  cov: number;
  /** misinformation and remaining uncertainty (term counts, or IA sums in _w) */
  mi: number;
  ru: number;
  f: number;
  s: number;
  pr_micro: number;
  rc_micro: number;
  f_micro: number;
  n_w?: number;
  tp_w?: number;
  fp_w?: number;
  fn_w?: number;
  pr_w?: number;
  rc_w?: number;
  cov_w?: number;
  mi_w?: number;
  ru_w?: number;
  f_w?: number;
  s_w?: number;
  pr_micro_w?: number;
  rc_micro_w?: number;
  f_micro_w?: number;
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

export type Category = 'NK' | 'LK' | 'PK';
export const CATEGORIES: readonly Category[] = ['NK', 'LK', 'PK'];

/** What one namespace of one category holds in an EvaluationResult. */
export interface StoredNamespaceResult {
  groundTruthTargets: number;
  predictedTargets: number;
  bestF: CurveRow | null;
  bestS: CurveRow | null;
  bestFW?: CurveRow | null;
  bestSW?: CurveRow | null;
  curve: CurveRow[];
}

/** evaluation_result.results (JSONB): everything needed to print the results
 * table, export TSV and draw the precision-recall plot without recomputing. */
export interface EvaluationResultDocument {
  /** display name of the method: the prediction set's name, or 'naive' etc. for a baseline */
  method: string;
  /** the baseline's name when this result is a baseline's, else null */
  baseline: string | null;
  options: { prop: Propagation; norm: Normalization; thStep: number; noRoots: boolean; ia: string | null };
  /** category -> namespace -> result; a category without targets is absent */
  categories: Partial<Record<Category, Record<string, StoredNamespaceResult>>>;
}
