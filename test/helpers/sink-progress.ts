// Waiting for sinks: a sink has landed what was produced once its stored
// offsets (in PostgreSQL, beside the rows) reach the topic's log end; a job
// is done once the jobs sink set its status.
import type { SinkRunner } from '../../sinks/runner.js';
import { logEnd } from './read-topics.js';
import { sleep } from './poll.js';

const offsets = (m: Map<number, bigint>) => JSON.stringify([...m].map(([p, o]) => [p, String(o)]));

/**
 * Resolves with the stored offsets once they reach the log end (as it was
 * when called) of every partition that has records; throws after timeoutMs.
 */
export async function caughtUp(runner: SinkRunner<unknown>, timeoutMs = 60_000): Promise<Map<number, bigint>> {
  const end = await logEnd(runner.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await runner.storedOffsets();
    if ([...end].every(([p, high]) => high === 0n || stored.get(p) === high)) return stored;
    if (Date.now() > deadline) throw new Error(`${runner.sinkName} not caught up with ${runner.topic}: end ${offsets(end)} stored ${offsets(stored)}`);
    await sleep(200);
  }
}

export interface JobRow {
  status: string;
  progress_current: number | null;
  progress_total: number | null;
}

/** The job's row once it reached `status`, or the last row seen after the timeout (the assertion then shows it). */
export async function jobReaches(query: <R>(text: string, values: unknown[]) => Promise<R[]>, jobId: string, status: string, timeoutMs = 60_000): Promise<JobRow | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query<JobRow>('SELECT status, progress_current, progress_total FROM job WHERE id = $1', [jobId]);
    if (row?.status === status || Date.now() > deadline) return row;
    await sleep(200);
  }
}
