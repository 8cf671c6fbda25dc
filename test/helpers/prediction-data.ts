// A small, fully known data set for the API's read routes, written the way the
// pipeline writes it where a project insert path exists: proteins, sequences
// and KNN predictions through their sinks' transactions (writeBatch, as if
// consumed from Kafka), embedding configs and prediction sets through the
// query modules, an imported set through importPredictionSet (COPY). The GO
// release, the taxonomy, the GAF rows and the query set are plain INSERTs of
// the rows their sinks would make (their records need a whole release).
import type pg from 'pg';
import { uuidv7 } from '../../lib/ids.js';
import { createEmbeddingConfig } from '../../lib/queries/embedding-configs.js';
import { importPredictionSet, insertMethodPredictionSet } from '../../lib/queries/prediction-sets.js';
import { sql, type DatabasePool } from '../../lib/db.js';
import type { PredictedTerm, PredictionRecord, ProteinRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { predictionsSink } from '../../sinks/predictions.js';
import { proteinsSink } from '../../sinks/proteins.js';
import { sequencesSink } from '../../sinks/sequences.js';
import { md5 } from './sequences.js';
import { incoming, writeOnPool } from './sink-batches.js';

const BP = 'biological_process';
const MF = 'molecular_function';
const CC = 'cellular_component';

/** go_id, name, namespace, aspect, alt_ids */
export const TERMS: ReadonlyArray<readonly [string, string, string, string, string[]]> = [
  ['GO:0008150', 'biological_process', BP, 'P', []],
  ['GO:0009987', 'cellular process', BP, 'P', []],
  ['GO:0006915', 'apoptotic process', BP, 'P', ['GO:0006917']],
  ['GO:0050789', 'regulation of biological process', BP, 'P', []],
  ['GO:0042981', 'regulation of apoptotic process', BP, 'P', []],
  ['GO:0043065', 'positive regulation of apoptotic process', BP, 'P', []],
  ['GO:0003674', 'molecular_function', MF, 'F', []],
  ['GO:0005488', 'binding', MF, 'F', []],
  ['GO:0005515', 'protein binding', MF, 'F', []],
  ['GO:0005575', 'cellular_component', CC, 'C', []],
  ['GO:0110165', 'cellular anatomical entity', CC, 'C', []],
  ['GO:0005622', 'intracellular anatomical structure', CC, 'C', []],
  ['GO:0005737', 'cytoplasm', CC, 'C', []],
];

/** child, parent, relation (has_part is not a DAG relation of the subgraph) */
export const EDGES: ReadonlyArray<readonly [string, string, string]> = [
  ['GO:0009987', 'GO:0008150', 'is_a'],
  ['GO:0006915', 'GO:0009987', 'is_a'],
  ['GO:0050789', 'GO:0008150', 'is_a'],
  ['GO:0042981', 'GO:0050789', 'is_a'],
  ['GO:0042981', 'GO:0006915', 'regulates'],
  ['GO:0043065', 'GO:0042981', 'is_a'],
  ['GO:0043065', 'GO:0006915', 'positively_regulates'],
  ['GO:0005488', 'GO:0003674', 'is_a'],
  ['GO:0005515', 'GO:0005488', 'is_a'],
  ['GO:0110165', 'GO:0005575', 'is_a'],
  ['GO:0005622', 'GO:0110165', 'is_a'],
  ['GO:0005737', 'GO:0110165', 'is_a'],
  ['GO:0005737', 'GO:0005622', 'part_of'],
  ['GO:0005622', 'GO:0005737', 'has_part'],
];

export const SEQ_A = 'MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSH';
export const SEQ_A2 = 'MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSF';
export const SEQ_B = 'MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDL';
export const SEQ_Q = 'MKTAYIAKQRQISFVKSHFSRQ';

type P = Omit<ProteinRecord, 'sequence_md5' | 'length' | 'job_id' | 'protein_name'> & { seq: string };
export const PROTEINS: readonly P[] = [
  { accession: 'P69905', canonical_accession: 'P69905', is_canonical: true, isoform_index: null, entry_name: 'HBA_HUMAN', reviewed: true, taxonomy_id: 9606, organism: 'Homo sapiens', gene_name: 'HBA1', protein_existence: 1, sequence_version: 2, seq: SEQ_A },
  { accession: 'P69905-2', canonical_accession: 'P69905', is_canonical: false, isoform_index: 2, entry_name: 'HBA_HUMAN', reviewed: true, taxonomy_id: 9606, organism: 'Homo sapiens', gene_name: 'HBA1', protein_existence: 1, sequence_version: 1, seq: SEQ_A2 },
  { accession: 'P68871', canonical_accession: 'P68871', is_canonical: true, isoform_index: null, entry_name: 'HBB_HUMAN', reviewed: true, taxonomy_id: 9606, organism: 'Homo sapiens', gene_name: 'HBB', protein_existence: 1, sequence_version: 2, seq: SEQ_B },
  { accession: 'Q9CQ01', canonical_accession: 'Q9CQ01', is_canonical: true, isoform_index: null, entry_name: 'Q9CQ01_MOUSE', reviewed: false, taxonomy_id: 10090, organism: 'Mus musculus', gene_name: 'Hba_x', protein_existence: 3, sequence_version: 1, seq: SEQ_Q },
];

/** One KNN prediction as the predictor sends it: protein, term, reference, distance, score. */
type Knn = readonly [string, string, string, number, number | null];
export const KNN_ROWS: readonly Knn[] = [
  ['P69905', 'GO:0005515', 'R1', 0.1, 0.9],
  ['P69905', 'GO:0005515', 'R2', 0.2, 0.8],
  ['P69905', 'GO:0006915', 'R1', 0.1, 0.6],
  ['P69905', 'GO:0005737', 'R2', 0.2, 0.4],
  ['P69905', 'GO:0042981', 'R3', 0.5, null],
  ['P68871', 'GO:0005515', 'R1', 0.3, 0.7],
  ['P68871', 'GO:0003674', 'R2', 0.4, 0.004],
  ['QS_0001', 'GO:0006915', 'R4', 0.05, 0.95],
];

/** protein, term, score of the imported set */
export const IMPORTED_ROWS: ReadonlyArray<readonly [string, string, number]> = [
  ['P69905', 'GO:0005515', 0.55],
  ['P69905', 'GO:0008150', 0.3],
  ['P68871', 'GO:0005737', 0.2],
];

export interface SeededReads {
  snapshotId: string;
  termIds: Map<string, number>;
  oldAnnotationSetId: string;
  annotationSetId: string;
  embeddingConfigIds: [string, string];
  querySetId: string;
  knnSetId: string;
  importedSetId: string;
  jobId: string;
}

const noDeadLetters = { sendDeadLetters: async () => undefined };

export async function seedReadData(db: DatabasePool, copy: pg.Pool): Promise<SeededReads> {
  const one = async <T>(q: ReturnType<typeof sql.unsafe>) => (await db.oneFirst(q)) as T;
  const snapshotId = await one<string>(sql.unsafe`INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ('file:go-test.obo', 'releases/2026-01-01', ${TERMS.length}) RETURNING id`);
  const termIds = new Map<string, number>();
  for (const [go, name, ns, aspect, alt] of TERMS) {
    termIds.set(go, await one<number>(sql.unsafe`
      INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect, alt_ids)
      VALUES (${snapshotId}, ${go}, ${name}, ${ns}, ${aspect}, ${sql.array(alt, 'text')}) RETURNING id`));
  }
  for (const [child, parent, rel] of EDGES) {
    await db.query(sql.unsafe`
      INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type)
      VALUES (${snapshotId}, ${termIds.get(child)!}, ${termIds.get(parent)!}, ${rel})`);
  }
  await db.query(sql.unsafe`INSERT INTO taxonomy (tax_id, parent_tax_id, rank, scientific_name) VALUES (9606, 9605, 'species', 'Homo sapiens')`);

  // sequences, then proteins, through their sinks (the proteins sink links the landed sequences)
  const seqs: SequenceRecord[] = [...new Set([...PROTEINS.map((p) => p.seq)])].map((s) => ({ md5: md5(s), sequence: s, length: s.length, first_seen_job_id: null }));
  await writeOnPool(copy, sequencesSink, { topic: 'sequences', partition: 0, expected: 0n, next: BigInt(seqs.length), records: incoming('sequences', 0, 0, seqs.map((v) => ({ key: v.md5, value: v }))) }, noDeadLetters);
  const proteins: ProteinRecord[] = PROTEINS.map(({ seq, ...p }) => ({ ...p, protein_name: null, sequence_md5: md5(seq), length: seq.length, job_id: null }));
  await writeOnPool(copy, proteinsSink, { topic: 'proteins', partition: 0, expected: 0n, next: BigInt(proteins.length), records: incoming('proteins', 0, 0, proteins.map((v) => ({ key: v.accession, value: v }))) }, noDeadLetters);

  // annotation sets: an older and a newer release of the same source
  const oldAnnotationSetId = await one<string>(sql.unsafe`
    INSERT INTO annotation_set (source, source_version, ontology_snapshot_id, created_at) VALUES ('goa', '2025-01', ${snapshotId}, '2025-01-15T00:00:00Z') RETURNING id`);
  const annotationSetId = await one<string>(sql.unsafe`
    INSERT INTO annotation_set (source, source_version, ontology_snapshot_id, created_at) VALUES ('goa', '2026-01', ${snapshotId}, '2026-01-15T00:00:00Z') RETURNING id`);
  const gaf: ReadonlyArray<readonly [string, string, string, string, string]> = [
    [oldAnnotationSetId, 'P69905', 'GO:0005737', 'located_in', 'IDA'],
    [annotationSetId, 'P69905', 'GO:0005515', 'enables', 'IPI'],
    [annotationSetId, 'P69905', 'GO:0006915', 'NOT|involved_in', 'IMP'],
    [annotationSetId, 'P68871', 'GO:0005515', 'enables', 'IPI'],
  ];
  for (const [set, protein, go, qualifier, evidence] of gaf) {
    await db.query(sql.unsafe`
      INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, db, qualifier, db_reference, evidence_code, aspect, annotation_date, assigned_by)
      VALUES (${set}, ${protein}, ${termIds.get(go)!}, 'UniProtKB', ${qualifier}, 'PMID:1', ${evidence}, ${TERMS.find((t) => t[0] === go)![3]}, '20250101', 'UniProt')`);
  }

  const cfgA = await createEmbeddingConfig(db, { modelName: 'kmer-3', modelBackend: 'kmer', layerIndices: [0], layerAgg: 'mean', pooling: 'mean', normalize: true, normalizeResidues: false, maxLength: 1000, useChunking: false, chunkSize: 512, chunkOverlap: 0, description: 'test k-mer' }, { active: false });
  const cfgB = await createEmbeddingConfig(db, { modelName: 'esm2-t6', modelBackend: 'onnx', layerIndices: [0, 1], layerAgg: 'mean', pooling: 'mean', normalize: true, normalizeResidues: false, maxLength: 1022, useChunking: true, chunkSize: 512, chunkOverlap: 64, description: null }, { active: true });

  // a query set: two entries landed (one with a UniProt row, one without), one waiting for its sequence
  const querySetId = await one<string>(sql.unsafe`INSERT INTO query_set (name, description) VALUES ('hemoglobins', 'test queries') RETURNING id`);
  const seqIds = new Map((await db.any(sql.unsafe`SELECT id, sequence_hash FROM sequence`)).map((r) => [String(r.sequence_hash), Number(r.id)]));
  await db.query(sql.unsafe`INSERT INTO query_set_entry (query_set_id, accession, sequence_id) VALUES (${querySetId}, 'P69905', ${seqIds.get(md5(SEQ_A))!}), (${querySetId}, 'QS_0001', ${seqIds.get(md5(SEQ_Q))!})`);
  await db.query(sql.unsafe`INSERT INTO query_set_entry_pending (query_set_id, accession, sequence_md5) VALUES (${querySetId}, 'QS_0002', ${md5('MAAA')})`);

  // a KNN set as `protea predict` makes it, its rows through the predictions sink
  const jobId = uuidv7();
  const knnSetId = await insertMethodPredictionSet(db, {
    kind: 'knn', name: 'knn-test', embeddingConfigId: cfgA.row.id, annotationSetId, ontologySnapshotId: snapshotId, querySetId, k: 3, distanceThreshold: 0.8, meta: { aggregation: 'max' }, jobId,
  });
  const byProtein = new Map<string, PredictedTerm[]>();
  for (const [protein, go, ref, distance, score] of KNN_ROWS) {
    const terms = byProtein.get(protein) ?? [];
    terms.push({ go_id: go, ref_accession: ref, distance, score, qualifier: null, evidence_code: 'IDA', aspect: null, k_position: null, features: null } as PredictedTerm);
    byProtein.set(protein, terms);
  }
  const records: PredictionRecord[] = [...byProtein].map(([protein, terms]) => ({
    prediction_set_id: knnSetId, job_id: jobId, query_accession: protein, query_md5: md5(protein), reason: null, neighbours: 3, neighbours_by_aspect: null, part_index: 0, part_count: 1, terms,
  }));
  records.push({ prediction_set_id: knnSetId, job_id: jobId, query_accession: 'QS_0003', query_md5: md5('QS_0003'), reason: 'no embedding after 900 s', neighbours: 0, neighbours_by_aspect: null, part_index: 0, part_count: 1, terms: [] });
  await writeOnPool(copy, predictionsSink, { topic: 'predictions', partition: 0, expected: 0n, next: BigInt(records.length), records: incoming('predictions', 0, 0, records.map((v) => ({ key: v.query_accession, value: v }))) }, noDeadLetters);

  // an imported set (CAFA file), newer than the KNN set
  async function* batches() {
    yield IMPORTED_ROWS.map(([p, go, s]) => [p, termIds.get(go)!, s] as const);
  }
  const imported = await importPredictionSet(copy, { kind: 'imported', name: 'deepgo-file', ontologySnapshotId: snapshotId, meta: { file: 'deepgo.tsv' }, jobId: null }, batches());

  return { snapshotId, termIds, oldAnnotationSetId, annotationSetId, embeddingConfigIds: [cfgA.row.id, cfgB.row.id], querySetId, knnSetId, importedSetId: imported.id, jobId };
}
