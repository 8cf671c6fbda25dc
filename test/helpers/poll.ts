// Polling for what the stack does asynchronously (a job finishing, a consumer
// catching up): probe, and probe again after a pause, until it holds or a
// deadline passes. Throwing on the deadline names what was awaited, so a
// timed-out test says what it waited for instead of failing a later assertion.

export interface PollOptions {
  /** give up after this long (default 60 s) */
  timeoutMs?: number;
  /** pause between probes (default 250 ms) */
  intervalMs?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Probes until ok(value) and returns that value; throws naming `what` and the last value after the timeout. */
export async function until<T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, { timeoutMs = 60_000, intervalMs = 250 }: PollOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await sleep(intervalMs);
  }
}

/** Waits until cond() is true; throws naming `what` after the timeout. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, { timeoutMs = 60_000, intervalMs = 250 }: PollOptions = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
