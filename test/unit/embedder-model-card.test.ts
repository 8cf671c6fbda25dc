import path from 'node:path';
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { modelFiles, parseModelCard } from '../../processors/embedder/model-card.js';

const good = {
  tokenizer: 'esm',
  hidden_size: 320,
  num_layers: 2,
  output_names: ['hidden_states_0', 'hidden_states_1', 'hidden_states_2'],
  max_length: 1022,
};

const fieldOf = (json: unknown): string | undefined => {
  try {
    parseModelCard(json, '/m/x.json');
    return undefined;
  } catch (err) {
    t.equal((err as ProteaError).key, 'EMBEDDING_MODEL_UNAVAILABLE');
    t.equal((err as ProteaError).context.file, '/m/x.json');
    t.match((err as ProteaError).message, '/m/x.json');
    return (err as ProteaError).context.field as string;
  }
};

t.test('model files sit under the models folder; model_name may hold folders, be absolute, or end in .onnx', async (t) => {
  t.same(modelFiles('/models', 'esm2_t6_8M'), { onnx: '/models/esm2_t6_8M.onnx', card: '/models/esm2_t6_8M.json' });
  t.same(modelFiles('/models', 'facebook/esm2_t6_8M_UR50D'), { onnx: '/models/facebook/esm2_t6_8M_UR50D.onnx', card: '/models/facebook/esm2_t6_8M_UR50D.json' });
  t.same(modelFiles('/models', '/opt/m/prot_t5.onnx'), { onnx: '/opt/m/prot_t5.onnx', card: '/opt/m/prot_t5.json' });
  t.equal(modelFiles('rel', 'x').onnx, path.resolve('rel', 'x.onnx'));
});

t.test('a valid card is read with the default input names', async (t) => {
  const card = parseModelCard(good, '/m/x.json');
  t.match(card, { tokenizer: 'esm', hiddenSize: 320, numLayers: 2, maxLength: 1022, inputIds: 'input_ids', attentionMask: 'attention_mask' });
  t.equal(card.vocab, undefined);
});

t.test('card errors name the field', async (t) => {
  t.equal(fieldOf({ ...good, tokenizer: 'bert' }), 'tokenizer');
  t.equal(fieldOf({ ...good, hidden_size: 0 }), 'hidden_size');
  t.equal(fieldOf({ ...good, max_length: undefined }), 'max_length');
  t.equal(fieldOf({ ...good, output_names: ['a', 'b'] }), 'output_names', 'num_layers + 1 names needed');
  t.equal(fieldOf({ ...good, output_names: ['a', 'a', 'b'] }), 'output_names', 'names repeat');
  t.equal(fieldOf({ ...good, input_names: { input_ids: 'ids' } }), 'input_names.attention_mask');
  t.equal(fieldOf({ ...good, vocab: { A: -1 } }), 'vocab.A');
  t.equal(fieldOf({ ...good, extra: 1 }), '(card)', 'unknown keys are refused (typos would be ignored silently)');
  t.equal(fieldOf([]), '(card)');
});
