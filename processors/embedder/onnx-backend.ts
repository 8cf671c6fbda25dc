// The ONNX embedding backend: a local export plus its model card (README,
// Embeddings: the export contract), run with ONNX Runtime. Per embed() call:
// cut each sequence at the residue limit, tokenise, batch by length under the
// token budget (padded tokens = batch size x longest row), run the session
// fetching only the hidden states the recipe selects, then pool each sequence
// (pooling.ts) over its chunks (chunking.ts). The abort signal is read before
// each call starts. onnxruntime-node runs a call synchronously on the main
// thread, so nothing overlaps it: calls and pooling simply alternate.
import os from 'node:os';
import ort from 'onnxruntime-node';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { logger } from '../../lib/log.js';
import type { EmbeddingBackend, EmbeddingRecipe, SequenceEmbedding } from './backend.js';
import { chunkSpans, residueLimit, truncate, validateChunking, type ChunkSpan } from './chunking.js';
import { modelFiles, readModelCard, type ModelCard, type ModelFiles } from './model-card.js';
import { acquireSession, type Device, type DeviceSetting, type SharedSession } from './onnx-session.js';
import { pooledDim, poolSpans, selectLayers, type PoolingRecipe } from './pooling.js';
import { LAYER_AGGS, POOLINGS } from './recipe.js';
import { makeTokenizer, type Encoded, type Tokenizer, type TokenizerKind } from './tokenizers.js';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** model_backend values the ONNX backend serves, and the tokeniser family each needs. */
const BACKEND_TOKENIZER: Readonly<Record<string, TokenizerKind>> = { esm: 'esm', auto: 'esm', t5: 't5', ankh: 't5' };

export interface OnnxBackendOptions {
  /** default config().modelsDir */
  modelsDir?: string;
  /** default config().embedDevice */
  device?: DeviceSetting;
  /** padded tokens per model call; default config().embedTokenBudget */
  tokenBudget?: number;
  /** intra-op threads (0 = ORT decides); default config().embedThreads */
  threads?: number;
  /** sort each embed() call's sequences by length before batching (default true); false keeps arrival order (benchmarks) */
  sortByLength?: boolean;
}

/** Counters since open (benchmarks, metrics). */
export interface OnnxBackendStats {
  modelCalls: number;
  sequences: number;
  /** tokens of the rows, specials included */
  tokens: number;
  /** tokens fed including padding (sum of batch size x longest row) */
  paddedTokens: number;
  /** wall time inside session.run */
  runMs: number;
}

const ONNX_RECIPE_FIELDS = ['layerAgg', 'pooling'] as const;

/**
 * Checks a recipe against a model card without opening the model: the
 * checks `protea embeddings config create` can run early. Throws
 * EMBEDDING_CONFIG_INVALID naming the field; returns the forward positions of
 * the selected hidden states.
 */
export function checkRecipe(recipe: EmbeddingRecipe, card: ModelCard): number[] {
  const family = BACKEND_TOKENIZER[recipe.modelBackend];
  if (!family) {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', `model_backend ${recipe.modelBackend} is not an ONNX backend (esm, auto, t5, ankh)`, { field: 'model_backend' });
  }
  if (family !== card.tokenizer) {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', `model_backend ${recipe.modelBackend} needs a ${family} tokenizer but the model card of ${recipe.modelName} says ${card.tokenizer}`, { field: 'model_backend' });
  }
  const allowed: Record<(typeof ONNX_RECIPE_FIELDS)[number], readonly string[]> = { layerAgg: LAYER_AGGS, pooling: POOLINGS };
  for (const f of ONNX_RECIPE_FIELDS) {
    if (!allowed[f].includes(recipe[f])) {
      const field = f === 'layerAgg' ? 'layer_agg' : 'pooling';
      throw new ProteaError('EMBEDDING_CONFIG_INVALID', `${field} must be one of ${allowed[f].join(', ')}, got ${String(recipe[f])}`, { field });
    }
  }
  if (recipe.pooling === 'cls' && card.tokenizer === 't5') {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', 'pooling cls needs a CLS/BOS token and t5/ankh models have none (position 0 is the first residue): use mean, max or mean_max', { field: 'pooling' });
  }
  if (!Number.isInteger(recipe.maxLength) || recipe.maxLength < 1) {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', `max_length must be a positive integer, got ${recipe.maxLength}`, { field: 'max_length' });
  }
  validateChunking(recipe);
  return selectLayers(recipe.layerIndices, card.outputNames.length);
}

interface Prepared {
  index: number;
  encoded: Encoded;
  truncatedAt: number | null;
}

export class OnnxBackend implements EmbeddingBackend {
  readonly backend: string;
  readonly device: Device;
  readonly dim: number;
  readonly stats: OnnxBackendStats = { modelCalls: 0, sequences: 0, tokens: 0, paddedTokens: 0, runMs: 0 };
  private readonly fetch: string[];
  /** for each selected layer (layer_indices order), its index in `fetch` */
  private readonly layerSlots: number[];
  private readonly limit: number;
  private readonly pooling: PoolingRecipe;
  private closed = false;
  private warnedSlowCall = false;

