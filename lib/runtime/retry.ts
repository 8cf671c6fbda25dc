// The one retry policy of every stage: exponential backoff with jitter,
// bounded attempts. Only errors whose code has the disposition `retry`
// (lib/errors.ts) are retried; anything else is thrown at once.
import { config } from '../config.js';
import { ProteaError, classify } from '../errors.js';

export interface RetryPolicy {
  /** attempts in all, the first one included */
  maxAttempts: number;
  /** backoff before the second attempt; doubles per attempt */
  initialDelayMs: number;
  /** cap of one backoff delay */
  maxDelayMs: number;
}

export type RetryOptions = Partial<RetryPolicy>;

/** The policy with the PROTEA_RETRY_* defaults filled in. */
export function retryPolicy(opts: RetryOptions = {}): RetryPolicy {
  const c = config();
  return {
    maxAttempts: Math.max(1, opts.maxAttempts ?? c.retryMaxAttempts),
    initialDelayMs: Math.max(0, opts.initialDelayMs ?? c.retryInitialDelayMs),
    maxDelayMs: Math.max(0, opts.maxDelayMs ?? c.retryMaxDelayMs),
  };
}

/**
 * The delay after failed attempt `attempt` (1-based): the capped exponential
 * base, of which a random half is kept ("equal jitter"), so replicas that
 * failed together do not retry together.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + random() * (base / 2));
}

/** Resolves after ms, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms); // not unref'd: a retry wait must keep the process alive
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The promise's value, or 'timeout' when it has not settled within ms (the promise is left to run). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RetryRun {
  policy: RetryPolicy;
  /** aborts the waits (and is checked before each attempt) */
  signal?: AbortSignal;
  /** maps a thrown value onto the catalogue (default: classify) */
  classify?: (err: unknown) => ProteaError;
  /** told before each backoff wait */
  onRetry?: (err: ProteaError, attempt: number, delayMs: number) => void | Promise<void>;
}

/**
 * Runs fn until it succeeds, a failure is not `retry`, or the attempts run out
 * (then the classified last error is thrown). A non-retriable failure is
 * rethrown as it was thrown.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, run: RetryRun): Promise<T> {
  const toError = run.classify ?? ((err: unknown) => classify(err));
  for (let attempt = 1; ; attempt++) {
    if (run.signal?.aborted) throw run.signal.reason;
    try {
      return await fn(attempt);
    } catch (err) {
      if (run.signal?.aborted) throw run.signal.reason;
      const e = toError(err);
      if (e.disposition !== 'retry') throw err;
      if (attempt >= run.policy.maxAttempts) throw e;
      const delay = backoffDelay(run.policy, attempt);
      await run.onRetry?.(e, attempt, delay);
      await sleep(delay, run.signal);
    }
  }
}
