// Narrowing a failed micro-batch down to its culprits by halving: a failure
// of n records costs about 2*log2(n) more calls per culprit, never n calls
// record by record. Lower halves run first, so outputs keep input order.

export interface BisectOptions<I, R> {
  /** whether a failure of a part is to be narrowed down (otherwise it is thrown on) */
  splittable(err: unknown): boolean;
  /** the result of a single item that still fails */
  single(item: I, err: unknown): R;
  /** told each time a part is split */
  onSplit?(size: number, err: unknown): void;
}

/** One result per item, in order: run(part)'s where it passed, single() for the items that fail alone. */
export async function bisect<I, R>(items: readonly I[], run: (part: readonly I[]) => Promise<R[]>, opts: BisectOptions<I, R>): Promise<R[]> {
  if (items.length === 0) return [];
  try {
    return await run(items);
  } catch (err) {
    if (!opts.splittable(err)) throw err;
    if (items.length === 1) return [opts.single(items[0]!, err)];
    opts.onSplit?.(items.length, err);
    const mid = items.length >>> 1;
    const low = await bisect(items.slice(0, mid), run, opts);
    const high = await bisect(items.slice(mid), run, opts);
    return [...low, ...high];
  }
}
