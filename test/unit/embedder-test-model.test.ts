// The generated test model computes what its header says: ONNX Runtime's
// outputs match the same forward pass worked out here in plain arithmetic.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import t from 'tap';
import { parseModelCard } from '../../processors/embedder/model-card.js';
import { testModelWeights, writeTestModel, type TestModelOptions } from '../../processors/embedder/test-model.js';

let dir = '';
t.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'protea-testmodel-'));
});
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** h_0 = E[id] * m; h_l = (h_{l-1} + tanh(h_{l-1} W + b)) * m, per token. */
function forward(opts: TestModelOptions, id: number, m: number): number[][] {
  const w = testModelWeights(opts);
  const h = w.hidden;
  const states = [Array.from(w.embedding.subarray(id * h, id * h + h), (x) => x * m)];
  for (const layer of w.layers) {
    const prev = states.at(-1)!;
    const next = prev.map((_, j) => {
      let acc = layer.b[j]!;
      for (let i = 0; i < h; i++) acc += prev[i]! * layer.w[i * h + j]!;
      return (prev[j]! + Math.tanh(acc)) * m;
    });
    states.push(next);
  }
  return states;
}

t.test('random weights: every hidden-state output matches the forward pass by hand, padding included', async (t) => {
  const opts: TestModelOptions = { layers: 3, hidden: 5, seed: 11 };
  const model = await writeTestModel(dir, opts);
  const session = await ort.InferenceSession.create(model.onnxPath, { executionProviders: ['cpu'] });
  t.teardown(() => session.release());
  const ids = [0, 20, 15, 2, 1, 0, 5, 2];
  const mask = [1, 1, 1, 1, 0, 1, 1, 1];
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [2, 4]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.map(BigInt)), [2, 4]),
  });
  t.same(Object.keys(out).sort(), ['hidden_states_0', 'hidden_states_1', 'hidden_states_2', 'hidden_states_3']);
  for (let p = 0; p < ids.length; p++) {
    const want = forward(opts, ids[p]!, mask[p]!);
    for (let l = 0; l <= 3; l++) {
      const got = Array.from((out[`hidden_states_${l}`]!.data as Float32Array).subarray(p * 5, p * 5 + 5));
      t.ok(got.every((g, j) => Math.abs(g - want[l]![j]!) < 1e-5), `token ${p} layer ${l}: ${got.map((x) => x.toFixed(5))} vs ${want[l]!.map((x) => x.toFixed(5))}`);
    }
  }
  t.ok(forward(opts, 20, 1)[3]!.some((x) => Math.abs(x) > 0.05), 'not a degenerate model');
});

t.test('the same seed writes the same bytes; another seed other weights', async (t) => {
  const a = await writeTestModel(dir, { layers: 2, hidden: 4, seed: 3, name: 'a' });
  const b = await writeTestModel(dir, { layers: 2, hidden: 4, seed: 3, name: 'b' });
  const c = await writeTestModel(dir, { layers: 2, hidden: 4, seed: 4, name: 'c' });
  const [ba, bb, bc] = await Promise.all([a, b, c].map((m) => readFile(m.onnxPath)));
  t.ok(ba!.equals(bb!));
  t.notOk(ba!.equals(bc!));
});

t.test('the card written beside the model is a valid model card describing it', async (t) => {
  const m = await writeTestModel(dir, { layers: 6, hidden: 16, tokenizer: 't5', maxLength: 512 });
  t.equal(m.name, 'test-t5-l6-h16-random-s1');
  const card = parseModelCard(JSON.parse(await readFile(m.cardPath, 'utf8')), m.cardPath);
  t.match(card, { tokenizer: 't5', hiddenSize: 16, numLayers: 6, maxLength: 512, inputIds: 'input_ids', attentionMask: 'attention_mask' });
  t.equal(card.outputNames.length, 7);
  t.equal(testModelWeights({ layers: 1, hidden: 2, tokenizer: 't5' }).vocabSize, 128, 'ProtT5 has 128 ids');
});

t.test('shapes the generator cannot make are USAGE errors naming the option', async (t) => {
  for (const [opts, field] of [
    [{ layers: 0, hidden: 4 }, 'layers'],
    [{ layers: 2, hidden: 1.5 }, 'hidden'],
    [{ layers: 2, hidden: 4, vocabSize: 20 }, 'vocabSize'],
  ] as const) {
    try {
      testModelWeights(opts);
      t.fail(`accepted ${JSON.stringify(opts)}`);
    } catch (err) {
      t.match(err, { key: 'USAGE', context: { field } });
    }
  }
});
