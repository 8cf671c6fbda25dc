// FASTA through the whole ingest path on the real stack: produce -> dedup ->
// sequences, proteins and jobs sinks -> PostgreSQL.
import t from 'tap';
import { startStages } from '../../pipeline/stages.js';
import { fastaRun } from '../../topics/ingest-runs.js';
import { adminQuery } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { produce } from '../../topics/produce.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { until } from '../helpers/poll.js';

const FASTA = 'test/fixtures/ingest/isoforms.fasta';

t.test('a FASTA with one sequence under several accessions and isoforms lands as one row per distinct sequence, and again changes nothing', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string) => adminQuery<R>(dbUrl, text);
  const stages = await startStages(['dedup', 'sink:sequences', 'sink:proteins', 'sink:jobs'], { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());

  const first = await produce(fastaRun(FASTA, {}), { producer, namespace, progress: null });
  t.equal(first.sent, 7, 'every entry of the file is sent (the bad one is rejected later, by dedup)');
  const job = await until('the job to finish', () => q<{ status: string; progress_current: number; progress_total: number }>(`SELECT status, progress_current, progress_total FROM job WHERE id = '${first.jobId}'`), (r) => r[0]?.status === 'succeeded');
  t.same(job[0], { status: 'succeeded', progress_current: 7, progress_total: 7 }, 'job succeeded: 6 proteins landed + 1 dead-lettered');

  const sequences = await q<{ n: number }>('SELECT count(*)::int AS n FROM sequence');
  t.equal(sequences[0]?.n, 3, 'three distinct sequences (lower case, whitespace and a trailing * normalised to the same one)');
  const proteins = await q<Record<string, unknown>>(
    `SELECT p.accession, p.canonical_accession, p.is_canonical, p.isoform_index, p.reviewed, p.taxonomy_id, p.entry_name, p.gene_name, s.sequence_hash
       FROM protein p JOIN sequence s ON s.id = p.sequence_id ORDER BY p.accession`,
  );
  t.equal(proteins.length, 6, 'six proteins, every one linked to its sequence');
  const by = Object.fromEntries(proteins.map((p) => [p.accession as string, p]));
  t.match(by['P11111'], { canonical_accession: 'P11111', is_canonical: true, isoform_index: null, reviewed: true, taxonomy_id: 9606, entry_name: 'AAA_HUMAN', gene_name: 'AAA' });
  t.match(by['P11111-2'], { canonical_accession: 'P11111', is_canonical: false, isoform_index: 2, taxonomy_id: 9606 });
  t.match(by['P11111-3'], { canonical_accession: 'P11111', is_canonical: false, isoform_index: 3 });
  t.match(by['Q22222'], { canonical_accession: 'Q22222', reviewed: false, taxonomy_id: 10090 });
  t.match(by['P33333'], { reviewed: true, taxonomy_id: 10116, gene_name: 'Bbb' });
  t.match(by['myprotein'], { canonical_accession: 'myprotein', reviewed: null, taxonomy_id: null });
  t.equal(by['P11111-3']?.sequence_hash, by['P11111']?.sequence_hash, 'isoform 3 shares the canonical sequence');
  t.equal(by['Q22222']?.sequence_hash, by['P11111']?.sequence_hash, 'the lower-case copy with a stop is the same sequence');
  t.equal(by['myprotein']?.sequence_hash, by['P33333']?.sequence_hash, 'a non-UniProt header shares the sequence of P33333');
  t.not(by['P11111-2']?.sequence_hash, by['P11111']?.sequence_hash, 'isoform 2 has its own sequence');
  t.notOk(by['P44444'], 'the gapped sequence did not land');
  const dead = await q<{ message: string }>(`SELECT message FROM job_event WHERE job_id = '${first.jobId}' AND event = 'dead_letter'`);
  t.match(dead.map((d) => d.message), [/alignment gaps at position 4/], 'the job records why the gapped entry was rejected');

  const dump = () => q<{ d: string }>(`SELECT (SELECT json_agg(s ORDER BY id)::text FROM sequence s) || (SELECT json_agg(p ORDER BY accession)::text FROM protein p) AS d`);
  const before = (await dump())[0]?.d;
  const second = await produce(fastaRun(FASTA, {}), { producer, namespace, progress: null });
  await until('the second job to finish', () => q<{ status: string }>(`SELECT status FROM job WHERE id = '${second.jobId}'`), (r) => r[0]?.status === 'succeeded');
  t.equal((await dump())[0]?.d, before, 'producing the same file again changes no row');
});
