// The feature enricher on the real broker and a fresh database, fed inputs it
// cannot fully enrich: a 10,000-residue query (aligned with a short reference;
// against a 10,000-residue reference the pair is above the size limit), a
// query protein without a taxon, a reference taxon outside the loaded
// taxonomy, a reference with an empty sequence, a reference the database does
// not know, and a record of a prediction set that does not exist. The stage
// never fails: every row lands, the features that cannot be computed are null,
// each counted with its reason in protea_enricher_feature_nulls_total, and only
// the record without a prediction set is dead-lettered, naming it.
import { createHash, randomUUID } from 'node:crypto';
import t from 'tap';
import { adminQuery } from '../../lib/db.js';
import { metricsText } from '../../lib/metrics.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { startStages } from '../../pipeline/stages.js';
import type { DeadLetterRecord, PredictedTerm, PredictionRecord } from '../../schemas/generated/types.js';
import { KEYS, topicName } from '../../topics/catalogue.js';
import { mulberry32 } from '../../lib/seeded-random.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';
import { consumeFromStart } from '../helpers/read-topics.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const AA = 'ACDEFGHIKLMNPQRSTVWY';
function protein(length: number, seed: number): string {
  const rnd = mulberry32(seed);
  let s = '';
  for (let i = 0; i < length; i++) s += AA[Math.floor(rnd() * AA.length)];
  return s;
}

/** The labelled value of one series of a counter in the Prometheus text, 0 when absent. */
function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

