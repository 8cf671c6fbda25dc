// The ceiling the FASTA pipeline is measured against (issue 13): the same rows
// loaded in one process with no Kafka. It reads the file with the producer's
// own run (fastaRun: readFasta and the IngestFastaRecord each entry becomes),
// derives sequences and proteins with the dedup stage's pure transform
// (dedupTransform: MD5, isoforms, first-seen job, the entry's file and line in
// the protein's headers), and writes them with the sinks' own transaction
// (writeBatch with sequencesSink and proteinsSink: COPY into staging, the
// mappings' merges, job_progress_item), so no SQL of its own. What it leaves
// out is exactly what the pipeline adds: Avro, the broker, consumer groups,
// three processes, and the sinks racing each other.
//
// A chunk's sequences are written before its proteins on the same client, so
// every protein finds its sequence at insert (the pipeline's best case). While
// a chunk's transactions run in PostgreSQL the next chunk is read and
// deduplicated, so the load keeps both this process and its backend busy.
import type { PgClient } from '../lib/copy.js';
import { uuidv7 } from '../lib/ids.js';
import type { IncomingRecord } from '../lib/topic-consumer.js';
import { dedupTopics, dedupTransform, type DedupInput } from '../processors/dedup/processor.js';
import type { ProteinRecord, SequenceRecord } from '../schemas/generated/types.js';
import { proteinsSink } from '../sinks/proteins.js';
import { writeBatch, type SinkMapping } from '../sinks/runner.js';
import { sequencesSink } from '../sinks/sequences.js';
import { fastaRun } from '../topics/ingest-runs.js';

export interface DirectLoadReport {
  jobId: string;
  /** FASTA entries read (the reader's records) */
  entries: number;
  /** entries the reader or the dedup transform rejected (the pipeline dead-letters them) */
  rejected: number;
  sequenceRecords: number;
  proteinRecords: number;
  transactions: number;
  /** ms from opening the file to the last commit */
  ms: number;
}

export interface DirectLoadOptions {
  /** entries per chunk; each chunk is one sequences and one proteins transaction (default 5000, the sink's maxRecords) */
  chunk?: number;
}

/** The partition the pseudo-topics' offsets are kept under (sink_offsets needs one; nothing reads it). */
const PARTITION = 0;

interface Chunk {
  sequences: IncomingRecord<SequenceRecord>[];
  proteins: IncomingRecord<ProteinRecord>[];
}

function incoming<T>(topic: string, offset: number, value: T, headers: Record<string, string> = {}): IncomingRecord<T> {
  return { topic, partition: PARTITION, offset: String(offset), key: null, value, raw: null, headers, timestamp: '0' };
}

/**
 * Loads a FASTA file through `client` (connected to a migrated database, idle),
 * as described in the file comment. The caller owns the connection, so it can
 * meter its backend's CPU up to the last commit.
 */
export async function directLoad(file: string, client: PgClient, opts: DirectLoadOptions = {}): Promise<DirectLoadReport> {
  const chunkSize = opts.chunk ?? 5000;
  const jobId = uuidv7();
  const run = fastaRun(file, { source: 'uniprot' });
  // topic names only tell the transform's outputs apart; nothing is sent
  const topics = dedupTopics('direct');
  const report: DirectLoadReport = { jobId, entries: 0, rejected: 0, sequenceRecords: 0, proteinRecords: 0, transactions: 0, ms: 0 };
  // running positions stand in for Kafka offsets: merges order by them, so the last entry of a key wins as on a partition
  const offsets = { sequences: 0, proteins: 0 };

  const prepare = (inputs: readonly DedupInput[]): Chunk => {
    const out: Chunk = { sequences: [], proteins: [] };
    for (const result of dedupTransform(inputs, topics)) {
      if (!Array.isArray(result)) {
        report.rejected++; // the pipeline dead-letters these
        continue;
      }
      for (const o of result) {
        if (o.topic === topics.sequences) out.sequences.push(incoming(o.topic, offsets.sequences++, o.value as SequenceRecord));
        else if (o.topic === topics.proteins) out.proteins.push(incoming(o.topic, offsets.proteins++, o.value as ProteinRecord, o.headers));
      }
    }
    report.sequenceRecords += out.sequences.length;
    report.proteinRecords += out.proteins.length;
    return out;
  };

  const t0 = performance.now();
  const write = async <T>(mapping: SinkMapping<T>, records: readonly IncomingRecord<T>[]) => {
    if (records.length === 0) return;
    const expected = BigInt(records[0]!.offset);
    await writeBatch(client, mapping.name, mapping, { topic: records[0]!.topic, partition: PARTITION, expected, next: expected + BigInt(records.length), records }, {
      sendDeadLetters: async (letters) => {
        throw new Error(`direct load: ${letters.length} ${mapping.name} records refused, e.g. ${letters[0]?.error.message}`);
      },
    });
    report.transactions++;
  };
  const writeChunk = async (c: Chunk) => {
    await write(sequencesSink, c.sequences);
    await write(proteinsSink, c.proteins);
  };
  let inputs: DedupInput[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    // the chunk is deduplicated while the previous one's transactions run; one chunk in flight at a time
    const chunk = prepare(inputs);
    inputs = [];
    await inFlight;
    inFlight = writeChunk(chunk);
    // awaited at the next flush; the handler only keeps an early failure from counting as unhandled meanwhile
    inFlight.catch(() => undefined);
  };
  try {
    for await (const item of run.items) {
      if (item.kind === 'reject') report.rejected++;
      if (item.kind !== 'record') continue;
      report.entries++;
      inputs.push({ value: run.toMessage(item, jobId).value });
      if (inputs.length >= chunkSize) await flush();
    }
    await flush();
    await inFlight;
  } finally {
    // the caller gets its connection back idle, whatever failed
    await inFlight.catch(() => undefined);
  }
  report.ms = performance.now() - t0;
  return report;
}
