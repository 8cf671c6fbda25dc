// From hidden states to one vector, exactly as the reference EmbeddingConfig
// defines it:
//   1. layer selection, reverse indices: 0 = last hidden state, 1 = the one
//      before ... (an index past the first hidden state is refused);
//   2. layer aggregation per token: mean (dim H) or concat in the order of
//      layer_indices (dim H x k);
//   3. special tokens stripped (only residue positions are pooled);
//   4. normalize_residues: L2 per residue vector, after aggregation;
//   5. pooling over the residues of the chunk: mean | max | cls (the
//      aggregated state of position 0 of the raw row, the CLS/BOS token; it
//      gets the residue normalisation too, being a row of the same tensor;
//      every chunk of a sequence gets that same vector) |
//      mean_max (mean then max, dim x 2);
//   6. normalize: L2 of the final vector.
// A zero vector stays zero under either normalisation (no NaN). Pooling over
// no residues (an empty sequence) gives zeros.
import { ProteaError } from '../../lib/errors.js';

export type LayerAgg = 'mean' | 'concat';
export type Pooling = 'mean' | 'max' | 'cls' | 'mean_max';

export interface PoolingRecipe {
  layerAgg: LayerAgg;
  pooling: Pooling;
  normalize: boolean;
  normalizeResidues: boolean;
}

/**
 * Forward positions (into the list of hidden states, first = embedding output)
 * of the reverse `layerIndices`, in their order. `hiddenStates` = how many the
 * model outputs.
 */
export function selectLayers(layerIndices: readonly number[], hiddenStates: number): number[] {
  if (layerIndices.length === 0) {
    throw new ProteaError('EMBEDDING_CONFIG_INVALID', 'layer_indices is empty: name at least one layer (0 = last)', { field: 'layer_indices' });
  }
  return layerIndices.map((i) => {
    if (!Number.isInteger(i) || i < 0 || i >= hiddenStates) {
      throw new ProteaError(
        'EMBEDDING_CONFIG_INVALID',
        `layer_indices has ${i}: the model outputs ${hiddenStates} hidden states, so reverse indices run 0 (last) to ${hiddenStates - 1} (embedding output)`,
        { field: 'layer_indices' },
      );
    }
    return hiddenStates - 1 - i;
  });
}

/** Length of the vectors a recipe makes from hidden size `hidden` and `layers` selected layers. */
export function pooledDim(hidden: number, layers: number, recipe: Pick<PoolingRecipe, 'layerAgg' | 'pooling'>): number {
  const perToken = recipe.layerAgg === 'concat' ? hidden * layers : hidden;
  return recipe.pooling === 'mean_max' ? perToken * 2 : perToken;
}

/** L2-normalises `v[from, from + n)` in place; a zero span stays zero. */
export function l2Normalize(v: Float32Array, from = 0, n = v.length - from): void {
  let sum = 0;
  for (let i = from; i < from + n; i++) sum += v[i]! * v[i]!;
  if (sum === 0) return;
  const inv = 1 / Math.sqrt(sum);
  for (let i = from; i < from + n; i++) v[i] = v[i]! * inv;
}

/**
 * The hidden states of one sequence. `layers[k]` holds the k-th selected layer
 * (already in layer_indices order) as [tokens][hidden] row-major, starting at
 * `offset` (so a batch output can be viewed without copying).
 */
export interface SequenceStates {
  layers: readonly Float32Array[];
  offset: number;
  hidden: number;
  /** token position of the first residue and the number of residues */
  residueStart: number;
  residueCount: number;
  /** position of the CLS/BOS token, null when the model has none */
  clsPosition: number | null;
}

/** Aggregated token rows [count][dim] of tokens from .. from + count - 1, residue-normalised when asked. */
export function aggregateTokens(s: SequenceStates, from: number, count: number, recipe: PoolingRecipe): { rows: Float32Array; dim: number } {
  const k = s.layers.length;
  const h = s.hidden;
  const begin = s.offset + from * h;
  const end = begin + count * h;
  let rows: Float32Array;
  let dim: number;
  if (recipe.layerAgg === 'concat' && k > 1) {
    dim = h * k;
    rows = new Float32Array(count * dim);
    for (let l = 0; l < k; l++) {
      const layer = s.layers[l]!;
      for (let t = 0; t < count; t++) rows.set(layer.subarray(begin + t * h, begin + (t + 1) * h), t * dim + l * h);
    }
  } else {
    // mean (or one layer): a copy of the first layer, the others added in place
    dim = h;
    rows = s.layers[0]!.slice(begin, end);
    const n = rows.length;
    for (let l = 1; l < k; l++) {
      const layer = s.layers[l]!;
      for (let i = 0; i < n; i++) rows[i] = rows[i]! + layer[begin + i]!;
    }
    if (k > 1) {
      const inv = 1 / k;
      for (let i = 0; i < n; i++) rows[i] = rows[i]! * inv;
    }
  }
  if (recipe.normalizeResidues) for (let t = 0; t < count; t++) l2Normalize(rows, t * dim, dim);
  return { rows, dim };
}

