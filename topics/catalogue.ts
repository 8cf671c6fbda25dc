// The topic catalogue: every topic the pipeline reads or writes, with its key,
// partitions, cleanup policy and value schema. Topic creation, schema
// registration, producers, processors and sinks all take names from here.
//
// Keys are UTF-8 strings (never Avro); composite keys join their parts with '|'
// (no part can contain it: accessions, MD5s, UUIDs, GO ids, versions), built by
// the KEYS helpers below so every producer of a topic keys it the same way.
//
// Partitions: the data topics have 6: partitions are the scaling unit (one
// consumer of a group per partition), and 6 divides evenly among 1, 2, 3 or 6
// replicas of a processor or sink. Job events and dead letters are low-volume
// control topics: 3 partitions keep per-key order (all events of a job on one
// partition) while adding few partitions to a single-node development broker.
import { config } from '../lib/config.js';
import { ProteaError } from '../lib/errors.js';
import type { RecordName } from '../schemas/generated/types.js';

export interface TopicSpec {
  /** topic id without the namespace, e.g. 'ingest.fasta'; the full name is `<namespace>.<id>` */
  id: string;
  /** what the message key is, and its format */
  key: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  /** top-level record of the value, registered under `<topic>-value` */
  valueSchema: RecordName;
  description: string;
  /** further topic-level configs (Kafka names) */
  config?: Record<string, string>;
}

/** Stages of the pipeline; each has a dead-letter topic `dlq.<stage>`. */
export const STAGES = ['ingest', 'dedup', 'embedder', 'predictor', 'enricher', 'sinks'] as const;
export type Stage = (typeof STAGES)[number];

const DATA_PARTITIONS = 6;
const CONTROL_PARTITIONS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * A query's predictions travel in parts of 2,000 terms (processors/predictor/records.ts):
 * ~130 KB raw, ~510 KB at most once enriched (~250 bytes a term with every feature). A
 * part grows past that only when one GO term has more rows (neighbours carrying it)
 * than a part holds; a broker's 1 MB default would then refuse it, so these topics
 * take messages up to 16 MiB, the local stack's broker-wide limit (consumers fetch a
 * larger first message anyway).
 */
const PREDICTION_MESSAGE_LIMIT = { 'max.message.bytes': String(16 * 1024 * 1024) };

const STAGE_DOC: Record<Stage, string> = {
  ingest: 'FASTA/GAF/OBO/taxonomy lines the producers could not turn into ingest records (wrong column count, unknown stanza, ...), with file and line',
  dedup: 'ingest.fasta records the dedup stage rejected (empty or non-amino-acid sequence, undecodable bytes)',
  embedder: 'sequences the embedder could not embed (too long for the model without chunking, model failure, undecodable bytes)',
  predictor: 'embeddings the KNN predictor could not use (dimension mismatch with the index, unknown config, undecodable bytes)',
  enricher: 'raw predictions the feature enricher could not enrich (missing sequence or taxonomy, undecodable bytes)',
  sinks: 'records a sink could not write to PostgreSQL (constraint violation found by bisecting a failing COPY batch, undecodable bytes)',
};

function dlq(stage: Stage): TopicSpec {
  return {
    id: `dlq.${stage}`,
    key: 'the original record key, verbatim (null when it had none)',
    partitions: CONTROL_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'DeadLetterRecord',
    description: `Dead letters of the ${stage} stage: ${STAGE_DOC[stage]}. Original bytes, error code, reason and source topic/partition/offset; kept 30 days for inspection and replay.`,
    config: { 'retention.ms': String(30 * DAY_MS) },
  };
}

