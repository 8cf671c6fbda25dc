// The TwoNN estimate the KNN benchmark prints beside its HNSW recall: on
// points whose dimension is known it must come out near it.
import t from 'tap';
import { twoNN } from '../../bench/intrinsic-dimension.js';
import { mulberry32 } from '../../lib/seeded-random.js';

/** First and second nearest-neighbour distances of every point, brute force. */
function neighbourDistances(points: Float64Array[]): { r1: number[]; r2: number[] } {
  const r1: number[] = [];
  const r2: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let a = Infinity;
    let b = Infinity;
    for (let j = 0; j < points.length; j++) {
      if (i === j) continue;
      let s = 0;
      for (let k = 0; k < points[i]!.length; k++) s += (points[i]![k]! - points[j]![k]!) ** 2;
      const d = Math.sqrt(s);
      if (d < a) [a, b] = [d, a];
      else if (d < b) b = d;
    }
    r1.push(a);
    r2.push(b);
  }
  return { r1, r2 };
}

t.test('points filling a d-dimensional cube give an estimate near d, however many coordinates they are written in', async (t) => {
  const rnd = mulberry32(7);
  for (const d of [2, 5]) {
    // d free coordinates, embedded in 20 dimensions by a fixed rotation-like mix
    const mix = Array.from({ length: 20 * d }, () => rnd() * 2 - 1);
    const points = Array.from({ length: 1500 }, () => {
      const z = Array.from({ length: d }, () => rnd());
      return Float64Array.from({ length: 20 }, (_, k) => z.reduce((s, zi, i) => s + mix[k * d + i]! * zi, 0));
    });
    const { r1, r2 } = neighbourDistances(points);
    const { dimension, used } = twoNN(r1, r2);
    t.ok(Math.abs(dimension - d) < 0.2 * d + 0.3, `d = ${d}: estimated ${dimension.toFixed(2)}`);
    t.equal(used, 1500 - 150, 'the largest 10% of mu are dropped');
    t.ok(Math.abs(twoNN(r1, r2, 0).dimension - d) < 0.3 * d + 0.3, `d = ${d}, nothing dropped: ${twoNN(r1, r2, 0).dimension.toFixed(2)}`);
  }
});

t.test('a hand-computed case: the MLE is n / sum(ln(r2 / r1))', async (t) => {
  // mu = e, e^2, e^3: sum of logs 6, n = 3 -> d = 0.5
  const r1 = [1, 1, 2];
  const r2 = [Math.E, Math.E ** 2, 2 * Math.E ** 3];
  t.equal(twoNN(r1, r2, 0).dimension, 0.5);
  // dropping the largest third: the kept logs 1 and 2, the cut at 2, one dropped -> 2 / (3 + 2) = 0.4
  t.ok(Math.abs(twoNN(r1, r2, 1 / 3).dimension - 0.4) < 1e-12);
});

t.test('duplicates and ties carry no information and are skipped; nothing usable gives NaN', async (t) => {
  const { dimension, used } = twoNN([0, 1, 1, 1], [1, 1, Math.E, Math.E], 0);
  t.equal(used, 2);
  t.equal(dimension, 1);
  t.ok(Number.isNaN(twoNN([0, 2], [0, 2]).dimension));
});
