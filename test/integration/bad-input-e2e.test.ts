// The bad-input corpus (test/fixtures/bad-input) through the REAL pipeline:
// every file produced onto its ingest topic with `produce()`, the dedup stage
// and every registered sink running in this process, and the outcome of each
// record asserted end to end, driven by EXPECTED.json (the same expectations
// test/unit/bad-input-corpus.test.ts checks at the reader level; nothing is
// written down a second time here):
// - reader rejects are on <namespace>.dlq.ingest (file, line, code, reason);
// - FASTA entries whose sequence does not normalise are on dlq.dedup (file,
//   line, SEQUENCE_INVALID, reason); the ones that do have their protein row
//   and their sequence row (MD5, normalised sequence);
// - GAF rows land in their annotation set, or (GO id unknown to the pinned
//   ontology) are on dlq.sinks with ONTOLOGY_TERM_UNKNOWN; the resolution
//   (id, alt_id, unknown) is computed from the ontology file EXPECTED names,
//   and checked against EXPECTED's notes where it has them;
// - OBO files: terms, their fields, edges (resolved and pending) per file;
// - taxonomy: the nodes of each nodes.dmp/names.dmp pair;
// - a read that ends with an error rejects produce() with INPUT_UNREADABLE
//   naming the file, the job fails, and the records read before it land.
// Every job that ends without an error must reach `succeeded` (all its records
// landed or dead-lettered), and no DLQ holds a letter nobody expected.
//
// Isolation inside the one database: each GAF file is its own annotation set
// (source 'corpus', version = the file name); each OBO file its own release
// (the producer's obo_version gets the file name appended, since most corpus
// files share one data-version); taxonomy pairs are produced one after the
// other and checked as soon as their job has succeeded (their nodes overlap).
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageNames, startStages } from '../../pipeline/stages.js';
import { fastaRun, gafRun, oboRun, taxonomyRun } from '../../topics/ingest-runs.js';
import { adminQuery } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { withAdmin } from '../../lib/kafka-client.js';
import { TopicConsumer } from '../../lib/topic-consumer.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import type { DeadLetterRecord, IngestOboRecord } from '../../schemas/generated/types.js';
import { KEYS, topicName } from '../../topics/catalogue.js';
import { produce, type ProduceReport, type ProduceRun, type ReaderItem } from '../../topics/produce.js';
import type { GafRecordValue } from '../../parsers/gaf.js';
import { aspectOf, type OboRecordValue } from '../../parsers/obo.js';
import type { TaxonomyRecordValue } from '../../parsers/taxonomy.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { BAD_INPUT_DIR, EXPECTED, type Expectation, type Json } from '../helpers/bad-input-expected.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = BAD_INPUT_DIR;

/** The release every GAF file of the corpus is pinned to (loaded from the ontology file EXPECTED names). */
const GAF_ONTOLOGY_VERSION = 'corpus-go';
const GAF_SOURCE = 'corpus';
const JOB_TIMEOUT_MS = 45_000;
const LANDING_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls probe until ok; returns the last value either way (the assertions then say what is missing). */
async function settle<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<{ value: T; ok: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return { value, ok: true };
    if (Date.now() > deadline) return { value, ok: false };
    await sleep(250);
  }
}

/** A run whose reader items are also kept, as produce() consumes them. */
function capturing<V, O>(run: ProduceRun<V, O>, into: ReaderItem<V>[]): ProduceRun<V, O> {
  const source = run.items;
  async function* pass() {
    for await (const item of source) {
      into.push(item);
      yield item;
    }
  }
  return { ...run, items: Object.assign(pass(), { progress: () => source.progress() }) };
}

/** A run whose OBO release is renamed `<obo_version> (<tag>)`, keys included: one release per corpus file. */
function ownRelease(run: ProduceRun<OboRecordValue, IngestOboRecord>, tag: string): ProduceRun<OboRecordValue, IngestOboRecord> {
  return {
    ...run,
    toMessage: (item, jobId) => {
      const m = run.toMessage(item, jobId);
      const value = { ...m.value, obo_version: releaseOf(m.value.obo_version, tag) };
      return { key: KEYS.ingestObo(value), value };
    },
  };
}
const releaseOf = (oboVersion: string, tag: string) => `${oboVersion} (${tag})`;

interface Job {
  id: string;
  status: string;
  progress_current: number | null;
  progress_total: number | null;
  error_code: string | null;
  error_message: string | null;
  file: string | null;
}

