// HTTP API latency and throughput on a realistically sized database:
//  1. a fresh database (migrated), seeded by COPY with --rows go_prediction rows
//     (one imported prediction set, --proteins query proteins, rows spread
//     evenly over them and over 1,000 GO terms), the protein rows and
//     --jobs job rows;
//  2. `protea api` started as a separate process on it (node bin/protea.js
//     api, PROTEA_DB_URL and PROTEA_API_* in its environment), on loopback;
//  3. each route at a constant rate (--rate req/s for --duration s, evenly
//     spaced, latency from each request's due time: bench/paced-load.ts, which
//     says why autocannon's rate limit is not that) and then unthrottled with
//     autocannon (the maximum throughput), printing p50/p99 latency and req/s
//     per route, and each route's ratio to GET /health (the same process, no
//     database: the baseline of this run). --autocannon-rate adds autocannon's
//     own fixed-rate pass, for comparison.
// Routes: GET /proteins/:accession/predictions (random accessions),
// GET /prediction-sets/:id/predictions?limit=50 (first page, and a page
// --cursor-depth pages in, through its `next` cursor), GET /jobs. A route
// this build does not serve (404 "no route") is reported "not served" and
// skipped, never faked. The client runs in this process: on a 2-core
// machine it takes CPU from the server, so read max req/s as a lower bound.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Result } from 'autocannon';
import { PROJECT_ROOT } from '../lib/config.js';
import type { CopyValue } from '../lib/copy.js';
import { freePort } from '../lib/free-port.js';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { fmt, freshDatabase, machineLine, sleep, table } from './common.js';
import { pacedLoad } from './paced-load.js';

interface Options {
  rows: number;
  proteins: number;
  jobs: number;
  rate: number;
  duration: number;
  connections: number;
  cursorDepth: number;
  max: boolean;
  autocannonRate: boolean;
  keep: boolean;
  vacuum: boolean;
  warmUp: number;
}

const TERMS = 1000;
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const accessionOf = (i: number) => `B${String(i).padStart(7, '0')}`;

/** Rows of `total`, produced lazily (COPY streams them; memory stays flat). */
function* generate<T>(total: number, row: (i: number) => T): Generator<T> {
  for (let i = 0; i < total; i++) yield row(i);
}

