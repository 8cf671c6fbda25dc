// The identity baseline (evaluation/identity-baseline.ts) on a hand-made
// reference whose best hits are known by construction: the target aligned
// against mutated copies of its own sequence, the copy with the fewest
// mutations among the proteins annotated in the namespace winning. Scores and
// identities are checked against alignLocal on the same pairs, the target's
// own accession and its identical twin are left out, and a target without a
// sequence is reported and gets nothing.
import t from 'tap';
import { identityBaseline, identityHits, identityNotes, identityPredictions } from '../../evaluation/identity-baseline.js';
import type { BaselineContext, BaselineRun, ReferenceAnnotation, ReferenceAnnotations } from '../../evaluation/baselines.js';
import { buildOntology } from '../../evaluation/ontology.js';
import { DEFAULT_EVIDENCE_CODES } from '../../evaluation/temporal-holdout.js';
import type { OntologyTermInput, ScoredPrediction } from '../../evaluation/types.js';
import { AlignmentPool, alignLocal } from '../../processors/alignment/index.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { randomSequence, withSubstitutions } from '../helpers/sequences.js';

const BP = 'biological_process';
const MF = 'molecular_function';
// BP: R <- A <- C, R <- B; MF: M <- Y
const TERMS: OntologyTermInput[] = [
  { id: 'R', namespace: BP },
  { id: 'A', namespace: BP, isA: ['R'] },
  { id: 'B', namespace: BP, isA: ['R'] },
  { id: 'C', namespace: BP, isA: ['A'] },
  { id: 'M', namespace: MF },
  { id: 'Y', namespace: MF, isA: ['M'] },
];
const ontology = buildOntology(TERMS);
/** the propagated terms, by hand */
const CLOSURE: Record<string, string[]> = { R: ['R'], A: ['A', 'R'], B: ['B', 'R'], C: ['C', 'A', 'R'], M: ['M'], Y: ['Y', 'M'] };

const protein = (seed: number, length: number) => randomSequence(length, length, seededRandom(seed));
const mutate = withSubstitutions;

const S = protein(1, 150);
const SEQ: Record<string, string> = {
  T1: S,
  T3: mutate(protein(2, 150), 40),
  TWIN: S, // another accession with T1's exact sequence
  R1: mutate(S, 10),
  R5: mutate(S, 10), // R1's sequence
  R2: mutate(S, 30),
  R4: mutate(S, 3), // the closest of all, annotated in MF only
  R6: protein(2, 150), // T3's origin, MF only
  R8: mutate(S, 5), // closer than R1 but only IEA evidence
  R9: mutate(S, 6), // closer than R1 but its BP term is NOT-excluded
  // R7: annotated, no stored sequence; T2: a target without a stored sequence
};

const row = (protein: string, goId: string, evidenceCode = 'IDA', qualifier = 'involved_in'): ReferenceAnnotation => ({ protein, goId, evidenceCode, qualifier });
const reference: ReferenceAnnotations = {
  annotationSetId: 'old-set',
  evidenceCodes: DEFAULT_EVIDENCE_CODES,
  rows: [
    row('T1', 'A'), // the target itself (a PK target): never its own hit
    row('TWIN', 'B'),
    row('R1', 'C'),
    row('R5', 'B', 'IMP'),
    row('R2', 'B'),
    row('R2', 'Y', 'IPI', 'enables'),
    row('R4', 'M', 'EXP', 'enables'),
    row('R6', 'Y', 'IDA', 'enables'),
    row('R7', 'C'),
    row('R8', 'C', 'IEA'),
    row('R9', 'C'),
    row('R9', 'A', 'IDA', 'NOT|involved_in'),
  ],
};
/** The references of each namespace as the rules say they are (by hand, not through reference-terms.ts): protein -> its terms there. */
const REFERENCES: Record<string, Record<string, string[]>> = {
  [BP]: { T1: ['A'], TWIN: ['B'], R1: ['C'], R5: ['B'], R2: ['B'] },
  [MF]: { R2: ['Y'], R4: ['M'], R6: ['Y'] },
};

const targets = new Map<string, Set<string>>([
  [BP, new Set(['T1', 'T2', 'T3'])],
  [MF, new Set(['T1', 'T3'])],
]);
const sequences = new Map(Object.entries(SEQ));
const run: BaselineRun = { ontology, reference, targets, sequences };

/**
 * Brute force: every (target, reference) pair of the namespace aligned with
 * alignLocal, the target and references with its sequence left out; best by
 * score, then identity; every reference with the best sequence passes on its
 * terms, propagated by hand.
 */
function bruteForce(namespace: string, minScore: number): ScoredPrediction[] {
  const out: ScoredPrediction[] = [];
  for (const target of targets.get(namespace)!) {
    const seq = SEQ[target];
    if (seq === undefined) continue;
    let best: { score: number; identity: number; sequence: string } | null = null;
    for (const ref of Object.keys(REFERENCES[namespace]!)) {
      const refSeq = SEQ[ref]!;
      if (ref === target || refSeq === seq) continue;
      const r = alignLocal(seq, refSeq);
      if (r.score <= 0) continue;
      if (!best || r.score > best.score || (r.score === best.score && r.identity > best.identity)) best = { score: r.score, identity: r.identity, sequence: refSeq };
    }
    if (!best || best.identity < minScore) continue;
    const terms = new Set<string>();
    for (const [ref, own] of Object.entries(REFERENCES[namespace]!)) if (SEQ[ref] === best.sequence) for (const x of own) for (const a of CLOSURE[x]!) terms.add(a);
    for (const term of [...terms].sort((a, b) => ontology.resolve(a)! - ontology.resolve(b)!)) out.push({ target, term, score: best.identity });
  }
  return out;
}

