// The temporal holdout on a hand-built ontology and two hand-built annotation
// sets: one protein per rule (NK, LK, PK, PK ruled out because implied, NOT
// with propagation to descendants, old NOT not touching the new set, other
// evidence ignored, alt_id mapped, obsolete and unknown ids dropped), across
// three namespaces, with every stats number derived from the rows below.
import t from 'tap';
import { buildOntology } from '../../evaluation/ontology.js';
import { DEFAULT_EVIDENCE_CODES, TemporalHoldoutBuilder, isNotQualifier, obsoleteIds, temporalHoldout, type HoldoutAnnotation } from '../../evaluation/temporal-holdout.js';
import type { OntologyTermInput } from '../../evaluation/types.js';

const BP = 'biological_process';
const MF = 'molecular_function';
const CC = 'cellular_component';
const go = (n: number) => `GO:${String(n).padStart(7, '0')}`;

//  BP: 1 <- 2 (is_a) <- 3 (is_a) <- 6 (is_a);  2 <- 4 (part_of);  1 <- 5 (is_a, alt_id GO:0000055);  9 obsolete
//  MF: 100 <- 101 <- 102;  100 <- 103
//  CC: 200 <- 201
const TERMS: OntologyTermInput[] = [
  { id: go(1), namespace: BP },
  { id: go(2), namespace: BP, isA: [go(1)] },
  { id: go(3), namespace: BP, isA: [go(2)] },
  { id: go(4), namespace: BP, partOf: [go(2)] },
  { id: go(5), namespace: BP, isA: [go(1)], altIds: [go(55)] },
  { id: go(6), namespace: BP, isA: [go(3)] },
  { id: go(9), namespace: BP, obsolete: true },
  { id: go(100), namespace: MF },
  { id: go(101), namespace: MF, isA: [go(100)] },
  { id: go(102), namespace: MF, isA: [go(101)] },
  { id: go(103), namespace: MF, isA: [go(100)] },
  { id: go(200), namespace: CC },
  { id: go(201), namespace: CC, isA: [go(200)] },
];

const row = (protein: string, term: number, evidenceCode: string, qualifier = ''): HoldoutAnnotation => ({ protein, goId: go(term), qualifier, evidenceCode });

const OLD: HoldoutAnnotation[] = [
  row('P2', 101, 'IMP', 'enables'),
  row('P3', 2, 'IDA', 'involved_in'),
  row('P4', 3, 'IDA', 'involved_in'),
  row('P8', 2, 'IDA', 'NOT|involved_in'), // excludes P8's old GO:3 ...
  row('P8', 3, 'IDA', 'involved_in'), //     ... so P8 had no old knowledge
  row('P9', 102, 'EXP', 'enables'),
  row('P10', 101, 'IDA', 'enables'),
  row('P10', 2, 'IDA', 'involved_in'),
  row('P11', 101, 'IEA', 'enables'), // not experimental: P11 had no old knowledge
];

const NEW: HoldoutAnnotation[] = [
  row('P1', 3, 'IDA'),
  row('P1', 3, 'EXP'), // same pair, second evidence line
  row('P1', 101, 'EXP'),
  row('P2', 101, 'IMP'),
  row('P2', 55, 'IGI'), // alt_id of GO:5
  row('P3', 2, 'IDA'),
  row('P3', 3, 'HDA'),
  row('P4', 2, 'IDA'),
  row('P4', 3, 'IDA'),
  row('P5', 2, 'IKR', 'NOT|involved_in'), // a NOT counts whatever its evidence: drops GO:3 and GO:4 (descendants)
  row('P5', 3, 'IDA'),
  row('P5', 4, 'IMP'),
  row('P5', 5, 'IDA'),
  row('P5', 101, 'IDA'),
  row('P6', 3, 'IEA'),
  row('P6', 101, 'ISS'),
  row('P7', 9, 'IDA'), // obsolete
  row('P7', 9999999, 'EXP'), // unknown
  row('P7', 201, 'IDA'),
  row('P8', 3, 'IDA'), // the old NOT does not touch it
  row('P9', 102, 'EXP'),
  row('P9', 101, 'IDA', 'NOT|enables'), // drops the new GO:102 (a descendant)
  row('P9', 3, 'IDA'),
  row('P10', 103, 'IDA'),
  row('P10', 102, 'IDA'),
  row('P10', 2, 'IDA'),
  row('P11', 101, 'IDA'),
  row('P12', 3, 'TAS'), // not a default code
];