export const TOPICS: readonly TopicSpec[] = Object.freeze([
  {
    id: 'ingest.fasta',
    key: 'accession: the UniProt accession of a sp|/tr| header, else the first whitespace-delimited token of the header',
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'IngestFastaRecord',
    description: 'Raw FASTA entries (header, unnormalised sequence, file and line, source, query set, job) as produced by `protea produce fasta`; input of the dedup stage.',
  },
  {
    id: 'ingest.gaf',
    key: "'<source>|<source_version>|<db_object_id>': annotation set + accession",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'IngestGafRecord',
    description: 'GAF 2.1/2.2 annotation rows, 17 columns verbatim, with the annotation set (source, version, ontology release) they belong to; sunk into annotation sets.',
  },
  {
    id: 'ingest.obo',
    key: "'<obo_version>|<go_id>' for a term, '<obo_version>' for the release header",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'IngestOboRecord',
    description: 'GO OBO releases: one message per [Term] stanza (with its edges) and a release header sent last with the term count; sunk into ontology snapshots.',
  },
  {
    id: 'ingest.taxonomy',
    key: 'tax_id as a decimal string',
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'IngestTaxonomyRecord',
    description: 'NCBI taxonomy nodes (parent, rank, scientific name); sunk into the taxonomy table the feature enricher reads.',
  },
  {
    id: 'sequences',
    key: 'sequence MD5, 32 lower-case hex digits',
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'compact',
    valueSchema: 'SequenceRecord',
    description: 'Unique normalised sequences, one per MD5 after compaction; input of the embedder, so replaying it (new consumer group) re-embeds everything under a new EmbeddingConfig.',
  },
  {
    id: 'proteins',
    key: 'accession (isoforms as <canonical>-<n>)',
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'compact',
    valueSchema: 'ProteinRecord',
    description: 'Proteins: accession -> sequence MD5, canonical accession and isoform index, taxonomy and header names; the latest message per accession survives compaction.',
  },
  {
    id: 'query_sets',
    key: "'<query_set_id>|<accession>'",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'compact',
    valueSchema: 'QuerySetEntryRecord',
    description: 'Query set entries: each accession of an uploaded FASTA and the MD5 of its sequence; tells the predictor which proteins a prediction job waits for.',
  },
  {
    id: 'embeddings',
    key: "'<sequence_md5>|<embedding_config_id>' (all chunks of a sequence share the key)",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'EmbeddingRecord',
    description: 'Embedding vectors (float32 little-endian bytes) per sequence, EmbeddingConfig and chunk, with backend and device; input of the predictor and the embeddings sink.',
  },
  {
    id: 'predictions.requests',
    key: "'<job_id>|<query_accession>'",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'PredictionRequestRecord',
    description: 'One message per query protein of a prediction job (`protea predict`): prediction set, job, accession and sequence MD5; input of the predictor stage.',
  },
  {
    id: 'predictions.raw',
    key: "'<job_id>|<query_accession>'",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'PredictionRecord',
    description: 'GO terms transferred from the k nearest reference proteins, with distances and scores, features null; output of the KNN predictor, input of the feature enricher.',
    config: PREDICTION_MESSAGE_LIMIT,
  },
  {
    id: 'predictions',
    key: "'<job_id>|<query_accession>'",
    partitions: DATA_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'PredictionRecord',
    description: 'Predictions with their feature families (alignment, lengths, taxonomy, neighbour statistics) filled in by the feature enricher; sunk into GO predictions.',
    config: PREDICTION_MESSAGE_LIMIT,
  },
  {
    id: 'jobs.events',
    key: 'job id (UUIDv7)',
    partitions: CONTROL_PARTITIONS,
    cleanupPolicy: 'delete',
    valueSchema: 'JobEventRecord',
    description: 'Job lifecycle and progress events of every stage (append-only); the jobs sink materialises jobs and job events from it, the API streams it.',
    config: { 'retention.ms': String(30 * DAY_MS) },
  },
  ...STAGES.map(dlq),
] satisfies TopicSpec[]);

const byId = new Map(TOPICS.map((t) => [t.id, t]));

/** The spec of a topic id ('sequences') or full name ('protea.sequences'); throws TOPIC_UNKNOWN. */
export function findTopic(id: string, namespace?: string): TopicSpec {
  let spec = byId.get(id);
  if (!spec) {
    const ns = namespace ?? config().topicNamespace;
    if (id.startsWith(`${ns}.`)) spec = byId.get(id.slice(ns.length + 1));
  }
  if (!spec) {
    throw new ProteaError('TOPIC_UNKNOWN', `no topic ${JSON.stringify(id)} in the catalogue`, { topic: id, hint: `Use one of ${TOPICS.map((t) => t.id).join(', ')}.` });
  }
  return spec;
}

/** The full Kafka topic name: `<namespace>.<id>`, e.g. 'protea.ingest.fasta'. */
export function topicName(spec: TopicSpec | string, namespace: string = config().topicNamespace): string {
  const id = typeof spec === 'string' ? findTopic(spec, namespace).id : spec.id;
  return `${namespace}.${id}`;
}

/** The registry subject of a topic's values (TopicNameStrategy): `<topic>-value`. */
export function subjectFor(topicName: string): string {
  return `${topicName}-value`;
}

/** The dead-letter topic spec of a stage. */
export function dlqFor(stage: Stage): TopicSpec {
  return findTopic(`dlq.${stage}`);
}

/** Message keys, one builder per keyed topic, so every producer keys a topic the same way. */
/** Headers naming the input an output came from (its file and 1-based line), set by the stage that read it. */
export const SOURCE_FILE_HEADER = 'protea-source-file';
export const SOURCE_LINE_HEADER = 'protea-source-line';

export const KEYS = {
  ingestFasta: (accession: string): string => accession,
  ingestGaf: (r: { source: string; source_version: string; db_object_id: string }): string => `${r.source}|${r.source_version}|${r.db_object_id}`,
  ingestObo: (r: { obo_version: string; go_id: string | null }): string => (r.go_id === null ? r.obo_version : `${r.obo_version}|${r.go_id}`),
  ingestTaxonomy: (r: { tax_id: number }): string => String(r.tax_id),
  sequence: (r: { md5: string }): string => r.md5,
  protein: (r: { accession: string }): string => r.accession,
  querySetEntry: (r: { query_set_id: string; accession: string }): string => `${r.query_set_id}|${r.accession}`,
  embedding: (r: { sequence_md5: string; embedding_config_id: string }): string => `${r.sequence_md5}|${r.embedding_config_id}`,
  prediction: (r: { job_id: string; query_accession: string }): string => `${r.job_id}|${r.query_accession}`,
  predictionRequest: (r: { job_id: string; query_accession: string }): string => `${r.job_id}|${r.query_accession}`,
  jobEvent: (r: { job_id: string }): string => r.job_id,
} as const;