const ctx = (namespace: string, minScore = 0.01): BaselineContext => ({ ontology, namespace, targets: targets.get(namespace)!, reference, minScore });

t.test('best hits by construction: the closest reference annotated in the namespace, the target itself and its identical twin left out, score and identity those of alignLocal', async (t) => {
  const pool = new AlignmentPool({ threads: 2 });
  t.teardown(() => pool.close());
  let queries = 0;
  let calls = 0;
  const bestHits = pool.bestHits.bind(pool);
  pool.bestHits = (q, handle, opts) => {
    calls += 1;
    queries += q.length;
    return bestHits(q, handle, opts);
  };
  const prepared = await identityHits(run, { pool });
  t.equal(calls, 1, 'one alignment pass for both namespaces');
  t.equal(queries, 2, 'each target with a sequence aligned once (T1, T3), whatever its namespaces');
  t.equal(prepared.referenceSequences, 5, 'distinct reference sequences: S (T1, TWIN), R1 (= R5), R2, R4, R6; R8 (IEA) and R9 (NOT-excluded) have no term kept, R7 no sequence');

  const bp = prepared.hits.get('T1')!.get(BP)!;
  const r1 = alignLocal(S, SEQ.R1!);
  t.same(bp.references, ['R1', 'R5'], 'BP: R1 and R5 (one sequence) win; not T1 itself, not TWIN (identical), not R4 (MF only), R8 (IEA) or R9 (NOT-excluded)');
  t.equal(bp.identity, r1.identity, `identity = alignLocal's (${r1.matches}/${r1.length})`);
  t.equal(bp.score, r1.score);
  t.ok(bp.identity < 1 && bp.identity > alignLocal(S, SEQ.R2!).identity, 'below 1 (no self hit), above the farther R2');
  const mf = prepared.hits.get('T1')!.get(MF)!;
  t.same(mf.references, ['R4'], 'MF: R4, the closest of all, annotated there');
  t.equal(mf.identity, alignLocal(S, SEQ.R4!).identity);
  t.same(prepared.hits.get('T3')!.get(MF)!.references, ['R6'], "T3's origin is its MF hit");
  t.notOk(prepared.hits.has('T2'), 'T2 has no sequence: not aligned');
  t.same(prepared.targetsWithoutSequence, ['T2']);
  t.equal(prepared.referencesWithoutSequence, 1, 'R7');
});

t.test('the baseline predicts the hit\'s propagated terms at its identity, equal to aligning every pair; below the lowest threshold nothing', async (t) => {
  const predictor = await identityBaseline.prepare(run);
  for (const ns of [BP, MF]) {
    const got = [...(predictor.predict(ctx(ns)) as Iterable<ScoredPrediction>)];
    t.same(got, bruteForce(ns, 0.01), `${ns}: every prediction equals the brute force`);
  }
  const bp = [...(predictor.predict(ctx(BP)) as Iterable<ScoredPrediction>)].filter((p) => p.target === 'T1');
  const identity = alignLocal(S, SEQ.R1!).identity;
  t.same(bp, ['R', 'A', 'B', 'C'].map((term) => ({ target: 'T1', term, score: identity })), 'T1 in BP: C (R1) and B (R5) with their ancestors, all at the identity');
  t.same([...(predictor.predict(ctx(BP, identity + 1e-9)) as Iterable<ScoredPrediction>)].filter((p) => p.target === 'T1'), [], 'an identity below minScore is never predicted');
  t.same([...(predictor.predict({ ...ctx(BP), namespace: 'cellular_component', targets: ['T1'] }) as Iterable<ScoredPrediction>)], [], 'a namespace without hits: nothing');
});

t.test('a target without a stored sequence gets no prediction and is reported; so are references without one', async (t) => {
  const predictor = await identityBaseline.prepare(run);
  t.notOk([...(predictor.predict(ctx(BP)) as Iterable<ScoredPrediction>)].some((p) => p.target === 'T2'), 'no prediction for T2');
  t.match(predictor.notes, [/^identity: 1 of 3 targets have no stored sequence and get no prediction \(T2\)$/, /^identity: 1 annotated reference proteins have no stored sequence/]);
  const none = await identityHits({ ...run, sequences: new Map() });
  t.equal(none.hits.size, 0, 'no sequence at all: no alignment, no crash');
  t.same(identityNotes(none)[0], 'identity: 3 of 3 targets have no stored sequence and get no prediction (T1, T2, T3)');
  t.same([...identityPredictions(none, ctx(BP))], []);
  const noSequencesGiven = await identityBaseline.prepare({ ontology, reference, targets });
  t.same([...(noSequencesGiven.predict(ctx(MF)) as Iterable<ScoredPrediction>)], [], 'a run that loaded no sequences predicts nothing');
});