  constructor(
    readonly recipe: EmbeddingRecipe,
    readonly files: ModelFiles,
    readonly card: ModelCard,
    readonly tokenizer: Tokenizer,
    private readonly shared: SharedSession,
    forward: number[],
    private readonly tokenBudget: number,
    private readonly sortByLength: boolean,
  ) {
    this.backend = recipe.modelBackend === 'auto' ? 'esm' : recipe.modelBackend;
    this.device = shared.device;
    this.fetch = [...new Set(forward.map((f) => card.outputNames[f]!))];
    this.layerSlots = forward.map((f) => this.fetch.indexOf(card.outputNames[f]!));
    this.limit = residueLimit(recipe.maxLength, card.maxLength);
    this.pooling = { layerAgg: recipe.layerAgg, pooling: recipe.pooling, normalize: recipe.normalize, normalizeResidues: recipe.normalizeResidues };
    this.dim = pooledDim(card.hiddenSize, forward.length, recipe);
  }

  /** Batches of positions into `rows`: by length (or arrival), padded tokens <= budget unless one row alone exceeds it. */
  private batches(rows: Prepared[]): Prepared[][] {
    const order = this.sortByLength ? [...rows].sort((a, b) => a.encoded.ids.length - b.encoded.ids.length) : rows;
    const out: Prepared[][] = [];
    let batch: Prepared[] = [];
    let longest = 0;
    for (const row of order) {
      const len = row.encoded.ids.length;
      const wouldBe = Math.max(longest, len);
      if (batch.length > 0 && (batch.length + 1) * wouldBe > this.tokenBudget) {
        out.push(batch);
        batch = [];
        longest = 0;
      }
      batch.push(row);
      longest = Math.max(longest, len);
    }
    if (batch.length > 0) out.push(batch);
    return out;
  }

  private async runBatch(batch: Prepared[]): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((r) => r.encoded.ids.length));
    const feeds = this.feeds(batch.map((r) => r.encoded.ids));
    for (const row of batch) this.stats.tokens += row.encoded.ids.length;
    const started = performance.now();
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.shared.session.run(feeds, this.fetch);
    } catch (err) {
      throw new ProteaError('EMBEDDING_FAILED', `ONNX Runtime failed on a batch of ${batch.length} x ${width} tokens: ${(err as Error).message}`, { file: this.files.onnx }, { cause: err });
    }
    const ms = performance.now() - started;
    this.stats.runMs += ms;
    // onnxruntime-node runs a session synchronously on the main thread: nothing else of the
    // process runs meanwhile, consumer heartbeats included, so a call longer than the session
    // timeout gets the stage evicted from its group (its batch is then redelivered, forever)
    const sessionMs = config().stageSessionTimeoutMs;
    if (ms > sessionMs / 2 && !this.warnedSlowCall) {
      this.warnedSlowCall = true;
      logger('embedder').warn(
        { model: this.files.onnx, callMs: Math.round(ms), tokens: batch.length * width, sessionTimeoutMs: sessionMs },
        `one model call took ${(ms / 1000).toFixed(1)} s and blocks the process meanwhile (heartbeats included): lower PROTEA_EMBED_TOKEN_BUDGET (now ${this.tokenBudget}) or raise PROTEA_STAGE_SESSION_TIMEOUT_MS (now ${sessionMs}) so that a call stays well under the session timeout`,
      );
    }
    this.stats.modelCalls++;
    this.stats.paddedTokens += batch.length * width;
    return this.fetch.map((name) => {
      const t = out[name] as ort.Tensor | undefined;
      const dims = t?.dims ?? [];
      if (!t || t.type !== 'float32' || dims.length !== 3 || dims[0] !== batch.length || dims[1] !== width || dims[2] !== this.card.hiddenSize) {
        throw new ProteaError(
          'EMBEDDING_MODEL_UNAVAILABLE',
          `output ${name} of ${this.files.onnx} is ${t ? `${t.type} [${dims.join(', ')}]` : 'missing'}, the model card promises float32 [${batch.length}, ${width}, ${this.card.hiddenSize}]`,
          { file: this.files.card, field: 'output_names' },
        );
      }
      return t.data as Float32Array;
    });
  }

  /**
   * The model calls embed() would make for `sequences`: per call, the input
   * positions and the padded row width (benchmarks replay them on the bare
   * session with feeds()).
   */
  planBatches(sequences: readonly string[]): { indices: number[]; width: number }[] {
    const rows: Prepared[] = sequences.map((seq, index) => ({ index, encoded: this.tokenizer.encode(truncate(seq, this.limit).residues), truncatedAt: null }));
    return this.batches(rows).map((batch) => ({ indices: batch.map((r) => r.index), width: Math.max(...batch.map((r) => r.encoded.ids.length)) }));
  }

  /** The session's inputs for rows of token ids (padded to the longest), as embed() builds them. */
  feeds(rows: readonly Int32Array[]): Record<string, ort.Tensor> {
    const width = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * width);
    const mask = new BigInt64Array(rows.length * width);
    // int64 written as two int32 words (ids are small and non-negative): a
    // BigInt per token costs as much as the tiny model's whole run
    const idWords = new Int32Array(ids.buffer);
    const maskWords = new Int32Array(mask.buffer);
    const low = LITTLE_ENDIAN ? 0 : 1;
    const pad = this.tokenizer.padId;
    rows.forEach((src, b) => {
      const base = b * width;
      for (let t = 0; t < width; t++) {
        const k = 2 * (base + t) + low;
        if (t < src.length) {
          idWords[k] = src[t]!;
          maskWords[k] = 1;
        } else {
          idWords[k] = pad;
        }
      }
    });
    return {
      [this.card.inputIds]: new ort.Tensor('int64', ids, [rows.length, width]),
      [this.card.attentionMask]: new ort.Tensor('int64', mask, [rows.length, width]),
    };
  }

  /** The ONNX Runtime session (shared with other configs of the same model): benchmarks time it bare. */
  get session(): ort.InferenceSession {
    return this.shared.session;
  }

  /** Output names embed() fetches: only the selected hidden states. */
  get fetchedOutputs(): readonly string[] {
    return this.fetch;
  }

  private spans(residues: number): ChunkSpan[] {
    return this.recipe.useChunking ? chunkSpans(residues, this.recipe.chunkSize, this.recipe.chunkOverlap) : [{ start: 0, end: residues }];
  }

  async embed(sequences: readonly string[], signal?: AbortSignal): Promise<SequenceEmbedding[]> {
    if (this.closed) throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `the backend of config ${this.recipe.id} is closed`, { file: this.files.onnx });
    const rows: Prepared[] = sequences.map((seq, index) => {
      const { residues, truncatedAt } = truncate(seq, this.limit);
      return { index, encoded: this.tokenizer.encode(residues), truncatedAt };
    });
    const results = new Array<SequenceEmbedding>(sequences.length);
    for (const batch of this.batches(rows)) {
      if (signal?.aborted) throw signal.reason;
      this.pool(batch, await this.runBatch(batch), results);
    }
    return results;
  }

  private pool(batch: Prepared[], layers: Float32Array[], results: SequenceEmbedding[]): void {
    const width = Math.max(...batch.map((r) => r.encoded.ids.length));
    const selected = this.layerSlots.map((slot) => layers[slot]!);
    batch.forEach((row, b) => {
      const spans = this.spans(row.encoded.residueCount);
      const vectors = poolSpans(
        {
          layers: selected,
          offset: b * width * this.card.hiddenSize,
          hidden: this.card.hiddenSize,
          residueStart: row.encoded.residueStart,
          residueCount: row.encoded.residueCount,
          clsPosition: this.tokenizer.clsPosition,
        },
        spans,
        this.pooling,
      );
      results[row.index] = {
        chunks: spans.map((span, i) => ({ start: span.start, end: this.recipe.useChunking ? span.end : null, vector: vectors[i]! })),
        truncatedAt: row.truncatedAt,
      };
    });
    this.stats.sequences += batch.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shared.release();
  }
}

