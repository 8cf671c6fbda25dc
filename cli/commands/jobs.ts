// protea jobs [ID]: what ran, how far it got, and what was rejected.
import type { Command } from 'commander';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { JobRow } from '../../lib/queries/jobs.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function progress(j: JobRow): string {
  if (j.progress_total === null) return j.progress_current === null ? '' : `${j.progress_current}`;
  return `${j.progress_current ?? 0}/${j.progress_total}`;
}

const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('list recent jobs, or show one job with its events and, while it waits, what it waits for')
    .argument('[id]', 'job id (UUID) to show')
    .option('--status <status>', 'only jobs in this status (queued, running, succeeded, failed, cancelled)')
    .option('--limit <n>', 'how many jobs to list', '20')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, opts: { status?: string; limit: string; json?: boolean }) => {
      if (id !== undefined && !UUID.test(id)) throw new ProteaError('USAGE', `"${id}" is not a job id (a UUID)`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new ProteaError('USAGE', `--limit ${opts.limit}: expected a positive integer`);
      const [{ createQueryPool }, { whatJobWaitsFor }, { getJob, jobEvents, listJobs }] = await Promise.all([import('../../lib/db.js'), import('../../lib/job-status.js'), import('../../lib/queries/jobs.js')]);
      const db = await createQueryPool(config().dbUrl, { maximumPoolSize: 1 });
      try {
        if (id === undefined) {
          const jobs = await listJobs(db, { limit, ...(opts.status ? { status: opts.status } : {}) });
          if (opts.json) return void console.log(JSON.stringify(jobs, null, 2));
          if (jobs.length === 0) return void console.log('no jobs yet');
          for (const j of jobs) console.log(`${j.id}  ${j.status.padEnd(9)}  ${j.operation.padEnd(18)}  ${progress(j).padStart(13)}  ${when(j.created_at)}`);
          return;
        }
        const job = await getJob(db, id);
        if (!job) throw new ProteaError('USAGE', `no job ${id}`, { hint: 'List jobs with `protea jobs`. A job just produced is listed once the jobs sink has recorded it: is `protea pipeline` running?' });
        const events = await jobEvents(db, id);
        const waiting = await whatJobWaitsFor(db, job);
        if (opts.json) return void console.log(JSON.stringify({ ...job, waiting, events }, null, 2));
        console.log(`job ${job.id}\n  operation ${job.operation} (${job.queue_name})\n  status    ${job.status}${waiting ? `\n  waiting   ${waiting}` : ''}\n  progress  ${progress(job)}\n  created   ${when(job.created_at)}\n  started   ${when(job.started_at)}\n  finished  ${when(job.finished_at)}`);
        if (job.error_code) console.log(`  error     ${job.error_code}: ${job.error_message ?? ''}`);
        console.log(`  payload   ${JSON.stringify(job.payload)}\n\nevents (${events.length}):`);
        for (const e of events) console.log(`  ${when(e.ts)}  ${e.level.padEnd(5)}  ${e.event.padEnd(11)}  ${e.stage ?? ''}  ${e.message ?? ''}${e.error_code ? ` [${e.error_code}]` : ''}`);
      } finally {
        await db.end();
      }
    });
}
