// Format negotiation of the prediction reads (api/read-formats.ts): ?format=
// against the Accept header, paging parameters with the streaming formats,
// and the aspect names the routes take. Pure logic.
import t, { type Test } from 'tap';
import { checkPaging, negotiateFormat, parseAccept, parseAspect, type ReadFormat } from '../../api/read-formats.js';
import { ProteaError } from '../../lib/errors.js';

function refusal(t: Test, fn: () => unknown): ProteaError {
  try {
    fn();
  } catch (err) {
    t.type(err, ProteaError);
    return err as ProteaError;
  }
  t.fail('did not throw');
  return new ProteaError('INTERNAL', 'no error');
}

t.test('parseAccept reads media ranges and q-values in header order, skipping malformed ones', async (t) => {
  t.same(parseAccept('text/html, application/json;q=0.5 ,*/*; q=0.1'), [
    { type: 'text/html', q: 1 },
    { type: 'application/json', q: 0.5 },
    { type: '*/*', q: 0.1 },
  ]);
  t.same(parseAccept('Text/Tab-Separated-Values;charset=utf-8'), [{ type: 'text/tab-separated-values', q: 1 }], 'case-insensitive, other parameters ignored');
  t.same(parseAccept('garbage, ,application/json;q=7'), [{ type: 'application/json', q: 1 }], 'q clamped to 1');
  t.same(parseAccept('application/json;q=abc'), [{ type: 'application/json', q: 0 }], 'an unreadable q-value counts as 0');
});

t.test('without ?format= the Accept header chooses; nothing or a wildcard is JSON', async (t) => {
  const cases: Array<[string | undefined, ReadFormat]> = [
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    ['application/json', 'json'],
    ['text/tab-separated-values', 'tsv'],
    ['text/tsv', 'tsv'],
    ['text/*', 'tsv'],
    ['application/vnd.apache.arrow.stream', 'arrow'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json'],
    ['application/json;q=0.5, application/vnd.apache.arrow.stream', 'arrow'],
    ['text/tab-separated-values;q=0.9, application/json;q=0.9', 'tsv'],
    ['application/vnd.apache.arrow.stream;q=0, text/tab-separated-values;q=0.2', 'tsv'],
  ];
  for (const [accept, want] of cases) t.equal(negotiateFormat(accept, undefined), want, `Accept: ${accept}`);
});

t.test('an Accept header that allows none of the formats is a 400 naming accept', async (t) => {
  for (const accept of ['image/png', 'text/html', 'application/json;q=0, image/*']) {
    const err = refusal(t, () => negotiateFormat(accept, undefined));
    t.equal(err.key, 'USAGE');
    t.equal(err.context.field, 'accept', accept);
    t.match(err.message, /allows none of the formats/);
  }
});

t.test('?format= wins when the Accept header allows it, and conflicts when it does not', async (t) => {
  t.equal(negotiateFormat(undefined, 'tsv'), 'tsv');
  t.equal(negotiateFormat('*/*', 'arrow'), 'arrow');
  t.equal(negotiateFormat('text/*', 'tsv'), 'tsv');
  t.equal(negotiateFormat('application/json, text/tab-separated-values;q=0.1', 'tsv'), 'tsv', 'a low q-value still allows it');
  t.equal(negotiateFormat('application/*', 'arrow'), 'arrow');
  for (const [accept, format] of [['application/json', 'tsv'], ['text/tab-separated-values', 'json'], ['application/vnd.apache.arrow.stream', 'json'], ['text/tab-separated-values;q=0, application/json', 'tsv'], ['text/*', 'arrow']] as const) {
    const err = refusal(t, () => negotiateFormat(accept, format));
    t.equal(err.key, 'USAGE');
    t.equal(err.context.field, 'format', `${format} with Accept: ${accept}`);
    t.match(err.message, /conflicts with the Accept header/);
  }
});

t.test('limit and after page JSON only: TSV and Arrow refuse them', async (t) => {
  t.doesNotThrow(() => checkPaging('json', { limit: 5, after: 'abc' }));
  t.doesNotThrow(() => checkPaging('tsv', {}));
  t.doesNotThrow(() => checkPaging('arrow', {}));
  const limit = refusal(t, () => checkPaging('tsv', { limit: 5 }));
  t.equal(limit.context.field, 'limit');
  t.match(limit.message, /TSV streams the whole filtered result/);
  const after = refusal(t, () => checkPaging('arrow', { after: 'abc' }));
  t.equal(after.context.field, 'after');
  t.match(after.message, /Arrow streams/);
  t.match(after.hint, /format=json/);
});

t.test('parseAspect takes letters, BPO/MFO/CCO, BP/MF/CC and namespace names in any case', async (t) => {
  for (const [raw, want] of [['P', 'P'], ['f', 'F'], ['C', 'C'], ['BPO', 'P'], ['mfo', 'F'], ['CCO', 'C'], ['BP', 'P'], ['mf', 'F'], ['cc', 'C'], ['biological_process', 'P'], ['Molecular_Function', 'F'], ['cellular_component', 'C']] as const) {
    t.equal(parseAspect(raw), want, raw);
  }
  for (const raw of ['X', '', 'PF', 'biological process', 'GO:0008150']) t.equal(parseAspect(raw), undefined, JSON.stringify(raw));
});
