// The maths and formats of `protea predictions export`, on hand-computed
// examples: term scores (max over neighbours), propagation over is_a/part_of
// (max over descendants, ancestors added, unknown terms untouched), the
// property that no term scores above a parent on a random DAG, --min-score and
// --top (ties by GO id), CAFA score rounding and a file the evaluator reads,
// TSV fields, GAF qualifiers and one full GAF line.
import t from 'tap';
import { buildOntology } from '../../evaluation/ontology.js';
import { predictionLineParser } from '../../evaluation/files.js';
import {
  CAFA_END,
  cafaHeader,
  cafaLine,
  formatCafaScore,
  gafDate,
  gafLine,
  gafQualifier,
  tsvHeader,
  tsvLine,
  EXPORT_COLUMNS,
  type ExportRecord,
} from '../../lib/prediction-formats.js';
import { ancestorsFrom, groupTerms, propagateTerms, selectTerms } from '../../lib/prediction-terms.js';
import { FEATURE_COLUMNS, type FeatureColumn } from '../../lib/queries/prediction-export.js';
import { testRandom } from '../helpers/seeded-random.js';

const BP = 'biological_process';
const row = (go_id: string, score: number | null) => ({ go_id, score });
const scores = (terms: Map<string, { score: number | null; propagated: boolean }>) =>
  Object.fromEntries([...terms].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, t]) => [id, [t.score, t.propagated]]));

t.test('a term scores the max over its rows; a term without a scored row has none', async (t) => {
  const terms = groupTerms([row('GO:A', 0.2), row('GO:B', null), row('GO:A', 0.7), row('GO:A', 0.5), row('GO:B', null)]);
  t.same(scores(terms), { 'GO:A': [0.7, false], 'GO:B': [null, false] });
  t.equal(terms.get('GO:A')!.rows.length, 3, 'every row kept under its term');
});

t.test('propagation: every ancestor gets max(own, descendants) over is_a and part_of, missing ones added', async (t) => {
  //        R
  //      /   \
  //     A     B        C is_a A, part_of B; F is_a B; O obsolete; X in another namespace
  //     |   /   \
  //     C -'     F
  const o = buildOntology([
    { id: 'R', namespace: BP },
    { id: 'A', namespace: BP, isA: ['R'] },
    { id: 'B', namespace: BP, isA: ['R'] },
    { id: 'C', namespace: BP, isA: ['A'], partOf: ['B'] },
    { id: 'F', namespace: BP, isA: ['B'] },
    { id: 'O', namespace: BP, obsolete: true, isA: ['R'] },
  ]);
  const anc = ancestorsFrom(o);
  t.same([...anc('C')!].sort(), ['A', 'B', 'R']);
  t.equal(anc('O'), undefined, 'an obsolete term has no ancestors');
  t.equal(anc('NOPE'), undefined);

  // C 0.6 raises A (own 0.3) to 0.6, adds B and R at 0.6; the unknown and obsolete terms keep their scores
  const one = propagateTerms(groupTerms([row('C', 0.6), row('A', 0.3), row('NOPE', 0.9), row('O', 0.95), row('E', null)]), anc);
  t.same(scores(one), { A: [0.6, false], B: [0.6, true], C: [0.6, false], E: [null, false], NOPE: [0.9, false], O: [0.95, false], R: [0.6, true] });

  // two branches: B takes the larger child (F 0.7 over C 0.4), A only C's; R the max of all
  const two = propagateTerms(groupTerms([row('C', 0.4), row('F', 0.7), row('R', 0.1)]), anc);
  t.same(scores(two), { A: [0.4, true], B: [0.7, true], C: [0.4, false], F: [0.7, false], R: [0.7, false] });

  // an ancestor already above its descendants keeps its own score
  const three = propagateTerms(groupTerms([row('C', 0.2), row('A', 0.9)]), anc);
  t.same(scores(three), { A: [0.9, false], B: [0.2, true], C: [0.2, false], R: [0.9, true] });
});

