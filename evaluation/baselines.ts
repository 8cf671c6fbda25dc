// Baselines: reference methods computed on the same evaluation set beside
// every result, so a method's Fmax reads against what needs no model at all.
// No database access: `protea evaluate run` hands each baseline the evaluation
// set's ontology, the targets of one (category, namespace) and the rows of the
// reference annotation set (the evaluation set's OLD set: what was known when
// the targets were chosen), and scores what it yields like any prediction set.
//
// Baselines are not stored as go_prediction rows (the naive one predicts the
// same terms for every target: targets x terms rows for nothing); a
// prediction_set row of kind 'baseline' names each so results can point to it.
//
// The mechanism is general: a baseline is a name, a description and
// prepare(run), called once per evaluation run with every target of the run,
// which returns what predicts one (category, namespace) at a time. The naive
// baseline prepares nothing; the identity baseline (identity-baseline.ts)
// aligns each target once against the reference proteins, so it asks for
// sequences (needsSequences: evaluation/run.ts loads them from PostgreSQL and
// the baselines themselves stay free of I/O).
import { ProteaError } from '../lib/errors.js';
import { identityBaseline } from './identity-baseline.js';
import type { EvalOntology } from './ontology.js';
import { referenceTerms } from './reference-terms.js';
import { DEFAULT_EVIDENCE_CODES } from './temporal-holdout.js';
import type { ScoredPrediction } from './types.js';

/** One GAF row of the reference annotation set, as the baselines read it. */
export interface ReferenceAnnotation {
  protein: string;
  /** GO id as annotated (alt_ids are mapped onto their term) */
  goId: string;
  /** GAF column 4 ('enables', 'NOT|enables', ...) */
  qualifier: string;
  evidenceCode: string;
}

/** The reference annotation set, read once per run and shared by every baseline and category. */
export interface ReferenceAnnotations {
  /** annotation_set.id (provenance; also what the baseline's prediction_set records) */
  annotationSetId: string;
  /** positive rows count with these evidence codes (the evaluation set's); NOT rows count with any */
  evidenceCodes: readonly string[];
  rows: readonly ReferenceAnnotation[];
}

export interface BaselineContext {
  /** the evaluation set's ontology: the terms a baseline may predict */
  ontology: EvalOntology;
  /** the namespace to predict in */
  namespace: string;
  /** proteins to predict for (one category's targets in the namespace) */
  targets: Iterable<string>;
  reference: ReferenceAnnotations;
  /**
   * Scores below this are never predicted by the evaluator (its lowest
   * threshold is the threshold step): a baseline may leave them out, which
   * changes no metric.
   */
  minScore: number;
  /** at most this many terms per target in the namespace (default DEFAULT_MAX_TERMS_PER_NAMESPACE) */
  maxTermsPerNamespace?: number;
}

/**
 * What a baseline may prepare from, once per evaluation run: every target of
 * every category and namespace together, so costly work (aligning each
 * target) is done once whatever the number of categories and namespaces.
 */
export interface BaselineRun {
  ontology: EvalOntology;
  reference: ReferenceAnnotations;
  /** per namespace, the targets of every category there */
  targets: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Stored sequences by protein accession, of the targets and the reference
   * proteins (a protein without a stored sequence is absent); loaded by
   * evaluation/run.ts only for a baseline with needsSequences.
   */
  sequences?: ReadonlyMap<string, string>;
}

/** What a run predicts with, one (category, namespace) at a time. */
export interface BaselinePredictor {
  predict(ctx: BaselineContext): AsyncIterable<ScoredPrediction> | Iterable<ScoredPrediction>;
  /** what the run reports beside the results (e.g. targets left without a prediction, and why), one line each */
  readonly notes?: readonly string[];
  /** releases what prepare took (worker threads, memory) */
  close?(): Promise<void>;
}

export interface Baseline {
  name: string;
  description: string;
  /** evaluation/run.ts loads the stored sequences of the targets and the reference proteins into BaselineRun.sequences */
  needsSequences?: boolean;
  /** once per evaluation run, before any prediction: the predictor of this run */
  prepare(run: BaselineRun): Promise<BaselinePredictor> | BaselinePredictor;
}

/**
 * The naive baseline's cap on terms per namespace. Only terms whose frequency
 * reaches the lowest threshold can count at all; of those, the most frequent
 * 1000 are kept, so 10k targets cost at most 10M predictions per namespace.
 * The cap changes results only at thresholds below the 1000th frequency, and
 * only when more than 1000 terms of a namespace reach the threshold step (with
 * the default step 0.01: more than 1000 terms on 1% of the reference proteins).
 */
export const DEFAULT_MAX_TERMS_PER_NAMESPACE = 1000;

/** A term of a namespace with its frequency in the reference set. */
export interface TermFrequency {
  term: string;
  /** proteins annotated with the term (after propagation) / proteins annotated in its namespace */
  frequency: number;
  proteins: number;
}

export interface NaiveModel {
  /** reference proteins with at least one annotation kept, per namespace */
  proteins: ReadonlyMap<string, number>;
  /** per namespace, every term of positive frequency, most frequent first (ties by id) */
  terms: ReadonlyMap<string, readonly TermFrequency[]>;
  /** rows dropped: other evidence, unknown or obsolete term */
  dropped: { otherEvidence: number; unknownTerm: number; notExcluded: number };
}

