// The terms of one protein as an export writes them (pure logic): its
// go_prediction rows grouped by GO term with the term's score (the maximum
// over its rows: a KNN set has a row per reference protein), optionally made
// consistent along the ontology (propagation), then filtered by a minimum
// score and cut to the N best.
//
// Propagation: every ancestor over is_a and part_of (within the namespace, as
// the evaluator's closure: evaluation/ontology.ts) gets max(own score, the
// scores of its predicted descendants), so no term scores above its parent.
// An ancestor no row predicted is added with no rows (`propagated`). A term
// the ontology does not know (obsolete, or not a primary id of the release)
// keeps its own score and propagates nothing. Terms without any scored row
// are carried with a null score: they propagate nothing, fail every
// --min-score and sort after every scored term.
import type { CompiledOntology } from '../evaluation/ontology.js';

export interface ScoredRow {
  go_id: string;
  score: number | null;
}

export interface TermGroup<R extends ScoredRow> {
  goId: string;
  /** max over the rows, raised to the max over predicted descendants when propagated; null: no score */
  score: number | null;
  /** added by propagation: an ancestor of predicted terms with no row of its own */
  propagated: boolean;
  /** the term's rows in the order given (none for a propagated ancestor) */
  rows: R[];
}

export interface SelectOptions {
  /** keep terms scoring at least this (after propagation) */
  minScore?: number;
  /** keep the N best terms (score descending, GO id ascending on ties) */
  top?: number;
}

/** Groups one protein's rows by GO term, in first-seen order; the term score is the max row score. */
export function groupTerms<R extends ScoredRow>(rows: readonly R[]): Map<string, TermGroup<R>> {
  const terms = new Map<string, TermGroup<R>>();
  for (const r of rows) {
    let t = terms.get(r.go_id);
    if (!t) {
      t = { goId: r.go_id, score: null, propagated: false, rows: [] };
      terms.set(r.go_id, t);
    }
    t.rows.push(r);
    if (r.score !== null && (t.score === null || r.score > t.score)) t.score = r.score;
  }
  return terms;
}

/** Ancestors (self excluded) of a primary GO id, or undefined when the ontology does not keep it. */
export type AncestorsOf = (goId: string) => readonly string[] | undefined;

/** The ancestor lookup of a compiled ontology: primary ids only (an alt_id or obsolete id has none). */
export function ancestorsFrom(ontology: CompiledOntology): AncestorsOf {
  const cache = new Map<number, string[]>();
  return (goId) => {
    const i = ontology.resolve(goId);
    if (i === undefined || ontology.id(i) !== goId) return undefined;
    let out = cache.get(i);
    if (!out) {
      out = [];
      for (const a of ontology.ancestors(i)) if (a !== i) out.push(ontology.id(a));
      cache.set(i, out);
    }
    return out;
  };
}

/** Raises every ancestor of a scored term to at least that score, adding the missing ones (in place). */
export function propagateTerms<R extends ScoredRow>(terms: Map<string, TermGroup<R>>, ancestorsOf: AncestorsOf): Map<string, TermGroup<R>> {
  // the max over descendants does not depend on the order terms are visited in
  for (const t of [...terms.values()]) {
    const s = t.score;
    if (s === null) continue;
    for (const a of ancestorsOf(t.goId) ?? []) {
      const at = terms.get(a);
      if (!at) terms.set(a, { goId: a, score: s, propagated: true, rows: [] });
      else if (at.score === null || s > at.score) at.score = s;
    }
  }
  return terms;
}

/** Score descending (null last), then GO id ascending. */
export function byRank(a: { goId: string; score: number | null }, b: { goId: string; score: number | null }): number {
  if (a.score !== b.score) {
    if (a.score === null) return 1;
    if (b.score === null) return -1;
    return b.score - a.score;
  }
  return a.goId < b.goId ? -1 : a.goId > b.goId ? 1 : 0;
}

/** The terms kept by --min-score and --top, in GO id order. */
export function selectTerms<R extends ScoredRow>(terms: Iterable<TermGroup<R>>, opts: SelectOptions = {}): TermGroup<R>[] {
  let kept = [...terms];
  if (opts.minScore !== undefined) {
    const min = opts.minScore;
    kept = kept.filter((t) => t.score !== null && t.score >= min);
  }
  if (opts.top !== undefined && kept.length > opts.top) kept = kept.sort(byRank).slice(0, opts.top);
  return kept.sort((a, b) => (a.goId < b.goId ? -1 : a.goId > b.goId ? 1 : 0));
}
