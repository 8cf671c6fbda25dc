// A constant-rate (open-loop) HTTP load: request i is due at start + i / rate,
// whatever became of the earlier ones, and its latency runs from the moment it
// was due to the end of its response. So a stall of the server (or of this
// client) counts against every request that fell due meanwhile, as a user
// arriving at that moment would see it.
//
// Why not autocannon's --overallRate: it limits each connection to rate /
// connections requests per one-second tick and sends them back to back, so
// "500 req/s" is a burst at full speed at the start of every second and then
// silence (node_modules/autocannon/lib/httpClient.js, reqsMadeThisSecond), and
// it then fills its histogram with synthetic values at a 1 ms expected
// interval. What it reports at a fixed rate is the tail of those bursts, not
// the latency at that rate. autocannon stays the tool for the unthrottled pass.
import http from 'node:http';

export interface PacedResult {
  requests: number;
  /** responses per second over the whole pass (due times to the last response) */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  non2xx: number;
  errors: number;
  /** most requests in flight at once (a connection pool that runs dry shows here) */
  maxInFlight: number;
}

export interface PacedOptions {
  base: string;
  /** the path of each request, called once per request */
  path: () => string;
  rate: number;
  durationS: number;
  /** keep-alive connections at most (requests beyond wait for one: their wait counts) */
  connections: number;
  timeoutMs?: number;
}

/** Exact percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export async function pacedLoad(opts: PacedOptions): Promise<PacedResult> {
  const url = new URL(opts.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.round(opts.rate * opts.durationS);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let last = 0;
  const start = performance.now() + 50;
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = (ok: boolean, status?: number) => {
        inFlight--;
        const end = performance.now();
        last = Math.max(last, end);
        if (!ok) errors++;
        else {
          if (status === undefined || status < 200 || status >= 300) non2xx++;
          latencies.push(end - due);
        }
        resolve();
      };
      const req = http.get({ host: url.hostname, port: url.port, path: opts.path(), agent, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
        res.resume();
        res.on('end', () => done(true, res.statusCode));
        res.on('error', () => done(false));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => done(false));
    });
  const pending: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // every request due by now goes out (a late timer sends the overdue ones at once; their lateness is measured)
      while (next < total && start + (next * 1000) / opts.rate <= now) {
        pending.push(one(start + (next * 1000) / opts.rate));
        next++;
      }
      if (next >= total) return resolve();
      const wait = start + (next * 1000) / opts.rate - performance.now();
      setTimeout(tick, Math.max(0, Math.floor(wait)));
    };
    setTimeout(tick, 50);
  });
  await Promise.all(pending);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: total,
    rps: latencies.length / ((last - start) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    non2xx,
    errors,
    maxInFlight,
  };
}
