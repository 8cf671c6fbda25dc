// The CAFA-style temporal holdout (pure): the experimental annotations a newer
// annotation set adds to an older one, as no-knowledge (NK), limited-knowledge
// (LK) and partial-knowledge (PK) targets per (protein, namespace), on one
// ontology snapshot. `protea evaluate set` feeds it rows from PostgreSQL and
// stores what it returns (evaluation_set, evaluation_target, evaluation_known).
//
// Rules, in order, applied to each set on its own:
//  1. Evidence: a positive row counts only with one of the evidence codes
//     (default: experimental EXP IDA IPI IMP IGI IEP and high-throughput HTP
//     HDA HMP HGI HEP; TAS and IC, which CAFA3 also accepted, are left out
//     because they are author/curator statements, not experiments). A
//     NOT-qualified row counts whatever its evidence code (a NOT by IKR or IBA
//     contradicts an experimental positive all the same).
//  2. Terms: every GO id is mapped onto the one snapshot (alt_ids to their
//     term); ids obsolete or unknown there are dropped and counted.
//  3. NOT: a positive annotation of protein p to term t is dropped when p has
//     a NOT annotation in the SAME set to t or to an ancestor of t (is_a /
//     part_of): "p does not do X" also rules out the more specific kinds of X.
//     A NOT in the old set does not touch the new set: the new release is the
//     truth at the end of the holdout, so a positive it states again (without
//     a NOT of its own) counts; a NOT in the new set removes the new set's
//     positives, even when the old set stated them.
//  4. Categories per (protein, namespace) with annotations left in the new set:
//     NK when the protein had none left in the old set in any namespace, LK
//     when it had some but none in this namespace, PK when it had some in this
//     namespace and the new terms are not all implied by them (some new term is
//     outside the ancestors of the old terms). NK/LK ground truth: the new
//     terms; PK ground truth: the new terms outside the old closure, and its
//     known terms: the old terms of that namespace. Terms are as annotated
//     (not propagated): the scorer propagates.
import type { Category, CategoryStats, HoldoutSetStats, HoldoutStats } from '../lib/queries/evaluation-sets.js';
import type { EvalOntology } from './ontology.js';

// The stats' layout is stored (evaluation_set.stats), so lib/queries owns it.
export type { CategoryStats, EvaluationSetStats, HoldoutSetStats, HoldoutStats } from '../lib/queries/evaluation-sets.js';

/** Experimental evidence codes (GO's "inferred from experiment" family). */
export const EXPERIMENTAL_EVIDENCE_CODES: readonly string[] = Object.freeze(['EXP', 'IDA', 'IPI', 'IMP', 'IGI', 'IEP']);
/** High-throughput experimental evidence codes (GO 2017 on). */
export const HIGH_THROUGHPUT_EVIDENCE_CODES: readonly string[] = Object.freeze(['HTP', 'HDA', 'HMP', 'HGI', 'HEP']);
/** The default: both families; TAS and IC (used by CAFA3) are not included. */
export const DEFAULT_EVIDENCE_CODES: readonly string[] = Object.freeze([...EXPERIMENTAL_EVIDENCE_CODES, ...HIGH_THROUGHPUT_EVIDENCE_CODES]);

/** One GAF row as the holdout needs it. */
export interface HoldoutAnnotation {
  protein: string;
  /** GO id as annotated (an alt_id is mapped onto its term) */
  goId: string;
  /** GAF column 4, e.g. 'enables', 'NOT|enables', 'NOT' */
  qualifier: string;
  evidenceCode: string;
}

/** True when the GAF qualifier carries the NOT token ('NOT', 'NOT|enables'). */
export function isNotQualifier(qualifier: string): boolean {
  if (!qualifier.includes('NOT')) return false;
  return qualifier.split('|').some((token) => token.trim() === 'NOT');
}

export interface HoldoutTarget {
  category: Category;
  namespace: string;
  protein: string;
  /** term id of the snapshot (primary id, never an alt_id) */
  term: string;
}

export interface HoldoutKnown {
  namespace: string;
  protein: string;
  term: string;
}

export interface TemporalHoldout {
  /** ordered by category (NK, LK, PK), namespace, protein, term */
  targets: HoldoutTarget[];
  /** ordered by namespace, protein, term */
  known: HoldoutKnown[];
  stats: HoldoutStats;
}

export interface HoldoutOptions {
  /** evidence codes of positive annotations (default DEFAULT_EVIDENCE_CODES) */
  evidenceCodes?: Iterable<string>;
  /** tells an obsolete GO id from an unknown one (both are dropped); without it every dropped id counts as unknown */
  isObsolete?: (goId: string) => boolean;
  /**
   * Rows the caller filtered before handing the rest over (e.g. evidence codes
   * filtered in SQL): added to rows and dropped.otherEvidenceRows.
   */
  upstream?: Partial<Record<'old' | 'new', { rows: number; otherEvidenceRows: number }>>;
}