interface Outcome {
  name: string;
  exp: Expectation;
  file: string;
  namesFile?: string;
  items: ReaderItem<unknown>[];
  report?: ProduceReport;
  error?: unknown;
  /** taxonomy: the rows of the file's nodes right after its job succeeded */
  taxonomyRows?: Map<number, { parent_tax_id: number; rank: string | null; scientific_name: string | null }>;
  taxonomyJob?: Job;
}

const recordsOf = <V>(o: Outcome) => o.items.filter((i): i is { kind: 'record'; value: V; key?: string } => i.kind === 'record');

/** t.ok that narrows. */
function present<T>(t: Test, v: T | null | undefined, message: string): v is T {
  t.ok(v, message);
  return v !== null && v !== undefined;
}

/** The DLQ reason of an ingest reject is `<field>: <reason>` when the reject names a field. */
function reasonMatches(t: Test, got: string, want: { reason: unknown; field?: unknown }, what: string): void {
  const m = /^([^:]+): (.*)$/s.exec(got);
  const candidates = [got, ...(m ? [m[2]!] : [])];
  const re = new RegExp(String(want.reason));
  if (want.field !== undefined) t.equal(m?.[1], want.field, `${what}: the reason names the field ${String(want.field)}`);
  t.ok(candidates.some((c) => re.test(c)), `${what}: reason ${JSON.stringify(got)} matches ${re}`);
}

