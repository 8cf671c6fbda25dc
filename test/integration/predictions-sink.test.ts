// The predictions sink on the real broker and a fresh database: a query's
// terms split over parts land as one row per (term, neighbour) and count once
// toward the job when the last part lands; a redelivered message changes
// nothing; an unpredictable query is stored with its reason; a message naming
// a GO term outside the set's release is dead-lettered with the term named,
// and the records around it land; the enricher's feature columns land as sent.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { adminQuery } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { startStages } from '../../pipeline/stages.js';
import { predictionMessages } from '../../processors/predictor/records.js';
import type { TransferredTerm } from '../../processors/predictor/transfer.js';
import type { DeadLetterRecord } from '../../schemas/generated/types.js';
import { topicName } from '../../topics/catalogue.js';
import { exampleRecord } from '../fixtures/records.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';
import { consumeFromStart } from '../helpers/read-topics.js';

const term = (go: string, ref: string, distance: number, score: number): TransferredTerm => ({
  goId: go, aspect: 'F', refAccession: ref, distance, score, qualifier: 'enables', evidenceCode: 'EXP', kPosition: 1, support: 1,
});

t.test('predictions land once per (query, term, neighbour), count once per query, and a bad message is dead-lettered naming its term', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);
  const [snapshot] = await q<{ id: string }>("INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('file:t.obo', 't') RETURNING id::text");
  for (const go of ['GO:0000001', 'GO:0000002', 'GO:0000003']) {
    await q("INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES ($1, $2, $2, 'molecular_function', 'F')", [snapshot!.id, go]);
  }
  const [set] = await q<{ id: string }>("INSERT INTO prediction_set (kind, name, ontology_snapshot_id, meta) VALUES ('imported', 'sink-test', $1, '{}') RETURNING id::text", [snapshot!.id]);
  const jobId = '01a23828-d079-72f6-b5df-768f33a55af2';
  await q("INSERT INTO job (id, operation, queue_name, status, progress_total) VALUES ($1, 'predict', 'predictor', 'running', 4)", [jobId]);

  const topic = topicName('predictions', namespace);
  const req = (accession: string) => ({ predictionSetId: set!.id, jobId, accession, md5: randomBytes(16).toString('hex') });
  // P1: 3 rows over 2 parts; P2: unpredictable; P3: names a term outside the release
  const p1 = predictionMessages(req('P1'), { kind: 'predicted', terms: [term('GO:0000001', 'R1', 0.1, 0.9), term('GO:0000002', 'R1', 0.1, 0.9), term('GO:0000001', 'R2', 0.3, 0.9)], neighbours: 2 }, topic, 2);
  const p2 = predictionMessages(req('P2'), { kind: 'unpredictable', reason: 'no embedding under config c for sequence m after waiting 900 s' }, topic);
  const p3 = predictionMessages(req('P3'), { kind: 'predicted', terms: [term('GO:0000003', 'R1', 0.2, 0.8), term('GO:9999999', 'R1', 0.2, 0.8)], neighbours: 1 }, topic);
  // P4: one term with every feature column set, as the enricher sends it
  const example = exampleRecord('PredictionRecord');
  const features = example.terms[0]!.features!;
  const p4 = predictionMessages(req('P4'), { kind: 'predicted', terms: [term('GO:0000002', 'R3', 0.0412, 0.9588)], neighbours: 1 }, topic)
    .map((m) => { const v = m.value as typeof example; return { ...m, value: { ...v, terms: v.terms.map((x) => ({ ...x, features })) } }; });
  t.equal(p1.length, 2, 'P1 travels in two parts');
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  const send = (msgs: typeof p1) => producer.send(topic, msgs.map((m) => ({ key: m.key, value: m.value })));
  await send([...p1, ...p2, ...p3, ...p4]);
  await send(p1); // redelivered, as the at-least-once predictor may

  const stages = await startStages(['sink:predictions'], { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const job = await until('the job to count every query', () => q<{ progress_current: number; status: string }>('SELECT progress_current, status FROM job WHERE id = $1', [jobId]), (r) => r[0]!.progress_current >= 4, { timeoutMs: 60_000 });
  t.same(job, [{ progress_current: 4, status: 'succeeded' }], 'four queries, each counted once (P1 once for two parts sent twice; P3 as its dead letter)');

  const rows = await q<{ protein: string; go_id: string; ref: string; distance: number }>(`
    SELECT p.protein_accession AS protein, g.go_id, p.ref_protein_accession AS ref, p.distance FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id WHERE p.protein_accession <> 'P4' ORDER BY 1, 2, 3`);
  t.same(rows, [
    { protein: 'P1', go_id: 'GO:0000001', ref: 'R1', distance: 0.1 },
    { protein: 'P1', go_id: 'GO:0000001', ref: 'R2', distance: 0.3 },
    { protein: 'P1', go_id: 'GO:0000002', ref: 'R1', distance: 0.1 },
  ], 'P1: one row per (term, neighbour) from both parts, none doubled; nothing of P3');
  const [stored] = await q<Record<string, unknown>>(`SELECT ${Object.keys(features).join(', ')} FROM go_prediction WHERE protein_accession = 'P4'`);
  t.same(stored, features, 'P4: every feature column as the enricher sent it');
  t.same(await q<Record<string, unknown>>("SELECT count(*)::int AS n FROM go_prediction WHERE protein_accession <> 'P4' AND (identity_nw IS NOT NULL OR vote_count IS NOT NULL OR taxonomic_relation IS NOT NULL)"), [{ n: 0 }], 'rows sent without features keep them null');
  const outcome = await q<{ protein_accession: string; status: string; reason: string | null; neighbours: number; terms: number }>(
    'SELECT protein_accession, status, reason, neighbours, terms FROM prediction_query ORDER BY 1');
  t.same(outcome, [
    { protein_accession: 'P1', status: 'predicted', reason: null, neighbours: 2, terms: 2 },
    { protein_accession: 'P2', status: 'unpredictable', reason: 'no embedding under config c for sequence m after waiting 900 s', neighbours: 0, terms: 0 },
    { protein_accession: 'P4', status: 'predicted', reason: null, neighbours: 1, terms: 1 },
  ], 'each query\'s outcome: P1 predicted with its 2 terms, P2 unpredictable with the reason');

  const letters: DeadLetterRecord[] = [];
  await consumeFromStart<DeadLetterRecord>([topicName('dlq.sinks', namespace)], (records) => {
    for (const r of records) if (r.value) letters.push(r.value);
    return letters.length >= 1;
  }, { groupId: `${namespace}.test.dlq`, timeoutMs: 30_000, progress: () => `${letters.length} dead letters` });
  t.equal(letters.length, 1, 'one dead letter');
  t.equal(letters[0]!.error_code, 'PROTEA_ERR_SINK_WRITE_FAILED');
  t.match(letters[0]!.reason, /GO term GO:9999999 is not in the prediction set's ontology release/, 'naming the term');
});
