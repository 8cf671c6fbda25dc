// Jobs explained to people: what a job waits for (`protea jobs ID`), whether
// the ontology release a GAF is pinned to is loaded (`protea produce gaf`,
// before it sends anything), and a job's dead letters as one line per stage
// and error code (`protea demo`). The decisions are pure functions over rows
// of lib/queries/job-status.ts, so they are tested without a clock or a
// database; the two async helpers only fetch those rows.
import { ProteaError, classify } from './errors.js';
import { within } from './runtime/retry.js';
import { withQueryPool } from './db.js';
import { deadLetterGroups, jobActivity, ontologyReleases, type DeadLetterGroupRow, type JobActivityRow, type OntologyReleaseRow } from './queries/job-status.js';
import type { JobRow } from './queries/jobs.js';
import { ONTOLOGY_WAIT_MINUTES } from '../sinks/annotations.js';
import { STAGES, dlqFor, topicName, type Stage } from '../topics/catalogue.js';

/** A running job with records outstanding and no sign of life for this long waits for the pipeline. */
export const STALLED_AFTER_MS = 30_000;

/** The start of the run that created a job, from its UUIDv7 id (its first 48 bits, Unix ms), as the annotations sink reads it. */
export function jobStartMs(jobId: string): number | null {
  const hex = jobId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex) || hex[12] !== '7') return null;
  return parseInt(hex.slice(0, 12), 16);
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const clock = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** "goslim (149 terms), go-2024 (still loading: 10 of 40,000 terms)", or "none". */
export function describeReleases(releases: readonly OntologyReleaseRow[]): string {
  if (releases.length === 0) return 'none';
  return releases
    .map((r) => (r.complete ? `${r.obo_version} (${r.terms_loaded.toLocaleString('en-US')} terms)` : `${r.obo_version} (still loading: ${r.terms_loaded.toLocaleString('en-US')} of ${r.term_count === null ? 'an unknown number of' : r.term_count.toLocaleString('en-US')} terms)`))
    .join(', ');
}

export type ReleaseState = { state: 'complete' | 'loading'; release: OntologyReleaseRow } | { state: 'missing' };

export function releaseState(version: string, releases: readonly OntologyReleaseRow[]): ReleaseState {
  const release = releases.find((r) => r.obo_version === version);
  if (!release) return { state: 'missing' };
  return { state: release.complete ? 'complete' : 'loading', release };
}

const loadHint = (version: string) =>
  `load it: \`protea produce obo FILE\` (a release whose data-version is ${version}, or --obo-version ${version} for a file without one) with the ontology sink running (\`protea pipeline\`)`;

/**
 * The warning `protea produce gaf --ontology VERSION` prints before it sends
 * anything, or null when the release is loaded completely.
 */
export function pinnedReleaseWarning(version: string, releases: readonly OntologyReleaseRow[], opts: { namespace?: string } = {}): string | null {
  const s = releaseState(version, releases);
  if (s.state === 'complete') return null;
  const dlq = topicName(dlqFor('sinks'), opts.namespace);
  if (s.state === 'loading') {
    return [
      `warning: ontology release ${version} is still loading (${s.release.terms_loaded} of ${s.release.term_count ?? 'an unknown number of'} terms landed); loaded releases: ${describeReleases(releases)}.`,
      `  The annotations sink holds these rows until the release is complete; if its run was cut short, produce the OBO file again (\`protea produce obo FILE\`).`,
    ].join('\n');
  }
  return [
    `warning: ontology release ${version} is not loaded; loaded releases: ${describeReleases(releases)}.`,
    `  The annotations sink holds these rows for up to ${ONTOLOGY_WAIT_MINUTES} minutes after this run starts, then sends them to ${dlq}.`,
    `  To keep them, ${loadHint(version)} within ${ONTOLOGY_WAIT_MINUTES} minutes.`,
  ].join('\n');
}

/**
 * Asks the database whether the release is loaded: the warning to print, null
 * when it is, or a note that it could not check (the command goes on: the
 * sink decides in the end).
 */
