// The seeded generator the fault tests choose with: one seed replays the same
// choices, values stay in their ranges, and PROTEA_TEST_SEED picks the seed.
import t from 'tap';
import { seededRandom, testSeed } from '../helpers/seeded-random.js';

t.test('the same seed gives the same sequence; another seed another one', async (t) => {
  const a = seededRandom(12345);
  const b = seededRandom(12345);
  const c = seededRandom(12346);
  const xs = Array.from({ length: 100 }, () => a.next());
  t.same(Array.from({ length: 100 }, () => b.next()), xs);
  t.not(JSON.stringify(Array.from({ length: 100 }, () => c.next())), JSON.stringify(xs));
});

t.test('values stay in range and cover it', async (t) => {
  const r = seededRandom(7);
  const seen = new Set<number>();
  let outside = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = r.next();
    if (!(x >= 0 && x < 1)) outside++;
    const k = r.int(3, 8);
    if (k < 3 || k > 8 || !Number.isInteger(k)) outside++;
    seen.add(k);
    const y = r.between(-2, 5);
    if (!(y >= -2 && y < 5)) outside++;
  }
  t.equal(outside, 0, 'no value outside its range');
  t.same([...seen].sort(), [3, 4, 5, 6, 7, 8], 'int reaches both ends');
  const items = ['a', 'b', 'c', 'd'];
  const shuffled = r.shuffle(items);
  t.same([...shuffled].sort(), items, 'shuffle keeps every item once');
  t.same(items, ['a', 'b', 'c', 'd'], 'shuffle leaves its input alone');
  t.ok(items.includes(r.pick(items)), 'pick returns an element');
  t.throws(() => r.pick([]), 'pick of nothing throws');
  const d = r.derive();
  t.ok(Number.isInteger(d) && d >= 0 && d <= 0xffffffff, 'a derived seed is a 32-bit unsigned integer');
});

t.test('PROTEA_TEST_SEED sets the seed; without it each run gets a fresh one', async (t) => {
  const saved = process.env.PROTEA_TEST_SEED;
  t.teardown(() => {
    if (saved === undefined) delete process.env.PROTEA_TEST_SEED;
    else process.env.PROTEA_TEST_SEED = saved;
  });
  process.env.PROTEA_TEST_SEED = '424242';
  t.equal(testSeed(), 424242);
  process.env.PROTEA_TEST_SEED = '0x10';
  t.equal(testSeed(), 16);
  process.env.PROTEA_TEST_SEED = 'banana';
  t.throws(() => testSeed(), /PROTEA_TEST_SEED/);
  delete process.env.PROTEA_TEST_SEED;
  const seeds = new Set(Array.from({ length: 5 }, () => testSeed()));
  t.ok(seeds.size > 1, 'fresh seeds differ');
});
