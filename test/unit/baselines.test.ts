// The baselines (evaluation/baselines.ts): the naive baseline's term
// frequencies on a hand-made reference, what it predicts, that leaving out
// terms below the lowest threshold changes no metric, and the registry
// (naive and identity; the identity baseline itself: identity-baseline.test.ts).
import t from 'tap';
import { BASELINES, DEFAULT_MAX_TERMS_PER_NAMESPACE, naiveBaseline, naiveModel, naiveTerms, parseBaselines, referenceEvidenceCodes, type ReferenceAnnotation, type ReferenceAnnotations } from '../../evaluation/baselines.js';
import { identityBaseline } from '../../evaluation/identity-baseline.js';
import { evaluate, thresholds } from '../../evaluation/metrics.js';
import { buildOntology } from '../../evaluation/ontology.js';
import { DEFAULT_EVIDENCE_CODES } from '../../evaluation/temporal-holdout.js';
import { DEFAULT_EVALUATION_OPTIONS, type OntologyTermInput, type ScoredPrediction } from '../../evaluation/types.js';
import { ProteaError } from '../../lib/errors.js';

const BP = 'biological_process';
const MF = 'molecular_function';
// BP: R <- A <- C, R <- B; MF: M <- Y (alt_id Y2)
const TERMS: OntologyTermInput[] = [
  { id: 'R', namespace: BP },
  { id: 'A', namespace: BP, isA: ['R'] },
  { id: 'B', namespace: BP, isA: ['R'] },
  { id: 'C', namespace: BP, isA: ['A'] },
  { id: 'OLD', namespace: BP, obsolete: true },
  { id: 'M', namespace: MF },
  { id: 'Y', namespace: MF, isA: ['M'], altIds: ['Y2'] },
];
const ontology = buildOntology(TERMS);
const row = (protein: string, goId: string, evidenceCode = 'IDA', qualifier = 'involved_in'): ReferenceAnnotation => ({ protein, goId, evidenceCode, qualifier });

const reference: ReferenceAnnotations = {
  annotationSetId: 'old-set',
  evidenceCodes: DEFAULT_EVIDENCE_CODES,
  rows: [
    row('Q1', 'C'),
    row('Q1', 'A', 'IMP'), // implied by C: counted once
    row('Q2', 'B', 'IMP'),
    row('Q3', 'A', 'IEA'), // not experimental
    row('Q4', 'C'),
    row('Q4', 'A', 'IKR', 'NOT|involved_in'), // removes Q4's C (a descendant of A)
    row('P3', 'A', 'EXP'),
    row('Q6', 'GO:unknown'),
    row('Q6', 'OLD'),
    row('Q7', 'Y2', 'IPI', 'enables'), // alt_id of Y
  ],
};

t.test('naive frequencies: proteins carrying a term (propagated) over proteins annotated in its namespace, experimental rows only, NOT-excluded terms dropped', async (t) => {
  const model = naiveModel(ontology, reference);
  t.same(Object.fromEntries(model.proteins), { [BP]: 3, [MF]: 1 }, 'BP: Q1, Q2, P3 (Q3 is IEA, Q4 lost its only term to its NOT); MF: Q7');
  t.same(
    model.terms.get(BP)?.map((x) => [x.term, x.frequency, x.proteins]),
    [
      ['R', 1, 3],
      ['A', 2 / 3, 2],
      ['B', 1 / 3, 1],
      ['C', 1 / 3, 1],
    ],
    'most frequent first, ties by id; the root scores 1',
  );
  t.same(model.terms.get(MF)?.map((x) => [x.term, x.frequency]), [['M', 1], ['Y', 1]], 'the alt_id counts for its term');
  t.same(model.dropped, { otherEvidence: 1, unknownTerm: 2, notExcluded: 1 }, 'dropped rows are counted: the IEA row, the unknown and the obsolete id, the NOT-excluded term');
});

t.test('naiveTerms keeps the terms at or above the lowest threshold, most frequent first, up to the cap', async (t) => {
  const model = naiveModel(ontology, reference);
  t.same(naiveTerms(model, BP, 0.5).map((x) => x.term), ['R', 'A']);
  t.same(naiveTerms(model, BP, 1 / 3).map((x) => x.term), ['R', 'A', 'B', 'C'], 'a frequency equal to the minimum is kept');
  t.same(naiveTerms(model, BP, 0.01, 2).map((x) => x.term), ['R', 'A'], 'the cap keeps the most frequent');
  t.same(naiveTerms(model, 'cellular_component', 0.01), [], 'a namespace without reference annotations has no term');
  t.equal(DEFAULT_MAX_TERMS_PER_NAMESPACE, 1000);
});

