// Embeddings on the real stack: FASTA -> dedup -> embedder -> embeddings sink
// -> sequence_embedding, for two active configs (the weight-free k-mer default
// and a generated ESM-shaped ONNX model, chunked); a sequence produced after
// the configs exist is embedded with no command; a replay fills a third,
// inactive config for every sequence and leaves the others alone; a second
// replay changes nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { adminQuery, withQueryPool } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { createEmbeddingConfig, recipeOf, type EmbeddingConfigRow } from '../../lib/queries/embedding-configs.js';
import { openBackend } from '../../processors/embedder/backends.js';
import { vectorBytes } from '../../processors/embedder/processor.js';
import { recipeFromInput } from '../../processors/embedder/recipe.js';
import { replayEmbeddings } from '../../processors/embedder/replay.js';
import { writeTestModel } from '../../processors/embedder/test-model.js';
import { startStages } from '../../pipeline/stages.js';
import { fastaRun } from '../../topics/ingest-runs.js';
import { produce } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';

const FASTA = 'test/fixtures/ingest/isoforms.fasta'; // 3 distinct valid sequences under 6 accessions, 1 gapped entry

interface Row {
  md5: string;
  config: string;
  chunk_s: number;
  chunk_e: number | null;
  dim: number;
  hex: string;
  backend: string;
  device: string;
  truncated_at: number | null;
  job_id: string | null;
}