/**
 * Opens the ONNX backend of a recipe: reads the model card, checks the recipe
 * against it (EMBEDDING_CONFIG_INVALID naming the field), opens or shares the
 * session (EMBEDDING_MODEL_UNAVAILABLE when the files or the provider are
 * missing) and checks the session has the card's inputs and outputs.
 */
export async function openOnnxBackend(recipe: EmbeddingRecipe, opts: OnnxBackendOptions = {}): Promise<OnnxBackend> {
  const files = modelFiles(opts.modelsDir ?? config().modelsDir, recipe.modelName);
  const card = await readModelCard(files);
  const forward = checkRecipe(recipe, card);
  const tokenizer = makeTokenizer(card.tokenizer, card.vocab);
  const tokenBudget = opts.tokenBudget ?? config().embedTokenBudget;
  if (!Number.isInteger(tokenBudget) || tokenBudget < 1) throw new RangeError(`tokenBudget must be a positive integer, got ${tokenBudget}`);
  const shared = await acquireSession(files.onnx, opts.device ?? config().embedDevice, opts.threads ?? config().embedThreads);
  try {
    const { inputNames, outputNames } = shared.session;
    for (const [field, name] of [['input_names.input_ids', card.inputIds], ['input_names.attention_mask', card.attentionMask]] as const) {
      if (!inputNames.includes(name)) {
        throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `model card ${files.card}: ${field} is ${name} but ${files.onnx} has inputs ${inputNames.join(', ')}`, { file: files.card, field });
      }
    }
    const missing = card.outputNames.filter((n) => !outputNames.includes(n));
    if (missing.length > 0) {
      throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `model card ${files.card}: output_names ${missing.join(', ')} are not outputs of ${files.onnx} (it has ${outputNames.join(', ')})`, { file: files.card, field: 'output_names' });
    }
  } catch (err) {
    await shared.release();
    throw err;
  }
  return new OnnxBackend(recipe, files, card, tokenizer, shared, forward, tokenBudget, opts.sortByLength ?? true);
}
