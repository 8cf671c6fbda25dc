// protea pipeline: the processors and sinks, all in one process by default or
// one named stage per process (`--stage sink:proteins`) to scale out: every
// stage is a consumer group, so N processes of a stage share its partitions.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';
import { logger } from '../../lib/log.js';
import { startConfiguredMetricsServer, watchSink } from '../../lib/metrics.js';
import { runDedup } from '../../processors/dedup/processor.js';
import { SINKS } from '../../sinks/main.js';
import { runSink } from '../../sinks/runner.js';

export interface Running {
  name: string;
  stop(): Promise<unknown>;
  /** settles when the stage stops on its own (a failure) */
  done?: Promise<unknown>;
}

export function stageNames(): string[] {
  return ['dedup', ...Object.keys(SINKS).map((s) => `sink:${s}`)];
}

export interface StageOptions {
  namespace?: string;
  dbUrl?: string;
}

async function startStage(name: string, opts: StageOptions): Promise<Running> {
  if (name === 'dedup') {
    const h = await runDedup({ handleSignals: false, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
    return { name, stop: () => h.stop('pipeline stopping'), done: h.done };
  }
  const sink = name.startsWith('sink:') ? SINKS[name.slice(5)] : undefined;
  if (!sink) throw new ProteaError('USAGE', `no stage ${JSON.stringify(name)}`, { hint: `Stages: ${stageNames().join(', ')}.` });
  const runner = await runSink(sink, { ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.dbUrl ? { dbUrl: opts.dbUrl } : {}) });
  watchSink(sink.name, runner.metrics);
  return { name, stop: () => runner.stop() };
}

/** Starts the named stages (all by default) in this process; stops the started ones if one fails to start. */
export async function startStages(names: readonly string[] = stageNames(), opts: StageOptions = {}): Promise<Running[]> {
  for (const s of names) if (!stageNames().includes(s)) throw new ProteaError('USAGE', `no stage ${JSON.stringify(s)}`, { hint: `Stages: ${stageNames().join(', ')}.` });
  const running: Running[] = [];
  try {
    // started concurrently: each joins its own consumer group
    running.push(...(await Promise.all(names.map((n) => startStage(n, opts)))));
  } catch (err) {
    await Promise.allSettled(running.map((r) => r.stop()));
    throw err;
  }
  return running;
}

export function registerPipeline(program: Command): void {
  program
    .command('pipeline')
    .description('run the processors and sinks until SIGTERM/SIGINT (all stages in one process, or the ones named with --stage)')
    .option('--stage <name...>', `stages to run (default all): ${stageNames().join(', ')}`)
    .action(async (opts: { stage?: string[] }) => {
      const log = logger('pipeline');
      const wanted = opts.stage ?? stageNames();
      const metrics = await startConfiguredMetricsServer();
      let running: Running[] = [];
      let stopping: Promise<void> | undefined;
      const stopAll = (why: string) => {
        stopping ??= (async () => {
          log.info({ why }, 'stopping the pipeline: in-flight batches finish or roll back');
          await Promise.allSettled(running.map((r) => r.stop()));
          await metrics?.close().catch(() => undefined);
        })();
        return stopping;
      };
      try {
        running = await startStages(wanted);
      } catch (err) {
        await stopAll('a stage failed to start');
        throw err;
      }
      console.log(`pipeline running: ${wanted.join(', ')}${metrics ? ` (metrics on ${metrics.url})` : ''}; SIGTERM or Ctrl-C stops it`);
      const signalled = new Promise<string>((resolve) => {
        for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
      });
      const failed = Promise.race(running.filter((r) => r.done).map((r) => r.done!.then(() => new Promise<never>(() => {}), (err: unknown) => ({ stage: r.name, err }))));
      const outcome = await Promise.race([signalled, failed]);
      if (typeof outcome === 'string') {
        await stopAll(outcome);
        console.log('pipeline stopped');
        return;
      }
      await stopAll(`stage ${outcome.stage} failed`);
      throw outcome.err;
    });
}