t.test('after propagation no term scores above any of its parents (random DAGs)', async (t) => {
  const rnd = testRandom(t, 'random DAGs and predictions');
  for (let round = 0; round < 20; round++) {
    const n = 40;
    const terms = Array.from({ length: n }, (_, i) => {
      const parents = i === 0 ? [] : Array.from({ length: rnd.int(1, Math.min(3, i)) }, () => `T${rnd.int(0, i - 1)}`);
      const split = rnd.int(0, parents.length);
      return { id: `T${i}`, namespace: BP, isA: parents.slice(0, split), partOf: parents.slice(split) };
    });
    const o = buildOntology(terms);
    const rows = Array.from({ length: 8 }, () => row(`T${rnd.int(0, n - 1)}`, Math.round(rnd.next() * 100) / 100));
    const p = propagateTerms(groupTerms(rows), ancestorsFrom(o));
    for (const term of terms) {
      const s = p.get(term.id)?.score ?? null;
      if (s === null) continue;
      for (const parent of [...term.isA, ...term.partOf]) {
        const ps = p.get(parent)?.score ?? null;
        t.ok(ps !== null && ps >= s, `round ${round}: ${parent} (${ps}) >= child ${term.id} (${s})`);
      }
    }
    // and nothing is raised above the best prediction
    const best = Math.max(...rows.map((r) => r.score!));
    t.ok([...p.values()].every((x) => x.score! <= best), `round ${round}: no score above the best row`);
  }
});

t.test('--min-score keeps scores >= S; --top keeps the N best, ties by GO id; output in GO id order', async (t) => {
  const terms = () => groupTerms([row('GO:3', 0.5), row('GO:1', 0.5), row('GO:2', 0.9), row('GO:4', null), row('GO:5', 0.49)]).values();
  const ids = (l: { goId: string }[]) => l.map((x) => x.goId);
  t.same(ids(selectTerms(terms())), ['GO:1', 'GO:2', 'GO:3', 'GO:4', 'GO:5'], 'nothing asked: every term');
  t.same(ids(selectTerms(terms(), { minScore: 0.5 })), ['GO:1', 'GO:2', 'GO:3'], 'inclusive; a null score never passes');
  t.same(ids(selectTerms(terms(), { top: 2 })), ['GO:1', 'GO:2'], 'GO:2 (0.9), then GO:1 before GO:3 on the tie');
  t.same(ids(selectTerms(terms(), { top: 5 })), ['GO:1', 'GO:2', 'GO:3', 'GO:4', 'GO:5'], 'a null score ranks last');
  t.same(ids(selectTerms(terms(), { top: 4 })), ['GO:1', 'GO:2', 'GO:3', 'GO:5']);
  t.same(ids(selectTerms(terms(), { top: 1, minScore: 0.95 })), []);
});

t.test('CAFA scores: two decimals, clamped to 1, a score that rounds to 0 left out', async (t) => {
  t.equal(formatCafaScore(0.5), '0.50');
  t.equal(formatCafaScore(0.999), '1.00');
  t.equal(formatCafaScore(1.2), '1.00');
  t.equal(formatCafaScore(0.125), '0.13', 'a tie rounds up');
  t.equal(formatCafaScore(0.005), '0.01');
  t.equal(formatCafaScore(0.004), null);
  t.equal(formatCafaScore(0), null);
  t.equal(formatCafaScore(-0.1), null);
  t.equal(formatCafaScore(Number.NaN), null);
  t.equal(formatCafaScore(0.1234, 3), '0.123');
  t.equal(formatCafaScore(0.0004, 3), null);
  t.equal(cafaLine('P1', 'GO:0000001', null), null);
  t.equal(cafaLine('P1', 'GO:0000001', 0.756), 'P1\tGO:0000001\t0.76\n');
});

