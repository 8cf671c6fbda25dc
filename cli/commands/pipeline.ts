// protea pipeline: the stages of pipeline/stages.ts, all in one process by
// default or the ones named with --stage (`--stage sink:proteins`) to scale
// out: every stage is a consumer group, so N processes of a stage share its
// partitions. SIGTERM/SIGINT stop it gracefully (exit 0); a stage that fails
// stops the others and the command exits 1.
import type { Command } from 'commander';
import { ProteaError } from '../../lib/errors.js';
import { faultHookFromEnv, startStages, stageNames, type RunningStage, type StageStartOptions } from '../../pipeline/stages.js';

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ProteaError('USAGE', `${flag} ${raw}: expected a positive integer`, { field: flag });
  return Number(raw);
}

interface PipelineFlags {
  stage?: string[];
  groupId?: string;
  maxRecords?: string;
  sessionTimeoutMs?: string;
  graceMs?: string;
}

export function registerPipeline(program: Command): void {
  program
    .command('pipeline')
    .description('run the processors and sinks until SIGTERM/SIGINT (all stages in one process, or the ones named with --stage)')
    .option('--stage <name...>', `stages to run (default all): ${stageNames().join(', ')}`)
    .option('--group-id <id>', 'consumer group of the stage (one stage only; default the stage\'s own)')
    .option('--max-records <n>', 'sinks: records per transaction at most (default 5000)')
    .option('--session-timeout-ms <ms>', 'consumer session timeout (default PROTEA_STAGE_SESSION_TIMEOUT_MS)')
    .option('--grace-ms <ms>', 'how long a stop lets in-flight batches finish (default PROTEA_STAGE_GRACE_MS)')
    .action(async (flags: PipelineFlags) => {
      const [{ logger }, { startConfiguredMetricsServer }] = await Promise.all([import('../../lib/log.js'), import('../../lib/metrics.js')]);
      const log = logger('pipeline');
      const wanted = flags.stage ?? stageNames();
      if (flags.groupId !== undefined && wanted.length !== 1) throw new ProteaError('USAGE', '--group-id names the group of one stage: give exactly one --stage', { field: '--group-id' });
      const fault = faultHookFromEnv();
      const maxRecords = positiveInt('--max-records', flags.maxRecords);
      const sessionTimeoutMs = positiveInt('--session-timeout-ms', flags.sessionTimeoutMs);
      const gracePeriodMs = positiveInt('--grace-ms', flags.graceMs);
      const opts: StageStartOptions = {
        ...(flags.groupId === undefined ? {} : { groupId: flags.groupId }),
        ...(maxRecords === undefined ? {} : { maxRecords }),
        ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
        ...(gracePeriodMs === undefined ? {} : { gracePeriodMs }),
        ...(fault ? { fault } : {}),
      };
      const metrics = await startConfiguredMetricsServer();
      let running: RunningStage[] = [];
      let stopping: Promise<void> | undefined;
      const stopAll = (why: string) => {
        stopping ??= (async () => {
          log.info({ why }, 'stopping the pipeline: in-flight batches finish or roll back');
          const results = await Promise.allSettled(running.map((r) => r.stop(why)));
          // one line per stage on stdout: how it stopped (a supervisor or a test reads it)
          results.forEach((r, i) => {
            if (r.status === 'fulfilled') console.log(`stopped ${JSON.stringify({ stage: running[i]!.name, ...r.value })}`);
          });
          await metrics?.close().catch(() => undefined);
        })();
        return stopping;
      };
      // signals are taken from the start: a SIGTERM while the stages join (or load a model) must
      // not kill the process mid-start; it stops them gracefully once they are up
      const signalled = new Promise<string>((resolve) => {
        for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
      });
      try {
        running = await startStages(wanted, opts);
      } catch (err) {
        await stopAll('a stage failed to start');
        throw err;
      }
      log.info({ stages: wanted, pid: process.pid, fault: process.env.PROTEA_FAULT_CRASH ?? null }, 'pipeline running');
      // one line per stage once it joined its group (a supervisor or a test waits for it)
      for (const r of running) console.log(`ready ${r.name} ${r.groupId}`);
      console.log(`pipeline running: ${wanted.join(', ')}${metrics ? ` (metrics on ${metrics.url})` : ''}; SIGTERM or Ctrl-C stops it`);
      const failed = Promise.race(running.map((r) => r.done.then(() => new Promise<never>(() => {}), (err: unknown) => ({ stage: r.name, err }))));
      const outcome = await Promise.race([signalled, failed]);
      if (typeof outcome === 'string') {
        await stopAll(outcome);
        console.log('pipeline stopped');
        // connections are closed; leave without waiting for the client's stray retry timers
        setTimeout(() => process.exit(), 200).unref();
        return;
      }
      await stopAll(`stage ${outcome.stage} failed`);
      throw outcome.err;
    });
}
