// The constant-rate load of bench:api: requests go out on schedule whatever
// the server does, and a stall counts against every request due during it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { pacedLoad, percentile } from '../../bench/paced-load.js';

t.test('percentile is the nearest rank of sorted values', async (t) => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  t.equal(percentile(xs, 50), 50);
  t.equal(percentile(xs, 99), 99);
  t.equal(percentile(xs, 100), 100);
  t.equal(percentile([7], 99), 7);
  t.ok(Number.isNaN(percentile([], 50)));
});

t.test('requests keep their schedule through a server stall, and the stall counts against those due during it', async (t) => {
  let seen = 0;
  let stalledAt = 0;
  const server = http.createServer((req, res) => {
    seen++;
    // the 40th request is answered 300 ms late; the others at once
    if (seen === 40) {
      stalledAt = performance.now();
      setTimeout(() => res.end('late'), 300);
    } else if (req.url === '/missing') {
      res.statusCode = 404;
      res.end();
    } else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let n = 0;
  const started = performance.now();
  const r = await pacedLoad({ base, path: () => (++n % 50 === 0 ? '/missing' : '/'), rate: 100, durationS: 1, connections: 4 });
  const took = performance.now() - started;
  t.equal(r.requests, 100, 'rate x duration requests');
  t.equal(seen, 100, 'all of them reached the server');
  t.equal(r.errors, 0);
  t.equal(r.non2xx, 2, 'the two 404s are counted, not hidden');
  t.ok(stalledAt > 0 && r.max >= 290, `the stalled request's 300 ms is in the tail (max ${r.max.toFixed(0)} ms)`);
  t.ok(r.p50 < 50, `the rest answer at once (p50 ${r.p50.toFixed(1)} ms)`);
  t.ok(took < 2500, `the pass keeps to its schedule: ${took.toFixed(0)} ms for 1 s of requests plus the stall`);
  t.ok(r.maxInFlight >= 2, `requests due during the stall went out on other connections (${r.maxInFlight} in flight at most)`);
});