const ontology = buildOntology(TERMS);
const obsolete = obsoleteIds(TERMS);
const holdout = (opts: Parameters<typeof temporalHoldout>[3] = {}) => temporalHoldout(OLD, NEW, ontology, { isObsolete: (id) => obsolete.has(id), ...opts });

t.test('NOT is a token of the GAF qualifier, not a substring', async (t) => {
  t.ok(isNotQualifier('NOT'));
  t.ok(isNotQualifier('NOT|enables'));
  t.ok(isNotQualifier('contributes_to|NOT'));
  t.notOk(isNotQualifier('enables'));
  t.notOk(isNotQualifier(''));
  t.notOk(isNotQualifier('NOTE'));
  t.notOk(isNotQualifier('not|enables'), 'GAF spells it upper-case');
});

t.test('the default evidence codes are the experimental and high-throughput ones, without TAS and IC', async (t) => {
  t.same([...DEFAULT_EVIDENCE_CODES].sort(), ['EXP', 'HDA', 'HEP', 'HGI', 'HMP', 'HTP', 'IDA', 'IEP', 'IGI', 'IMP', 'IPI']);
  t.notOk(DEFAULT_EVIDENCE_CODES.includes('TAS'));
  t.notOk(DEFAULT_EVIDENCE_CODES.includes('IC'));
});

t.test('targets: NK, LK and PK per protein and namespace, in category, namespace, protein, term order', async (t) => {
  const { targets } = holdout();
  t.same(
    targets.map((x) => `${x.category} ${x.namespace} ${x.protein} ${x.term}`),
    [
      // NK: P1 (two namespaces), P5 (GO:3 and GO:4 excluded by its NOT on GO:2), P7 (obsolete and unknown dropped), P8, P11
      `NK ${BP} P1 ${go(3)}`,
      `NK ${BP} P5 ${go(5)}`,
      `NK ${BP} P8 ${go(3)}`,
      `NK ${CC} P7 ${go(201)}`,
      `NK ${MF} P1 ${go(101)}`,
      `NK ${MF} P11 ${go(101)}`, // code-point order: 'P11' < 'P5'
      `NK ${MF} P5 ${go(101)}`,
      // LK: P2 (old MF only; its BP term came as an alt_id), P9 (old MF only; its new MF term excluded by NOT)
      `LK ${BP} P2 ${go(5)}`,
      `LK ${BP} P9 ${go(3)}`,
      // PK: P3 (GO:3 below its old GO:2), P10 (GO:102 and GO:103 outside the closure of its old GO:101)
      `PK ${BP} P3 ${go(3)}`,
      `PK ${MF} P10 ${go(102)}`,
      `PK ${MF} P10 ${go(103)}`,
    ],
  );
});

t.test('PK known terms are the old terms of the namespace, as annotated', async (t) => {
  const { known } = holdout();
  t.same(
    known.map((k) => `${k.namespace} ${k.protein} ${k.term}`),
    [`${BP} P3 ${go(2)}`, `${MF} P10 ${go(101)}`],
  );
});

t.test('a protein whose new terms are all implied by its old ones is no PK target', async (t) => {
  const { targets, stats } = holdout();
  t.notOk(
    targets.some((x) => x.protein === 'P4'),
    'P4 had GO:3, its new GO:2 is an ancestor',
  );
  t.notOk(
    targets.some((x) => x.protein === 'P10' && x.namespace === BP),
    'P10 BP: the same term again',
  );
  t.notOk(
    targets.some((x) => x.protein === 'P2' && x.namespace === MF),
    'P2 MF: the same term again',
  );
  t.equal(stats.impliedOnly, 3, 'P4 BP, P10 BP, P2 MF');
});

