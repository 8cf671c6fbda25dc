// What lib/job-status.ts explains jobs from: the ontology releases in the
// database, a job's last signs of life, and the dead letters of jobs grouped
// by stage and error code.
import { z } from 'zod';
import { sql, type CommonQueryMethods } from '../db.js';

const Release = z.object({
  obo_version: z.string(),
  term_count: z.number().nullable(),
  terms_loaded: z.number(),
  complete: z.boolean(),
  loaded_at: z.number(),
});
export type OntologyReleaseRow = z.infer<typeof Release>;

/** Every ontology release with a snapshot row, complete or still loading, oldest first. */
export async function ontologyReleases(db: CommonQueryMethods): Promise<readonly OntologyReleaseRow[]> {
  return db.any(sql.type(Release)`
    SELECT obo_version, term_count, terms_loaded, complete, loaded_at
      FROM ontology_snapshot_status ORDER BY loaded_at, obo_version`);
}

const Activity = z.object({
  last_event_at: z.number().nullable(),
  events: z.number(),
  last_sink_commit_at: z.number().nullable(),
});
export type JobActivityRow = z.infer<typeof Activity>;

/**
 * A job's last event, and the last time any sink of this database committed a
 * batch (sink_offsets.updated_at): landed records move progress_current
 * without an event, so the sinks' commits are the pipeline's sign of life.
 */
export async function jobActivity(db: CommonQueryMethods, jobId: string): Promise<JobActivityRow> {
  return db.one(sql.type(Activity)`
    SELECT (SELECT max(ts) FROM job_event WHERE job_id = ${jobId}) AS last_event_at,
           (SELECT count(*) FROM job_event WHERE job_id = ${jobId})::int AS events,
           (SELECT max(updated_at) FROM sink_offsets) AS last_sink_commit_at`);
}

const DeadLetterGroup = z.object({
  operation: z.string(),
  stage: z.string().nullable(),
  error_code: z.string().nullable(),
  n: z.number(),
  example: z.string().nullable(),
});
export type DeadLetterGroupRow = z.infer<typeof DeadLetterGroup>;

/** The 'dead_letter' events of the jobs, counted by the job's operation, the stage and the error code, largest first. */
export async function deadLetterGroups(db: CommonQueryMethods, jobIds: readonly string[]): Promise<readonly DeadLetterGroupRow[]> {
  return db.any(sql.type(DeadLetterGroup)`
    SELECT j.operation, e.stage, e.error_code, count(*)::int AS n,
           (array_agg(left(e.message, 200) ORDER BY e.ts, e.id))[1] AS example
      FROM job_event e JOIN job j ON j.id = e.job_id
     WHERE e.event = 'dead_letter' AND e.job_id = ANY(${sql.array(jobIds, 'uuid')})
     GROUP BY j.operation, e.stage, e.error_code
     ORDER BY n DESC, e.stage, e.error_code`);
}