/** Mean of rows from .. to - 1 of the [rows][dim] matrix starting at `origin`, written at out[at]. */
function meanInto(rows: Float32Array, origin: number, dim: number, from: number, to: number, out: Float32Array, at: number): void {
  const n = to - from;
  if (n <= 0) return;
  // sums in float64: a 1,000-residue mean in float32 loses digits the tests can see.
  // Eight rows per pass, added in a double first: the accumulator is read and
  // written an eighth as often (pooling was ~9% of an embed() call on a 6 x 320
  // model; 128 -> 49 us per 355-residue sequence, bench/RESULTS.md)
  const acc = new Float64Array(dim);
  let r = from;
  for (; r + 8 <= to; r += 8) {
    const b0 = origin + r * dim;
    const [b1, b2, b3, b4, b5, b6, b7] = [b0 + dim, b0 + 2 * dim, b0 + 3 * dim, b0 + 4 * dim, b0 + 5 * dim, b0 + 6 * dim, b0 + 7 * dim];
    for (let j = 0; j < dim; j++) {
      acc[j] = acc[j]! + (rows[b0 + j]! + rows[b1 + j]! + rows[b2 + j]! + rows[b3 + j]! + (rows[b4 + j]! + rows[b5 + j]! + rows[b6 + j]! + rows[b7 + j]!));
    }
  }
  for (; r < to; r++) {
    const base = origin + r * dim;
    for (let j = 0; j < dim; j++) acc[j] = acc[j]! + rows[base + j]!;
  }
  for (let j = 0; j < dim; j++) out[at + j] = acc[j]! / n;
}

function maxInto(rows: Float32Array, origin: number, dim: number, from: number, to: number, out: Float32Array, at: number): void {
  if (to <= from) return;
  out.set(rows.subarray(origin + from * dim, origin + (from + 1) * dim), at);
  for (let r = from + 1; r < to; r++) {
    const base = origin + r * dim;
    for (let j = 0; j < dim; j++) {
      const x = rows[base + j]!;
      if (x > out[at + j]!) out[at + j] = x;
    }
  }
}

/**
 * One vector per span of residues (spans in residue positions, [start, end)),
 * all from the same hidden states: the residue rows are aggregated once.
 */
export function poolSpans(s: SequenceStates, spans: readonly { start: number; end: number }[], recipe: PoolingRecipe): Float32Array[] {
  let cls: Float32Array | undefined;
  if (recipe.pooling === 'cls') {
    if (s.clsPosition === null) {
      throw new ProteaError('EMBEDDING_CONFIG_INVALID', 'pooling cls needs a CLS/BOS token and this model has none (t5/ankh): use mean, max or mean_max', { field: 'pooling' });
    }
    cls = aggregateTokens(s, s.clsPosition, 1, recipe).rows;
  }
  // one layer and no residue normalisation: pool straight from the model output, no copy
  const direct = !cls && s.layers.length === 1 && !recipe.normalizeResidues;
  const { rows, dim } = cls
    ? { rows: new Float32Array(0), dim: cls.length }
    : direct
      ? { rows: s.layers[0]!, dim: s.hidden }
      : aggregateTokens(s, s.residueStart, s.residueCount, recipe);
  const origin = direct ? s.offset + s.residueStart * s.hidden : 0;
  return spans.map(({ start, end }) => {
    let v: Float32Array;
    if (cls) {
      v = Float32Array.from(cls);
    } else if (recipe.pooling === 'mean') {
      v = new Float32Array(dim);
      meanInto(rows, origin, dim, start, end, v, 0);
    } else if (recipe.pooling === 'max') {
      v = new Float32Array(dim);
      maxInto(rows, origin, dim, start, end, v, 0);
    } else {
      v = new Float32Array(dim * 2);
      meanInto(rows, origin, dim, start, end, v, 0);
      maxInto(rows, origin, dim, start, end, v, dim);
    }
    if (recipe.normalize) l2Normalize(v);
    return v;
  });
}
