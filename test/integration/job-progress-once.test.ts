// Job progress counts each input record once, whatever is redelivered: the
// dedup stage is at-least-once, so a FASTA entry can reach the proteins sink
// twice (at two offsets), and a producer retry can write a GAF row twice. A
// job must never pass its total, nor succeed before all its records landed.
// Sink transactions are driven directly on a fresh database (no Kafka needed).
import t, { type Test } from 'tap';
import { createCopyPool } from '../../lib/db.js';
import { uuidv7 } from '../../lib/ids.js';
import type { IncomingRecord } from '../../lib/topic-consumer.js';
import type { JobEventRecord, ProteinRecord } from '../../schemas/generated/types.js';
import { jobsSink } from '../../sinks/jobs.js';
import { proteinsSink } from '../../sinks/proteins.js';
import { SOURCE_FILE_HEADER, SOURCE_LINE_HEADER } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { md5, randomSequence } from '../helpers/sequences.js';
import { incoming, writeOnPool } from '../helpers/sink-batches.js';

const FILE = 'proteome.fasta';

interface Protein {
  key: string;
  value: ProteinRecord;
  line: number;
}

function protein(job: string, accession: string, line: number, sequenceMd5 = md5(randomSequence(30, 60))): Protein {
  return {
    key: accession,
    value: {
      accession, canonical_accession: accession, is_canonical: true, isoform_index: null, entry_name: null, protein_name: null, reviewed: null,
      taxonomy_id: null, organism: null, gene_name: null, protein_existence: null, sequence_version: null, sequence_md5: sequenceMd5, length: 40,
      job_id: job,
    },
    line,
  };
}

/** Protein records as the dedup stage sends them: the FASTA entry's file and line in headers. */
function fromDedup(first: number, values: Protein[]): IncomingRecord<ProteinRecord>[] {
  return incoming('proteins', 0, first, values).map((r, i) => ({ ...r, headers: { [SOURCE_FILE_HEADER]: FILE, [SOURCE_LINE_HEADER]: String(values[i]!.line) } }));
}

/** A fresh database with one running job of `total` records; its pool, a query helper, the job id. */
async function jobOf(t: Test, total: number) {
  const url = await freshDatabase(t, { migrate: true });
  const pool = createCopyPool(url, 2);
  t.teardown(() => pool.end());
  const query = async (text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as Record<string, unknown>[];
  const job = uuidv7();
  await query(`INSERT INTO job (id, operation, queue_name, status, progress_total) VALUES ($1, 'produce', 'ingest', 'running', $2)`, [job, total]);
  return { pool, query, job };
}

t.test('a redelivered FASTA entry moves its job progress once; the job succeeds only when every entry landed', async (t) => {
  const { pool, query, job } = await jobOf(t, 3);
  const state = async () => (await query('SELECT progress_current AS current, status FROM job WHERE id = $1', [job]))[0];
  const write = (expected: number, values: Protein[]) =>
    writeOnPool(pool, proteinsSink, { topic: 'proteins', partition: 0, expected: BigInt(expected), next: BigInt(expected + values.length), records: fromDedup(expected, values) }, { sendDeadLetters: async () => undefined });

  const a = protein(job, 'P10001', 1);
  const b = protein(job, 'P10002', 3);
  await write(0, [a, b]);
  t.same(await state(), { current: 2, status: 'running' }, 'two entries landed');
  // dedup crashed after sending and before committing: the same two entries again, later in the log
  await write(2, [a, b]);
  t.same(await state(), { current: 2, status: 'running' }, 'the redelivered entries do not count again: the job is not declared succeeded early');
  // two entries of one file under the same accession are two records of the job
  await write(4, [protein(job, 'P10001', 5)]);
  t.same(await state(), { current: 3, status: 'succeeded' }, 'the last entry completes the job');
  await write(5, [protein(job, 'P10001', 5)]);
  t.same(await state(), { current: 3, status: 'succeeded' }, 'progress never passes the total');
});

t.test('a record dead-lettered twice by a sink counts once, with one dead_letter event', async (t) => {
  const { pool, query, job } = await jobOf(t, 2);
  const bad = protein(job, 'P20001', 7, 'not-an-md5'); // the proteins sink refuses it
  const letters: number[] = [];
  const write = (expected: number, values: Protein[]) =>
    writeOnPool(pool, proteinsSink, { topic: 'proteins', partition: 0, expected: BigInt(expected), next: BigInt(expected + values.length), records: fromDedup(expected, values) }, {
      sendDeadLetters: async (l) => {
        letters.push(l.length);
      },
    });
  await write(0, [bad]);
  await write(1, [bad]);
  t.same(letters, [1, 1], 'each copy still goes to the dead-letter topic (nothing is dropped silently)');
  const [row] = await query('SELECT progress_current AS current, status FROM job WHERE id = $1', [job]);
  t.same(row, { current: 1, status: 'running' }, 'the refused entry counts once toward its job');
  const events = await query(`SELECT count(*)::int AS n FROM job_event WHERE job_id = $1 AND event = 'dead_letter'`, [job]);
  t.same(events, [{ n: 1 }], 'one dead_letter event for the entry');
});

t.test('dead letters a processor reports for the same input line count once toward the job', async (t) => {
  const { pool, query, job } = await jobOf(t, 2);
  const deadLetter = (line: number, ingestOffset: number): { key: string; value: JobEventRecord } => ({
    key: job,
    value: {
      // the same input at another ingest offset (a producer retry) gets another event id
      event_id: uuidv7(), job_id: job, event: 'dead_letter', status: null, operation: null, stage: 'dedup', progress_current: null, progress_total: null,
      level: 'warn', message: 'sequence has an illegal residue', error_code: 'PROTEA_ERR_SEQUENCE_INVALID',
      fields_json: JSON.stringify({ file: FILE, line, source_topic: 'ingest.fasta', source_partition: 0, source_offset: ingestOffset }),
      ts: Date.now(), parent_job_id: null, payload_json: null,
    },
  });
  const write = (expected: number, values: { key: string; value: JobEventRecord }[]) =>
    writeOnPool(pool, jobsSink, { topic: 'jobs.events', partition: 0, expected: BigInt(expected), next: BigInt(expected + values.length), records: incoming('jobs.events', 0, expected, values) }, { sendDeadLetters: async () => undefined });
  await write(0, [deadLetter(9, 4), deadLetter(9, 11)]);
  await write(2, [deadLetter(9, 12)]);
  const state = async () => (await query('SELECT progress_current AS current, status FROM job WHERE id = $1', [job]))[0];
  t.same(await state(), { current: 1, status: 'running' }, 'three reports of line 9 count once');
  await write(3, [deadLetter(12, 13)]);
  t.same(await state(), { current: 2, status: 'succeeded' }, 'another line counts and completes the job');
});
