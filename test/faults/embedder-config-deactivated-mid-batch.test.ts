// The embedder works on two partitions' batches at once (PROTEA_EMBED_PARTITIONS_AT_ONCE,
// default 2). A config deactivated while one batch is still embedding under it
// must not have its backend closed under that batch: the other batch sees the
// deactivation at once (it embeds nothing under the config), the first one
// finishes and sends its vectors, and the backend closes after it, once.
import t from 'tap';
import { withQueryPool } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { createEmbeddingConfig, setEmbeddingConfigActive } from '../../lib/queries/embedding-configs.js';
import type { EmbeddingBackend, EmbeddingRecipe } from '../../processors/embedder/backend.js';
import { openBackend } from '../../processors/embedder/backends.js';
import { KMER_DEFAULT_RECIPE } from '../../processors/embedder/kmer-backend.js';
import { runEmbedder } from '../../processors/embedder/processor.js';
import type { EmbeddingRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';
import { readToEnd } from '../helpers/read-topics.js';
import { randomSequence, sequenceRecord } from '../helpers/sequences.js';

t.test('a config deactivated while another partition embeds under it closes after that batch, which still delivers', { timeout: 180_000 }, async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const config = await withQueryPool(async (db) => (await createEmbeddingConfig(db, { ...KMER_DEFAULT_RECIPE, description: null }, { active: true })).row, dbUrl);

  const records: SequenceRecord[] = Array.from({ length: 60 }, () => sequenceRecord(randomSequence(30, 200)));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  await producer.send(topicName('sequences', namespace), records.map((value) => ({ key: value.md5, value })));

  // The first embed() call (batch X) waits until the test lets it go. The other calls wait
  // until the config is deactivated: the batches that leased the config before that embed
  // under it, and the ones that begin after it (in the same fetch round) find it inactive.
  const events: string[] = [];
  const embeddedSeqs = new Set<string>();
  let firstCall: readonly string[] | undefined;
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  let deactivated!: () => void;
  const afterDeactivation = new Promise<void>((resolve) => (deactivated = resolve));
  const gated = async (r: EmbeddingRecipe): Promise<EmbeddingBackend> => {
    const real = await openBackend(r);
    return {
      backend: real.backend, device: real.device, dim: real.dim,
      close: async () => {
        events.push('close');
        await real.close();
      },
      embed: async (seqs, signal) => {
        seqs.forEach((x) => embeddedSeqs.add(x));
        if (!firstCall) {
          firstCall = seqs;
          events.push('first embed waits');
          await gate;
          events.push('first embed returns');
        } else await afterDeactivation;
        return real.embed(seqs, signal);
      },
    };
  };
  const transformed = new Set<string>();
  const handle = await runEmbedder({ namespace, dbUrl, groupId: `${namespace}.embedder`, handleSignals: false, openBackend: gated, partitionsAtOnce: 2, onRecords: (rs) => rs.forEach((r) => transformed.add(r.value.sequence)) });
  t.teardown(() => handle.stop());

  await until('the first batch is inside embed()', async () => firstCall, (x) => x !== undefined, { timeoutMs: 60_000 });
  await withQueryPool((db) => setEmbeddingConfigActive(db, config.id, false), dbUrl);
  deactivated();
  // a batch transformed without an embed() call began after the deactivation: its re-read retired the config
  const skipped = () => [...transformed].filter((x) => !embeddedSeqs.has(x));
  await until('a batch that found the config inactive', async () => skipped().length, (n) => n >= 1, { timeoutMs: 60_000 });
  t.same(events, ['first embed waits'], 'the backend is still open while a batch embeds under it');

  letGo();
  await until('the backend closed', async () => events, (e) => e.includes('close'), { timeoutMs: 60_000 });
  t.same(events, ['first embed waits', 'first embed returns', 'close'], 'closed once, after the batch that used it');
  const md5Of = new Map(records.map((r) => [r.sequence, r.md5]));
  const firstMd5s = firstCall!.map((x) => md5Of.get(x)!);
  const EMB = topicName('embeddings', namespace);
  const out = await until('the first batch\'s vectors on the topic', () => readToEnd([EMB], { groupPrefix: `${namespace}.check`, timeoutMs: 10_000 }), (m) => {
    const sent = new Set((m.get(EMB) ?? []).map((r) => (r.value as EmbeddingRecord).sequence_md5));
    return firstMd5s.every((x) => sent.has(x));
  }, { timeoutMs: 60_000 });
  const sent = new Set(out.get(EMB)!.map((r) => (r.value as EmbeddingRecord).sequence_md5));
  t.ok(firstMd5s.length > 0 && firstMd5s.every((x) => sent.has(x)), `the waiting batch delivered its ${firstMd5s.length} vectors after the deactivation`);
  t.notOk(skipped().some((x) => sent.has(md5Of.get(x)!)), 'the batches that began after the deactivation embedded nothing under it');
  t.equal(handle.stats.deadLetters, 0, 'nothing dead-lettered');
});
