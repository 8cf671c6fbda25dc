// generated from schemas/*.avsc by schemas/codegen.ts — do not edit
// Regenerate with `npm run codegen` (protea schemas generate); `protea schemas check` fails when this file is stale.
// Mapping: record -> interface, enum -> union of string literals, bytes/fixed -> Buffer,
// int/long/float/double -> number (avsc decodes long as a JS number), ["null", T] -> T | null,
// array -> T[], map -> Record<string, T>. Logical types keep their underlying type (see field docs).

/**
 * A record a stage could not process, with its original bytes and why. Topics protea.dlq.<stage>, key: the original record's key (verbatim). Also carries the provenance as Kafka headers.
 *
 * Avro record org.protea.stream.DeadLetterRecord, defined in dead_letter.avsc.
 */
export interface DeadLetterRecord {
  /** Stage that rejected the record: 'ingest', 'dedup', 'embedder', 'predictor', 'enricher' or 'sinks'. */
  stage: string;
  /** Full name of the topic the record came from (for 'ingest': the topic it was meant for), e.g. 'protea.ingest.fasta'. */
  source_topic: string;
  /** Partition of the original record; null when it never reached Kafka (rejected by a producer). */
  source_partition: number | null;
  /** Offset of the original record as a decimal string (Kafka offsets are int64); null when it never reached Kafka. */
  source_offset: string | null;
  /** Error code of the failure, e.g. 'PROTEA_ERR_AVRO_DECODE_FAILED'. */
  error_code: string;
  /** Human-readable reason, naming the offending field or rule, e.g. 'sequence is empty'. */
  reason: string;
  /** Whether the failure is transient, i.e. replaying the record later may succeed. */
  retriable: boolean;
  /** Key bytes of the original record, verbatim; null when it had none. */
  original_key: Buffer | null;
  /** Value bytes of the original record, verbatim (Avro with the registry's wire header, or the raw input line for 'ingest'); null for a tombstone. */
  original_value: Buffer | null;
  /**
   * Kafka headers of the original record, name -> value bytes; empty when none.
   * Default: {}.
   */
  original_headers: Record<string, Buffer>;
  /** Input file the record came from, when known (ingest records carry it). */
  file: string | null;
  /** 1-based line in that file, when known. */
  line: number | null;
  /**
   * Job (UUIDv7 string) the record belonged to, when known; a 'dead_letter' job event is emitted for it.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string | null;
  /**
   * When the stage gave up on the record: milliseconds since the Unix epoch, UTC.
   * Avro long, logicalType timestamp-millis: milliseconds since the Unix epoch (UTC), as a number.
   */
  failed_at: number;
}

/**
 * One embedding of one sequence (or of one chunk of it) under one EmbeddingConfig. Topic protea.embeddings, key '<sequence_md5>|<embedding_config_id>' (all chunks of a sequence share the key and the partition).
 *
 * Avro record org.protea.stream.EmbeddingRecord, defined in embedding.avsc.
 */
