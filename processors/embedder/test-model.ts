// Writes small ESM-shaped ONNX models with deterministic weights, and their
// model cards, for tests and benchmarks: no weights are committed or fetched.
// The graph follows the export contract (README, Embeddings) so the ONNX
// backend reads it like a real export:
//
//   input_ids [batch, seq] int64, attention_mask [batch, seq] int64
//   m   = unsqueeze(float(attention_mask), -1)            [batch, seq, 1]
//   h_0 = E[input_ids] * m                                 (embedding output)
//   h_l = (h_{l-1} + tanh(h_{l-1} W_l + b_l)) * m          l = 1 .. layers
//   outputs hidden_states_0 .. hidden_states_<layers>     [batch, seq, hidden] float32
//
// Every token is computed on its own (no attention), so padding a batch never
// changes a sequence's states and the outputs can be worked out by hand.
// Weights:
//   random  E ~ U(-1, 1), W ~ U(-1, 1) / sqrt(hidden), b ~ U(-0.1, 0.1), from the seed
//   ladder  E[t] = (t, -t, t, -t, ...), W = 0, b = atanh(0.5): every layer adds 0.5 to
//           every component of a real token, so h_l[t] = E[t] + 0.5 l (hand-checkable)
// The float32 bytes are written little-endian (the platform order of every
// machine onnxruntime-node ships for).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { ProteaError } from '../../lib/errors.js';
import { mulberry32 } from '../../lib/seeded-random.js';
import { modelCardJson, type ModelCard } from './model-card.js';
import { ESM_VOCAB, type TokenizerKind } from './tokenizers.js';

const { onnx } = onnxProto;
type INode = InstanceType<typeof onnx.NodeProto>;
type ITensor = InstanceType<typeof onnx.TensorProto>;

export interface TestModelOptions {
  /** transformer layers (hidden states = layers + 1) */
  layers: number;
  hidden: number;
  /** rows of the embedding table: 33 for esm (its vocabulary), 128 for t5 (ProtT5's) by default */
  vocabSize?: number;
  seed?: number;
  weights?: 'random' | 'ladder';
  tokenizer?: TokenizerKind;
  /** the card's max_length (residues) */
  maxLength?: number;
  /** file name without extension; default test-<tokenizer>-l<layers>-h<hidden>-<weights>-s<seed> */
  name?: string;
}

export interface TestModelWeights {
  vocabSize: number;
  hidden: number;
  /** [vocab][hidden] */
  embedding: Float32Array;
  /** per layer: W [hidden][hidden] (row = input dim), b [hidden] */
  layers: { w: Float32Array; b: Float32Array }[];
}

/** The weights a generator run writes (exported so tests can recompute the outputs). */
export function testModelWeights(opts: TestModelOptions): TestModelWeights {
  const tokenizer = opts.tokenizer ?? 'esm';
  const vocabSize = opts.vocabSize ?? (tokenizer === 'esm' ? ESM_VOCAB.length : 128);
  const h = opts.hidden;
  const positive = (field: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new ProteaError('USAGE', `${field} must be a positive integer, got ${v}`, { field });
  };
  positive('hidden', h);
  positive('layers', opts.layers);
  // every id the tokenizer can emit must have a row: ESM-2 uses 0..32, ProtT5 0..27
  const minVocab = tokenizer === 'esm' ? ESM_VOCAB.length : 28;
  if (!Number.isInteger(vocabSize) || vocabSize < minVocab) {
    throw new ProteaError('USAGE', `vocab size must be at least ${minVocab} for a ${tokenizer} model, got ${vocabSize}`, { field: 'vocabSize' });
  }
  const embedding = new Float32Array(vocabSize * h);
  const layers: { w: Float32Array; b: Float32Array }[] = [];
  if ((opts.weights ?? 'random') === 'ladder') {
    for (let t = 0; t < vocabSize; t++) for (let j = 0; j < h; j++) embedding[t * h + j] = j % 2 === 0 ? t : -t;
    for (let l = 0; l < opts.layers; l++) layers.push({ w: new Float32Array(h * h), b: new Float32Array(h).fill(Math.atanh(0.5)) });
  } else {
    const rand = mulberry32(opts.seed ?? 1);
    const u = (scale: number) => (rand() * 2 - 1) * scale;
    for (let i = 0; i < embedding.length; i++) embedding[i] = u(1);
    const ws = 1 / Math.sqrt(h);
    for (let l = 0; l < opts.layers; l++) {
      const w = new Float32Array(h * h);
      for (let i = 0; i < w.length; i++) w[i] = u(ws);
      const b = new Float32Array(h);
      for (let i = 0; i < h; i++) b[i] = u(0.1);
      layers.push({ w, b });
    }
  }
  return { vocabSize, hidden: h, embedding, layers };
}

