// The dedup-by-MD5 stage: protea.ingest.fasta -> protea.sequences (key: MD5 of
// the normalised sequence), protea.proteins (key: accession) and, for entries
// of a query set, protea.query_sets (key: '<query_set_id>|<accession>').
//
// One sequence under many accessions (isoforms, duplicates) gives one sequence
// message per batch and one protein message per accession; across batches the
// compacted topic and the sinks deduplicate by the MD5 key. Every output is a
// function of its input alone (plus the first job that brought the MD5 in the
// batch), so a redelivered input yields the same keys and values. An entry
// whose sequence breaks the normalisation rules (see parsers/fasta-sequence.ts) is rejected
// with SEQUENCE_INVALID and its file and line; the runner dead-letters it.
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { IngestFastaRecord, ProteinRecord, QuerySetEntryRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { KEYS, SOURCE_FILE_HEADER, SOURCE_LINE_HEADER, topicName } from '../../topics/catalogue.js';
import { runProcessor, type ProcessorHandle, type ProcessorOptions, type ProcessorOutput, type TransformResult } from '../runner.js';
import { parseFastaHeader, parseIsoform } from '../../parsers/fasta-header.js';
import { md5Hex, normaliseSequence } from '../../parsers/fasta-sequence.js';

export const DEDUP_STAGE = 'dedup' as const;

/** Full names of the topics the stage writes. */
export interface DedupTopics {
  sequences: string;
  proteins: string;
  querySets: string;
}

export function dedupTopics(namespace: string = config().topicNamespace): DedupTopics {
  return {
    sequences: topicName('sequences', namespace),
    proteins: topicName('proteins', namespace),
    querySets: topicName('query_sets', namespace),
  };
}

/** What the transform needs of an input record (a decoded IncomingRecord fits). */
export interface DedupInput {
  value: IngestFastaRecord;
  topic?: string;
  partition?: number;
  offset?: string;
}

export interface DedupTransformOptions {
  /** longest accepted sequence in residues (normaliseSequence's default when unset) */
  maxSequenceLength?: number;
}

function isIngestFasta(v: unknown): v is IngestFastaRecord {
  const r = v as Partial<IngestFastaRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.header === 'string' && typeof r.sequence === 'string' && typeof r.job_id === 'string';
}

/**
 * Pure: one result per input, in order: the outputs of the entry (its sequence
 * the first time its MD5 appears in this call, its protein, its query-set
 * entry when it has a query set) or the ProteaError that rejects it.
 */
export function dedupTransform(records: readonly DedupInput[], topics: DedupTopics, opts: DedupTransformOptions = {}): TransformResult[] {
  const seen = new Set<string>();
  const normOpts = opts.maxSequenceLength === undefined ? {} : { maxLength: opts.maxSequenceLength };
  // the error contexts (where, at) are built only for a rejected record: no objects per accepted one
  const where = (rec: DedupInput) => ({ topic: rec.topic, partition: rec.partition, offset: rec.offset });
  const at = (rec: DedupInput, v: IngestFastaRecord) => ({ ...where(rec), file: v.source_file, line: v.line });
  return records.map((rec): TransformResult => {
    const v = rec.value;
    if (!isIngestFasta(v)) {
      return new ProteaError('PROCESSOR_FAILED', 'the record is not an IngestFastaRecord (header, sequence or job_id missing)', where(rec));
    }
    const header = parseFastaHeader(v.header);
    if (header.accession === '') {
      return new ProteaError('PROCESSOR_FAILED', 'the FASTA header has no accession', { ...at(rec, v), field: 'header' });
    }
    const norm = normaliseSequence(v.sequence, normOpts);
    if (!norm.ok) {
      return new ProteaError('SEQUENCE_INVALID', norm.reason, { ...at(rec, v), field: 'sequence', accession: header.accession, ...(norm.position === undefined ? {} : { position: norm.position }) });
    }
    const md5 = md5Hex(norm.sequence);
    const length = norm.sequence.length;
    const out: ProcessorOutput[] = [];
    if (!seen.has(md5)) {
      seen.add(md5);
      const seq: SequenceRecord = { md5, sequence: norm.sequence, length, first_seen_job_id: v.job_id };
      out.push({ topic: topics.sequences, key: KEYS.sequence(seq), value: seq });
    }
    const iso = parseIsoform(header.accession);
    const protein: ProteinRecord = {
      accession: header.accession,
      canonical_accession: iso.canonical_accession,
      is_canonical: iso.is_canonical,
      isoform_index: iso.isoform_index,
      entry_name: header.entry_name,
      protein_name: header.protein_name,
      reviewed: header.reviewed,
      taxonomy_id: header.taxonomy_id,
      organism: header.organism,
      gene_name: header.gene_name,
      protein_existence: header.protein_existence,
      sequence_version: header.sequence_version,
      sequence_md5: md5,
      length,
      job_id: v.job_id,
    };
    // the entry's file and line: its identity within its job, so that the proteins sink
    // counts it once toward the job however often this stage redelivers it
    out.push({ topic: topics.proteins, key: KEYS.protein(protein), value: protein, headers: { [SOURCE_FILE_HEADER]: v.source_file, [SOURCE_LINE_HEADER]: String(v.line) } });
    if (v.query_set_id !== null && v.query_set_id !== '') {
      const entry: QuerySetEntryRecord = {
        query_set_id: v.query_set_id,
        query_set_name: v.query_set_name ?? v.query_set_id,
        accession: header.accession,
        sequence_md5: md5,
        job_id: v.job_id,
      };
      out.push({ topic: topics.querySets, key: KEYS.querySetEntry(entry), value: entry });
    }
    return out;
  });
}

export type DedupOptions = Partial<Omit<ProcessorOptions<IngestFastaRecord>, 'stage' | 'transform'>> & DedupTransformOptions;

/** Starts the dedup stage (consumer group `<namespace>.dedup` unless given); resolves once it joined the group. */
export function runDedup(opts: DedupOptions = {}): Promise<ProcessorHandle> {
  const namespace = opts.namespace ?? config().topicNamespace;
  const topics = dedupTopics(namespace);
  const { maxSequenceLength, ...runner } = opts;
  const transformOpts: DedupTransformOptions = maxSequenceLength === undefined ? {} : { maxSequenceLength };
  return runProcessor<IngestFastaRecord>({
    ...runner,
    namespace,
    stage: DEDUP_STAGE,
    inputTopic: opts.inputTopic ?? topicName('ingest.fasta', namespace),
    groupId: opts.groupId ?? `${namespace}.${DEDUP_STAGE}`,
    transform: async (records) => dedupTransform(records, topics, transformOpts),
  });
}