/**
 * Term frequencies of a reference set: each protein's positive annotations
 * (evidence codes of the set; NOT rows remove the same protein's positives to
 * that term and its descendants, as in the evaluation set), propagated over
 * is_a/part_of in their namespace; frequency(t) = proteins carrying t / proteins
 * annotated in t's namespace. Every namespace root thus scores 1.
 */
export function naiveModel(ontology: EvalOntology, reference: ReferenceAnnotations): NaiveModel {
  const { proteins, dropped } = referenceTerms(ontology, reference);
  const counts = new Float64Array(ontology.size);
  const perNamespace = new Map<string, number>();
  const stamp = new Int32Array(ontology.size).fill(-1);
  let p = 0;
  for (const terms of proteins.values()) {
    const namespaces = new Set<string>();
    for (const t of terms) {
      namespaces.add(ontology.namespace(t));
      for (const a of ontology.ancestors(t)) {
        if (stamp[a] === p) continue;
        stamp[a] = p;
        counts[a]! += 1;
      }
    }
    for (const ns of namespaces) perNamespace.set(ns, (perNamespace.get(ns) ?? 0) + 1);
    p += 1;
  }

  const byNamespace = new Map<string, TermFrequency[]>();
  for (let t = 0; t < ontology.size; t++) {
    const c = counts[t]!;
    if (c === 0) continue;
    const ns = ontology.namespace(t);
    const list = byNamespace.get(ns) ?? [];
    if (list.length === 0) byNamespace.set(ns, list);
    list.push({ term: ontology.id(t), frequency: c / perNamespace.get(ns)!, proteins: c });
  }
  for (const list of byNamespace.values()) list.sort((a, b) => b.frequency - a.frequency || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  return { proteins: perNamespace, terms: byNamespace, dropped };
}

// One model per reference read, whatever the number of categories and namespaces.
const models = new WeakMap<ReferenceAnnotations, WeakMap<EvalOntology, NaiveModel>>();

function cachedModel(ontology: EvalOntology, reference: ReferenceAnnotations): NaiveModel {
  let byOntology = models.get(reference);
  if (!byOntology) models.set(reference, (byOntology = new WeakMap()));
  let model = byOntology.get(ontology);
  if (!model) byOntology.set(ontology, (model = naiveModel(ontology, reference)));
  return model;
}

/** The terms the naive baseline gives every target of a namespace: frequency >= minScore, the most frequent first, capped. */
export function naiveTerms(model: NaiveModel, namespace: string, minScore: number, maxTerms = DEFAULT_MAX_TERMS_PER_NAMESPACE): readonly TermFrequency[] {
  const all = model.terms.get(namespace) ?? [];
  let end = 0;
  while (end < all.length && end < maxTerms && all[end]!.frequency >= minScore) end++;
  return all.slice(0, end);
}

export const naiveBaseline: Baseline & BaselinePredictor = {
  name: 'naive',
  description:
    'every target gets each term of the namespace scored by its frequency among the proteins of the reference (old) annotation set ' +
    'annotated in that namespace (experimental evidence, propagated), as the CAFA naive baseline does; terms below the lowest threshold ' +
    `are left out (they are never predicted) and at most ${DEFAULT_MAX_TERMS_PER_NAMESPACE} terms per namespace are kept`,
  // nothing to prepare: the term frequencies are computed at the first prediction and kept per reference
  prepare: () => naiveBaseline,
  *predict(ctx: BaselineContext): Iterable<ScoredPrediction> {
    const terms = naiveTerms(cachedModel(ctx.ontology, ctx.reference), ctx.namespace, ctx.minScore, ctx.maxTermsPerNamespace);
    if (terms.length === 0) return;
    for (const target of ctx.targets) for (const t of terms) yield { target, term: t.term, score: t.frequency };
  },
};

/** Every baseline by name. */
export const BASELINES: ReadonlyMap<string, Baseline> = new Map<string, Baseline>([
  [naiveBaseline.name, naiveBaseline],
  [identityBaseline.name, identityBaseline],
]);

/** Names used before, for the error message. */
const RENAMED: Readonly<Record<string, string>> = { 'nearest-neighbour-by-identity': identityBaseline.name };

/**
 * Baseline names from a comma-separated list; 'none' (alone) for none.
 * Unknown names are a USAGE error listing the known ones.
 */
export function parseBaselines(value: string): Baseline[] {
  const names = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.length === 1 && names[0] === 'none') return [];
  if (names.length === 0) throw new ProteaError('USAGE', '--baselines: no baseline named (give naive, or none)', { field: '--baselines' });
  return names.map((name) => {
    const b = BASELINES.get(name);
    if (b) return b;
    const renamed = RENAMED[name];
    throw new ProteaError('USAGE', `--baselines: no baseline "${name}"${renamed ? ` (it is called "${renamed}")` : ''}; known: ${[...BASELINES.keys()].join(', ')}, or none`, {
      field: '--baselines',
    });
  });
}

/** The reference evidence codes of an evaluation set: those it was built with (stats.evidenceCodes), else the default. */
export function referenceEvidenceCodes(stats: { evidenceCodes?: readonly string[] } | null | undefined): readonly string[] {
  return stats?.evidenceCodes && stats.evidenceCodes.length > 0 ? stats.evidenceCodes : DEFAULT_EVIDENCE_CODES;
}