t.test('stats: per category and namespace, known, delta, and what each set dropped', async (t) => {
  const { stats } = holdout();
  t.same(stats.categories, {
    NK: { proteins: 5, annotations: 7, namespaces: { [BP]: { proteins: 3, annotations: 3 }, [CC]: { proteins: 1, annotations: 1 }, [MF]: { proteins: 3, annotations: 3 } } },
    LK: { proteins: 2, annotations: 2, namespaces: { [BP]: { proteins: 2, annotations: 2 } } },
    PK: { proteins: 2, annotations: 3, namespaces: { [BP]: { proteins: 1, annotations: 1 }, [MF]: { proteins: 1, annotations: 2 } } },
  });
  t.same(stats.known, { proteins: 2, annotations: 2, namespaces: { [BP]: { proteins: 1, annotations: 1 }, [MF]: { proteins: 1, annotations: 1 } } });
  t.equal(stats.deltaProteins, 9, 'P1 P2 P3 P5 P7 P8 P9 P10 P11');
  t.same(stats.evidenceCodes, [...DEFAULT_EVIDENCE_CODES]);
  t.equal(stats.version, 1);
  t.same(stats.input.old, {
    rows: 9,
    notQualifiedRows: 1,
    altIdMappedRows: 0,
    annotations: 7, // P2:101 P3:2 P4:3 P8:3 P9:102 P10:101 P10:2
    proteins: 5, // P2 P3 P4 P9 P10 (P8's only positive is excluded)
    dropped: { otherEvidenceRows: 1, obsoleteTermRows: 0, unknownTermRows: 0, notExcludedAnnotations: 1 },
  });
  t.same(stats.input.new, {
    rows: 28,
    notQualifiedRows: 2,
    altIdMappedRows: 1,
    annotations: 20, // P1 2, P2 2, P3 2, P4 2, P5 4, P7 1, P8 1, P9 2, P10 3, P11 1
    proteins: 10,
    dropped: { otherEvidenceRows: 3, obsoleteTermRows: 1, unknownTermRows: 1, notExcludedAnnotations: 3 },
  });
  // the numbers agree with the rows returned
  const { targets, known } = holdout();
  t.equal(targets.length, stats.categories.NK.annotations + stats.categories.LK.annotations + stats.categories.PK.annotations);
  t.equal(known.length, stats.known.annotations);
  t.equal(new Set(targets.map((x) => x.protein)).size, stats.deltaProteins);
});

t.test('NOT exclusion reaches descendants through is_a and part_of, not siblings or other namespaces', async (t) => {
  const ontologyOnly = (rows: HoldoutAnnotation[]) => temporalHoldout([], rows, ontology).targets.map((x) => x.term);
  t.same(ontologyOnly([row('X', 1, 'IDA', 'NOT'), row('X', 6, 'IDA'), row('X', 4, 'IDA'), row('X', 101, 'IDA')]), [go(101)], 'NOT on the BP root drops GO:6 (3 levels down) and GO:4 (part_of); MF stays');
  t.same(ontologyOnly([row('X', 3, 'IDA', 'NOT'), row('X', 2, 'IDA'), row('X', 4, 'IDA'), row('X', 6, 'IDA')]), [go(2), go(4)], 'NOT on GO:3 drops GO:6 only: not its parent GO:2, not its sibling GO:4');
  t.same(ontologyOnly([row('X', 3, 'IDA', 'NOT'), row('Y', 3, 'IDA')]), [go(3)], "another protein's NOT does not count");
  t.same(ontologyOnly([row('X', 55, 'IDA', 'NOT'), row('X', 5, 'IDA')]), [], 'a NOT given by alt_id');
});

