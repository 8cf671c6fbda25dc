// One send's messages go to the broker in chunks bounded by count and bytes: a
// partition's share of a send is one record batch, which the broker refuses
// above the topic's message size limit.
import t from 'tap';
import { chunks } from '../../lib/topic-producer.js';

const m = (size: number) => ({ value: Buffer.alloc(size) });

t.test('messages are cut into runs of at most the count and about the byte budget, in order; a larger message goes alone', async (t) => {
  const sizes = (c: { value: Buffer }[][]) => c.map((x) => x.map((y) => y.value.length));
  t.same(sizes(chunks([m(10), m(10), m(10), m(10), m(10)], 2, 1000)), [[10, 10], [10, 10], [10]], 'by count');
  t.same(sizes(chunks([m(400), m(400), m(400), m(100)], 100, 900)), [[400, 400], [400, 100]], 'by bytes: 400 + 400 fit 900, a third does not');
  t.same(sizes(chunks([m(100), m(5000), m(100)], 100, 900)), [[100], [5000], [100]], 'a message above the budget is a chunk of its own');
  t.same(chunks([], 10, 10), [], 'nothing to send: no chunk');
  const many = Array.from({ length: 256 }, () => m(510_000));
  t.ok(chunks(many, 1000, 900_000).every((c) => c.length === 1), '256 enriched prediction parts of ~510 KB: one per send, never a 130 MB batch');
});
