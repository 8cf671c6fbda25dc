// protea api: the HTTP API (jobs, evaluation sets and results, plots, health,
// metrics) until SIGTERM/SIGINT, which close the server (in-flight requests
// finish) and the database pool, and exit 0.
import type { Command } from 'commander';
import { SETTINGS, config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';

/** How long in-flight requests get to finish after SIGTERM before the process exits 1 anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

function parsePort(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ProteaError('USAGE', `--port ${raw}: expected an integer from 0 to 65535`, { field: 'port' });
  return Number(raw);
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('serve the HTTP API (jobs and their live progress, uploads and prediction jobs, predictions, proteins, reference data, evaluation sets and results, precision-recall plots, /health, /metrics) until SIGTERM or Ctrl-C')
    .option('--host <address>', `address to listen on (default ${SETTINGS.apiHost.env}, which defaults to ${SETTINGS.apiHost.default}; 0.0.0.0 serves other hosts)`)
    .option('--port <n>', `port to listen on (default ${SETTINGS.apiPort.env}, which defaults to ${SETTINGS.apiPort.default}; 0 picks a free port)`)
    .addHelpText(
      'after',
      `
Routes (JSON unless noted; errors are {error, code, message, hint, parameter?}; lists page with ?limit= and ?after=<next>):
  GET /health                                   liveness: 200 while the process answers
  GET /ready                                    Kafka, registry and PostgreSQL, each with its state; 503 when one is down
  GET /metrics                                  Prometheus text (per-route latency histograms)
  GET /openapi.json, GET /docs                  the OpenAPI 3 document, and its docs page
  GET /audit?limit=&after=                      every write, answered or refused (admin token)
  GET /jobs?status=&operation=&created_after=&created_before=&limit=&after=   jobs, newest first
  GET /jobs/ID                                  one job with its first 200 events
  GET /jobs/ID/events?limit=&after=             its events in order, each with its id
  GET /jobs/ID/stream[?last_event_id=N]         live progress and events (text/event-stream) until the job ends;
                                                resumes after the Last-Event-ID header
  POST /jobs/ID/cancel                          cancel a queued or running job (write)
  POST /query-sets                              upload a FASTA (multipart/form-data: file, name, source) as a
                                                query set; 202 {query_set_id, job_id} (write)
  POST /prediction-sets                         start a prediction job (JSON: the options of protea predict,
                                                snake_case); 202 {prediction_set_id, job_id} (write)
  GET /evaluation-sets?limit=                   recent evaluation sets
  GET /evaluation-sets/ID                       one set with its stats
  GET /evaluation-sets/ID/ground-truth?category=NK|LK|PK&namespace=NS   TSV target<TAB>term
  GET /evaluation-sets/ID/results               every result of the set (baselines included), summarised
  GET /evaluation-sets/ID/plot.svg?category=&namespace=[&weighted=true]  every method of the set
  GET /evaluation-results/ID[?format=tsv]       the stored result (or its best rows as TSV)
  GET /evaluation-results/ID.tsv[?best=f|s|f_w|s_w]   the best rows as TSV (default best F), as evaluate run writes them
  GET /evaluation-results/ID/plot.svg?category=&namespace=[&weighted=true]
  GET /prediction-sets?kind=&limit=&after=      prediction sets, newest first
  GET /prediction-sets/ID                       one set: parameters, counts per aspect
  GET /prediction-sets/ID/predictions?protein=&aspect=P|F|C&min_score=&go_id=&top=N[&format=json|tsv|arrow]
                                                [&features=true: JSON rows with every feature column]
  GET /proteins?taxonomy_id=&reviewed=&q=PREFIX proteins by accession
  GET /proteins/ACCESSION                       isoforms, taxon, sequence, annotations by set
  GET /proteins/ACCESSION/predictions?prediction_set_id=&aspect=&min_score=&go_id=&top=N[&format=][&features=true]
  GET /embedding-configs  GET /annotation-sets  GET /ontology-snapshots  GET /query-sets  GET /query-sets/ID
  GET /scoring-configs  GET /scoring-configs/NAME|ID   scoring recipes (read-only: protea scoring create)
  GET /ontology-snapshots/ID/subgraph?go_ids=GO:...,GO:...   ancestors as {nodes, edges}

Writes need \`Authorization: Bearer SECRET\` of PROTEA_API_TOKENS (unset: writes are off, 403).
OpenAPI at /openapi.json, readable at /docs.
The database is PROTEA_DB_URL, writes go to the topics of PROTEA_TOPIC_NAMESPACE; logs (pino JSON lines) go to stderr.`,
    )
    .action(async (opts: { host?: string; port?: string }) => {
      const cfg = config();
      const host = opts.host ?? cfg.apiHost;
      const port = opts.port === undefined ? cfg.apiPort : parsePort(opts.port);
      const [{ buildApi }, { createQueryPool, redact }, { logger }] = await Promise.all([import('../../api/server.js'), import('../../lib/db.js'), import('../../lib/log.js')]);
      const log = logger('api');
      if (cfg.apiDbPoolSize < 1) {
        throw new ProteaError('CONFIG_INVALID', `${SETTINGS.apiDbPoolSize.env}=0: the API needs at least one PostgreSQL connection`, { field: SETTINGS.apiDbPoolSize.env, hint: `Set ${SETTINGS.apiDbPoolSize.env} to 1 or more, or unset it for ${SETTINGS.apiDbPoolSize.default}.` });
      }
      const db = await createQueryPool(cfg.dbUrl, { statementTimeoutMs: cfg.apiStatementTimeoutMs, resetOnRelease: false, maximumPoolSize: cfg.apiDbPoolSize });
      const app = await buildApi({ db, logger: log });
      try {
        await app.listen({ host, port });
      } catch (err) {
        await app.close().catch(() => undefined);
        await db.end().catch(() => undefined);
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new ProteaError('STACK_PORT_TAKEN', `the API port ${port} on ${host} is taken`, { field: SETTINGS.apiPort.env, hint: `Another program listens on it: stop it, or set ${SETTINGS.apiPort.env} (or --port) to a free port.` }, { cause: err });
        }
        throw err;
      }
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      console.log(`api listening on http://${host.includes(':') ? `[${host}]` : host}:${bound} (database ${redact(cfg.dbUrl)}); SIGTERM or Ctrl-C stops it`);
      // A repeated signal while stopping (a supervisor and a terminal both
      // sending one) must not kill the process half-way: it is noted and ignored.
      let stopping = false;
      let onSignal: (sig: NodeJS.Signals) => void = () => {};
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        onSignal = (sig) => {
          if (stopping) return void log.warn({ signal: sig }, 'already stopping');
          stopping = true;
          resolve(sig);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      log.info({ signal }, 'stopping the API: in-flight requests finish, then the database pool closes');
      const deadline = setTimeout(() => {
        log.error({ afterMs: SHUTDOWN_TIMEOUT_MS }, 'the API did not stop in time: exiting anyway');
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS).unref();
      try {
        await app.close();
        await db.end();
      } finally {
        clearTimeout(deadline);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      console.log('api stopped');
    });
}
