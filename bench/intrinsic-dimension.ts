// TwoNN estimate of a point set's intrinsic dimension (Facco, d'Errico,
// Rodriguez & Laio, Sci. Rep. 7:12140, 2017): with r1 and r2 the distances
// from a point to its first and second nearest neighbours, mu = r2 / r1
// follows a Pareto law of exponent d, whose maximum-likelihood estimate is
// d = n / sum(ln mu). A graph index (HNSW) finds neighbours easily where d is
// small, whatever the ambient dimension D, and hardly where d approaches D:
// the benchmark reports it for the vectors it searches, so that its recall
// figures can be read against the user's own data.

/**
 * d from the first two neighbour distances of n points. Points whose first
 * neighbour is at distance 0 (duplicates) or whose two neighbours are
 * equidistant carry no information about d and are skipped; `discard` drops
 * that fraction of the largest mu (the estimator's usual guard against
 * outliers; 0 keeps them all).
 */
export function twoNN(r1: ArrayLike<number>, r2: ArrayLike<number>, discard = 0.1): { dimension: number; used: number } {
  const logs: number[] = [];
  for (let i = 0; i < r1.length; i++) {
    const a = r1[i]!;
    const b = r2[i]!;
    if (a > 0 && b > a) logs.push(Math.log(b / a));
  }
  logs.sort((x, y) => x - y);
  const used = logs.length - Math.floor(logs.length * discard);
  if (used <= 0) return { dimension: Number.NaN, used: 0 };
  let sum = 0;
  for (let i = 0; i < used; i++) sum += logs[i]!;
  // the MLE over the kept points, rescaled for the truncated tail: the kept
  // logs are the smallest `used` of n exponential draws of rate d
  const cut = logs[used - 1]!;
  const dimension = discard > 0 ? used / (sum + (logs.length - used) * cut) : used / sum;
  return { dimension, used };
}
