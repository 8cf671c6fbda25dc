// lib/scoring.ts: the formulas on hand-computed rows (null signals dropping
// out, the evidence table and its fallback), recipe validation naming the
// field, recipe equality and the k=v flag parser.
import t, { type Test } from 'tap';
import { ProteaError } from '../../lib/errors.js';
import {
  DEFAULT_EVIDENCE_WEIGHTS, PRESETS, evidenceWeight, parsePairs, sameRecipe, scoreRow, signalsOf, validateName, validateRecipe,
  type FeatureRow, type ScoringRecipe,
} from '../../lib/scoring.js';

const preset = (name: string): ScoringRecipe => PRESETS.find((p) => p.name === name)!;
const row = (r: Partial<FeatureRow>): FeatureRow => ({
  distance: null, evidence_code: null, identity_nw: null, identity_sw: null, taxonomic_distance: null, neighbor_vote_fraction: null, ...r,
});
const close = (t: Test, got: number | null, want: number, msg: string) => {
  t.ok(got !== null && Math.abs(got - want) < 1e-12, `${msg}: ${got} ≈ ${want}`);
};

// every feature computed
const A = row({ distance: 0.4, identity_nw: 0.6, identity_sw: 0.9, evidence_code: 'IDA', taxonomic_distance: 3, neighbor_vote_fraction: 0.5 });
// alignments not computed, an electronic annotation
const B = row({ distance: 0.4, evidence_code: 'IEA' });
// only the global alignment, a code outside the table
const C = row({ distance: 1.0, identity_nw: 0.9, evidence_code: 'XYZ' });
// an imported row: no distance, no features
const D = row({});
// no evidence code at all
const E = row({ distance: 0 });

t.test('the presets are the reference system\'s', async (t) => {
  t.same(PRESETS.map((p) => [p.name, p.formula, p.weights]), [
    ['embedding', 'linear', { embedding_similarity: 1 }],
    ['alignment-weighted', 'linear', { embedding_similarity: 0.5, identity_nw: 0.3, identity_sw: 0.2 }],
    ['evidence-weighted', 'evidence_weighted', { embedding_similarity: 1 }],
  ]);
  for (const p of PRESETS) t.same(validateRecipe(p), { formula: p.formula, weights: p.weights, evidenceWeights: null }, `${p.name} validates as is`);
});

t.test('embedding: 1 - distance/2', async (t) => {
  close(t, scoreRow(preset('embedding'), A), 0.8, 'A');
  close(t, scoreRow(preset('embedding'), C), 0.5, 'C');
  close(t, scoreRow(preset('embedding'), E), 1, 'E');
  t.equal(scoreRow(preset('embedding'), D), null, 'no distance: no active signal, no score');
});

t.test('alignment-weighted: a null signal leaves numerator and denominator', async (t) => {
  // (0.5*0.8 + 0.3*0.6 + 0.2*0.9) / (0.5 + 0.3 + 0.2) = 0.76
  close(t, scoreRow(preset('alignment-weighted'), A), 0.76, 'A: all three signals');
  // (0.5*0.8) / 0.5 = 0.8, not 0.4: missing alignments are not zeros
  close(t, scoreRow(preset('alignment-weighted'), B), 0.8, 'B: embedding only');
  // (0.5*0.5 + 0.3*0.9) / (0.5 + 0.3) = 0.52 / 0.8 = 0.65
  close(t, scoreRow(preset('alignment-weighted'), C), 0.65, 'C: no SW identity');
  t.equal(scoreRow(preset('alignment-weighted'), D), null, 'D: nothing to score on');
});

t.test('evidence-weighted: the linear score times the code\'s weight; unknown and missing codes 0.5', async (t) => {
  close(t, scoreRow(preset('evidence-weighted'), A), 0.8 * 1.0, 'A: IDA 1.0');
  close(t, scoreRow(preset('evidence-weighted'), B), 0.8 * 0.8, 'B: IEA 0.8');
  close(t, scoreRow(preset('evidence-weighted'), C), 0.5 * 0.5, 'C: XYZ is unknown: 0.5');
  close(t, scoreRow(preset('evidence-weighted'), E), 1 * 0.5, 'E: no code: 0.5');
  t.equal(scoreRow(preset('evidence-weighted'), D), null, 'D: no linear score, no score');
  const strictIea = validateRecipe({ formula: 'evidence_weighted', weights: { embedding_similarity: 1 }, evidenceWeights: { IEA: 0.2 } });
  close(t, scoreRow(strictIea, B), 0.8 * 0.2, 'an override replaces the default weight of its code');
  close(t, scoreRow(strictIea, A), 0.8, 'and leaves the other codes at their defaults');
});

t.test('the other signals and the default evidence table', async (t) => {
  t.same(signalsOf(A), { embedding_similarity: 0.8, identity_nw: 0.6, identity_sw: 0.9, taxonomic_proximity: 0.25, neighbor_vote_fraction: 0.5, evidence_weight: 1 });
  t.same(signalsOf(D), { embedding_similarity: null, identity_nw: null, identity_sw: null, taxonomic_proximity: null, neighbor_vote_fraction: null, evidence_weight: 0.5 });
  // (1*0.25 + 1*0.5 + 2*1.0) / 4 = 0.6875
  const mixed = validateRecipe({ weights: { taxonomic_proximity: 1, neighbor_vote_fraction: 1, evidence_weight: 2, identity_nw: 0 } });
  close(t, scoreRow(mixed, A), 0.6875, 'taxonomy, votes and evidence as signals; a 0 weight is off');
  // on D only the evidence signal has a value: 2*0.5 / 2
  close(t, scoreRow(mixed, D), 0.5, 'only evidence_weight left');
  close(t, scoreRow(validateRecipe({ weights: { taxonomic_proximity: 1 } }), row({ taxonomic_distance: 0 })), 1, 'same taxon: proximity 1');
  for (const code of ['EXP', 'IDA', 'IPI', 'IMP', 'IGI', 'IEP', 'HTP', 'HDA', 'HMP', 'HGI', 'HEP', 'IC', 'TAS']) t.equal(evidenceWeight(code), 1, code);
  for (const code of ['ISS', 'ISO', 'ISA', 'ISM', 'IGC', 'IBA', 'IBD', 'IKR', 'IRD', 'RCA']) t.equal(evidenceWeight(code), 0.7, code);
  t.equal(evidenceWeight('IEA'), 0.8);
  t.equal(evidenceWeight('NAS'), 0.5);
  t.equal(evidenceWeight('ND'), 0.1);
  t.equal(evidenceWeight('toString'), 0.5, 'an inherited property name is an unknown code');
  t.equal(Object.keys(DEFAULT_EVIDENCE_WEIGHTS).length, 26);
});

