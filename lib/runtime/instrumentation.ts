// Typed events of every stage (processors and sinks alike). The runtime and
// the runners emit them; lib/metrics.ts turns them into Prometheus counters,
// histograms and gauges, and tests may listen too.

export type StageEvent =
  /** a batch (one partition's micro-batch or transaction) completed and is acknowledged */
  | { type: 'batch'; stage: string; topic: string; partition: number; records: number; seconds: number; outputs: Readonly<Record<string, number>> }
  /** records sent to a dead-letter topic, by the topic they came from and their error code */
  | { type: 'dead_letter'; stage: string; topic: string; code: string; count: number }
  /** a retry after a retry-disposition failure */
  | { type: 'retry'; stage: string; step: string; code: string; attempt: number; delayMs: number }
  /** partitions assigned to or revoked from this member */
  | { type: 'rebalance'; stage: string; change: 'assigned' | 'revoked'; partitions: readonly number[] }
  /** records between what the stage processed and the partition's end */
  | { type: 'lag'; stage: string; topic: string; partition: number; lag: number };

export type StageListener = (event: StageEvent) => void;

const listeners = new Set<StageListener>();

/** Subscribes to every stage event of the process; returns the unsubscribe function. */
export function onStageEvent(listener: StageListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Emits an event; a throwing listener never breaks the stage. */
export function emitStageEvent(event: StageEvent): void {
  for (const l of listeners) {
    try {
      l(event);
    } catch {
      // instrumentation must not change what a stage does
    }
  }
}

/** Lag of a partition: the high watermark minus the next offset to read, never negative. */
export function lagOf(highWatermark: string, nextOffset: string): number | undefined {
  try {
    const d = BigInt(highWatermark) - BigInt(nextOffset);
    return d > 0n ? Number(d) : 0;
  } catch {
    return undefined;
  }
}
