// The embedder stage: protea.sequences -> protea.embeddings (key
// '<md5>|<config id>', one message per chunk), for every ACTIVE
// EmbeddingConfig (or, in a replay, for the configs named), skipping the
// (sequence, config) pairs whose vectors are already stored.
//
// New sequences are embedded as they arrive: the stage's consumer group reads
// the compacted sequences topic continuously. The active configs are re-read
// before every micro-batch (one small query; configRefreshMs can space the
// reads out) so that `protea embeddings config activate` takes effect for the
// very next sequence, without a restart (a cached list once let sequences
// that arrived within seconds of an activation pass unembedded); a
// config's backend (an ONNX session, the k-mer tables) is opened once and
// closed when the config is deactivated or the stage stops.
//
// Within a micro-batch the sequences of one config are handed to the backend
// sorted by length (it batches them under the token budget): padding is what
// costs on a transformer. Outputs are deterministic in their keys (MD5 +
// config + chunk start), so a redelivered sequence yields the same messages
// and the sink absorbs them.
import { endianness } from 'node:os';
import { config } from '../../lib/config.js';
import { createQueryPool, type DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { logger } from '../../lib/log.js';
import { activeEmbeddingConfigs, getEmbeddingConfig, recipeOf } from '../../lib/queries/embedding-configs.js';
import { embeddedPairs } from '../../lib/queries/sequence-embeddings.js';
import type { EmbeddingRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { KEYS, topicName } from '../../topics/catalogue.js';
import { runProcessor, type DecodedRecord, type ProcessorHandle, type ProcessorOptions, type ProcessorOutput, type TransformContext, type TransformResult } from '../runner.js';
import type { EmbeddingBackend, EmbeddingRecipe, SequenceEmbedding } from './backend.js';
import { openBackend } from './backends.js';

export const EMBEDDER_STAGE = 'embedder' as const;

const LITTLE_ENDIAN = endianness() === 'LE';

/** A config the stage embeds under, with its open backend. */
export interface OpenConfig {
  recipe: EmbeddingRecipe;
  backend: EmbeddingBackend;
}

/** float32 little-endian bytes of a vector (the wire and storage format). */
export function vectorBytes(v: Float32Array): Buffer {
  // a copy of the bytes as they lie in memory on a little-endian host (one memcpy, not a call per element)
  if (LITTLE_ENDIAN) return Buffer.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  const out = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

/** The embedding messages of one sequence under one config: one per chunk. */
export function embeddingMessages(md5: string, conf: OpenConfig, emb: SequenceEmbedding, topic: string, jobId: string | null): ProcessorOutput[] {
  return emb.chunks.map((c) => {
    const value: EmbeddingRecord = {
      sequence_md5: md5,
      embedding_config_id: conf.recipe.id,
      vector: vectorBytes(c.vector),
      dim: c.vector.length,
      chunk_index_s: c.start,
      chunk_index_e: c.end,
      backend: conf.backend.backend,
      device: conf.backend.device,
      truncated_at: emb.truncatedAt,
      job_id: jobId,
    };
    return { topic, key: KEYS.embedding(value), value };
  });
}

/**
 * One result per record: the embedding messages of each config the sequence
 * lacks (`done` holds the `<md5>|<config>` pairs already stored). A sequence
 * that appears twice in the batch is embedded once; a backend failure throws,
 * and the runner bisects down to the sequence that fails.
 */
export async function embedRecords(
  records: readonly Pick<DecodedRecord<SequenceRecord>, 'value'>[],
  configs: readonly OpenConfig[],
  done: ReadonlySet<string>,
  opts: { topic: string; jobId?: string | null; signal?: AbortSignal; heartbeat?: () => Promise<void> },
): Promise<TransformResult[]> {
  const results: ProcessorOutput[][] = records.map(() => []);
  for (const conf of configs) {
    // unique sequences of the batch that lack this config, shortest first
    const wanted = new Map<string, { sequence: string; at: number[] }>();
    records.forEach((r, i) => {
      const { md5, sequence } = r.value;
      if (done.has(`${md5}|${conf.recipe.id}`)) return;
      const w = wanted.get(md5);
      if (w) w.at.push(i);
      else wanted.set(md5, { sequence, at: [i] });
    });
    if (wanted.size === 0) continue;
    const order = [...wanted].sort((a, b) => a[1].sequence.length - b[1].sequence.length);
    const embeddings = await conf.backend.embed(order.map(([, w]) => w.sequence), opts.signal);
    order.forEach(([md5, w], j) => {
      const emb = embeddings[j]!;
      // the first record carrying the sequence carries its messages: the keys are the same anyway
      results[w.at[0]!]!.push(...embeddingMessages(md5, conf, emb, opts.topic, opts.jobId ?? records[w.at[0]!]!.value.first_seen_job_id ?? null));
    });
    await opts.heartbeat?.();
  }
  return results;
}

/** A config's open backend and the transforms using it. */
interface Held {
  conf: OpenConfig;
  leases: number;
  /** deactivated: closed once its last lease ends */
  retired: boolean;
}

/**
 * The configs the stage embeds under, re-read from PostgreSQL when stale.
 * Several partitions' batches may be in their transforms at once: each holds
 * a lease on the configs it embeds under, so a config deactivated meanwhile
 * is closed only when the last transform using it is done; re-reads run one
 * after another, each started after the transform that asked for it began.
 */
class ConfigCatalogue {
  private open = new Map<string, Held>();
  private readAt = 0;
  private refreshes: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: () => DatabasePool,
    private readonly fixed: readonly string[] | undefined,
    private readonly refreshMs: number,
    private readonly opener: (recipe: EmbeddingRecipe) => Promise<EmbeddingBackend>,
  ) {}

  /** The current configs, held until release() (backends of configs deactivated meanwhile close then). */
  async lease(): Promise<{ configs: OpenConfig[]; release(): Promise<void> }> {
    if (Date.now() - this.readAt >= this.refreshMs) {
      // readAt 0: never read. Chained: a re-read never overlaps another, and this one starts after this call
      const mine = this.refreshes.then(() => this.refresh());
      this.refreshes = mine.catch(() => undefined);
      await mine;
    }
    const held = [...this.open.values()];
    for (const h of held) h.leases++;
    let released = false;
    return {
      configs: held.map((h) => h.conf),
      release: async () => {
        if (released) return;
        released = true;
        for (const h of held) {
          h.leases--;
          if (h.retired && h.leases === 0) await this.closeBackend(h);
        }
      },
    };
  }

  private async closeBackend(h: Held): Promise<void> {
    logger('embedder').info({ config: h.conf.recipe.id }, 'embedding config deactivated: its backend is closed');
    await h.conf.backend.close();
  }

  private async refresh(): Promise<void> {
    const db = this.db();
    const rows = this.fixed
      ? await Promise.all(this.fixed.map(async (id) => {
          const row = await getEmbeddingConfig(db, id);
          if (!row) throw new ProteaError('NOT_FOUND', `no embedding config ${id}`, { field: 'config', hint: 'List them with `protea embeddings config list`.' });
          return row;
        }))
      : await activeEmbeddingConfigs(db);
    const ids = new Set(rows.map((r) => r.id));
    for (const [id, h] of this.open) {
      if (ids.has(id)) continue;
      this.open.delete(id);
      h.retired = true;
      if (h.leases === 0) await this.closeBackend(h);
    }
    for (const row of rows) {
      if (this.open.has(row.id)) continue;
      const recipe = recipeOf(row);
      // a model that cannot be opened stops the stage (fatal): nothing is committed, so the
      // sequences wait for the model to be fixed or the config to be deactivated
      const backend = await this.opener(recipe);
      this.open.set(row.id, { conf: { recipe, backend }, leases: 0, retired: false });
      logger('embedder').info({ config: row.id, model: row.model_name, backend: backend.backend, device: backend.device, dim: backend.dim }, 'embedding under config');
    }
    this.readAt = Date.now();
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map((h) => h.conf.backend.close()));
  }
}

export interface EmbedderOptions extends Partial<Omit<ProcessorOptions<SequenceRecord>, 'stage' | 'transform' | 'open' | 'close'>> {
  dbUrl?: string;
  /** embed under these configs only, active or not (a replay); default: every active config */
  configIds?: readonly string[];
  /** job the vectors are computed for (a replay); default: the sequence's first job */
  jobId?: string;
  /** re-read the active configs at most this often (default 0: before every micro-batch) */
  configRefreshMs?: number;
  /** called after each micro-batch with the records it covered (a replay's progress) */
  onRecords?: (records: readonly DecodedRecord<SequenceRecord>[]) => void;
  /** backend factory (default: processors/embedder/backends.ts) */
  openBackend?: (recipe: EmbeddingRecipe) => Promise<EmbeddingBackend>;
}

/** Starts the embedder stage (consumer group `<namespace>.embedder` unless given); resolves once it joined the group. */
export function runEmbedder(opts: EmbedderOptions = {}): Promise<ProcessorHandle> {
  const namespace = opts.namespace ?? config().topicNamespace;
  const outTopic = topicName('embeddings', namespace);
  const { dbUrl, configIds, jobId, configRefreshMs, onRecords, openBackend: opener, ...runner } = opts;
  let db: DatabasePool | undefined;
  const pool = () => {
    if (!db) throw new ProteaError('INTERNAL', 'the embedder used its database pool before opening');
    return db;
  };
  const catalogue = new ConfigCatalogue(pool, configIds, configRefreshMs ?? 0, opener ?? openBackend);
  const budget = config().embedTokenBudget;
  return runProcessor<SequenceRecord>({
    ...runner,
    namespace,
    stage: EMBEDDER_STAGE,
    inputTopic: opts.inputTopic ?? topicName('sequences', namespace),
    groupId: opts.groupId ?? `${namespace}.${EMBEDDER_STAGE}`,
    // a micro-batch is many model calls' worth of residues: the backend sorts it by length, so
    // the larger it is the less padding (a partition's fetch holds thousands of sequences); it
    // still bounds what a crash redoes, and the runtime heartbeats on its own meanwhile
    microBatch: opts.microBatch ?? { maxRecords: 2048, maxCost: budget * 16, cost: (r) => r.value.length + 2 },
    // two partitions at once: one batch's sends, commit and look-ups overlap the other's model calls
    partitionsAtOnce: opts.partitionsAtOnce ?? config().embedPartitionsAtOnce,
    provenance: (v) => ({ jobId: jobId ?? v.first_seen_job_id ?? null }),
    async open() {
      db = await createQueryPool(dbUrl ?? config().dbUrl, { maximumPoolSize: 2 });
      await (await catalogue.lease()).release(); // a model that cannot be opened fails the start, not the first batch
    },
    async close() {
      await catalogue.close();
      await db?.end();
      db = undefined;
    },
    async transform(records: DecodedRecord<SequenceRecord>[], ctx: TransformContext) {
      const { configs, release } = await catalogue.lease();
      try {
        const done = await embeddedPairs(pool(), [...new Set(records.map((r) => r.value.md5))], configs.map((c) => c.recipe.id));
        const out = await embedRecords(records, configs, done, { topic: outTopic, jobId: jobId ?? null, signal: ctx.signal, heartbeat: ctx.heartbeat });
        onRecords?.(records);
        return out;
      } finally {
        await release();
      }
    },
  });
}
