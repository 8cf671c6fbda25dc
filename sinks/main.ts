// One sink as a process: `node dist/sinks/main.js <sink> [options]`.
// Settings come from the PROTEA_* environment (lib/config.ts: PROTEA_DB_URL,
// PROTEA_KAFKA_BROKERS, PROTEA_REGISTRY_URL, PROTEA_TOPIC_NAMESPACE, ...);
// tuning from the options. SIGTERM/SIGINT stop it cleanly (the in-flight
// transaction finishes or rolls back, never half) and it exits 0.
//
// TEST HOOK, not a setting: PROTEA_FAULT_CRASH=after-copy|after-merge|before-commit
// makes the process SIGKILL itself at that point of a sink transaction (after
// the COPY and before the merge; after the merge; right before COMMIT), with
// probability PROTEA_FAULT_CRASH_RATE per transaction (default 1). It writes
// the line `PROTEA_FAULT_CRASH <point> ...` to stderr first, so a test can
// tell its own kills from the process's. test/faults/sink-crash-restart.test.ts
// uses it; nothing else should.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ProteaError } from '../lib/errors.js';
import { logger } from '../lib/log.js';
import { annotationsSink } from './annotations.js';
import { jobsSink } from './jobs.js';
import { ontologySink } from './ontology.js';
import { proteinsSink } from './proteins.js';
import { querySetsSink } from './query-sets.js';
import { runSink, type FaultHook, type FaultPoint, type SinkMapping, type SinkOptions } from './runner.js';
import { sequencesSink } from './sequences.js';
import { taxonomySink } from './taxonomy.js';

/** Every sink, by name. */
export const SINKS: Record<string, SinkMapping<never>> = {
  sequences: sequencesSink as SinkMapping<never>,
  proteins: proteinsSink as SinkMapping<never>,
  jobs: jobsSink as SinkMapping<never>,
  ontology: ontologySink as SinkMapping<never>,
  taxonomy: taxonomySink as SinkMapping<never>,
  query_sets: querySetsSink as SinkMapping<never>,
  annotations: annotationsSink as SinkMapping<never>,
};

const USAGE = `usage: node dist/sinks/main.js <${Object.keys(SINKS).join('|')}> [--group-id ID] [--max-records N] [--session-timeout-ms MS]`;

const FAULT_POINTS: readonly FaultPoint[] = ['after-copy', 'after-merge', 'before-commit'];

/** The fault hook PROTEA_FAULT_CRASH asks for (see the file comment), or undefined. */
export function faultHookFromEnv(env: NodeJS.ProcessEnv = process.env): FaultHook | undefined {
  const point = env.PROTEA_FAULT_CRASH;
  if (!point) return undefined;
  if (!FAULT_POINTS.includes(point as FaultPoint)) throw new ProteaError('USAGE', `PROTEA_FAULT_CRASH=${point}: expected one of ${FAULT_POINTS.join(', ')}`);
  const rate = env.PROTEA_FAULT_CRASH_RATE === undefined || env.PROTEA_FAULT_CRASH_RATE === '' ? 1 : Number(env.PROTEA_FAULT_CRASH_RATE);
  if (!(rate >= 0 && rate <= 1)) throw new ProteaError('USAGE', `PROTEA_FAULT_CRASH_RATE=${env.PROTEA_FAULT_CRASH_RATE}: expected a probability between 0 and 1`);
  return (at, where) => {
    if (at !== point || Math.random() >= rate) return;
    writeSync(2, `PROTEA_FAULT_CRASH ${at} pid=${process.pid} ${where.topic}[${where.partition}] ${where.expected}->${where.next}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ProteaError('USAGE', `--${name} ${raw}: expected a positive integer`);
  return Number(raw);
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { 'group-id': { type: 'string' }, 'max-records': { type: 'string' }, 'session-timeout-ms': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const name = positionals[0];
  const mapping = name === undefined ? undefined : SINKS[name];
  if (!mapping || positionals.length !== 1) throw new ProteaError('USAGE', name === undefined ? 'which sink?' : `no sink ${JSON.stringify(name)}`, { hint: USAGE });
  const log = logger(`sink:${name}`);
  const fault = faultHookFromEnv();
  const maxRecords = positiveInt('max-records', values['max-records']);
  const sessionTimeoutMs = positiveInt('session-timeout-ms', values['session-timeout-ms']);
  const opts: SinkOptions = {
    ...(values['group-id'] ? { groupId: values['group-id'] } : {}),
    ...(maxRecords ? { maxRecords } : {}),
    ...(sessionTimeoutMs ? { sessionTimeoutMs } : {}),
    ...(fault ? { fault } : {}),
  };
  const runner = await runSink(mapping, opts);
  log.info({ topic: runner.topic, group: runner.groupId, pid: process.pid, fault: process.env.PROTEA_FAULT_CRASH ?? null }, 'sink running');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void runner.stop();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await runner.done;
  log.info({ ...runner.metrics }, 'sink stopped');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof ProteaError ? err.describe() : String((err as Error)?.stack ?? err)}\n`);
      process.exit(1);
    },
  );
}