async function seed(url: string, opts: Options): Promise<{ predictionSetId: string }> {
  const [{ copyRows }, { createCopyPool, createQueryPool }, { insertPredictionSet }] = await Promise.all([import('../lib/copy.js'), import('../lib/db.js'), import('../lib/queries/prediction-sets.js')]);
  const db = await createQueryPool(url, { maximumPoolSize: 1 });
  const pool = createCopyPool(url, 1);
  const client = await pool.connect();
  try {
    const t0 = Date.now();
    const { rows: [snap] } = await client.query<{ id: string }>(`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('file:bench.obo', 'bench/${Date.now()}') RETURNING id`);
    const snapshot = snap!.id;
    await copyRows(client, 'go_term', ['ontology_snapshot_id', 'go_id', 'name', 'namespace', 'aspect'], generate(TERMS, (i) => [snapshot, `GO:${String(i + 1).padStart(7, '0')}`, `bench term ${i}`, ['biological_process', 'molecular_function', 'cellular_component'][i % 3]!, 'PFC'[i % 3]!]));
    const termIds = (await client.query<{ id: number }>('SELECT id FROM go_term WHERE ontology_snapshot_id = $1 ORDER BY id', [snapshot])).rows.map((r) => r.id);
    const predictionSetId = await insertPredictionSet(db, { kind: 'imported', name: 'bench api-latency', ontologySnapshotId: snapshot, meta: { bench: 'api-latency', rows: opts.rows }, jobId: null });
    await copyRows(client, 'protein', ['accession', 'canonical_accession', 'reviewed', 'taxonomy_id', 'organism', 'length'], generate(opts.proteins, (i) => [accessionOf(i), accessionOf(i), true, 9606, 'Homo sapiens', 300]));
    // rows spread evenly: protein p gets terms p*k .. p*k+n-1 (mod TERMS), distinct per protein while rows/proteins <= TERMS
    const perProtein = Math.ceil(opts.rows / opts.proteins);
    if (perProtein > TERMS) throw new Error(`--rows / --proteins = ${perProtein} predictions per protein; at most ${TERMS} (one per term)`);
    // an imported set's rows: no reference protein, no distance (as `protea predictions import` writes them)
    await copyRows(client, 'go_prediction', ['prediction_set_id', 'protein_accession', 'go_term_id', 'score'], generate(opts.rows, (i): CopyValue[] => {
      const p = i % opts.proteins;
      const n = Math.floor(i / opts.proteins);
      return [predictionSetId, accessionOf(p), termIds[(p * 7 + n) % TERMS]!, Math.round((1 - (n % 100) / 100) * 1000) / 1000];
    }));
    const statuses = ['succeeded', 'failed', 'running', 'queued', 'cancelled'];
    const base = Date.parse('2026-01-01T00:00:00Z');
    await copyRows(client, 'job', ['operation', 'queue_name', 'status', 'created_at'], generate(opts.jobs, (i) => [['produce.fasta', 'produce.gaf', 'predict'][i % 3]!, 'protea.ingest', statuses[i % 5]!, new Date(base + i * 1000)]));
    // the database as it is once autovacuum has been through a bulk load: vacuumed (visibility
    // map and hint bits set, so reads do not write) and checkpointed, so that neither an
    // insert-triggered autovacuum of the million rows nor a checkpoint writing their pages
    // runs during the timed passes
    if (opts.vacuum) {
      await client.query('VACUUM (ANALYZE)');
      await client.query('CHECKPOINT');
    } else await client.query('ANALYZE');
    log(`seeded ${fmt(opts.rows)} go_prediction rows over ${fmt(opts.proteins)} proteins, ${fmt(opts.jobs)} jobs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { predictionSetId };
  } finally {
    client.release();
    await pool.end();
    await db.end();
  }
}

interface Route {
  name: string;
  /** a path to probe with (the first one) */
  probe: string;
  /** paths to cycle through (random accessions) */
  paths: () => string;
}

interface Row {
  route: string;
  mode: string;
  p50: number;
  p99: number;
  mean: number;
  rps: number;
  non2xx: number;
  errors: number;
}

async function measure(base: string, route: Route, opts: Options, rate: number | null): Promise<Result> {
  const { default: autocannon } = await import('autocannon');
  return autocannon({
    url: base,
    connections: opts.connections,
    duration: opts.duration,
    ...(rate ? { overallRate: rate } : {}),
    timeout: 10,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: route.paths() }) }],
  });
}

async function run(opts: Options): Promise<number> {
  log(machineLine());
  const fresh = await freshDatabase();
  log(`database ${fresh.name}`);
  let api: ReturnType<typeof spawn> | undefined;
  try {
    const { predictionSetId } = await seed(fresh.url, opts);
    const port = await freePort();
    api = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'protea.js'), 'api', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PROTEA_DB_URL: fresh.url, PROTEA_LOG_LEVEL: 'warn', PROTEA_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (api.exitCode !== null || i > 300) throw new Error(`protea api did not answer GET /health (exit ${api.exitCode})`);
      await sleep(100);
    }
    log(`protea api (pid ${api.pid}) on ${base}`);

    // the cursor of a later page: --cursor-depth pages in, following `next`
    let laterPath: string | null = null;
    const first = `/prediction-sets/${predictionSetId}/predictions?limit=50`;
    const firstRes = await fetch(`${base}${first}`);
    if (firstRes.ok) {
      let next = ((await firstRes.json()) as { next?: string | null }).next ?? null;
      for (let i = 1; i < opts.cursorDepth && next; i++) {
        const r = await fetch(`${base}${first}&after=${encodeURIComponent(next)}`);
        next = r.ok ? (((await r.json()) as { next?: string | null }).next ?? null) : null;
      }
      if (next) laterPath = `${first}&after=${encodeURIComponent(next)}`;
    } else await firstRes.body?.cancel();

    let seq = 0x9e3779b9;
    const randomAccession = () => {
      seq = (Math.imul(seq ^ (seq >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return accessionOf(seq % opts.proteins);
    };
    const routes: Route[] = [
      { name: 'GET /health (baseline)', probe: '/health', paths: () => '/health' },
      { name: 'GET /proteins/:accession/predictions', probe: `/proteins/${accessionOf(0)}/predictions`, paths: () => `/proteins/${randomAccession()}/predictions` },
      { name: 'GET /prediction-sets/:id/predictions?limit=50 (first page)', probe: first, paths: () => first },
      ...(laterPath ? [{ name: `GET /prediction-sets/:id/predictions?limit=50 (page ${opts.cursorDepth + 1}, cursor)`, probe: laterPath, paths: () => laterPath! }] : []),
      { name: 'GET /jobs', probe: '/jobs', paths: () => '/jobs' },
    ];
    const rows: Row[] = [];
    const notServed: string[] = [];
    if (!laterPath && firstRes.ok) notServed.push('GET /prediction-sets/:id/predictions (cursor page): the first page has no next cursor');
    for (const route of routes) {
      const probe = await fetch(`${base}${route.probe}`);
      const body = await probe.text();
      if (probe.status === 404 && /"message":"no route /.test(body)) {
        notServed.push(`${route.name}: not served by this build (404 no route)`);
        continue;
      }
      if (!probe.ok) {
        notServed.push(`${route.name}: the probe answered ${probe.status} ${body.slice(0, 160)}`);
        continue;
      }
      if (opts.warmUp > 0) {
        // the same load, untimed: the API's first queries of this shape and the pages they read
        log(`${route.name}: warm-up, ${opts.rate} req/s for ${opts.warmUp} s (not counted)`);
        await pacedLoad({ base, path: route.paths, rate: opts.rate, durationS: opts.warmUp, connections: opts.connections });
      }
      log(`${route.name}: ${opts.rate} req/s, paced, for ${opts.duration} s`);
      const paced = await pacedLoad({ base, path: route.paths, rate: opts.rate, durationS: opts.duration, connections: opts.connections });
      rows.push({ route: route.name, mode: `${opts.rate} req/s`, p50: paced.p50, p99: paced.p99, mean: paced.mean, rps: paced.rps, non2xx: paced.non2xx, errors: paced.errors });
      for (const [mode, rate] of [...(opts.autocannonRate ? [[`${opts.rate} req/s (autocannon)`, opts.rate] as const] : []), ...(opts.max ? [['max', null] as const] : [])]) {
        log(`${route.name}: ${mode} for ${opts.duration} s`);
        const res = await measure(base, route, opts, rate);
        rows.push({ route: route.name, mode, p50: res.latency.p50, p99: res.latency.p99, mean: res.latency.mean, rps: res.requests.average, non2xx: res.non2xx, errors: res.errors + res.timeouts });
      }
    }

    const baseline = (mode: string) => rows.find((r) => r.route.startsWith('GET /health') && r.mode === mode);
    console.log(`\nAPI latency: ${fmt(opts.rows)} go_prediction rows, ${fmt(opts.proteins)} proteins, ${fmt(opts.jobs)} jobs (${opts.vacuum ? 'vacuumed and checkpointed after loading' : 'ANALYZE only after loading'}); ${opts.connections} connections, ${opts.duration} s per pass after ${opts.warmUp} s of warm-up; protea api as its own process on loopback\n`);
    console.log(table([
      // autocannon's latencies are whole milliseconds (the paced pass's are not): the ratio is of the means, which a 0 ms p50 does not zero
      ['route', 'rate', 'p50 ms', 'p99 ms', 'mean ms', 'req/s', 'non-2xx', 'errors', 'mean / health', 'req/s / health'],
      ...rows.map((r) => {
        const b = baseline(r.mode);
        return [r.route, r.mode, r.p50.toFixed(1), r.p99.toFixed(1), r.mean.toFixed(2), fmt(r.rps), String(r.non2xx), String(r.errors), b && b.mean > 0 ? `${(r.mean / b.mean).toFixed(1)}x` : '-', b && b.rps > 0 ? `${(r.rps / b.rps).toFixed(2)}` : '-'];
      }),
    ]));
    for (const n of notServed) console.log(`not served: ${n}`);
    const failed = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (failed.length > 0) console.log(`\nwarning: ${failed.map((r) => `${r.route} (${r.mode}): ${r.non2xx} non-2xx, ${r.errors} errors`).join('; ')}`);
    return 0;
  } finally {
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => api!.kill('SIGKILL'), 15_000);
        api!.on('exit', () => resolve(clearTimeout(timer)));
      });
    }
    if (opts.keep) log(`kept database ${fresh.name}`);
    else await fresh.drop();
  }
}

const program = benchProgram('api-latency', 'HTTP API latency: p50/p99 and req/s per route at a fixed rate and unthrottled, against GET /health, on a database of --rows predictions')
  .option('--rows <n>', 'go_prediction rows', positiveInt, 1_000_000)
  .option('--proteins <n>', 'query proteins the rows are spread over', positiveInt, 20_000)
  .option('--jobs <n>', 'job rows', positiveInt, 10_000)
  .option('--rate <n>', 'requests per second of the fixed-rate pass', positiveInt, 500)
  .option('--duration <s>', 'seconds per pass', positiveInt, 15)
  .option('--connections <n>', 'concurrent connections', positiveInt, 10)
  .option('--cursor-depth <n>', 'pages to follow before the later-page cursor', positiveInt, 20)
  .option('--no-max', 'skip the unthrottled (max throughput) pass')
  .option('--autocannon-rate', 'also run autocannon at --rate (bursts each second: see bench/paced-load.ts)', false)
  .option('--keep', 'leave the database behind', false)
  .option('--warm-up <s>', 'seconds of the same paced load, not counted, before each route\'s timed pass (0: none)', nonNegativeInt, 3)
  .option('--no-vacuum', 'seed with ANALYZE only (no VACUUM, no CHECKPOINT): the timed passes then share the machine with the autovacuum of the fresh rows');

benchMain<Options>(import.meta.url, program, run);