t.test('a CAFA export reads back through the evaluator\'s parser', async (t) => {
  const text = cafaHeader({ author: 'PROTEA', model: 1, keywords: 'machine learning, homolog.' }) + cafaLine('P1', 'GO:0000001', 0.756)! + cafaLine('P2', 'GO:0000002', 1)! + CAFA_END;
  const parse = predictionLineParser('export.tsv');
  const got = text.split('\n').map((l, i) => parse(l, i + 1)).filter((x) => x !== null);
  t.same(got, [
    { target: 'P1', term: 'GO:0000001', score: 0.76 },
    { target: 'P2', term: 'GO:0000002', score: 1 },
  ]);
});

const noFeatures = () => Object.fromEntries(FEATURE_COLUMNS.map(([c]) => [c, null])) as Record<FeatureColumn, number | string | null>;

t.test('TSV: the header names every column; NULL is empty, numbers in full, tabs in text become spaces', async (t) => {
  t.equal(tsvHeader().split('\t').length, EXPORT_COLUMNS.length);
  t.match(tsvHeader(), /^protein\tgo_id\tgo_name\taspect\tterm_score\tpropagated\tscore\tref_protein\tdistance\tevidence_code\tqualifier\tidentity_nw\t/);
  const r: ExportRecord = {
    protein: 'P1', go_id: 'GO:0000001', go_name: 'a\tname', aspect: 'F', term_score: 0.1 + 0.2, propagated: false, score: 0.25, ref_protein: 'Q9',
    distance: 1e-7, evidence_code: 'EXP', qualifier: null, features: { ...noFeatures(), k_position: 2, taxonomic_relation: 'same species' },
  };
  const cells = tsvLine(r).replace(/\n$/, '').split('\t');
  t.equal(cells.length, EXPORT_COLUMNS.length);
  const at = (name: string) => cells[EXPORT_COLUMNS.findIndex((c) => c.name === name)];
  t.equal(at('go_name'), 'a name');
  t.equal(at('term_score'), '0.30000000000000004', 'the double as it is');
  t.equal(at('distance'), '1e-7');
  t.equal(at('propagated'), 'false');
  t.equal(at('qualifier'), '');
  t.equal(at('k_position'), '2');
  t.equal(at('taxonomic_relation'), 'same species');
  t.equal(at('identity_nw'), '');
});

t.test('GAF qualifier: the reference relation, the aspect default when empty, none for NOT', async (t) => {
  t.equal(gafQualifier('contributes_to', 'F'), 'contributes_to');
  t.equal(gafQualifier('', 'F'), 'enables');
  t.equal(gafQualifier(null, 'P'), 'involved_in');
  t.equal(gafQualifier('  ', 'C'), 'located_in');
  t.equal(gafQualifier('NOT|enables', 'F'), null);
  t.equal(gafQualifier('NOT', 'F'), null);
  t.equal(gafQualifier('NOTABLE_relation', 'F'), 'NOTABLE_relation', 'only the NOT token counts');
});

t.test('one GAF 2.2 line: 17 columns, IEA, the neighbours in With/From, taxon:1 when unknown', async (t) => {
  t.equal(gafDate(new Date('2026-12-02T23:59:00Z')), '20261202');
  const line = gafLine({ protein: 'P1', symbol: null, qualifier: 'enables', goId: 'GO:0000001', aspect: 'F', refs: ['Q1', 'Q2'], taxon: null }, { reference: 'GO_REF:0000104', date: '20261202' });
  t.equal(line, 'UniProtKB\tP1\tP1\tenables\tGO:0000001\tGO_REF:0000104\tIEA\tUniProtKB:Q1|UniProtKB:Q2\tF\t\t\tprotein\ttaxon:1\t20261202\tPROTEA\t\t\n');
  const withTaxon = gafLine({ protein: 'P1', symbol: 'ABC1', qualifier: 'located_in', goId: 'GO:0000002', aspect: 'C', refs: [], taxon: 9606 }, { reference: 'PMID:1', date: '20261202' });
  t.match(withTaxon, /^UniProtKB\tP1\tABC1\tlocated_in\tGO:0000002\tPMID:1\tIEA\t\tC\t\t\tprotein\ttaxon:9606\t/);
});