t.test('sequences are embedded under every active config as they arrive; a replay fills an inactive config once', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);
  const dir = await mkdtemp(path.join(tmpdir(), 'protea-embed-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const model = await writeTestModel(dir, { layers: 3, hidden: 8, seed: 7, maxLength: 100 });

  const create = (input: Parameters<typeof recipeFromInput>[0], active: boolean, max?: number) =>
    withQueryPool(async (db) => (await createEmbeddingConfig(db, recipeFromInput(input, max), { active })).row, dbUrl);
  const kmer = await create({}, true);
  // chunks of 40 residues overlapping by 10: the 138-residue sequence gives several rows
  const onnx = await create({ backend: 'esm', model: model.onnxPath, layers: '0,1', layerAgg: 'concat', pooling: 'mean_max', chunking: true, chunkSize: '40', chunkOverlap: '10' }, true, 100);
  const replayed = await create({ backend: 'esm', model: model.onnxPath, pooling: 'cls' }, false, 100);
  const again = await create({}, true);
  t.equal(again.id, kmer.id, 'creating the same recipe again returns the existing config');

  const stages = await startStages(['dedup', 'embedder', 'sink:sequences', 'sink:proteins', 'sink:jobs', 'sink:embeddings'], { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());

  const rows = () => q<Row>(`
    SELECT s.sequence_hash AS md5, e.embedding_config_id::text AS config, e.chunk_index_s AS chunk_s, e.chunk_index_e AS chunk_e, e.embedding_dim AS dim,
           encode(e.embedding, 'hex') AS hex, e.backend, e.device, e.truncated_at, e.job_id::text AS job_id
      FROM sequence_embedding e JOIN sequence s ON s.id = e.sequence_id ORDER BY 2, 1, 3`);
  const sequencesWith = async (c: EmbeddingConfigRow) => new Set((await rows()).filter((r) => r.config === c.id).map((r) => r.md5));

  await produce(fastaRun(FASTA, {}), { producer, namespace, progress: null });
  const sequences = () => q<{ md5: string; sequence: string }>('SELECT sequence_hash AS md5, sequence FROM sequence ORDER BY 1');
  const seqs = await until('three sequences', sequences, (r) => r.length === 3);
  await until('both active configs embed all three', async () => [await sequencesWith(kmer), await sequencesWith(onnx)], ([a, b]) => a!.size === 3 && b!.size === 3);

  // every vector equals what the config's backend computes for the sequence, on its chunks
  const check = async (c: EmbeddingConfigRow, label: string) => {
    const backend = await openBackend(recipeOf(c));
    try {
      const all = (await rows()).filter((r) => r.config === c.id);
      const seqs = await sequences();
      const want = await backend.embed(seqs.map((s) => s.sequence));
      const expected = seqs.flatMap((s, i) => want[i]!.chunks.map((ch) => ({ md5: s.md5, chunk_s: ch.start, chunk_e: ch.end, dim: ch.vector.length, hex: vectorBytes(ch.vector).toString('hex') })));
      const key = (r: { md5: string; chunk_s: number }) => `${r.md5}:${String(r.chunk_s).padStart(6, '0')}`;
      t.same(
        all.map((r) => ({ md5: r.md5, chunk_s: r.chunk_s, chunk_e: r.chunk_e, dim: r.dim, hex: r.hex })).sort((a, b) => key(a).localeCompare(key(b))),
        expected.sort((a, b) => key(a).localeCompare(key(b))),
        `${label}: one row per sequence and chunk, the vector the backend computes`,
      );
      t.ok(all.every((r) => r.device === backend.device && r.backend === backend.backend), `${label}: rows record backend ${backend.backend} on ${backend.device}`);
      return all;
    } finally {
      await backend.close();
    }
  };
  await check(kmer, 'k-mer default');
  // P11111, P11111-3 and Q22222 share one sequence: one vector per config, not three
  const linked = await until('the three proteins linked to their sequence', () => q<{ md5: string }>("SELECT s.sequence_hash AS md5 FROM protein p JOIN sequence s ON s.id = p.sequence_id WHERE p.accession IN ('P11111', 'P11111-3', 'Q22222')"), (r) => r.length === 3);
  const shared = [...new Set(linked.map((r) => r.md5))].map((md5) => ({ md5 }));
  t.equal(shared.length, 1, 'three accessions, one sequence');
  t.equal((await rows()).filter((r) => r.md5 === shared[0]!.md5 && r.config === kmer.id).length, 1, 'a sequence shared by three accessions is embedded once under a config');
  const chunked = await check(onnx, 'ONNX, chunked');
  const long = seqs.find((s) => s.sequence.length > 100)!;
  const longChunks = chunked.filter((r) => r.md5 === long.md5);
  t.equal(longChunks[0]?.chunk_s, 0, 'the first chunk starts at the first residue');
  t.equal(longChunks.at(-1)?.chunk_e, 100, 'a sequence longer than max_length (100): its last chunk ends where it was cut');
  t.ok(longChunks.every((r) => r.truncated_at === 100), `the cut is recorded on the rows (the sequence has ${long.sequence.length} residues)`);
  t.ok(longChunks.length >= 3, `${longChunks.length} overlapping chunks`);

  // a sequence produced after the configs exist: embedded with no command
  const later = path.join(dir, 'later.fasta');
  await writeFile(later, '>sp|P55555|NEW_HUMAN New protein OS=Homo sapiens OX=9606\nMADEEKLPPGWEKRMSRSSGRVYYFNHITNASQWERPSGNSSSG\n');
  await produce(fastaRun(later, {}), { producer, namespace, progress: null });
  await until('the new sequence under both active configs', async () => [await sequencesWith(kmer), await sequencesWith(onnx)], ([a, b]) => a!.size === 4 && b!.size === 4);
  t.equal((await sequencesWith(replayed)).size, 0, 'the inactive config has no vectors yet');

  // replay: the inactive config for every sequence of the topic, the others untouched
  const othersBefore = (await rows()).filter((r) => r.config !== replayed.id);
  const first = await replayEmbeddings({ configId: replayed.id, namespace, dbUrl, progress: false, sinkTimeoutMs: 120_000 });
  t.equal(first.status, 'succeeded');
  t.equal(first.embeddedSequences, 4, 'the replay embedded every sequence under its config');
  t.same(first.devices, ['cpu'], 'on the CPU (no CUDA here)');
  const afterFirst = await rows();
  t.same(afterFirst.filter((r) => r.config !== replayed.id), othersBefore, "other configs' rows untouched");
  t.ok(afterFirst.filter((r) => r.config === replayed.id).every((r) => r.job_id === first.jobId && r.chunk_e === null), 'replayed rows carry the replay job; no chunking: chunk end NULL');
  await check(replayed, 'replayed ONNX cls');
  const job = await until('the replay job succeeded', () => q<{ status: string; progress_current: number; progress_total: number }>('SELECT status, progress_current, progress_total FROM job WHERE id = $1', [first.jobId]), (r) => r[0]?.status === 'succeeded');
  t.equal(job[0]?.progress_current, job[0]?.progress_total, 'the replay job ends at its total');

  const second = await replayEmbeddings({ configId: replayed.id, namespace, dbUrl, progress: false, sinkTimeoutMs: 120_000 });
  t.equal(second.status, 'succeeded');
  t.same(await rows(), afterFirst, 'a second replay changes nothing');
});
