// Micro-batches inside a fetched batch, for stages whose work per call is
// bounded (a model's batch size, a token budget): consecutive records, in
// order, until one more would pass a limit on the count, the bytes or a
// stage-defined cost (tokens for the embedder). A record that alone passes a
// limit gets a micro-batch of its own: nothing is ever left out.

export interface MicroBatchLimits<R> {
  /** records per micro-batch at most */
  maxRecords?: number;
  /** summed bytes(record) per micro-batch at most */
  maxBytes?: number;
  /** summed cost(record) per micro-batch at most */
  maxCost?: number;
  bytes?(record: R): number;
  cost?(record: R): number;
}

export function microBatches<R>(records: readonly R[], limits: MicroBatchLimits<R> = {}): R[][] {
  const maxRecords = Math.max(1, limits.maxRecords ?? Number.POSITIVE_INFINITY);
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const maxCost = limits.maxCost ?? Number.POSITIVE_INFINITY;
  const out: R[][] = [];
  let current: R[] = [];
  let bytes = 0;
  let cost = 0;
  for (const r of records) {
    const b = limits.bytes && maxBytes !== Number.POSITIVE_INFINITY ? limits.bytes(r) : 0;
    const c = limits.cost && maxCost !== Number.POSITIVE_INFINITY ? limits.cost(r) : 0;
    if (current.length > 0 && (current.length + 1 > maxRecords || bytes + b > maxBytes || cost + c > maxCost)) {
      out.push(current);
      current = [];
      bytes = 0;
      cost = 0;
    }
    current.push(r);
    bytes += b;
    cost += c;
  }
  if (current.length > 0) out.push(current);
  return out;
}