export interface EmbeddingRecord {
  /** MD5 of the embedded normalised sequence, 32 lower-case hex digits. */
  sequence_md5: string;
  /**
   * EmbeddingConfig (UUID string): the full recipe (model, layers, aggregation, pooling, normalisation, chunking).
   * UUID in its canonical string form (logicalType uuid).
   */
  embedding_config_id: string;
  /** The embedding: dim float32 values, little-endian, 4*dim bytes. */
  vector: Buffer;
  /** Number of float32 values in vector. */
  dim: number;
  /** Start of the chunk in amino-acid positions (0-based, inclusive; special tokens excluded); 0 when chunking is off. */
  chunk_index_s: number;
  /** End of the chunk in amino-acid positions (exclusive; equals the sequence length for the last chunk); null when chunking is off (the vector covers the whole sequence). */
  chunk_index_e: number | null;
  /** Backend that computed the vector: 'esm', 'esm3c', 't5', 'ankh' (ONNX models) or 'kmer' (the built-in weight-free backend). */
  backend: string;
  /** Where it ran: 'cuda' (ONNX Runtime CUDA execution provider) or 'cpu'. */
  device: string;
  /** Residues embedded when the sequence was cut at the config's max_length (the model saw only its first truncated_at residues); null when the vector covers the whole sequence or chunk. */
  truncated_at: number | null;
  /**
   * Job (UUIDv7 string) the embedding was computed for (e.g. a replay), or null when unknown.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string | null;
}

/**
 * One raw FASTA entry as read from a file, before any normalisation. Topic protea.ingest.fasta, key: the accession (UniProt accession of a sp|/tr| header, else the first whitespace-delimited token of the header).
 *
 * Avro record org.protea.stream.IngestFastaRecord, defined in ingest_fasta.avsc.
 */
export interface IngestFastaRecord {
  /** The header line without the leading '>' and without the line terminator (CR/LF stripped), otherwise verbatim, e.g. 'sp|P69905|HBA_HUMAN Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1 PE=1 SV=2'. */
  header: string;
  /** The sequence lines of the entry concatenated with line terminators removed, otherwise raw: case, gaps ('-', '.'), stop '*' and unknown letters are kept; normalisation and rejection happen in the dedup stage. */
  sequence: string;
  /** Name of the file the entry was read from, as given to the producer (path relative to the working directory, or the upload's file name). */
  source_file: string;
  /** 1-based line number of the header line in the (decompressed) source file. */
  line: number;
  /** Where the sequences come from, lower case: 'uniprot' (Swiss-Prot/TrEMBL), 'upload' (a user's query FASTA), 'cafa', ... Selects the header parser. */
  source: string;
  /**
   * Query set the entry belongs to (UUID string), or null when the file is reference data rather than a query upload.
   * UUID in its canonical string form (logicalType uuid).
   */
  query_set_id: string | null;
  /** Human name of the query set (the upload's name), or null when query_set_id is null. */
  query_set_name: string | null;
  /**
   * Job (UUIDv7 string) of the produce run that read the file; progress and rejections are reported against it.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
}

/**
 * One GAF 2.1/2.2 annotation row with its 17 columns verbatim, plus the annotation set it belongs to. Topic protea.ingest.gaf, key '<source>|<source_version>|<db_object_id>' (annotation set + accession). Comment lines ('!') are not produced; rows with a wrong column count go to protea.dlq.ingest.
 *
 * Avro record org.protea.stream.IngestGafRecord, defined in ingest_gaf.avsc.
 */
export interface IngestGafRecord {
  /** Annotation source, lower case (e.g. 'goa', 'quickgo', 'cafa'); with source_version it identifies the annotation set. */
  source: string;
  /** Release of the source as given by the user (e.g. '2024-01-17' or GOA release '220'); with source it identifies the annotation set. */
  source_version: string;
  /** Ontology release the annotations are interpreted against: the data-version of the OBO file (e.g. 'releases/2024-01-17'), pinning the ontology snapshot of the annotation set. */
  obo_version: string;
  /**
   * Job (UUIDv7 string) of the produce run that read the file.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
  /** Name of the GAF file the row was read from, as given to the producer. */
  source_file: string;
  /** 1-based line number of the row in the (decompressed) source file. */
  line: number;
  /** GAF format version from the '!gaf-version:' header line, e.g. '2.2' or '2.1'. */
  gaf_version: string;
  /** Column 1, DB: database the object identifier belongs to, e.g. 'UniProtKB'. */
  db: string;
  /** Column 2, DB Object ID: the protein accession, e.g. 'P69905' (isoforms as 'P69905-2'). */
  db_object_id: string;
  /** Column 3, DB Object Symbol: gene or protein symbol, e.g. 'HBA1'. */
  db_object_symbol: string;
  /** Column 4, Qualifier, verbatim: a relation ('enables', 'involved_in', 'located_in', ...) optionally prefixed 'NOT|'; '|'-separated; may be empty in GAF 2.1. */
  qualifier: string;
  /** Column 5, GO ID, e.g. 'GO:0005344'. */
  go_id: string;
  /** Column 6, DB:Reference(s): '|'-separated references, e.g. 'PMID:1234567|GO_REF:0000024'. */
  db_reference: string;
  /** Column 7, Evidence Code: a GO evidence code such as 'IDA', 'IEA', 'ISS'. */
  evidence_code: string;
  /** Column 8, With (or) From: '|' or ','-separated identifiers; empty string when absent. */
  with_from: string;
  /** Column 9, Aspect: 'F' (molecular function), 'P' (biological process) or 'C' (cellular component). */
  aspect: string;
  /** Column 10, DB Object Name: protein name; empty string when absent. */
  db_object_name: string;
  /** Column 11, DB Object Synonym: '|'-separated synonyms; empty string when absent. */
  db_object_synonym: string;
  /** Column 12, DB Object Type, e.g. 'protein'. */
  db_object_type: string;
  /** Column 13, Taxon: 'taxon:<NCBI id>', optionally '|taxon:<id>' for an interacting organism, e.g. 'taxon:9606'. */
  taxon: string;
  /** Column 14, Date: annotation date as YYYYMMDD, verbatim. */
  date: string;
  /** Column 15, Assigned By: database that made the annotation, e.g. 'UniProt'. */
  assigned_by: string;
  /** Column 16, Annotation Extension: verbatim; empty string when absent. */
  annotation_extension: string;
  /** Column 17, Gene Product Form ID, e.g. an isoform accession; empty string when absent. */
  gene_product_form_id: string;
}

/**
 * One message of a GO OBO release: either the release header (kind HEADER) or one [Term] stanza with its edges (kind TERM). Topic protea.ingest.obo, key '<obo_version>|<go_id>' for terms and '<obo_version>' for the header. The producer sends the HEADER after the last term so that term_count is known: a sink knows a release is complete when it holds term_count terms of that obo_version. [Typedef] and unknown stanzas are not produced.
 *
 * Avro record org.protea.stream.IngestOboRecord, defined in ingest_obo.avsc.
 */
export interface IngestOboRecord {
  /** HEADER: release metadata (format_version, data_version, date, term_count set; term fields null/empty). TERM: one GO term (go_id and term fields set; header fields null). */
  kind: OboRecordKind;
  /** Release identifier: the 'data-version:' header value (e.g. 'releases/2024-01-17'), or the user-given version when the file has none. Unique per ontology snapshot. */
  obo_version: string;
  /** Provenance of the file: the URL it was downloaded from, or a file:// URL of the local path it was read from. */
  obo_url: string;
  /**
   * Job (UUIDv7 string) of the produce run that read the file.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
  /** Name of the OBO file as given to the producer. */
  source_file: string;
  /** 1-based line number in the (decompressed) file: of the '[Term]' line for TERM, of the first header line for HEADER. */
  line: number;
  /** TERM: the term's 'id:', e.g. 'GO:0005344'. Null for HEADER. */
  go_id: string | null;
  /** TERM: the term's 'name:', e.g. 'oxygen carrier activity'. Null for HEADER or when absent. */
  name: string | null;
  /** TERM: 'namespace:' value: 'molecular_function' (aspect F), 'biological_process' (P) or 'cellular_component' (C). Null for HEADER or when absent. */
  namespace: string | null;
  /** TERM: text of the 'def:' line without quotes and without the trailing dbxref list. Null for HEADER or when absent. */
  definition: string | null;
  /**
   * TERM: true when the stanza has 'is_obsolete: true' (obsolete terms are kept, with replaced_by/consider). Always false for HEADER.
   * Default: false.
   */
  is_obsolete: boolean;
  /**
   * TERM: the 'alt_id:' values (secondary GO ids merged into this term), in file order. Empty for HEADER.
   * Default: [].
   */
  alt_ids: string[];
  /**
   * TERM: the 'replaced_by:' GO ids of an obsolete term, in file order. Empty otherwise.
   * Default: [].
   */
  replaced_by: string[];
  /**
   * TERM: the 'consider:' GO ids suggested for an obsolete term, in file order. Empty otherwise.
   * Default: [].
   */
  consider: string[];
  /**
   * TERM: outgoing edges (is_a and relationship lines), in file order. Empty for HEADER and for root terms.
   * Default: [].
   */
  edges: OboEdge[];
  /** HEADER: the 'format-version:' value, e.g. '1.2' or '1.4'. Null for TERM. */
  format_version: string | null;
  /** HEADER: the 'data-version:' value verbatim, e.g. 'releases/2024-01-17'; null for TERM or when the file has none. */
  data_version: string | null;
  /** HEADER: the 'date:' value verbatim (OBO format 'dd:MM:yyyy HH:mm'). Null for TERM or when absent. */
  date: string | null;
  /** HEADER: number of TERM messages produced for this release (obsolete terms included). Null for TERM. */
  term_count: number | null;
}

/**
 * What an IngestOboRecord carries: the release HEADER or one TERM.
 *
 * Avro enum org.protea.stream.OboRecordKind, defined in ingest_obo.avsc.
 */
export type OboRecordKind = 'HEADER' | 'TERM';

/**
 * A directed edge of the GO DAG from the term of the message (child) to a parent term.
 *
 * Avro record org.protea.stream.OboEdge, defined in ingest_obo.avsc.
 */
export interface OboEdge {
  /** Relation type: 'is_a' for is_a lines, else the relationship name of a 'relationship:' line ('part_of', 'regulates', 'positively_regulates', 'negatively_regulates', 'occurs_in', ...). */
  relation: string;
  /** GO id of the parent (target) term, e.g. 'GO:0005488'. */
  parent_go_id: string;
}

/**
 * One node of the NCBI taxonomy (nodes.dmp joined with the scientific name of names.dmp). Topic protea.ingest.taxonomy, key: tax_id as a decimal string.
 *
 * Avro record org.protea.stream.IngestTaxonomyRecord, defined in ingest_taxonomy.avsc.
 */
export interface IngestTaxonomyRecord {
  /** NCBI taxonomy identifier of the node, e.g. 9606. */
  tax_id: number;
  /** NCBI taxonomy identifier of the parent node; the root (1) is its own parent, as in nodes.dmp. */
  parent_tax_id: number;
  /** Rank as in nodes.dmp, e.g. 'species', 'genus', 'no rank'. */
  rank: string;
  /** The 'scientific name' entry of names.dmp, e.g. 'Homo sapiens'. */
  scientific_name: string;
  /**
   * Job (UUIDv7 string) of the produce run that read the dump.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
}

/**
 * One append-only event of a job's life: creation, status changes, progress, warnings, dead letters. Topic protea.jobs.events, key: job_id (so a job's events stay in order on one partition). The jobs sink materialises the job and job_event tables from these.
 *
 * Avro record org.protea.stream.JobEventRecord, defined in job_event.avsc.
 */
export interface JobEventRecord {
  /**
   * Unique id of this event (UUIDv7 string, time-ordered); the sink's idempotency key, so a redelivered event is stored once.
   * UUID in its canonical string form (logicalType uuid).
   */
  event_id: string;
  /**
   * Job (UUIDv7 string) the event belongs to.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
  /** Event name, lower case: 'created', 'started', 'progress', 'warning', 'dead_letter', 'finished', 'failed', 'cancelled', or a stage-specific name such as 'embedder.batch'. */
  event: string;
  /** The job's status after this event; null when the event does not change it (e.g. progress). */
  status: JobStatus | null;
  /** Operation of the job, e.g. 'produce_fasta', 'produce_gaf', 'replay', 'predict', 'evaluate'; set at least on 'created'. */
  operation: string | null;
  /** Stage that emitted the event: 'cli', 'api', 'ingest', 'dedup', 'embedder', 'predictor', 'enricher' or 'sinks'; null when not stage-specific. */
  stage: string | null;
  /**
   * Units of work done so far (records, sequences, queries); null when the event carries no progress.
   * Avro long: avsc decodes it as a JavaScript number (exact up to 2^53).
   */
  progress_current: number | null;
  /**
   * Units of work in total, when known; null otherwise.
   * Avro long: avsc decodes it as a JavaScript number (exact up to 2^53).
   */
  progress_total: number | null;
  /** Severity: 'info', 'warn' or 'error'. */
  level: JobEventLevel;
  /** Human-readable message; for a failure, the error message. */
  message: string | null;
  /** Error code of a failure or dead letter, e.g. 'PROTEA_ERR_AVRO_DECODE_FAILED'; null otherwise. */
  error_code: string | null;
  /** Structured details of the event as a JSON object text (e.g. {"file":"q.fasta","line":12}); null when none. */
  fields_json: string | null;
  /**
   * When the event happened: milliseconds since the Unix epoch, UTC.
   * Avro long, logicalType timestamp-millis: milliseconds since the Unix epoch (UTC), as a number.
   */
  ts: number;
  /**
   * Parent job (UUIDv7 string) of a child job; null for a top-level job.
   * UUID in its canonical string form (logicalType uuid).
   */
  parent_job_id: string | null;
  /** The job's input parameters as a JSON object text; set on 'created', null otherwise. */
  payload_json: string | null;
}

/**
 * Job state machine: queued -> running -> succeeded | failed, or cancelled.
 *
 * Avro enum org.protea.stream.JobStatus, defined in job_event.avsc.
 */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * Severity of a job event.
 *
 * Avro enum org.protea.stream.JobEventLevel, defined in job_event.avsc.
 */
export type JobEventLevel = 'info' | 'warn' | 'error';

/**
 * The GO terms transferred to one query protein in one prediction job: one item per (GO term, reference protein). One schema serves two topics: protea.predictions.raw (from the KNN predictor; every term's features is null) and protea.predictions (from the feature enricher; features set, with disabled families null). Key '<job_id>|<query_accession>'. A query with very many terms may be split into several messages with the same key (part_index of part_count) to stay below the broker's message size limit.
 *
 * Avro record org.protea.stream.PredictionRecord, defined in prediction.avsc.
 */
export interface PredictionRecord {
  /**
   * Prediction set (UUID string): embedding config, annotation set, ontology snapshot, k, distance threshold and scoring of the run.
   * UUID in its canonical string form (logicalType uuid).
   */
  prediction_set_id: string;
  /**
   * Prediction job (UUIDv7 string).
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
  /** Accession of the query protein as in its query set entry, e.g. 'P69905'. */
  query_accession: string;
  /** MD5 of the query's normalised sequence, 32 lower-case hex digits. */
  query_md5: string;
  /** Why the query could not be predicted (e.g. 'no embedding under config ... after 900 s'); terms is then empty. Null for a predicted query, also one with no terms (no neighbour within the distance threshold). */
  reason: string | null;
  /**
   * Reference proteins the terms were transferred from (k plus ties, or those within the threshold; per aspect summed when aspect-separated).
   * Default: 0.
   */
  neighbours: number;
  /** Neighbours selected per searched index: keys 'F', 'P', 'C' when aspect-separated, 'all' otherwise; the denominator of the enricher's neighbor_vote_fraction. Null from a predictor that did not record it (the enricher then counts the distinct references of the term's aspect in the message). */
  neighbours_by_aspect: Record<string, number> | null;
  /**
   * 0-based index of this message among the parts of the query's predictions.
   * Default: 0.
   */
  part_index: number;
  /**
   * Number of messages the query's predictions were split into (1 when not split); the query is complete when all parts arrived.
   * Default: 1.
   */
  part_count: number;
  /** The transferred terms, one per (GO term, reference protein), ordered by distance then go_id; when split into parts, ordered by go_id then distance, and the rows of one GO term never span two parts (the enricher's neighbour statistics need all of them). */
  terms: PredictedTerm[];
}

/**
 * One GO term transferred from one reference neighbour to the query.
 *
 * Avro record org.protea.stream.PredictedTerm, defined in prediction.avsc.
 */
export interface PredictedTerm {
  /** Transferred GO term, e.g. 'GO:0005344'. */
  go_id: string;
  /** Accession of the reference protein (neighbour) that carries the annotation. */
  ref_accession: string;
  /** Distance from query to reference embedding under the prediction set's metric: cosine distance 1-cos (0..2) by default, or Euclidean (L2) distance. */
  distance: number;
  /** Score of the GO term for the query under the prediction set's scoring (default: GOPredSim, mean of s(d) over the k hits), 0..1; null when unscored. */
  score: number | null;
  /** GAF qualifier of the reference annotation, e.g. 'enables'; null when absent. */
  qualifier: string | null;
  /** Evidence code of the reference annotation, e.g. 'IDA'; null when absent. */
  evidence_code: string | null;
  /** GO aspect of the term, 'F', 'P' or 'C' (the aspect index searched when aspect-separated); null when unknown. */
  aspect: string | null;
  /** 1-based rank of the reference among the query's neighbours (1 = nearest); null when unknown. */
  k_position: number | null;
  /** Feature families of this triple; null on protea.predictions.raw, set on protea.predictions. */
  features: PredictionFeatures | null;
}

/**
 * Optional feature families of a (query, GO term, reference) triple, added by the feature enricher. Each family is null when it was not requested.
 *
 * Avro record org.protea.stream.PredictionFeatures, defined in prediction.avsc.
 */
export interface PredictionFeatures {
  /** Needleman-Wunsch (global, BLOSUM62) identity: identical positions / alignment length, 0..1. */
  identity_nw: number | null;
  /** Needleman-Wunsch similarity: positions with a positive BLOSUM62 score / alignment length, 0..1. */
  similarity_nw: number | null;
  /** Needleman-Wunsch alignment score (BLOSUM62 units, gap penalties included). */
  alignment_score_nw: number | null;
  /** Needleman-Wunsch gap positions / alignment length, as a percentage 0..100. */
  gaps_pct_nw: number | null;
  /** Needleman-Wunsch alignment length in columns (residues plus gaps). */
  alignment_length_nw: number | null;
  /** Smith-Waterman (local, BLOSUM62) identity: identical positions / alignment length, 0..1. */
  identity_sw: number | null;
  /** Smith-Waterman similarity: positions with a positive BLOSUM62 score / alignment length, 0..1. */
  similarity_sw: number | null;
  /** Smith-Waterman alignment score (BLOSUM62 units, gap penalties included). */
  alignment_score_sw: number | null;
  /** Smith-Waterman gap positions / alignment length, as a percentage 0..100. */
  gaps_pct_sw: number | null;
  /** Smith-Waterman alignment length in columns (residues plus gaps). */
  alignment_length_sw: number | null;
  /** Length of the query's normalised sequence, in residues. */
  length_query: number | null;
  /** Length of the reference's normalised sequence, in residues. */
  length_ref: number | null;
  /** NCBI taxonomy id of the query protein; null when unknown. */
  query_taxonomy_id: number | null;
  /** NCBI taxonomy id of the reference protein; null when unknown. */
  ref_taxonomy_id: number | null;
  /** NCBI taxonomy id of the lowest common ancestor of query and reference taxa. */
  taxonomic_lca: number | null;
  /** Number of edges between the query and reference taxa through their LCA in the taxonomy tree. */
  taxonomic_distance: number | null;
  /** Number of ancestors (lineage nodes) the query and reference taxa share, root included. */
  taxonomic_common_ancestors: number | null;
  /** Relation of the reference taxon to the query taxon: 'same', 'ancestor' (the reference's taxon is an ancestor of the query's), 'descendant', 'sibling' (same parent) or 'other'. */
  taxonomic_relation: string | null;
  /** Number of the query's k neighbours annotated with this GO term. */
  vote_count: number | null;
  /** Fraction of reference proteins of the annotation set annotated with this GO term, 0..1. */
  go_term_frequency: number | null;
  /** Number of GO terms annotated to the reference protein in the annotation set. */
  ref_annotation_density: number | null;
  /** Standard deviation of the distances of the neighbours carrying this GO term (0 for one neighbour). */
  neighbor_distance_std: number | null;
  /** vote_count divided by the number of neighbours k, 0..1. */
  neighbor_vote_fraction: number | null;
  /** Smallest distance among the neighbours carrying this GO term. */
  neighbor_min_distance: number | null;
  /** Mean distance of the neighbours carrying this GO term. */
  neighbor_mean_distance: number | null;
}

/**
 * One query protein of a prediction job, as `protea predict` requests it. Topic protea.predictions.requests, key '<job_id>|<query_accession>'; input of the predictor stage, which predicts the query at once when its embedding is stored, else as soon as it lands.
 *
 * Avro record org.protea.stream.PredictionRequestRecord, defined in prediction_request.avsc.
 */
export interface PredictionRequestRecord {
  /**
   * Prediction set (UUID string) whose method and parameters (method, embedding config, annotation set, k, threshold, metric, aggregation, score map, evidence codes, exclude-self) apply.
   * UUID in its canonical string form (logicalType uuid).
   */
  prediction_set_id: string;
  /**
   * Prediction job (UUIDv7 string); progress counts each query protein once.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
  /** Accession of the query protein as in its query set entry, e.g. 'P69905'. */
  query_accession: string;
  /** MD5 of the query's normalised sequence, 32 lower-case hex digits. */
  query_md5: string;
}

/**
 * One protein accession (canonical entry or isoform) and the sequence it points to, parsed from a FASTA header by the dedup stage. Topic protea.proteins (compacted), key: accession. Many proteins may share one sequence_md5.
 *
 * Avro record org.protea.stream.ProteinRecord, defined in protein.avsc.
 */
export interface ProteinRecord {
  /** Accession as in the header, isoforms included, e.g. 'P69905' or 'P04637-2'; also the message key. */
  accession: string;
  /** Accession with any isoform suffix '-<n>' removed, e.g. 'P04637'; groups isoforms. */
  canonical_accession: string;
  /** True when accession has no isoform suffix (accession == canonical_accession). */
  is_canonical: boolean;
  /** The <n> of an isoform accession '<canonical>-<n>', or null for a canonical entry. */
  isoform_index: number | null;
  /** UniProt entry name (mnemonic), e.g. 'HBA_HUMAN'; null when the header has none. */
  entry_name: string | null;
  /** Recommended protein name from the header (text before 'OS='), e.g. 'Hemoglobin subunit alpha'; null when the header has none. */
  protein_name: string | null;
  /** True for Swiss-Prot ('sp|' header), false for TrEMBL ('tr|'), null when the header is not UniProt style. */
  reviewed: boolean | null;
  /** NCBI taxonomy id from 'OX=', e.g. 9606; null when absent. */
  taxonomy_id: number | null;
  /** Organism name from 'OS=', e.g. 'Homo sapiens'; null when absent. */
  organism: string | null;
  /** Gene name from 'GN=', e.g. 'HBA1'; null when absent. */
  gene_name: string | null;
  /** UniProt protein existence level from 'PE=', 1 (evidence at protein level) to 5 (uncertain); null when absent. */
  protein_existence: number | null;
  /** UniProt sequence version from 'SV=', e.g. 2; null when absent. */
  sequence_version: number | null;
  /** MD5 of the normalised sequence, 32 lower-case hex digits: the key of the protea.sequences message. */
  sequence_md5: string;
  /** Number of residues of the normalised sequence. */
  length: number;
  /**
   * Job (UUIDv7 string) whose input produced this message, or null when unknown.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string | null;
}

/**
 * One FASTA entry of a user's query set, linking the original accession to its deduplicated sequence. Topic protea.query_sets (compacted), key '<query_set_id>|<accession>'.
 *
 * Avro record org.protea.stream.QuerySetEntryRecord, defined in query_set_entry.avsc.
 */
export interface QuerySetEntryRecord {
  /**
   * Query set (UUID string) the entry belongs to.
   * UUID in its canonical string form (logicalType uuid).
   */
  query_set_id: string;
  /** Human name of the query set, e.g. the uploaded file's name. */
  query_set_name: string;
  /** Accession as read from the FASTA header (may be unknown to protea.proteins). */
  accession: string;
  /** MD5 of the normalised sequence, 32 lower-case hex digits: the key of the protea.sequences message. */
  sequence_md5: string;
  /**
   * Job (UUIDv7 string) of the upload or produce run that created the entry.
   * UUID in its canonical string form (logicalType uuid).
   */
  job_id: string;
}

/**
 * A unique, normalised amino-acid sequence. Topic protea.sequences (compacted), key: the md5 field, so one message per distinct sequence survives compaction; replaying the topic re-embeds everything.
 *
 * Avro record org.protea.stream.SequenceRecord, defined in sequence.avsc.
 */
export interface SequenceRecord {
  /** MD5 of the normalised sequence (UTF-8 bytes), 32 lower-case hex digits; also the message key. */
  md5: string;
  /** The normalised sequence as the dedup stage defines it: upper-case amino-acid letters only (no whitespace, gaps or stop '*'). */
  sequence: string;
  /** Number of residues of the normalised sequence. */
  length: number;
  /**
   * Job (UUIDv7 string) whose input produced this message, or null when unknown (e.g. migrated data).
   * UUID in its canonical string form (logicalType uuid).
   */
  first_seen_job_id: string | null;
}

/** Each top-level record type and the .avsc file (in schemas/) that defines it. */
export const SCHEMA_FILES = {
  DeadLetterRecord: 'dead_letter.avsc',
  EmbeddingRecord: 'embedding.avsc',
  IngestFastaRecord: 'ingest_fasta.avsc',
  IngestGafRecord: 'ingest_gaf.avsc',
  IngestOboRecord: 'ingest_obo.avsc',
  IngestTaxonomyRecord: 'ingest_taxonomy.avsc',
  JobEventRecord: 'job_event.avsc',
  PredictionRecord: 'prediction.avsc',
  PredictionRequestRecord: 'prediction_request.avsc',
  ProteinRecord: 'protein.avsc',
  QuerySetEntryRecord: 'query_set_entry.avsc',
  SequenceRecord: 'sequence.avsc',
} as const;

/** Name of a top-level record type: the value schema of one or more topics. */
export type RecordName = keyof typeof SCHEMA_FILES;

/** The TypeScript type of each top-level record. */
export interface RecordTypes {
  DeadLetterRecord: DeadLetterRecord;
  EmbeddingRecord: EmbeddingRecord;
  IngestFastaRecord: IngestFastaRecord;
  IngestGafRecord: IngestGafRecord;
  IngestOboRecord: IngestOboRecord;
  IngestTaxonomyRecord: IngestTaxonomyRecord;
  JobEventRecord: JobEventRecord;
  PredictionRecord: PredictionRecord;
  PredictionRequestRecord: PredictionRequestRecord;
  ProteinRecord: ProteinRecord;
  QuerySetEntryRecord: QuerySetEntryRecord;
  SequenceRecord: SequenceRecord;
}