function floatTensor(name: string, dims: number[], data: Float32Array): ITensor {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, number> = {}): INode {
  return onnx.NodeProto.create({
    opType,
    name: outputs[0],
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([name, i]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
  });
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }),
      }),
    }),
  });
}

/** Output names of a model with `layers` layers, first (embedding output) to last. */
export function testModelOutputNames(layers: number): string[] {
  return Array.from({ length: layers + 1 }, (_, l) => `hidden_states_${l}`);
}

/** The serialised ONNX model (ModelProto bytes). */
export function buildTestModel(w: TestModelWeights): Uint8Array {
  const h = w.hidden;
  const outputs = testModelOutputNames(w.layers.length);
  const F = onnx.TensorProto.DataType.FLOAT;
  const I64 = onnx.TensorProto.DataType.INT64;
  const initializer: ITensor[] = [
    floatTensor('embedding', [w.vocabSize, h], w.embedding),
    onnx.TensorProto.create({ name: 'last_axis', dims: [1], dataType: I64, int64Data: [-1] }),
  ];
  const nodes: INode[] = [
    node('Cast', ['attention_mask'], ['mask_f'], { to: F }),
    node('Unsqueeze', ['mask_f', 'last_axis'], ['mask']),
    node('Gather', ['embedding', 'input_ids'], ['embedded'], { axis: 0 }),
    node('Mul', ['embedded', 'mask'], [outputs[0]!]),
  ];
  w.layers.forEach((layer, i) => {
    const l = i + 1;
    const prev = outputs[l - 1]!;
    initializer.push(floatTensor(`w_${l}`, [h, h], layer.w), floatTensor(`b_${l}`, [h], layer.b));
    nodes.push(
      node('MatMul', [prev, `w_${l}`], [`mm_${l}`]),
      node('Add', [`mm_${l}`, `b_${l}`], [`pre_${l}`]),
      node('Tanh', [`pre_${l}`], [`act_${l}`]),
      node('Add', [prev, `act_${l}`], [`res_${l}`]),
      node('Mul', [`res_${l}`, 'mask'], [outputs[l]!]),
    );
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'protea-stream test-model',
    graph: onnx.GraphProto.create({
      name: 'esm_shaped_test_model',
      node: nodes,
      initializer,
      input: [valueInfo('input_ids', I64, ['batch', 'sequence']), valueInfo('attention_mask', I64, ['batch', 'sequence'])],
      output: outputs.map((name) => valueInfo(name, F, ['batch', 'sequence', h])),
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface WrittenTestModel {
  name: string;
  onnxPath: string;
  cardPath: string;
  bytes: number;
  card: ModelCard;
}

/** Writes `<dir>/<name>.onnx` and `<dir>/<name>.json`; `name` is what a recipe's model_name names. */
export async function writeTestModel(dir: string, opts: TestModelOptions): Promise<WrittenTestModel> {
  const tokenizer = opts.tokenizer ?? 'esm';
  const weights = opts.weights ?? 'random';
  const name = opts.name ?? `test-${tokenizer}-l${opts.layers}-h${opts.hidden}-${weights}-s${opts.seed ?? 1}`;
  const bytes = buildTestModel(testModelWeights(opts));
  const card: ModelCard = {
    tokenizer,
    hiddenSize: opts.hidden,
    numLayers: opts.layers,
    inputIds: 'input_ids',
    attentionMask: 'attention_mask',
    outputNames: testModelOutputNames(opts.layers),
    maxLength: opts.maxLength ?? 1022,
    description: `generated test model (${weights} weights, seed ${opts.seed ?? 1}): not a protein language model`,
  };
  const onnxPath = path.join(dir, `${name}.onnx`);
  const cardPath = path.join(dir, `${name}.json`);
  await mkdir(path.dirname(onnxPath), { recursive: true });
  await writeFile(onnxPath, bytes);
  await writeFile(cardPath, `${JSON.stringify(modelCardJson(card), null, 2)}\n`);
  return { name, onnxPath, cardPath, bytes: bytes.byteLength, card };
}