t.test('a long, an untaxed, an unknown or an empty input leaves features null with the reason counted; the stage never fails', async (t) => {
  const namespace = await freshNamespace(t);
  const dbUrl = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(dbUrl, text, values);

  const [snap] = await q<{ id: string }>("INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('file:t.obo', 't') RETURNING id::text");
  const [term] = await q<{ id: number }>("INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES ($1, 'GO:0000001', 'a function', 'molecular_function', 'F') RETURNING id", [snap!.id]);
  const [set] = await q<{ id: string }>("INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('t', '1', $1) RETURNING id::text", [snap!.id]);
  const meta = { method: 'identity', evidence_codes: ['EXP'], features: ['alignment', 'taxonomy', 'neighbours'] };
  const [ps] = await q<{ id: string }>("INSERT INTO prediction_set (kind, annotation_set_id, ontology_snapshot_id, limit_per_entry, meta) VALUES ('identity', $1, $2, 1, $3) RETURNING id::text", [set!.id, snap!.id, JSON.stringify(meta)]);
  await q('INSERT INTO taxonomy (tax_id, parent_tax_id, rank, scientific_name) VALUES (1, 1, NULL, $1), (9606, 1, $2, $3), (10090, 1, $2, $4)', ['root', 'species', 'Homo sapiens', 'Mus musculus']);

  const seqs = { long: protein(10_000, 1), longRef: protein(10_000, 2), short: protein(120, 3), query: protein(100, 4), empty: '' };
  for (const s of Object.values(seqs)) await q('INSERT INTO sequence (sequence, sequence_hash, length) VALUES ($1, $2, $3)', [s, md5(s), s.length]);
  const proteins: [string, number | null, string][] = [
    ['Q_LONG', 9606, seqs.long], ['Q_UNTAXED', null, seqs.query], ['R_SHORT', 10090, seqs.short], ['R_LONG', 10090, seqs.longRef],
    ['R_OUTSIDE', 555, seqs.short], ['R_EMPTY', 10090, seqs.empty],
  ];
  for (const [acc, taxon, s] of proteins) {
    await q('INSERT INTO protein (accession, canonical_accession, taxonomy_id, sequence_id) SELECT $1, $1, $2, id FROM sequence WHERE sequence_hash = $3', [acc, taxon, md5(s)]);
  }
  for (const acc of ['R_SHORT', 'R_LONG', 'R_OUTSIDE', 'R_EMPTY']) {
    await q("INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, qualifier, evidence_code) VALUES ($1, $2, $3, 'enables', 'EXP')", [set!.id, acc, term!.id]);
  }

  const jobId = randomUUID();
  const termFrom = (ref: string, distance: number, k: number): PredictedTerm => ({ go_id: 'GO:0000001', ref_accession: ref, distance, score: 1 - distance, qualifier: 'enables', evidence_code: 'EXP', aspect: 'F', k_position: k, features: null });
  const record = (query: string, querySeq: string, terms: PredictedTerm[], setId = ps!.id): PredictionRecord => ({
    prediction_set_id: setId, job_id: jobId, query_accession: query, query_md5: md5(querySeq), reason: null, neighbours: terms.length,
    neighbours_by_aspect: { F: terms.length }, part_index: 0, part_count: 1, terms,
  });
  const records = [
    record('Q_LONG', seqs.long, [termFrom('R_SHORT', 0.1, 1), termFrom('R_LONG', 0.2, 2), termFrom('R_OUTSIDE', 0.3, 3), termFrom('R_UNKNOWN', 0.5, 4)]),
    record('Q_UNTAXED', seqs.query, [termFrom('R_SHORT', 0.1, 1), termFrom('R_EMPTY', 0.4, 2)]),
    record('Q_ORPHAN', seqs.query, [termFrom('R_SHORT', 0.1, 1)], randomUUID()),
  ];
  const before = await metricsText();
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  await producer.send(topicName('predictions.raw', namespace), records.map((v) => ({ key: KEYS.prediction(v), value: v })));

  const stages = await startStages(['enricher', 'sink:predictions'], { namespace, dbUrl });
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const failures: unknown[] = [];
  for (const s of stages) s.done.catch((err: unknown) => failures.push(err));
  const rows = await until('the two predictable queries\' rows', () => q<Record<string, string | number | null>>(`
      SELECT protein_accession AS query, ref_protein_accession AS ref, identity_sw, identity_nw, length_query, length_ref,
             query_taxonomy_id, ref_taxonomy_id, taxonomic_lca, taxonomic_relation, vote_count, neighbor_vote_fraction, go_term_frequency, ref_annotation_density
        FROM go_prediction ORDER BY 1, 2`), (r) => r.length >= 6, { timeoutMs: 90_000 });
  t.equal(rows.length, 6, 'every row of the two predictable queries lands');
  const by = new Map(rows.map((r) => [`${r.query} ${r.ref}`, r]));

  t.match(by.get('Q_LONG R_SHORT'), { length_query: 10_000, length_ref: 120, query_taxonomy_id: 9606, ref_taxonomy_id: 10090, taxonomic_lca: 1, taxonomic_relation: 'sibling' }, '10,000 x 120 residues: aligned; human and mouse: siblings under this small root');
  t.ok(typeof by.get('Q_LONG R_SHORT')!.identity_sw === 'number' && typeof by.get('Q_LONG R_SHORT')!.identity_nw === 'number', 'with both alignments');
  t.match(by.get('Q_LONG R_LONG'), { identity_sw: null, identity_nw: null, length_query: 10_000, length_ref: 10_000, taxonomic_relation: 'sibling' }, '10,000 x 10,000 residues: above the limit, no alignment, lengths kept');
  t.match(by.get('Q_LONG R_OUTSIDE'), { query_taxonomy_id: 9606, ref_taxonomy_id: 555, taxonomic_lca: null, taxonomic_relation: null, length_ref: 120 }, 'a reference taxon outside the loaded taxonomy: both ids kept, the rest null');
  t.match(by.get('Q_LONG R_UNKNOWN'), { identity_sw: null, length_ref: null, ref_taxonomy_id: null, ref_annotation_density: null, vote_count: 4 }, 'a reference the database does not know: its features null, the neighbour statistics still counted');
  t.match(by.get('Q_UNTAXED R_SHORT'), { query_taxonomy_id: null, ref_taxonomy_id: 10090, taxonomic_lca: null, length_ref: 120, vote_count: 2, neighbor_vote_fraction: 1, go_term_frequency: 1, ref_annotation_density: 1 }, 'a query without a taxon: taxonomy null, the rest filled');
  t.ok(typeof by.get('Q_UNTAXED R_SHORT')!.identity_sw === 'number', 'and aligned');
  t.match(by.get('Q_UNTAXED R_EMPTY'), { identity_sw: null, identity_nw: null, length_query: 100, length_ref: 0 }, 'an empty reference sequence: no alignment, lengths kept');

  const after = await metricsText();
  const delta = (labels: string) => counter(after, 'protea_enricher_feature_nulls_total', labels) - counter(before, 'protea_enricher_feature_nulls_total', labels);
  t.same({
    tooLarge: delta('family="alignment",reason="too_large"'),
    empty: delta('family="alignment",reason="empty_sequence"'),
    refSeq: delta('family="alignment",reason="ref_sequence_unknown"'),
    queryTaxon: delta('family="taxonomy",reason="query_taxonomy_unknown"'),
    refTaxon: delta('family="taxonomy",reason="ref_taxonomy_unknown"'),
    outside: delta('family="taxonomy",reason="taxon_not_in_taxonomy"'),
    refNotAnnotated: delta('family="neighbours",reason="ref_not_in_annotation_set"'),
  }, { tooLarge: 1, empty: 1, refSeq: 1, queryTaxon: 2, refTaxon: 1, outside: 1, refNotAnnotated: 1 }, 'each null counted once per row with its family and reason');

  const letters: DeadLetterRecord[] = [];
  await consumeFromStart<DeadLetterRecord>([topicName('dlq.enricher', namespace)], (batch) => {
    for (const r of batch) if (r.value) letters.push(r.value);
    return letters.length >= 1;
  }, { groupId: `${namespace}.test.dlq`, timeoutMs: 30_000, progress: () => `${letters.length} dead letters` });
  t.equal(letters.length, 1, 'one dead letter: the record of a prediction set that does not exist');
  t.match(letters[0], { error_code: 'PROTEA_ERR_PREDICTION_SET_INVALID', reason: /prediction set [0-9a-f-]{36} does not exist/ });
  t.same(failures, [], 'no stage failed');
  const stopped = await Promise.all(stages.map((s) => s.stop()));
  t.ok(stopped.every((s) => s.clean), 'and stop cleanly');
});