t.test('without isObsolete every dropped id counts as unknown', async (t) => {
  const { stats } = temporalHoldout(OLD, NEW, ontology);
  t.equal(stats.input.new.dropped.obsoleteTermRows, 0);
  t.equal(stats.input.new.dropped.unknownTermRows, 2);
});

t.test('--evidence overrides the codes: adding TAS makes P12 an NK target', async (t) => {
  const { targets, stats } = holdout({ evidenceCodes: [...DEFAULT_EVIDENCE_CODES, 'TAS'] });
  t.same(
    targets.filter((x) => x.protein === 'P12').map((x) => `${x.category} ${x.term}`),
    [`NK ${go(3)}`],
  );
  t.equal(stats.categories.NK.proteins, 6);
  t.equal(stats.input.new.dropped.otherEvidenceRows, 2);
  const onlyIda = temporalHoldout(OLD, NEW, ontology, { evidenceCodes: ['IDA'] });
  t.notOk(
    onlyIda.targets.some((x) => x.protein === 'P1' && x.namespace === MF),
    'P1 MF (EXP only) is gone with --evidence IDA',
  );
  t.same(onlyIda.stats.evidenceCodes, ['IDA']);
});

t.test('rows filtered upstream are added to the counts', async (t) => {
  const { stats } = holdout({ upstream: { old: { rows: 100, otherEvidenceRows: 100 }, new: { rows: 5, otherEvidenceRows: 4 } } });
  t.equal(stats.input.old.rows, 109);
  t.equal(stats.input.old.dropped.otherEvidenceRows, 101);
  t.equal(stats.input.new.rows, 33);
  t.equal(stats.input.new.dropped.otherEvidenceRows, 7);
});

t.test('identical sets give no target; empty inputs give empty stats', async (t) => {
  const same = temporalHoldout(NEW, NEW, ontology);
  t.same(same.targets, []);
  t.equal(same.stats.deltaProteins, 0);
  t.equal(same.stats.impliedOnly, 14, 'every (protein, namespace) of the new set is implied by itself');
  const empty = temporalHoldout([], [], ontology);
  t.same(empty.stats.categories, { NK: { proteins: 0, annotations: 0, namespaces: {} }, LK: { proteins: 0, annotations: 0, namespaces: {} }, PK: { proteins: 0, annotations: 0, namespaces: {} } });
});

t.test('the row-by-row builder gives what temporalHoldout gives, whatever the row order; skipped rows are counted', async (t) => {
  const builder = new TemporalHoldoutBuilder(ontology, { isObsolete: (id) => obsolete.has(id) });
  for (const r of [...NEW].reverse()) builder.addNew(r);
  for (const r of [...OLD].reverse()) builder.addOld(r);
  builder.skipped('new', { rows: 3, otherEvidenceRows: 3 });
  const fed = builder.finish();
  const whole = holdout();
  t.same(fed.targets, whole.targets);
  t.same(fed.known, whole.known);
  t.same(fed.stats.categories, whole.stats.categories);
  t.equal(fed.stats.input.new.rows, whole.stats.input.new.rows + 3);
  t.equal(fed.stats.input.new.dropped.otherEvidenceRows, whole.stats.input.new.dropped.otherEvidenceRows + 3);
  t.same(fed.stats.input.old, whole.stats.input.old);
});

t.test('command-line parsing: evidence codes and namespace aliases', async (t) => {
  const { parseEvidenceCodes, parseNamespace } = await import('../../evaluation/sets.js');
  t.same(parseEvidenceCodes('exp, ida,IDA  TAS'), ['EXP', 'IDA', 'TAS']);
  t.throws(() => parseEvidenceCodes('EXP,I-DA'), { key: 'USAGE', message: /"I-DA" is not a GO evidence code/ });
  t.throws(() => parseEvidenceCodes(' , '), { key: 'USAGE', message: /no evidence code given/ });
  t.equal(parseNamespace('BPO'), BP);
  t.equal(parseNamespace('mf'), MF);
  t.equal(parseNamespace('C'), CC);
  t.equal(parseNamespace('external_thing'), 'external_thing');
});