/** One set's annotations after rules 1-3: protein -> namespace -> term indices. */
type Knowledge = Map<string, Map<string, Set<number>>>;

function emptySetStats(): HoldoutSetStats {
  return { rows: 0, notQualifiedRows: 0, altIdMappedRows: 0, annotations: 0, proteins: 0, dropped: { otherEvidenceRows: 0, obsoleteTermRows: 0, unknownTermRows: 0, notExcludedAnnotations: 0 } };
}

/** One set's rows as they arrive (rules 1 and 2); knowledge() applies rule 3. */
class SetReader {
  private readonly positive = new Map<string, Set<number>>();
  private readonly negative = new Map<string, Set<number>>();

  constructor(
    private readonly ontology: EvalOntology,
    private readonly codes: ReadonlySet<string>,
    private readonly isObsolete: ((goId: string) => boolean) | undefined,
    readonly stats: HoldoutSetStats,
  ) {}

  add(row: HoldoutAnnotation): void {
    const stats = this.stats;
    stats.rows += 1;
    const not = isNotQualifier(row.qualifier);
    if (!not && !this.codes.has(row.evidenceCode)) {
      stats.dropped.otherEvidenceRows += 1;
      return;
    }
    if (not) stats.notQualifiedRows += 1;
    const term = this.ontology.resolve(row.goId);
    if (term === undefined) {
      if (this.isObsolete?.(row.goId)) stats.dropped.obsoleteTermRows += 1;
      else stats.dropped.unknownTermRows += 1;
      return;
    }
    if (this.ontology.id(term) !== row.goId) stats.altIdMappedRows += 1;
    const into = not ? this.negative : this.positive;
    let terms = into.get(row.protein);
    if (!terms) into.set(row.protein, (terms = new Set()));
    terms.add(term);
  }

  knowledge(): Knowledge {
    const { ontology, stats } = this;
    const knowledge: Knowledge = new Map();
    for (const [protein, terms] of this.positive) {
      stats.annotations += terms.size;
      const nots = this.negative.get(protein);
      const byNamespace = new Map<string, Set<number>>();
      for (const term of terms) {
        if (nots && someAncestorIn(ontology, term, nots)) {
          stats.dropped.notExcludedAnnotations += 1;
          continue;
        }
        const ns = ontology.namespace(term);
        let set = byNamespace.get(ns);
        if (!set) byNamespace.set(ns, (set = new Set()));
        set.add(term);
      }
      if (byNamespace.size > 0) knowledge.set(protein, byNamespace);
    }
    stats.proteins = knowledge.size;
    this.positive.clear();
    this.negative.clear();
    return knowledge;
  }
}

function someAncestorIn(ontology: EvalOntology, term: number, set: ReadonlySet<number>): boolean {
  for (const a of ontology.ancestors(term)) if (set.has(a)) return true;
  return false;
}

/** Marks every ancestor of the terms with `stamp` (one stamp per protein and namespace: no clearing between them). */
function markClosure(ontology: EvalOntology, terms: Iterable<number>, marks: Int32Array, stamp: number): void {
  for (const t of terms) for (const a of ontology.ancestors(t)) marks[a] = stamp;
}

function emptyCategory(): CategoryStats {
  return { proteins: 0, annotations: 0, namespaces: {} };
}

/** Adds one (protein, namespace) with n annotations to a category's counts. */
function count(stats: CategoryStats, proteins: Set<string>, protein: string, namespace: string, n: number): void {
  stats.annotations += n;
  proteins.add(protein);
  const ns = (stats.namespaces[namespace] ??= { proteins: 0, annotations: 0 });
  ns.proteins += 1;
  ns.annotations += n;
}