export async function checkPinnedRelease(dbUrl: string, version: string, opts: { namespace?: string; timeoutMs?: number } = {}): Promise<string | null> {
  let releases: readonly OntologyReleaseRow[];
  try {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const found = await within(withQueryPool(ontologyReleases, dbUrl), timeoutMs);
    if (found === 'timeout') throw new ProteaError('DB_UNAVAILABLE', `PostgreSQL: no answer within ${timeoutMs / 1000} s`, { component: 'postgresql' });
    releases = found;
  } catch (err) {
    const e = classify(err);
    return `note: could not check whether ontology release ${version} is loaded (${e.code}: ${e.message.split('\n')[0]}); producing anyway. The annotations sink holds rows of a release that is not loaded for up to ${ONTOLOGY_WAIT_MINUTES} minutes, then dead-letters them.`;
  }
  return pinnedReleaseWarning(version, releases, opts.namespace === undefined ? {} : { namespace: opts.namespace });
}

export interface WaitContext {
  activity: JobActivityRow;
  releases: readonly OntologyReleaseRow[];
  now: number;
  /** for the dead-letter topic's name when the job's payload does not name its topic (default: the configured one) */
  namespace?: string;
  stalledAfterMs?: number;
}

/** The topic namespace a produce job wrote to (its payload names the topic: `<namespace>.ingest.gaf`), if it says. */
function jobNamespace(job: JobRow): string | undefined {
  const topic = job.payload.topic;
  return typeof topic === 'string' && /\.ingest\.[a-z]+$/.test(topic) ? topic.replace(/\.ingest\.[a-z]+$/, '') : undefined;
}

/** What a job waits for, in one line, or null when it does not wait (finished, or moving). */
export function jobWait(job: JobRow, ctx: WaitContext): string | null {
  const stalledAfter = ctx.stalledAfterMs ?? STALLED_AFTER_MS;
  if (job.status === 'queued') {
    return `queued for ${duration(ctx.now - job.created_at)} in ${job.queue_name}: not started yet (is \`protea pipeline\` running? its jobs sink records the start)`;
  }
  if (job.status !== 'running') return null;
  const outstanding = job.progress_total === null || (job.progress_current ?? 0) < job.progress_total;
  if (!outstanding) return null;

  const pinned = job.operation === 'produce.gaf' && typeof job.payload.obo_version === 'string' ? job.payload.obo_version : null;
  if (pinned !== null) {
    const s = releaseState(pinned, ctx.releases);
    if (s.state === 'loading') {
      return `waits for ontology release ${pinned} to finish loading (${s.release.terms_loaded} of ${s.release.term_count ?? '?'} terms landed): the annotations sink holds its rows until it is complete`;
    }
    if (s.state === 'missing') {
      const start = jobStartMs(job.id) ?? job.created_at;
      const deadline = start + ONTOLOGY_WAIT_MINUTES * 60_000;
      const dlq = topicName(dlqFor('sinks'), jobNamespace(job) ?? ctx.namespace);
      if (ctx.now < deadline) {
        return `waits for ontology release ${pinned}, which is not loaded (loaded: ${describeReleases(ctx.releases)}): its rows are held until ${clock(deadline)} UTC (${duration(deadline - ctx.now)} from now), then dead-lettered to ${dlq}; ${loadHint(pinned)}`;
      }
      return `ontology release ${pinned} was not loaded within ${ONTOLOGY_WAIT_MINUTES} minutes of the run (loaded: ${describeReleases(ctx.releases)}): its rows are dead-lettered to ${dlq} as the annotations sink reaches them`;
    }
  }

  const lastSign = Math.max(ctx.activity.last_event_at ?? 0, job.started_at ?? 0, job.created_at);
  const pipelineQuiet = ctx.activity.last_sink_commit_at === null || ctx.now - ctx.activity.last_sink_commit_at > stalledAfter;
  if (ctx.now - lastSign > stalledAfter && pipelineQuiet) {
    const done = job.progress_total === null ? `${job.progress_current ?? 0} records landed, total not known yet` : `${job.progress_current ?? 0} of ${job.progress_total} records landed`;
    const sinks = ctx.activity.last_sink_commit_at === null ? 'no sink has committed a batch' : `no sink has committed a batch for ${duration(ctx.now - ctx.activity.last_sink_commit_at)}`;
    return `waiting for the pipeline: ${done}, no event for ${duration(ctx.now - lastSign)} and ${sinks}: is \`protea pipeline\` running?`;
  }
  return null;
}

