// What each `protea produce` kind reads and sends: the ingest runs (parser,
// topic, job payload, message per item) that topics/produce.ts drives. Shared
// by the CLI, the demo, the tests and the benchmarks.
import path from 'node:path';
import { uuidv7 } from '../lib/ids.js';
import { readFasta, type FastaRecordValue } from '../parsers/fasta.js';
import { readGaf, type GafRecordValue } from '../parsers/gaf.js';
import { readObo, type OboRecordValue } from '../parsers/obo.js';
import { readTaxonomy, type TaxonomyRecordValue } from '../parsers/taxonomy.js';
import type { IngestFastaRecord, IngestGafRecord, IngestOboRecord, IngestTaxonomyRecord } from '../schemas/generated/types.js';
import { KEYS } from './catalogue.js';
import type { ProduceRun } from './produce.js';

export function fastaRun(file: string, opts: { source?: string; querySet?: string }): ProduceRun<FastaRecordValue, IngestFastaRecord> {
  const querySetId = opts.querySet ? uuidv7() : null;
  return {
    operation: 'produce.fasta',
    topicId: 'ingest.fasta',
    label: path.basename(file),
    items: readFasta(file),
    payload: { file, source: opts.source ?? 'uniprot', query_set: opts.querySet ?? null, query_set_id: querySetId },
    toMessage: (item, jobId) => ({
      key: item.key ?? KEYS.ingestFasta(item.value.header.split(/\s/)[0] ?? ''),
      value: { ...item.value, source: opts.source ?? 'uniprot', query_set_id: querySetId, query_set_name: opts.querySet ?? null, job_id: jobId },
    }),
  };
}

export function gafRun(file: string, opts: { source: string; version: string; ontology: string }): ProduceRun<GafRecordValue, IngestGafRecord> {
  return {
    operation: 'produce.gaf',
    topicId: 'ingest.gaf',
    label: path.basename(file),
    items: readGaf(file),
    payload: { file, source: opts.source, source_version: opts.version, obo_version: opts.ontology },
    toMessage: (item, jobId) => ({
      key: KEYS.ingestGaf({ source: opts.source, source_version: opts.version, db_object_id: item.value.db_object_id }),
      value: { ...item.value, source: opts.source, source_version: opts.version, obo_version: opts.ontology, job_id: jobId },
    }),
  };
}

export function oboRun(file: string, opts: { url?: string; version?: string }): ProduceRun<OboRecordValue, IngestOboRecord> {
  return {
    operation: 'produce.obo',
    topicId: 'ingest.obo',
    label: path.basename(file),
    items: readObo(file, { ...(opts.url ? { url: opts.url } : {}), ...(opts.version ? { version: opts.version } : {}) }),
    payload: { file, url: opts.url ?? null },
    toMessage: (item, jobId) => ({ key: item.key ?? KEYS.ingestObo(item.value), value: { ...item.value, job_id: jobId } }),
  };
}

export function taxonomyRun(nodes: string, names: string): ProduceRun<TaxonomyRecordValue, IngestTaxonomyRecord> {
  return {
    operation: 'produce.taxonomy',
    topicId: 'ingest.taxonomy',
    label: path.basename(nodes),
    items: readTaxonomy(nodes, names),
    payload: { nodes, names },
    toMessage: (item, jobId) => ({ key: item.key ?? KEYS.ingestTaxonomy(item.value), value: { ...item.value, job_id: jobId } }),
  };
}
