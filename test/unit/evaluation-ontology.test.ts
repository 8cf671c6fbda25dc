// The evaluator's ontology: which terms are kept, which edges propagate,
// alt_ids, roots, cycles, and the OBO reading through the ingest reader.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { readOboTerms } from '../../evaluation/obo-terms.js';
import { buildOntology, type EvalOntology } from '../../evaluation/ontology.js';
import type { OntologyTermInput } from '../../evaluation/types.js';

const ids = (o: EvalOntology, list: ArrayLike<number>) => Array.from(list, (i) => o.id(i)).sort();
const anc = (o: EvalOntology, id: string) => ids(o, o.ancestors(o.resolve(id)!));

const BP = 'biological_process';
const MF = 'molecular_function';

t.test('ancestors follow is_a and part_of inside the namespace, self included, each once', async (t) => {
  const o = buildOntology([
    { id: 'R', namespace: BP },
    { id: 'A', namespace: BP, isA: ['R'] },
    { id: 'B', namespace: BP, isA: ['R'] },
    { id: 'C', namespace: BP, isA: ['A'], partOf: ['B'] },
    { id: 'D', namespace: BP, isA: ['C', 'A'] }, // a redundant edge: A reached twice
  ]);
  t.same(anc(o, 'D'), ['A', 'B', 'C', 'D', 'R']);
  t.equal(o.ancestors(o.resolve('D')!).length, 5, 'no duplicates');
  t.same(anc(o, 'C'), ['A', 'B', 'C', 'R'], 'part_of propagates');
  t.same(anc(o, 'R'), ['R']);
  t.ok(o.isRoot(o.resolve('R')!));
  t.notOk(o.isRoot(o.resolve('C')!));
  t.equal(o.size, 5);
});

t.test('part_of to another namespace does not propagate; a term whose only parent is elsewhere is a root', async (t) => {
  const o = buildOntology([
    { id: 'R', namespace: BP },
    { id: 'A', namespace: BP, isA: ['R'] },
    { id: 'M', namespace: MF },
    { id: 'N', namespace: MF, isA: ['M'], partOf: ['A'] },
    { id: 'Q', namespace: MF, partOf: ['A'] },
  ]);
  t.same(anc(o, 'N'), ['M', 'N']);
  t.same(anc(o, 'Q'), ['Q']);
  t.ok(o.isRoot(o.resolve('Q')!), 'Q has no parent inside molecular_function');
  t.same(o.namespaces(), [BP, MF], 'sorted');
  t.equal(o.namespace(o.resolve('N')!), MF);
});

t.test('alt_ids resolve to their term; a primary id is never shadowed by another term\'s alt_id', async (t) => {
  const o = buildOntology([
    { id: 'R', namespace: BP },
    { id: 'A', namespace: BP, isA: ['R'], altIds: ['A_OLD', 'B'] },
    { id: 'B', namespace: BP, isA: ['R'] },
    { id: 'C', namespace: BP, isA: ['R'], altIds: ['A_OLD'] },
  ]);
  t.equal(o.resolve('A_OLD'), o.resolve('A'), 'alt_id -> the first term listing it');
  t.equal(o.id(o.resolve('B')!), 'B', 'B stays B');
  t.equal(o.resolve('NOPE'), undefined);
});

t.test('obsolete terms, terms without a namespace and the external namespace are dropped, with the edges to them', async (t) => {
  const o = buildOntology([
    { id: 'R', namespace: BP },
    { id: 'OLD', namespace: BP, obsolete: true, altIds: ['OLD_ALT'] },
    { id: 'A', namespace: BP, isA: ['OLD'] },
    { id: 'X', namespace: null },
    { id: 'E', namespace: 'external' },
    { id: 'F', namespace: BP, isA: ['R', 'X', 'E'] },
  ]);
  t.equal(o.resolve('OLD'), undefined, 'obsolete: unknown');
  t.equal(o.resolve('OLD_ALT'), undefined, 'alt_ids of obsolete terms are not mapped');
  t.equal(o.resolve('X'), undefined);
  t.equal(o.resolve('E'), undefined);
  t.ok(o.isRoot(o.resolve('A')!), 'its only parent was obsolete');
  t.same(anc(o, 'F'), ['F', 'R']);
  t.equal(o.size, 3);
  t.same(o.namespaces(), [BP]);
});