t.test('the naive baseline gives every target the same scored terms of the namespace', async (t) => {
  const predictions = [...(naiveBaseline.predict({ ontology, namespace: BP, targets: ['T1', 'T2'], reference, minScore: 0.5 }) as Iterable<ScoredPrediction>)];
  t.same(predictions, [
    { target: 'T1', term: 'R', score: 1 },
    { target: 'T1', term: 'A', score: 2 / 3 },
    { target: 'T2', term: 'R', score: 1 },
    { target: 'T2', term: 'A', score: 2 / 3 },
  ]);
  t.same([...(naiveBaseline.predict({ ontology, namespace: 'cellular_component', targets: ['T1'], reference, minScore: 0.01 }) as Iterable<ScoredPrediction>)], [], 'nothing where the reference has nothing');
  const other: ReferenceAnnotations = { ...reference, rows: [row('Z1', 'B'), row('Z2', 'B')] };
  t.same(
    [...(naiveBaseline.predict({ ontology, namespace: BP, targets: ['T1'], reference: other, minScore: 0.01 }) as Iterable<ScoredPrediction>)].map((p) => [p.term, p.score]),
    [['B', 1], ['R', 1]],
    'another reference gives its own frequencies (models are kept per reference)',
  );
  const iaOnly: ReferenceAnnotations = { ...reference, evidenceCodes: ['IEA'] };
  t.same(naiveModel(ontology, iaOnly).terms.get(BP)?.map((x) => x.term), ['A', 'R'], "the reference's evidence codes decide which rows count (here only Q3's IEA row)");
});

t.test('leaving out terms below the lowest threshold changes no metric of the naive baseline', async (t) => {
  // 200 reference proteins: 199 with A, 1 with C: C has frequency 0.005, below the lowest threshold 0.01
  const rows = [...Array.from({ length: 199 }, (_, i) => row(`A${i}`, 'A')), row('C0', 'C'), row('B0', 'B')];
  const ref: ReferenceAnnotations = { annotationSetId: 'x', evidenceCodes: DEFAULT_EVIDENCE_CODES, rows };
  const groundTruth = [
    { target: 'T1', term: 'C' },
    { target: 'T2', term: 'B' },
    { target: 'T3', term: 'A' },
  ];
  const targets = ['T1', 'T2', 'T3'];
  const model = naiveModel(ontology, ref);
  t.ok(model.terms.get(BP)!.some((x) => x.term === 'C' && x.frequency < 0.01), 'C is below 0.01');
  const all = [...(naiveBaseline.predict({ ontology, namespace: BP, targets, reference: ref, minScore: 0 }) as Iterable<ScoredPrediction>)];
  const kept = [...(naiveBaseline.predict({ ontology, namespace: BP, targets, reference: ref, minScore: thresholds(0.01)[0]! }) as Iterable<ScoredPrediction>)];
  t.equal(all.length, 12);
  t.equal(kept.length, 6, 'B and C (0.005 each) left out');
  const options = { ...DEFAULT_EVALUATION_OPTIONS };
  t.same(evaluate(ontology, groundTruth, kept, options), evaluate(ontology, groundTruth, all, options), 'identical curves and best rows');
});

t.test('parseBaselines: names from the registry, none, and clear errors', async (t) => {
  t.same(parseBaselines('naive'), [naiveBaseline]);
  t.same(parseBaselines(' naive , naive '), [naiveBaseline], 'duplicates and spaces are ignored');
  t.same(parseBaselines('none'), []);
  t.same(parseBaselines('naive,identity'), [naiveBaseline, identityBaseline], 'the identity baseline is built: `--baselines naive,identity`');
  t.same([...BASELINES.keys()], ['naive', 'identity']);
  for (const b of BASELINES.values()) t.ok(b.description.length > 40, `${b.name} describes itself`);
  t.equal(identityBaseline.needsSequences, true, 'identity asks for sequences');
  t.notOk(naiveBaseline.needsSequences, 'naive does not');
  t.equal(naiveBaseline.prepare({ ontology, reference, targets: new Map() }), naiveBaseline, 'naive prepares nothing: it predicts itself');
  const err = (v: string) => {
    try {
      parseBaselines(v);
    } catch (e) {
      return e as ProteaError;
    }
    return null;
  };
  t.match(err('nearest-neighbour-by-identity'), { key: 'USAGE', message: /no baseline "nearest-neighbour-by-identity" \(it is called "identity"\); known: naive, identity, or none/ }, 'the name planned before points to the built one');
  t.match(err('naive,majority'), { key: 'USAGE', message: /no baseline "majority"; known: naive, identity, or none/ });
  t.match(err(''), { key: 'USAGE' });
});

t.test("referenceEvidenceCodes: the evaluation set's codes, else the default", async (t) => {
  t.same(referenceEvidenceCodes({ evidenceCodes: ['EXP', 'TAS'] }), ['EXP', 'TAS']);
  t.same(referenceEvidenceCodes({}), DEFAULT_EVIDENCE_CODES);
  t.same(referenceEvidenceCodes(null), DEFAULT_EVIDENCE_CODES);
});
