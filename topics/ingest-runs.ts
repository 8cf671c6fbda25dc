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

// The toMessage functions build each value as one object literal listing every
// field of the Avro record in schema order (schemas/generated/types.ts), not as
// a spread of the reader's value: a spread of a 17-field object per row cost
// ~5 µs and its garbage (issue 13). test/unit/ingest-runs.test.ts checks they
// equal the spread form.

export function fastaRun(file: string, opts: { source?: string; querySet?: string }): ProduceRun<FastaRecordValue, IngestFastaRecord> {
  const querySetId = opts.querySet ? uuidv7() : null;
  const source = opts.source ?? 'uniprot';
  const querySetName = opts.querySet ?? null;
  return {
    operation: 'produce.fasta',
    topicId: 'ingest.fasta',
    label: path.basename(file),
    items: readFasta(file),
    payload: { file, source, query_set: querySetName, query_set_id: querySetId },
    toMessage: (item, jobId) => {
      const v = item.value;
      return {
        key: item.key ?? KEYS.ingestFasta(v.header.split(/\s/)[0] ?? ''),
        value: {
          header: v.header,
          sequence: v.sequence,
          source_file: v.source_file,
          line: v.line,
          source,
          query_set_id: querySetId,
          query_set_name: querySetName,
          job_id: jobId,
        },
      };
    },
  };
}

export function gafRun(file: string, opts: { source: string; version: string; ontology: string }): ProduceRun<GafRecordValue, IngestGafRecord> {
  const { source, version: sourceVersion, ontology: oboVersion } = opts;
  return {
    operation: 'produce.gaf',
    topicId: 'ingest.gaf',
    label: path.basename(file),
    items: readGaf(file),
    payload: { file, source, source_version: sourceVersion, obo_version: oboVersion },
    toMessage: (item, jobId) => {
      const v = item.value;
      const value: IngestGafRecord = {
        source,
        source_version: sourceVersion,
        obo_version: oboVersion,
        job_id: jobId,
        source_file: v.source_file,
        line: v.line,
        gaf_version: v.gaf_version,
        db: v.db,
        db_object_id: v.db_object_id,
        db_object_symbol: v.db_object_symbol,
        qualifier: v.qualifier,
        go_id: v.go_id,
        db_reference: v.db_reference,
        evidence_code: v.evidence_code,
        with_from: v.with_from,
        aspect: v.aspect,
        db_object_name: v.db_object_name,
        db_object_synonym: v.db_object_synonym,
        db_object_type: v.db_object_type,
        taxon: v.taxon,
        date: v.date,
        assigned_by: v.assigned_by,
        annotation_extension: v.annotation_extension,
        gene_product_form_id: v.gene_product_form_id,
      };
      // the value has the key's fields (source, source_version, db_object_id): no object made for the key
      return { key: KEYS.ingestGaf(value), value };
    },
  };
}

export function oboRun(file: string, opts: { url?: string; version?: string }): ProduceRun<OboRecordValue, IngestOboRecord> {
  return {
    operation: 'produce.obo',
    topicId: 'ingest.obo',
    label: path.basename(file),
    items: readObo(file, { ...(opts.url ? { url: opts.url } : {}), ...(opts.version ? { version: opts.version } : {}) }),
    payload: { file, url: opts.url ?? null },
    toMessage: (item, jobId) => {
      const v = item.value;
      return {
        key: item.key ?? KEYS.ingestObo(v),
        value: {
          kind: v.kind,
          obo_version: v.obo_version,
          obo_url: v.obo_url,
          job_id: jobId,
          source_file: v.source_file,
          line: v.line,
          go_id: v.go_id,
          name: v.name,
          namespace: v.namespace,
          definition: v.definition,
          is_obsolete: v.is_obsolete,
          alt_ids: v.alt_ids,
          replaced_by: v.replaced_by,
          consider: v.consider,
          edges: v.edges,
          format_version: v.format_version,
          data_version: v.data_version,
          date: v.date,
          term_count: v.term_count,
        },
      };
    },
  };
}

export function taxonomyRun(nodes: string, names: string): ProduceRun<TaxonomyRecordValue, IngestTaxonomyRecord> {
  return {
    operation: 'produce.taxonomy',
    topicId: 'ingest.taxonomy',
    label: path.basename(nodes),
    items: readTaxonomy(nodes, names),
    payload: { nodes, names },
    toMessage: (item, jobId) => {
      const v = item.value;
      return {
        key: item.key ?? KEYS.ingestTaxonomy(v),
        value: { tax_id: v.tax_id, parent_tax_id: v.parent_tax_id, rank: v.rank, scientific_name: v.scientific_name, job_id: jobId },
      };
    },
  };
}
