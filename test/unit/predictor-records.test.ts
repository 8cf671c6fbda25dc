// The predictor's messages and prediction set parameters: a query's terms are
// split into parts under the size limit with one key; an unpredictable query
// is one message with its reason; parameters read back from a prediction set
// row are what was recorded, and a row that is not a KNN/identity set is
// refused naming the field.
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import type { PredictionSetRow } from '../../lib/queries/prediction-sets.js';
import type { PredictionRecord } from '../../schemas/generated/types.js';
import { paramsMeta, paramsOf, type PredictionParams } from '../../processors/predictor/params.js';
import { predictionMessages } from '../../processors/predictor/records.js';
import type { TransferredTerm } from '../../processors/predictor/transfer.js';

const req = { predictionSetId: '0194703b-0a1b-7c2d-8e3f-4a5b6c7d8e9f', jobId: '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57', accession: 'P69905', md5: 'a'.repeat(32) };
const term = (i: number): TransferredTerm => ({ goId: `GO:${String(i).padStart(7, '0')}`, aspect: 'F', refAccession: `R${i % 3}`, distance: i / 100, score: 1 - i / 100, qualifier: 'enables', evidenceCode: 'EXP', kPosition: 1 + (i % 3), support: 1 });

t.test('terms are split into parts of at most the limit, in order, all under the same key', async (t) => {
  const terms = Array.from({ length: 7 }, (_, i) => term(i));
  const out = predictionMessages(req, { kind: 'predicted', terms, neighbours: 3 }, 'protea.predictions.raw', 3);
  t.equal(out.length, 3, '7 terms at 3 per part: 3 parts');
  t.same(out.map((o) => o.key), Array(3).fill(`${req.jobId}|${req.accession}`), 'one key: the parts stay in order on one partition');
  const values = out.map((o) => o.value as PredictionRecord);
  t.same(values.map((v) => [v.part_index, v.part_count, v.terms.length]), [[0, 3, 3], [1, 3, 3], [2, 3, 1]], 'part index and count, sizes');
  t.same(values.flatMap((v) => v.terms.map((x) => x.go_id)), terms.map((x) => x.goId), 'every term once, in order');
  t.same(values[0]!.terms[1], { go_id: 'GO:0000001', ref_accession: 'R1', distance: 0.01, score: 0.99, qualifier: 'enables', evidence_code: 'EXP', aspect: 'F', k_position: 2, features: null }, 'the wire form of a term');
  t.ok(values.every((v) => v.reason === null && v.neighbours === 3), 'no reason; the neighbour count on every part');
});

t.test('a query with no terms is one message; an unpredictable one carries its reason and no terms', async (t) => {
  const none = predictionMessages(req, { kind: 'predicted', terms: [], neighbours: 0 }, 'x');
  t.same(none.map((o) => [(o.value as PredictionRecord).part_count, (o.value as PredictionRecord).terms.length]), [[1, 0]]);
  const bad = predictionMessages(req, { kind: 'unpredictable', reason: 'no embedding' }, 'x');
  t.equal(bad.length, 1);
  t.equal((bad[0]!.value as PredictionRecord).reason, 'no embedding');
  t.same((bad[0]!.value as PredictionRecord).terms, []);
});

const params: PredictionParams = {
  method: 'knn', embeddingConfigId: 'c0000000-0000-7000-8000-000000000000', annotationSetId: 'a0000000-0000-7000-8000-000000000000', k: 5, threshold: 0.4,
  metric: 'euclidean', aspectSeparated: false, evidenceCodes: ['EXP', 'IDA'], excludeSelf: true, aggregation: 'max', scoreMap: 'half-over-half-plus-d', index: 'hnsw', features: ['alignment', 'neighbours'], maxIdentity: 0.3,
};
const row = (over: Partial<PredictionSetRow> = {}): PredictionSetRow => ({
  id: 'p0000000-0000-7000-8000-000000000000', kind: 'knn', name: null, ontology_snapshot_id: 's', obo_version: 'v', annotation_set_id: params.annotationSetId,
  embedding_config_id: params.embeddingConfigId, query_set_id: null, limit_per_entry: 5, distance_threshold: 0.4, meta: paramsMeta(params), job_id: null, created_at: 0, ...over,
});

t.test('the parameters read back from a prediction set are those recorded', async (t) => {
  t.same(paramsOf(row()), params);
});

t.test('a set the predictor cannot run is refused naming the field', async (t) => {
  const refused = (r: PredictionSetRow, field: string) => {
    try {
      paramsOf(r);
      t.fail('accepted');
    } catch (err) {
      t.ok(err instanceof ProteaError && err.key === 'PREDICTION_SET_INVALID' && err.context.field === field, `${field}: ${(err as Error).message}`);
    }
  };
  refused(row({ kind: 'imported' }), 'kind');
  refused(row({ embedding_config_id: null }), 'embedding_config_id');
  refused(row({ meta: { ...paramsMeta(params), metric: 'manhattan' } }), 'meta.metric');
  refused(row({ meta: { ...paramsMeta(params), evidence_codes: 'EXP' } }), 'meta.evidence_codes');
});