t.test('the bad-input corpus through the real pipeline: every record normalised and landed, or dead-lettered with file, line and reason', async (t) => {
  const t0 = Date.now();
  const available = stageNames();
  const has = (s: string) => available.includes(s);
  for (const s of ['dedup', 'sink:sequences', 'sink:proteins', 'sink:jobs']) {
    if (!has(s)) {
      t.fail(`stage ${s} is not registered: the FASTA path cannot be checked`);
      return;
    }
  }
  const canObo = has('sink:ontology');
  const canGaf = canObo && has('sink:annotations');
  const canTaxonomy = has('sink:taxonomy');
  // without the ontology sink no GAF release ever loads and the annotations sink would retry forever
  const stageList = available.filter((s) => s !== 'sink:annotations' || canObo);
  t.comment(`stages: ${stageList.join(', ')}`);

  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);
  const stages = await startStages(stageList, { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  t.comment(`pipeline up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // ── jobs: one poller for all of them ───────────────────────────────────────
  const jobs = new Map<string, Job>();
  const pollJobs = async () => {
    const rows = await q<Job>(`SELECT id::text, status, progress_current, progress_total, error_code, error_message, payload->>'file' AS file FROM job`);
    for (const r of rows) jobs.set(r.id, r);
  };
  const waitJob = async (id: string, timeoutMs = JOB_TIMEOUT_MS): Promise<Job | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const j = jobs.get(id);
      if (j && ['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
      if (Date.now() > deadline) return j;
      await sleep(250);
    }
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await pollJobs().catch(() => undefined);
      await sleep(250);
    }
  })();
  t.teardown(async () => {
    polling = false;
    await poller;
  });

  // batches of 100 (the CLI sends 1000) so the larger files cross batch boundaries, as big inputs do
  const run = async <V, O>(o: Outcome, make: () => ProduceRun<V, O>): Promise<Outcome> => {
    try {
      o.report = await produce(capturing(make(), o.items as ReaderItem<V>[]), { producer, namespace, progress: null, batchSize: 100 });
    } catch (err) {
      o.error = err;
    }
    return o;
  };
  const outcome = (name: string, exp: Expectation): Outcome => ({ name, exp, file: path.join(DIR, name), items: [], ...(exp.names ? { namesFile: path.join(DIR, exp.names) } : {}) });
  const entries = Object.entries(EXPECTED).filter(([, e]) => e.reader !== 'taxonomy-names');
  const of = (reader: Expectation['reader']) => entries.filter(([, e]) => e.reader === reader);

  // ── the GAF files' ontology, first: the annotations sink waits for it ─────────
  const gafOntologyFile = EXPECTED['gaf-alt-and-unknown-go-ids.gaf']?.ontology;
  t.ok(gafOntologyFile, 'EXPECTED names the ontology the GAF files are resolved against');
  const ontologyItems: ReaderItem<OboRecordValue>[] = [];
  const ontologyLoaded = (async () => {
    if (!gafOntologyFile) return undefined;
    const report = await produce(capturing(oboRun(path.join(ROOT, gafOntologyFile), { version: GAF_ONTOLOGY_VERSION }), ontologyItems), { producer, namespace, progress: null });
    return { report, job: canObo ? await waitJob(report.jobId) : undefined };
  })();

  // ── every corpus file, concurrently (taxonomy pairs one after the other) ─────
  const fasta = Promise.all(of('fasta').map(([name, e]) => run(outcome(name, e), () => fastaRun(path.join(DIR, name), {}))));
  const obo = Promise.all(of('obo').map(([name, e]) => run(outcome(name, e), () => ownRelease(oboRun(path.join(DIR, name), {}), name))));
  const gaf = (async () => {
    if (canGaf) {
      const loaded = await ontologyLoaded;
      if (loaded?.job?.status !== 'succeeded') t.fail(`the GAF ontology ${gafOntologyFile} did not load: job ${JSON.stringify(loaded?.job)}`);
    }
    return Promise.all(
      of('gaf').map(([name, e]) => run(outcome(name, e), () => gafRun(path.join(DIR, name), { source: GAF_SOURCE, version: name, ontology: GAF_ONTOLOGY_VERSION }))),
    );
  })();
  const taxonomy = (async () => {
    const out: Outcome[] = [];
    for (const [name, e] of of('taxonomy')) {
      const o = await run(outcome(name, e), () => taxonomyRun(path.join(DIR, name), path.join(DIR, e.names!)));
      out.push(o);
      if (!canTaxonomy || !o.report) continue;
      o.taxonomyJob = await waitJob(o.report.jobId);
      const ids = recordsOf<TaxonomyRecordValue>(o).map((r) => r.value.tax_id);
      const rows = await q<{ tax_id: number; parent_tax_id: number; rank: string | null; scientific_name: string | null }>(
        'SELECT tax_id, parent_tax_id, rank, scientific_name FROM taxonomy WHERE tax_id = ANY($1::int[])',
        [ids],
      );
      o.taxonomyRows = new Map(rows.map((r) => [r.tax_id, { parent_tax_id: r.parent_tax_id, rank: r.rank, scientific_name: r.scientific_name }]));
    }
    return out;
  })();
  const [fastaOut, oboOut, gafOut, taxonomyOut, ontology] = await Promise.all([fasta, obo, gaf, taxonomy, ontologyLoaded]);
  t.comment(`produced ${entries.length} corpus cases (${Object.keys(EXPECTED).length} files, names.dmp included) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // ── wait for the jobs, then for the rows the jobs do not count (sequences) ───
  const waited = [...fastaOut, ...(canObo ? oboOut : []), ...(canGaf ? gafOut : [])].filter((o) => o.report);
  const jobOf = new Map<Outcome, Job | undefined>();
  await Promise.all(waited.map(async (o) => jobOf.set(o, await waitJob(o.report!.jobId))));
  for (const o of taxonomyOut) if (o.taxonomyJob) jobOf.set(o, o.taxonomyJob);
  // jobs of the reads that failed: found by their file
  const failedJobs = await settle(
    async () => {
      await pollJobs();
      return entries.filter(([, e]) => e.error).map(([name]) => [...jobs.values()].find((j) => j.file === path.join(DIR, name)));
    },
    (js) => js.every((j) => j?.status === 'failed'),
    JOB_TIMEOUT_MS,
  );
  const failedJobOf = new Map(entries.filter(([, e]) => e.error).map(([name], i) => [name, failedJobs.value[i]]));

  // FASTA: every entry that normalises has its protein (linked to its sequence) and its sequence
  interface Want {
    md5s: Set<string>;
    last: Map<string, string>;
    files: Set<string>;
  }
  const wantProtein = new Map<string, Want>();
  const wantSequences = new Map<string, { sequence?: string; length?: number }>();
  for (const [name, e] of of('fasta')) {
    for (const r of e.records ?? []) {
      const key = String(r.key);
      const n = r.normalised as Json;
      const w = wantProtein.get(key) ?? { md5s: new Set(), last: new Map(), files: new Set() };
      w.files.add(name);
      if (n.ok) {
        w.md5s.add(String(n.md5));
        w.last.set(name, String(n.md5));
        wantSequences.set(String(n.md5), {
          ...(n.sequence !== undefined ? { sequence: String(n.sequence), length: String(n.sequence).length } : {}),
          ...(n.sequence_length !== undefined ? { length: Number(n.sequence_length) } : {}),
        });
      }
      wantProtein.set(key, w);
    }
  }
  const landedKeys = [...wantProtein].filter(([, w]) => w.md5s.size > 0).map(([k]) => k);
  const landing = await settle(
    async () => {
      const proteins = await q<{ accession: string; sequence_md5: string | null; linked: string | null; length: number | null } & Json>(
        `SELECT p.*, s.sequence_hash AS linked FROM protein p LEFT JOIN sequence s ON s.id = p.sequence_id`,
      );
      const sequences = await q<{ sequence_hash: string; sequence: string; length: number }>('SELECT sequence_hash, sequence, length FROM sequence');
      return { proteins: new Map(proteins.map((p) => [p.accession, p])), sequences: new Map(sequences.map((s) => [s.sequence_hash, s])) };
    },
    (v) => landedKeys.every((k) => v.proteins.get(k)?.linked) && [...wantSequences.keys()].every((m) => v.sequences.has(m)),
    LANDING_TIMEOUT_MS,
  );
  if (!landing.ok) t.comment('some FASTA entries never landed (see the failures below)');
  const { proteins, sequences } = landing.value;

  // ── the dead-letter topics, read to their end ─────────────────────────────
  const dlqTopics = { ingest: topicName('dlq.ingest', namespace), dedup: topicName('dlq.dedup', namespace), sinks: topicName('dlq.sinks', namespace) };
  const ends = await withAdmin(async (admin) => {
    const out: Record<string, number> = {};
    for (const topic of Object.values(dlqTopics)) {
      out[topic] = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    }
    return out;
  });
  const letters: Record<string, { key: string | null; value: DeadLetterRecord; original?: Json }[]> = Object.fromEntries(Object.values(dlqTopics).map((tn) => [tn, []]));
  const consumer = new TopicConsumer<DeadLetterRecord>({ groupId: `${namespace}.test.bad-input.${randomBytes(4).toString('hex')}` });
  await consumer.connect(Object.values(dlqTopics), true);
  await consumer.run(async (records) => {
    for (const r of records) {
      if (r.error || !r.value) {
        t.fail(`an undecodable dead letter on ${r.topic}: ${r.error?.message}`);
        continue;
      }
      const original = r.topic === dlqTopics.sinks && r.value.original_value ? await consumer.registry.decode<Json>(r.value.original_value).catch(() => undefined) : undefined;
      letters[r.topic]!.push({ key: r.key, value: r.value, ...(original ? { original } : {}) });
    }
  });
  const read = await settle(async () => Object.values(dlqTopics).map((tn) => letters[tn]!.length), (n) => Object.values(dlqTopics).every((tn, i) => n[i]! >= ends[tn]!), 20_000);
  await consumer.disconnect();
  t.ok(read.ok, `every dead letter read (${JSON.stringify(ends)})`);
  const byFileLine = (topic: string) => {
    const m = new Map<string, DeadLetterRecord[]>();
    for (const l of letters[topic]!) {
      const file = l.value.file ?? (l.original?.source_file as string | undefined) ?? null;
      const line = l.value.line ?? (l.original?.line as number | undefined) ?? null;
      const k = `${file}:${line}`;
      m.set(k, [...(m.get(k) ?? []), l.value]);
    }
    return m;
  };
  const ingestLetters = byFileLine(dlqTopics.ingest);
  const dedupLetters = byFileLine(dlqTopics.dedup);
  const sinkLetters = byFileLine(dlqTopics.sinks);
  const claimed = { ingest: 0, dedup: 0, sinks: 0 };
  t.comment(`pipeline settled after ${((Date.now() - t0) / 1000).toFixed(1)} s; dead letters: ${JSON.stringify(ends)}`);

  // dead_letter events per job, for the FASTA and GAF checks
  const deadEvents = new Map(
    (await q<{ job_id: string; n: number }>(`SELECT job_id::text, count(*)::int AS n FROM job_event WHERE event = 'dead_letter' GROUP BY job_id`)).map((r) => [r.job_id, r.n]),
  );

  // ── per file ───────────────────────────────────────────────────────────────
  /** Reader rejects of a file on dlq.ingest (and nothing else of the file there). */
  const checkRejects = (t: Test, o: Outcome, topicId: string) => {
    const rejects = o.exp.rejects ?? [];
    const files = [o.file, ...(o.namesFile ? [o.namesFile] : [])];
    const mine = [...ingestLetters].filter(([k]) => files.some((f) => k.startsWith(`${f}:`))).flatMap(([, v]) => v);
    t.equal(mine.length, rejects.length, `${rejects.length} reader rejects on dlq.ingest, no more`);
    const jobId = o.report?.jobId ?? failedJobOf.get(o.name)?.id;
    rejects.forEach((want, i) => {
      const file = want.file === 'names' ? o.namesFile! : o.file;
      const got = ingestLetters.get(`${file}:${String(want.line)}`)?.[0];
      const what = `reject ${i} (${path.basename(file)}:${String(want.line)})`;
      if (!present(t, got, `${what} is on dlq.ingest`)) return;
      claimed.ingest++;
      t.equal(got.stage, 'ingest', `${what}: stage`);
      t.equal(got.source_topic, topicName(topicId, namespace), `${what}: the topic it was meant for`);
      t.equal(got.error_code, `PROTEA_ERR_${String(want.code)}`, `${what}: error code`);
      reasonMatches(t, got.reason, { reason: want.reason, field: want.field }, what);
      t.equal(got.job_id, jobId, `${what}: job`);
      t.ok(got.original_value && got.original_value.length > 0, `${what}: the offending text kept`);
    });
  };
  /** The produce report, the end of the read, and the job. */
  const checkRun = (t: Test, o: Outcome, opts: { job: boolean }) => {
    const e = o.exp;
    const records = e.records ?? [];
    t.equal(recordsOf(o).length, records.length, `the reader gave the ${records.length} records of EXPECTED`);
    if (e.error) {
      t.notOk(o.report, 'produce() rejects');
      t.ok(o.error instanceof ProteaError, `with a ProteaError: ${String((o.error as Error)?.message)}`);
      const err = o.error as ProteaError;
      t.equal(err.code, e.error.code, 'INPUT_UNREADABLE');
      t.match(err.message, new RegExp(e.error.message), 'naming the file (and the last complete line)');
      t.equal(err.context.file, o.file, 'the error names the file');
      if (e.error.line !== undefined) t.equal(err.context.line, e.error.line, 'and the last complete line');
      const job = failedJobOf.get(o.name);
      t.match(job, { status: 'failed', error_code: e.error.code }, 'the job failed with the error');
      t.match(job?.error_message ?? '', new RegExp(e.error.message), 'the job says why');
      return;
    }
    if (!t.ok(o.report, `produce() resolves${o.error ? `; it threw ${String((o.error as Error).message)}` : ''}`)) return;
    t.match(o.report, { sent: records.length, rejected: (e.rejects ?? []).length, notes: (e.notes ?? []).length }, 'the report counts records, rejects and notes');
    if (opts.job) {
      const job = jobOf.get(o);
      t.match(job, { status: 'succeeded', progress_total: records.length }, `job succeeded: all ${records.length} records landed or dead-lettered`);
      t.equal(job?.progress_current ?? 0, records.length, 'progress_current counts them (null: none)');
    }
  };

  t.test('FASTA files', async (t) => {
    const fastaTopic = topicName('ingest.fasta', namespace);
    for (const o of fastaOut) {
      t.test(`${o.name}: ${o.exp.describe}`, async (t) => {
        checkRun(t, o, { job: true });
        checkRejects(t, o, 'ingest.fasta');
        const records = o.exp.records ?? [];
        const jobId = o.report?.jobId ?? failedJobOf.get(o.name)?.id;
        let dead = 0;
        for (const want of records) {
          const key = String(want.key);
          const n = want.normalised as Json;
          const what = `${key} (line ${String(want.line)})`;
          const letter = dedupLetters.get(`${o.file}:${String(want.line)}`)?.[0];
          if (!n.ok) {
            dead++;
            if (!present(t, letter, `${what} is on dlq.dedup`)) continue;
            claimed.dedup++;
            t.equal(letter.stage, 'dedup', `${what}: stage`);
            t.equal(letter.source_topic, fastaTopic, `${what}: source topic`);
            t.equal(letter.error_code, `PROTEA_ERR_${String(n.code)}`, `${what}: error code`);
            t.match(letter.reason, new RegExp(String(n.reason)), `${what}: reason`);
            t.equal(letter.original_key?.toString('utf8'), key, `${what}: original key`);
            t.equal(letter.job_id, jobId, `${what}: job`);
            if ((wantProtein.get(key)?.md5s.size ?? 0) === 0) t.notOk(proteins.get(key), `${what}: no protein row`);
            continue;
          }
          t.notOk(letter, `${what} is not dead-lettered`);
          const p = proteins.get(key);
          if (!present(t, p, `${what}: protein row`)) continue;
          const w = wantProtein.get(key)!;
          const md5 = String(n.md5);
          if (w.files.size === 1) t.equal(p.sequence_md5, w.last.get(o.name), `${what}: sequence MD5 (the last entry of the accession wins)`);
          else if (w.md5s.size === 1) t.equal(p.sequence_md5, md5, `${what}: sequence MD5`);
          else t.ok(w.md5s.has(String(p.sequence_md5)), `${what}: sequence MD5 is one of its entries'`);
          t.equal(p.linked, p.sequence_md5, `${what}: linked to its sequence row`);
          const s = sequences.get(md5);
          if (!present(t, s, `${what}: sequence row ${md5}`)) continue;
          if (n.sequence !== undefined) t.equal(s.sequence, n.sequence, `${what}: normalised sequence stored`);
          t.equal(s.length, wantSequences.get(md5)?.length, `${what}: sequence length`);
          if (w.md5s.size === 1) t.equal(p.length, s.length, `${what}: protein length`);
          if (want.fields && w.files.size === 1) {
            // protein_name has no column (sinks/proteins.ts); the other header fields do
            const cols = Object.entries(want.fields as Json).filter(([k]) => k in p);
            t.same(Object.fromEntries(cols.map(([k]) => [k, p[k]])), Object.fromEntries(cols), `${what}: header fields (${cols.map(([k]) => k).join(', ')})`);
          }
        }
        const mineDedup = [...dedupLetters].filter(([k]) => k.startsWith(`${o.file}:`)).flatMap(([, v]) => v);
        t.equal(mineDedup.length, dead, `${dead} entries on dlq.dedup, no more`);
        if (jobId) t.equal(deadEvents.get(jobId) ?? 0, (o.exp.rejects ?? []).length + dead, 'the job records a dead_letter event per dead letter');
      });
    }
  });

  t.test('GAF files', async (t) => {
    if (!canGaf) {
      for (const o of gafOut) {
        t.test(`${o.name}: reader rejects only`, async (t) => {
          checkRun(t, o, { job: false });
          checkRejects(t, o, 'ingest.gaf');
        });
      }
      t.skip(`GAF landing not checked: ${!canObo ? 'no ontology sink (sink:ontology)' : 'no annotations sink (sink:annotations)'} in SINKS`, () => {});
      return;
    }
    t.match(ontology, { job: { status: 'succeeded' } }, `the ontology the GAF files are pinned to (${gafOntologyFile}) loaded`);
    // GO id -> term of the pinned release, as the sink resolves it: the term's id, else an alt_id
    const terms = ontologyItems.flatMap((i) => (i.kind === 'record' && i.value.kind === 'TERM' ? [i.value] : []));
    const byId = new Set(terms.map((x) => x.go_id));
    const resolve = (goId: string): { resolves_to: string; via: 'id' | 'alt_id' } | null => {
      if (byId.has(goId)) return { resolves_to: goId, via: 'id' };
      const alt = terms.filter((x) => x.alt_ids.includes(goId)).sort((a, b) => Number(a.is_obsolete) - Number(b.is_obsolete) || String(a.go_id).localeCompare(String(b.go_id)))[0];
      return alt ? { resolves_to: String(alt.go_id), via: 'alt_id' } : null;
    };
    const rows = await q<Json & { source_version: string; go_id: string; protein_accession: string; meta: { files?: string[] }; obo_version: string }>(
      `SELECT a.source_version, a.meta, os.obo_version, g.go_id, p.*
         FROM protein_go_annotation p JOIN annotation_set a ON a.id = p.annotation_set_id
         JOIN ontology_snapshot os ON os.id = a.ontology_snapshot_id JOIN go_term g ON g.id = p.go_term_id
        WHERE a.source = $1`,
      [GAF_SOURCE],
    );
    const sets = await q<{ source_version: string; obo_version: string; meta: { files?: string[] }; job_id: string }>(
      `SELECT a.source_version, os.obo_version, a.meta, a.job_id::text FROM annotation_set a JOIN ontology_snapshot os ON os.id = a.ontology_snapshot_id WHERE a.source = $1`,
      [GAF_SOURCE],
    );
    for (const o of gafOut) {
      t.test(`${o.name}: ${o.exp.describe}`, async (t) => {
        checkRun(t, o, { job: true });
        checkRejects(t, o, 'ingest.gaf');
        const got = recordsOf<GafRecordValue>(o).map((r) => r.value);
        const expRecords = o.exp.records ?? [];
        // natural key of protein_go_annotation -> the last line of the key (it wins the other columns)
        const keyOf = (v: GafRecordValue, goId: string) =>
          JSON.stringify([v.db_object_id, goId, v.qualifier, v.evidence_code, v.db_reference, v.with_from, v.assigned_by, v.annotation_extension, v.gene_product_form_id, v.db]);
        const rowKey = (r: Json) =>
          JSON.stringify([r.protein_accession, r.go_id, r.qualifier, r.evidence_code, r.db_reference, r.with_from, r.assigned_by, r.annotation_extension, r.gene_product_form_id, r.db]);
        const landed = new Map<string, GafRecordValue>();
        let unknown = 0;
        got.forEach((v, i) => {
          const want = expRecords[i];
          const what = `line ${v.line} (${v.db_object_id} ${v.go_id})`;
          if (want) t.equal(v.line, want.line, `${what}: the record EXPECTED lists`);
          const r = resolve(v.go_id);
          const note = want?.ontology as Json | undefined;
          if (note) {
            if (note.code !== undefined) t.equal(r, null, `${what}: unknown to the ontology, as EXPECTED says (${String(note.code)})`);
            else t.same(r, note, `${what}: resolves as EXPECTED says`);
          }
          if (r === null) {
            unknown++;
            // matched by the record it carries (original_value), so a letter without file/line is still found
            const dl = sinkLetters.get(`${o.file}:${v.line}`)?.[0];
            if (!present(t, dl, `${what} is on dlq.sinks`)) return;
            claimed.sinks++;
            t.equal(dl.stage, 'sinks', `${what}: stage`);
            t.equal(dl.source_topic, topicName('ingest.gaf', namespace), `${what}: source topic`);
            t.equal(dl.error_code, 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN', `${what}: error code`);
            t.ok(dl.reason.includes(v.go_id) && dl.reason.includes(GAF_ONTOLOGY_VERSION), `${what}: the reason names the GO id and the release: ${dl.reason}`);
            t.equal(dl.job_id, o.report?.jobId, `${what}: job`);
            t.equal(dl.file, o.file, `${what}: the dead letter names the file`);
            t.equal(dl.line, v.line, `${what}: the dead letter names the line`);
            return;
          }
          landed.set(keyOf(v, r.resolves_to), v);
        });
        const mine = rows.filter((r) => r.source_version === o.name);
        t.equal(mine.length, landed.size, `${landed.size} annotation rows (one per distinct natural key), no more`);
        for (const [k, v] of landed) {
          const [acc, goId] = JSON.parse(k) as [string, string];
          const row = mine.find((r) => rowKey(r) === k);
          if (!present(t, row, `line ${v.line}: annotation ${acc} ${goId} ${v.qualifier} landed`)) continue;
          t.same(
            { db_object_symbol: row.db_object_symbol, aspect: row.aspect, db_object_name: row.db_object_name, synonym: row.synonym, db_object_type: row.db_object_type, taxon: row.taxon, annotation_date: row.annotation_date },
            { db_object_symbol: v.db_object_symbol, aspect: v.aspect === '' ? null : v.aspect, db_object_name: v.db_object_name, synonym: v.db_object_synonym, db_object_type: v.db_object_type, taxon: v.taxon, annotation_date: v.date },
            `line ${v.line}: columns verbatim`,
          );
        }
        const set = sets.find((s) => s.source_version === o.name);
        if (landed.size > 0) {
          t.match(set, { obo_version: GAF_ONTOLOGY_VERSION, job_id: o.report?.jobId }, 'its annotation set, pinned to the release');
          t.ok(set?.meta.files?.includes(o.file), 'the set lists the file');
        }
        const mineSinks = letters[dlqTopics.sinks]!.filter((l) => l.original?.source_file === o.file);
        t.equal(mineSinks.length, unknown, `${unknown} rows on dlq.sinks, no more`);
        const jobId = o.report?.jobId;
        if (jobId) t.equal(deadEvents.get(jobId) ?? 0, (o.exp.rejects ?? []).length + unknown, 'the job records a dead_letter event per dead letter');
      });
    }
  });

  t.test('OBO files', async (t) => {
    if (!canObo) {
      for (const o of oboOut) {
        t.test(`${o.name}: reader rejects only`, async (t) => {
          checkRun(t, o, { job: false });
          checkRejects(t, o, 'ingest.obo');
        });
      }
      t.skip('OBO landing not checked: no ontology sink (sink:ontology) in SINKS', () => {});
      return;
    }
    const snapshots = await q<{ id: string; obo_version: string; term_count: number | null; obo_url: string }>('SELECT id::text, obo_version, term_count, obo_url FROM ontology_snapshot');
    const terms = await q<Json & { snapshot: string; go_id: string }>('SELECT ontology_snapshot_id::text AS snapshot, go_id, name, namespace, aspect, definition, is_obsolete, alt_ids, replaced_by, consider FROM go_term');
    const edges = await q<{ snapshot: string; child: string; parent: string; relation_type: string }>(
      `SELECT r.ontology_snapshot_id::text AS snapshot, c.go_id AS child, p.go_id AS parent, r.relation_type
         FROM go_term_relationship r JOIN go_term c ON c.id = r.child_go_term_id JOIN go_term p ON p.id = r.parent_go_term_id`,
    );
    const pending = await q<{ snapshot: string; child: string; parent: string; relation_type: string }>(
      'SELECT ontology_snapshot_id::text AS snapshot, child_go_id AS child, parent_go_id AS parent, relation_type FROM go_term_edge_pending',
    );
    const edgeKey = (e: { child: string; parent: string; relation_type: string }) => `${e.child} -${e.relation_type}-> ${e.parent}`;
    for (const o of oboOut) {
      t.test(`${o.name}: ${o.exp.describe}`, async (t) => {
        checkRun(t, o, { job: true });
        checkRejects(t, o, 'ingest.obo');
        const got = recordsOf<OboRecordValue>(o).map((r) => r.value);
        const header = got.find((v) => v.kind === 'HEADER');
        const wantHeader = (o.exp.records ?? []).find((r) => r.kind === 'HEADER');
        if (!present(t, header, 'the release header was sent')) return;
        t.equal(header.term_count, wantHeader?.term_count, 'with the term count EXPECTED gives');
        const release = releaseOf(header.obo_version, o.name);
        const snap = snapshots.find((s) => s.obo_version === release);
        if (!present(t, snap, `snapshot ${release}`)) return;
        t.equal(snap.term_count, header.term_count, 'snapshot term_count');
        const fileTerms = got.filter((v) => v.kind === 'TERM');
        const dbTerms = terms.filter((x) => x.snapshot === snap.id);
        t.equal(dbTerms.length, header.term_count, `${String(header.term_count)} go_term rows, no more`);
        for (const v of fileTerms) {
          const row = dbTerms.find((x) => x.go_id === v.go_id);
          if (!present(t, row, `${String(v.go_id)} (line ${v.line}) landed`)) continue;
          t.same(
            row,
            { snapshot: snap.id, go_id: v.go_id, name: v.name, namespace: v.namespace, aspect: aspectOf(v.namespace), definition: v.definition, is_obsolete: v.is_obsolete, alt_ids: v.alt_ids, replaced_by: v.replaced_by, consider: v.consider },
            `${String(v.go_id)}: fields`,
          );
        }
        const ids = new Set(fileTerms.map((v) => v.go_id));
        const wantEdges = new Set<string>();
        const wantPending = new Set<string>();
        for (const v of fileTerms) {
          for (const e of v.edges) (ids.has(e.parent_go_id) ? wantEdges : wantPending).add(edgeKey({ child: String(v.go_id), parent: e.parent_go_id, relation_type: e.relation }));
        }
        t.same(edges.filter((e) => e.snapshot === snap.id).map(edgeKey).sort(), [...wantEdges].sort(), `${wantEdges.size} edges between the file's terms`);
        t.same(pending.filter((e) => e.snapshot === snap.id).map(edgeKey).sort(), [...wantPending].sort(), `${wantPending.size} edges pending (parent not in the file)`);
      });
    }
  });

  t.test('taxonomy files', async (t) => {
    for (const o of taxonomyOut) {
      t.test(`${o.name} + ${path.basename(o.namesFile ?? '')}: ${o.exp.describe}`, async (t) => {
        checkRun(t, o, { job: canTaxonomy });
        checkRejects(t, o, 'ingest.taxonomy');
        if (!canTaxonomy) {
          t.skip('taxonomy landing not checked: no taxonomy sink (sink:taxonomy) in SINKS', () => {});
          return;
        }
        for (const want of o.exp.records ?? []) {
          const id = Number(want.tax_id);
          t.same(
            o.taxonomyRows?.get(id),
            { parent_tax_id: want.parent_tax_id, rank: want.rank === '' ? null : want.rank, scientific_name: want.scientific_name === '' ? null : want.scientific_name },
            `node ${id} landed`,
          );
        }
      });
    }
    if (canTaxonomy) {
      const all = (await q<{ tax_id: number }>('SELECT tax_id FROM taxonomy ORDER BY tax_id')).map((r) => r.tax_id);
      const want = [...new Set(of('taxonomy').flatMap(([, e]) => (e.records ?? []).map((r) => Number(r.tax_id))))].sort((a, b) => a - b);
      t.same(all, want, 'the taxonomy holds the nodes of the files and nothing the readers rejected');
    }
  });

  t.test('no dead letter nobody expected', async (t) => {
    t.equal(letters[dlqTopics.ingest]!.length, claimed.ingest, 'dlq.ingest: every letter is an expected reject');
    t.equal(letters[dlqTopics.dedup]!.length, claimed.dedup, 'dlq.dedup: every letter is an expected SEQUENCE_INVALID');
    t.equal(letters[dlqTopics.sinks]!.length, claimed.sinks, 'dlq.sinks: every letter is an expected unknown GO id');
    t.comment(`asserted: ${entries.length} corpus cases (${Object.keys(EXPECTED).length} files), dead letters ingest ${claimed.ingest}, dedup ${claimed.dedup}, sinks ${claimed.sinks}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