t.test('a term listed twice: the last kept definition counts', async (t) => {
  const o = buildOntology([
    { id: 'R', namespace: BP },
    { id: 'S', namespace: BP },
    { id: 'A', namespace: BP, isA: ['R'] },
    { id: 'A', namespace: BP, isA: ['S'] },
  ]);
  t.same(anc(o, 'A'), ['A', 'S']);
  t.equal(o.size, 3);
});

t.test('a cycle over is_a/part_of is an EVALUATION_INPUT_INVALID error naming terms on it', async (t) => {
  const terms: OntologyTermInput[] = [
    { id: 'R', namespace: BP },
    { id: 'A', namespace: BP, isA: ['R', 'C'] },
    { id: 'B', namespace: BP, isA: ['A'] },
    { id: 'C', namespace: BP, partOf: ['B'] },
  ];
  const err = t.throws(() => buildOntology(terms)) as unknown as ProteaError;
  t.ok(err instanceof ProteaError);
  t.equal(err.key, 'EVALUATION_INPUT_INVALID');
  const names = /cycle: (.*) \(/.exec(err.message)?.[1]?.split(' -> ') ?? [];
  t.equal(names.length, 4, `three terms and back: ${err.message}`);
  t.same([...new Set(names)].sort(), ['A', 'B', 'C'], 'exactly the terms on the cycle (not R above it)');
  t.equal(names[0], names[3]);
});

t.test('readOboTerms: is_a and part_of kept, regulates and other relations not, obsolete and alt_id read, Typedefs skipped', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-obo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mini.obo');
  await writeFile(
    file,
    [
      'format-version: 1.2',
      'default-namespace: biological_process',
      '',
      '[Term]',
      'id: GO:1',
      'name: root',
      'namespace: biological_process',
      '',
      '[Term]',
      'id: GO:2',
      'namespace: biological_process',
      'is_a: GO:1 ! root',
      'alt_id: GO:22',
      '',
      '[Term]',
      'id: GO:3',
      'namespace: biological_process',
      'is_a: GO:1',
      'relationship: regulates GO:2 ! must not propagate',
      'relationship: part_of GO:2 {source="x"} ! propagates',
      'relationship: has_part GO:1',
      '',
      '[Term]',
      'id: GO:4',
      'is_a: GO:1',
      'relationship: negatively_regulates GO:3',
      '',
      '[Term]',
      'id: GO:5',
      'namespace: biological_process',
      'is_obsolete: true',
      '',
      '[Typedef]',
      'id: part_of',
      'namespace: external',
      '',
    ].join('\n'),
  );
  const terms = await readOboTerms(file);
  t.same(
    terms.map((x) => x.id),
    ['GO:1', 'GO:2', 'GO:3', 'GO:4', 'GO:5'],
    'one entry per [Term], the Typedef skipped',
  );
  const byId = new Map(terms.map((x) => [x.id, x]));
  t.same(byId.get('GO:3')!.isA, ['GO:1']);
  t.same(byId.get('GO:3')!.partOf, ['GO:2'], 'regulates and has_part are not part_of');
  t.equal(byId.get('GO:4')!.namespace, BP, 'default-namespace applies');
  t.equal(byId.get('GO:5')!.obsolete, true);
  t.same(byId.get('GO:2')!.altIds, ['GO:22']);

  const o = buildOntology(terms);
  t.same(anc(o, 'GO:4'), ['GO:1', 'GO:4'], 'negatively_regulates does not propagate');
  t.same(anc(o, 'GO:3'), ['GO:1', 'GO:2', 'GO:3'], 'part_of does, regulates adds nothing');
  t.equal(o.resolve('GO:22'), o.resolve('GO:2'));
  t.equal(o.resolve('GO:5'), undefined);
});

t.test('readOboTerms: a [Term] without an id is an error naming the file and line', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-obo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.obo');
  await writeFile(file, ['format-version: 1.2', '', '[Term]', 'id: GO:1', 'namespace: x', '', '[Term]', 'name: no id', ''].join('\n'));
  const err = await readOboTerms(file).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof ProteaError, 'rejected with a ProteaError');
  const e = err as ProteaError;
  t.equal(e.key, 'EVALUATION_INPUT_INVALID');
  t.equal(e.context.line, 7);
  t.equal(e.context.file, file);
  t.ok(e.message.startsWith(`${file}:7:`), e.message);
});
