// Synthetic ingest.fasta records for processor tests: a distinct protein per
// index, its accession `<prefix><index, 6 digits>` (also the message key).
import { TopicProducer } from '../../lib/topic-producer.js';
import type { IngestFastaRecord } from '../../schemas/generated/types.js';
import { IDS } from '../fixtures/records.js';
import { AMINO_ACIDS } from './sequences.js';

/** A deterministic sequence, distinct per (prefix, index). */
function sequenceOf(prefix: string, i: number): string {
  let s = 'M';
  let x = i * 7919 + prefix.charCodeAt(0) * 104_729 + 1;
  for (let k = 0; k < 60 + (i % 50); k++) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    s += AMINO_ACIDS[x % 20];
  }
  return s;
}

export function accessionOf(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(6, '0')}`;
}

export function ingestRecord(prefix: string, i: number, file = 'synthetic.fasta'): IngestFastaRecord {
  const acc = accessionOf(prefix, i);
  return {
    header: `tr|${acc}|${acc}_SYNTH Synthetic ${i} OS=Synthetica OX=1000 PE=4 SV=1`,
    sequence: sequenceOf(prefix, i),
    source_file: file,
    line: i * 2 + 1,
    source: 'uniprot',
    query_set_id: null,
    query_set_name: null,
    job_id: IDS.job,
  };
}

/** Sends the records to one partition of the topic (one fetched batch when they are all there before the consumer starts). */
export async function produceToPartition(topic: string, partition: number, records: readonly IngestFastaRecord[]): Promise<void> {
  const producer = new TopicProducer();
  try {
    await producer.send(topic, records.map((value) => ({ key: value.header.split('|')[1]!, value, partition })));
  } finally {
    await producer.disconnect();
  }
}
