// The identity baseline (the CAFA "BLAST" baseline's idea): each target's
// best Smith-Waterman hit (BLOSUM62, gap 11/1: processors/alignment) among the
// reference proteins annotated in the namespace, ties broken by higher
// identity, passes on its terms there with score = identity (matches /
// alignment length).
//
// - References: the proteins of the reference (old) annotation set with a
//   term kept in the namespace, read as the naive baseline reads them
//   (reference-terms.ts: the evaluation set's evidence codes, the evaluation's
//   ontology, NOT rows applied); the terms passed on are the hit's terms in the
//   namespace propagated over is_a/part_of, all at the hit's identity.
// - The target never finds itself: the reference protein with its accession
//   is left out, and so is every reference whose sequence is identical to the
//   target's (normalised), since an identical twin -- another accession of the
//   same sequence, e.g. a merged or duplicated entry -- would pass on the
//   target's own annotations as well; the benchmark mode of `protea predict
//   --exclude-self` does the same. Other isoforms (different sequences) stay.
// - References sharing one sequence are aligned once; when that sequence is
//   the hit, each of its proteins annotated in the namespace passes on its
//   terms. A tie at equal score and identity between different sequences goes
//   to the one whose first accession sorts first.
// - A target, or a reference protein, without a stored sequence takes no
//   part: the target gets no prediction, and both are counted in the notes.
// - Each target is aligned once against every reference, whatever the number
//   of categories and namespaces it is a target in (one alignment group per
//   namespace, best hits of every group from the same scores).
import { AlignmentPool, type BestHit } from '../processors/alignment/index.js';
import type { Baseline, BaselineContext, BaselinePredictor, BaselineRun } from './baselines.js';
import { closureIn, referenceTerms } from './reference-terms.js';
import type { ScoredPrediction } from './types.js';

/** The best hit of a target in one namespace. */
export interface IdentityHit {
  /** matches / alignment length of the hit */
  identity: number;
  /** Smith-Waterman score */
  score: number;
  /** the hit's proteins annotated in the namespace (one, or several sharing the sequence), sorted */
  references: readonly string[];
}

export interface IdentityHits {
  /** per target with a stored sequence, per namespace it is a target in: its best hit (absent: none) */
  hits: ReadonlyMap<string, ReadonlyMap<string, IdentityHit>>;
  /** per reference protein with a stored sequence: its terms (ontology indices, as annotated) */
  terms: ReadonlyMap<string, readonly number[]>;
  /** targets without a stored sequence, sorted: they get no prediction */
  targetsWithoutSequence: readonly string[];
  /** targets with a sequence */
  targetsAligned: number;
  /** reference proteins with a term kept but no stored sequence: left out */
  referencesWithoutSequence: number;
  /** distinct reference sequences aligned against */
  referenceSequences: number;
}

/** At most this many namespaces per alignment pass (the pool's groups are bits of a byte). */
const GROUPS_PER_PASS = 8;

/**
 * The best hit of every target in every namespace it is a target in. Aligns
 * in `pool` when given (left open), else in a pool of its own, closed after.
 */