function sortedNamespaces(stats: CategoryStats): CategoryStats {
  const namespaces: CategoryStats['namespaces'] = {};
  for (const k of Object.keys(stats.namespaces).sort()) namespaces[k] = stats.namespaces[k]!;
  return { ...stats, namespaces };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The temporal holdout between an older and a newer annotation set on one
 * ontology (see the rules at the top of this file).
 */
export function temporalHoldout(oldRows: Iterable<HoldoutAnnotation>, newRows: Iterable<HoldoutAnnotation>, ontology: EvalOntology, options: HoldoutOptions = {}): TemporalHoldout {
  const builder = new TemporalHoldoutBuilder(ontology, options);
  for (const row of oldRows) builder.addOld(row);
  for (const row of newRows) builder.addNew(row);
  return builder.finish();
}

/**
 * The same, fed row by row (e.g. from a database cursor): only the mapped
 * (protein, term) pairs are kept, never the rows themselves.
 */
export class TemporalHoldoutBuilder {
  private readonly evidenceCodes: string[];
  private readonly old: SetReader;
  private readonly new: SetReader;

  constructor(
    private readonly ontology: EvalOntology,
    private readonly options: HoldoutOptions = {},
  ) {
    this.evidenceCodes = [...new Set(options.evidenceCodes ?? DEFAULT_EVIDENCE_CODES)];
    const codes = new Set(this.evidenceCodes);
    this.old = new SetReader(ontology, codes, options.isObsolete, emptySetStats());
    this.new = new SetReader(ontology, codes, options.isObsolete, emptySetStats());
  }

  addOld(row: HoldoutAnnotation): void {
    this.old.add(row);
  }

  addNew(row: HoldoutAnnotation): void {
    this.new.add(row);
  }

  /** Rows the caller filtered before they reached the builder (added to HoldoutOptions.upstream's). */
  skipped(side: 'old' | 'new', counts: { rows: number; otherEvidenceRows: number }): void {
    const stats = this[side].stats;
    stats.rows += counts.rows;
    stats.dropped.otherEvidenceRows += counts.otherEvidenceRows;
  }

  finish(): TemporalHoldout {
    for (const side of ['old', 'new'] as const) {
      const up = this.options.upstream?.[side];
      if (up) this.skipped(side, up);
    }
    return categorise(this.ontology, this.evidenceCodes, this.old, this.new);
  }
}

function categorise(ontology: EvalOntology, evidenceCodes: string[], oldReader: SetReader, newReader: SetReader): TemporalHoldout {
  const before = oldReader.knowledge();
  const after = newReader.knowledge();
  const input = { old: oldReader.stats, new: newReader.stats };
  const targets: HoldoutTarget[] = [];
  const known: HoldoutKnown[] = [];
  const categories: Record<Category, CategoryStats> = { NK: emptyCategory(), LK: emptyCategory(), PK: emptyCategory() };
  const categoryProteins: Record<Category, Set<string>> = { NK: new Set(), LK: new Set(), PK: new Set() };
  const knownStats = emptyCategory();
  const knownProteins = new Set<string>();
  const delta = new Set<string>();
  let impliedOnly = 0;
  const marks = new Int32Array(ontology.size);
  let stamp = 0;

  for (const [protein, namespaces] of after) {
    const old = before.get(protein);
    for (const [namespace, terms] of namespaces) {
      const oldTerms = old?.get(namespace);
      let category: Category;
      let truth: number[];
      if (!old) {
        category = 'NK';
        truth = [...terms];
      } else if (!oldTerms) {
        category = 'LK';
        truth = [...terms];
      } else {
        markClosure(ontology, oldTerms, marks, ++stamp);
        truth = [];
        for (const t of terms) if (marks[t] !== stamp) truth.push(t);
        if (truth.length === 0) {
          impliedOnly += 1;
          continue;
        }
        category = 'PK';
        for (const t of oldTerms) known.push({ namespace, protein, term: ontology.id(t) });
        count(knownStats, knownProteins, protein, namespace, oldTerms.size);
      }
      for (const t of truth) targets.push({ category, namespace, protein, term: ontology.id(t) });
      count(categories[category], categoryProteins[category], protein, namespace, truth.length);
      delta.add(protein);
    }
  }

  const order: Record<Category, number> = { NK: 0, LK: 1, PK: 2 };
  targets.sort((a, b) => order[a.category] - order[b.category] || byString(a.namespace, b.namespace) || byString(a.protein, b.protein) || byString(a.term, b.term));
  known.sort((a, b) => byString(a.namespace, b.namespace) || byString(a.protein, b.protein) || byString(a.term, b.term));
  for (const c of ['NK', 'LK', 'PK'] as const) {
    categories[c].proteins = categoryProteins[c].size;
    categories[c] = sortedNamespaces(categories[c]);
  }
  knownStats.proteins = knownProteins.size;

  return {
    targets,
    known,
    stats: {
      version: 1,
      evidenceCodes,
      deltaProteins: delta.size,
      categories,
      known: sortedNamespaces(knownStats),
      impliedOnly,
      input,
    },
  };
}

/** The GO ids (and their alt_ids) of the obsolete terms of an ontology input: HoldoutOptions.isObsolete. */
export function obsoleteIds(terms: Iterable<{ id: string; obsolete?: boolean; altIds?: readonly string[] }>): Set<string> {
  const out = new Set<string>();
  for (const t of terms) {
    if (!t.obsolete) continue;
    out.add(t.id);
    for (const a of t.altIds ?? []) out.add(a);
  }
  return out;
}