/** The USAGE error fn throws (fails the test when none). */
function usage(t: Test, fn: () => unknown): ProteaError {
  try {
    fn();
  } catch (err) {
    t.type(err, ProteaError);
    t.equal((err as ProteaError).key, 'USAGE');
    return err as ProteaError;
  }
  t.fail('no error');
  return new ProteaError('INTERNAL', 'none');
}

t.test('a bad recipe is refused with the field named', async (t) => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ formula: 'quadratic', weights: { embedding_similarity: 1 } }, 'formula', /"quadratic" is not a formula; expected one of linear, evidence_weighted/],
    [{ weights: 'embedding_similarity' }, 'weights', /expected an object/],
    [{ weights: { embedding_similarity: 1, identity_xx: 0.5 } }, 'weights.identity_xx', /unknown signal; expected one of embedding_similarity, /],
    [{ weights: { embedding_similarity: -0.5 } }, 'weights.embedding_similarity', /-0.5 is not a weight; expected a finite number >= 0/],
    [{ weights: { identity_nw: '0.3' } }, 'weights.identity_nw', /"0.3" is not a weight/],
    [{ weights: { identity_nw: Number.NaN } }, 'weights.identity_nw', /not a weight/],
    [{ weights: { identity_nw: 0, identity_sw: 0 } }, 'weights', /no signal has a weight > 0/],
    [{ weights: {} }, 'weights', /no signal has a weight > 0/],
    [{ weights: { identity_nw: 1 }, evidenceWeights: { IEA: 1.5 } }, 'evidence_weights.IEA', /1.5 is not an evidence weight; expected a number from 0 to 1/],
    [{ weights: { identity_nw: 1 }, evidenceWeights: { iea: 0.5 } }, 'evidence_weights.iea', /not an evidence code/],
    [{ weights: { identity_nw: 1 }, evidenceWeights: [0.5] }, 'evidence_weights', /expected an object/],
  ];
  for (const [input, field, message] of cases) {
    const e = usage(t, () => validateRecipe(input as never));
    t.equal(e.context.field, field, `field ${field}`);
    t.match(e.message, new RegExp(`^${field.replace('.', '\\.')}: `), `the message starts with ${field}`);
    t.match(e.message, message);
  }
  t.equal(usage(t, () => validateName('0190f1c2-7c1e-7d3a-9b1f-2a3c4d5e6f70')).context.field, 'name', 'a UUID is not a name');
  usage(t, () => validateName(''));
  usage(t, () => validateName('has space'));
  t.equal(validateName('my-recipe.v2'), 'my-recipe.v2');
});

t.test('recipe equality: formula, positive weights and the effective evidence table', async (t) => {
  const a = validateRecipe({ weights: { identity_sw: 0.2, embedding_similarity: 0.5, identity_nw: 0.3 } });
  t.same(Object.keys(a.weights), ['embedding_similarity', 'identity_nw', 'identity_sw'], 'keys sorted');
  t.ok(sameRecipe(a, preset('alignment-weighted')), 'key order does not matter');
  t.ok(sameRecipe(validateRecipe({ weights: { embedding_similarity: 1, identity_nw: 0 } }), preset('embedding')), 'a 0 weight is no weight');
  t.ok(sameRecipe(validateRecipe({ weights: { embedding_similarity: 1 }, evidenceWeights: { IEA: 0.8 } }), preset('embedding')), 'an override equal to the default');
  t.notOk(sameRecipe(validateRecipe({ weights: { embedding_similarity: 1 }, evidenceWeights: { IEA: 0.7 } }), preset('embedding')), 'another evidence weight');
  t.notOk(sameRecipe(validateRecipe({ weights: { embedding_similarity: 2 } }), preset('embedding')), 'another weight');
  t.notOk(sameRecipe(preset('evidence-weighted'), preset('embedding')), 'another formula');
  t.equal(validateRecipe({ weights: { identity_nw: 1 }, evidenceWeights: {} }).evidenceWeights, null, 'no override is the defaults');
});

t.test('KEY=NUMBER pairs of a flag', async (t) => {
  t.same(parsePairs('--weights', 'embedding_similarity=0.5, identity_nw=0.3,identity_sw=.2'), { embedding_similarity: 0.5, identity_nw: 0.3, identity_sw: 0.2 });
  t.same(parsePairs('--weights', ''), {});
  t.match(usage(t, () => parsePairs('--weights', 'identity_nw')), { message: /--weights: "identity_nw": expected KEY=NUMBER/, context: { field: '--weights' } });
  t.match(usage(t, () => parsePairs('--weights', 'identity_nw=abc')), { message: /abc is not a number/ });
  t.match(usage(t, () => parsePairs('--evidence-weights', 'IEA=0.2,IEA=0.3')), { message: /--evidence-weights: IEA is given twice/ });
});