export async function identityHits(run: BaselineRun, opts: { pool?: AlignmentPool; threads?: number } = {}): Promise<IdentityHits> {
  const { ontology } = run;
  const sequences = run.sequences ?? new Map<string, string>();
  const kept = referenceTerms(ontology, run.reference).proteins;
  const namespaces = [...run.targets.keys()].sort();

  // references: proteins with a stored sequence, grouped by sequence (accession order: deterministic ties)
  const terms = new Map<string, readonly number[]>();
  const entryOf = new Map<string, number>();
  const bySequence = new Map<string, number>();
  const entries: { sequence: string; proteins: string[]; namespaces: Set<string> }[] = [];
  let referencesWithoutSequence = 0;
  for (const protein of [...kept.keys()].sort()) {
    const sequence = sequences.get(protein);
    if (sequence === undefined) {
      referencesWithoutSequence += 1;
      continue;
    }
    const own = kept.get(protein)!;
    terms.set(protein, own);
    let at = bySequence.get(sequence);
    if (at === undefined) {
      at = entries.length;
      bySequence.set(sequence, at);
      entries.push({ sequence, proteins: [], namespaces: new Set() });
    }
    entries[at]!.proteins.push(protein);
    for (const t of own) entries[at]!.namespaces.add(ontology.namespace(t));
    entryOf.set(protein, at);
  }

  // targets: each distinct protein once, with the namespaces it is a target in
  const targetNamespaces = new Map<string, Set<string>>();
  for (const [ns, proteins] of run.targets) {
    for (const p of proteins) {
      let set = targetNamespaces.get(p);
      if (!set) targetNamespaces.set(p, (set = new Set()));
      set.add(ns);
    }
  }
  const targetsWithoutSequence: string[] = [];
  const aligned: string[] = [];
  for (const p of [...targetNamespaces.keys()].sort()) (sequences.has(p) ? aligned : targetsWithoutSequence).push(p);

  const hits = new Map<string, Map<string, IdentityHit>>(aligned.map((p) => [p, new Map()]));
  const result = (): IdentityHits => ({ hits, terms, targetsWithoutSequence, targetsAligned: aligned.length, referencesWithoutSequence, referenceSequences: entries.length });
  if (aligned.length === 0 || entries.length === 0) return result();

  const pool = opts.pool ?? new AlignmentPool(opts.threads ? { threads: opts.threads } : {});
  try {
    const handle = await pool.loadReferences(entries.map((e) => e.sequence));
    try {
      for (let first = 0; first < namespaces.length; first += GROUPS_PER_PASS) {
        const pass = namespaces.slice(first, first + GROUPS_PER_PASS);
        const groups = Uint8Array.from(entries, (e) => pass.reduce((bits, ns, g) => (e.namespaces.has(ns) ? bits | (1 << g) : bits), 0));
        const queries = aligned.filter((p) => pass.some((ns) => targetNamespaces.get(p)!.has(ns)));
        if (queries.length === 0) continue;
        const best = await pool.bestHits(
          queries.map((p) => sequences.get(p)!),
          handle,
          {
            groups,
            nGroups: pass.length,
            excludeIdentical: true,
            excludeRefs: queries.map((p) => (entryOf.has(p) ? [entryOf.get(p)!] : null)),
          },
        );
        queries.forEach((p, k) => {
          pass.forEach((ns, g) => {
            const hit: BestHit | null = best[k]![g] ?? null;
            if (!hit || !targetNamespaces.get(p)!.has(ns)) return;
            const references = entries[hit.refIndex]!.proteins.filter((r) => terms.get(r)!.some((t) => ontology.namespace(t) === ns));
            hits.get(p)!.set(ns, { identity: hit.identity, score: hit.score, references });
          });
        });
      }
    } finally {
      await pool.releaseReferences(handle);
    }
  } finally {
    if (!opts.pool) await pool.close();
  }
  return result();
}

/** The predictions of prepared hits for one (category, namespace): the hit's terms there, propagated, at its identity. */
export function* identityPredictions(prepared: IdentityHits, ctx: BaselineContext): Iterable<ScoredPrediction> {
  const { ontology, namespace } = ctx;
  for (const target of ctx.targets) {
    const hit = prepared.hits.get(target)?.get(namespace);
    if (!hit || hit.identity < ctx.minScore) continue;
    const passed = new Set<number>();
    for (const r of hit.references) for (const t of closureIn(ontology, prepared.terms.get(r) ?? [], namespace)) passed.add(t);
    for (const t of [...passed].sort((a, b) => a - b)) yield { target, term: ontology.id(t), score: hit.identity };
  }
}

/** The notes of a prepared run: who took no part, and why. */
export function identityNotes(prepared: IdentityHits): string[] {
  const notes: string[] = [];
  const missing = prepared.targetsWithoutSequence;
  if (missing.length > 0) {
    const examples = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', ...' : '');
    notes.push(`identity: ${missing.length} of ${missing.length + prepared.targetsAligned} targets have no stored sequence and get no prediction (${examples})`);
  }
  if (prepared.referencesWithoutSequence > 0) {
    notes.push(`identity: ${prepared.referencesWithoutSequence} annotated reference proteins have no stored sequence and are left out of the references`);
  }
  return notes;
}

export const identityBaseline: Baseline = {
  name: 'identity',
  description:
    "each target's best Smith-Waterman hit (BLOSUM62, gap open 11, extend 1; highest score, ties by higher identity) among the proteins of the " +
    'reference (old) annotation set annotated in the namespace (experimental evidence) passes on its terms there, propagated, with score = identity ' +
    "(matches / alignment length), the CAFA BLAST baseline's idea; the target itself and references with its exact sequence are left out; " +
    'a target without a stored sequence gets no prediction',
  needsSequences: true,
  async prepare(run: BaselineRun): Promise<BaselinePredictor> {
    const prepared = await identityHits(run);
    return { predict: (ctx) => identityPredictions(prepared, ctx), notes: identityNotes(prepared) };
  },
};
