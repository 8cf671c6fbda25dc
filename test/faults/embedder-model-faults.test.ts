// The embedder when its model fails, on the real broker and database:
// - the model file of an active config is gone: the stage refuses to start
//   (EMBEDDING_MODEL_UNAVAILABLE, naming the file) and commits nothing; once the
//   file is back, a start embeds every sequence that waited;
// - the model fails on one sequence: that sequence alone is dead-lettered
//   (dlq.embedder, EMBEDDING_FAILED, with its offset), the others are embedded.
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { withQueryPool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { createEmbeddingConfig } from '../../lib/queries/embedding-configs.js';
import type { EmbeddingBackend, EmbeddingRecipe } from '../../processors/embedder/backend.js';
import { openBackend } from '../../processors/embedder/backends.js';
import { runEmbedder } from '../../processors/embedder/processor.js';
import { recipeFromInput } from '../../processors/embedder/recipe.js';
import { writeTestModel } from '../../processors/embedder/test-model.js';
import type { DeadLetterRecord, EmbeddingRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';
import { readToEnd } from '../helpers/read-topics.js';
import { randomSequence, sequenceRecord } from '../helpers/sequences.js';

const sequences = (n: number): SequenceRecord[] => Array.from({ length: n }, () => sequenceRecord(randomSequence(20, 120)));

t.test('a missing model stops the embedder before it commits; a model failing on one sequence dead-letters that sequence only', { timeout: 180_000 }, async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'protea-embed-fault-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const model = await writeTestModel(dir, { layers: 2, hidden: 8, seed: 3 });
  const config = await withQueryPool(async (db) => (await createEmbeddingConfig(db, recipeFromInput({ backend: 'esm', model: model.onnxPath }, model.card.maxLength), { active: true })).row, dbUrl);

  const records = sequences(40);
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  await producer.send(topicName('sequences', namespace), records.map((value) => ({ key: value.md5, value })));
  const groupId = `${namespace}.embedder`;
  const EMB = topicName('embeddings', namespace);
  const DLQ = topicName('dlq.embedder', namespace);

  // 1. the model file is gone
  const away = `${model.onnxPath}.away`;
  await rename(model.onnxPath, away);
  await t.rejects(runEmbedder({ namespace, dbUrl, groupId, handleSignals: false }), { code: 'PROTEA_ERR_EMBEDDING_MODEL_UNAVAILABLE', context: { file: model.onnxPath } }, 'the stage refuses to start, naming the model file');
  await rename(away, model.onnxPath);

  // 2. back, with a model that fails on one sequence: only that one is dead-lettered
  const poison = records[17]!;
  const failing = async (r: EmbeddingRecipe): Promise<EmbeddingBackend> => {
    const real = await openBackend(r);
    return {
      backend: real.backend, device: real.device, dim: real.dim, close: () => real.close(),
      embed: async (seqs, signal) => {
        if (seqs.includes(poison.sequence)) throw new ProteaError('EMBEDDING_FAILED', 'the model produced NaN (simulated)');
        return real.embed(seqs, signal);
      },
    };
  };
  const handle = await runEmbedder({ namespace, dbUrl, groupId, handleSignals: false, openBackend: failing });
  t.teardown(() => handle.stop());
  const out = await until('39 embeddings and one dead letter', () => readToEnd([EMB, DLQ], { groupPrefix: `${namespace}.check`, timeoutMs: 10_000 }), (m) => (m.get(EMB)?.length ?? 0) >= 39 && (m.get(DLQ)?.length ?? 0) >= 1, { timeoutMs: 60_000 });
  const embedded = new Set(out.get(EMB)!.map((r) => (r.value as EmbeddingRecord).sequence_md5));
  t.equal(embedded.size, 39, 'every other sequence embedded');
  t.notOk(embedded.has(poison.md5), 'not the poison');
  t.ok(out.get(EMB)!.every((r) => (r.value as EmbeddingRecord).embedding_config_id === config.id), 'under the active config (which the group found after the failed start: nothing was committed)');
  const letters = out.get(DLQ)!.map((r) => r.value as DeadLetterRecord);
  t.equal(letters.length, 1, 'one dead letter');
  t.match(letters[0], { error_code: 'PROTEA_ERR_EMBEDDING_FAILED', stage: 'embedder', source_topic: topicName('sequences', namespace), retriable: false }, 'EMBEDDING_FAILED with its provenance');
  t.match(letters[0]!.reason, /NaN \(simulated\)/, 'the reason');
});