/** Fetches what jobWait needs and answers it. */
export async function whatJobWaitsFor(db: Parameters<typeof ontologyReleases>[0], job: JobRow, opts: { now?: number; namespace?: string } = {}): Promise<string | null> {
  if (job.status !== 'queued' && job.status !== 'running') return null;
  const [activity, releases] = await Promise.all([jobActivity(db, job.id), ontologyReleases(db)]);
  return jobWait(job, { activity, releases, now: opts.now ?? Date.now(), ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }) });
}

// ── dead letters, one line per stage and error code ──

const NOUNS: Record<string, [string, string]> = {
  'produce.gaf': ['annotation row', 'annotation rows'],
  'produce.fasta': ['FASTA record', 'FASTA records'],
  'produce.obo': ['ontology record', 'ontology records'],
  'produce.taxonomy': ['taxonomy line', 'taxonomy lines'],
  replay_embeddings: ['sequence', 'sequences'],
};

/** A short reason per error code; the group's first message stands in for codes not listed. */
const REASONS: Record<string, string> = {
  PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN: 'GO id not in the pinned ontology release',
  PROTEA_ERR_ONTOLOGY_RELEASE_PENDING: 'ontology release not loaded in time',
  PROTEA_ERR_SEQUENCE_INVALID: 'not a valid amino-acid sequence',
  PROTEA_ERR_INPUT_INVALID: 'malformed line',
  PROTEA_ERR_AVRO_DECODE_FAILED: 'undecodable record bytes',
  PROTEA_ERR_SINK_WRITE_FAILED: 'refused by PostgreSQL',
  PROTEA_ERR_PROCESSOR_FAILED: 'the stage could not transform it',
  PROTEA_ERR_EMBEDDING_FAILED: 'the model could not embed it',
};

export interface DeadLetterLine {
  /** e.g. "35 annotation rows dead-lettered: GO id not in the demo GO slim (PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN); see protea.dlq.sinks" */
  text: string;
  count: number;
  operation: string;
  stage: string | null;
  errorCode: string | null;
  /** the dead-letter topic of the stage, when the stage has one */
  topic: string | null;
  /** whether `reasons` explained this group (what a caller expected) */
  explained: boolean;
}

export const deadLetterKey = (operation: string, stage: string | null, errorCode: string | null) => `${operation}|${stage ?? ''}|${errorCode ?? ''}`;

/**
 * One line per group: count, what (by the job's operation), reason (the
 * caller's explanation for the group, keyed by deadLetterKey, else the code's
 * short reason, else the first message) and the stage's dead-letter topic.
 */
export function deadLetterLines(groups: readonly DeadLetterGroupRow[], opts: { namespace?: string; reasons?: Readonly<Record<string, string>> } = {}): DeadLetterLine[] {
  return groups.map((g) => {
    const [one, many] = NOUNS[g.operation] ?? ['record', 'records'];
    const explanation = opts.reasons?.[deadLetterKey(g.operation, g.stage, g.error_code)];
    const reason = explanation ?? (g.error_code ? REASONS[g.error_code] : undefined) ?? (g.example ?? 'no reason given').slice(0, 100);
    const topic = g.stage !== null && (STAGES as readonly string[]).includes(g.stage) ? topicName(dlqFor(g.stage as Stage), opts.namespace) : null;
    const text = `${g.n} ${g.n === 1 ? one : many} dead-lettered: ${reason}${g.error_code ? ` (${g.error_code})` : ''}${topic ? `; see ${topic}` : ''}`;
    return { text, count: g.n, operation: g.operation, stage: g.stage, errorCode: g.error_code, topic, explained: explanation !== undefined };
  });
}

/** The dead-letter lines of some jobs, from their 'dead_letter' events. */
export async function jobDeadLetterLines(db: Parameters<typeof deadLetterGroups>[0], jobIds: readonly string[], opts: { namespace?: string; reasons?: Readonly<Record<string, string>> } = {}): Promise<DeadLetterLine[]> {
  return deadLetterLines(await deadLetterGroups(db, jobIds), opts);
}
