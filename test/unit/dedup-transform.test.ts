// The dedup transform, pure: MD5 dedup within a batch, protein fields from
// UniProt headers (canonical/isoform/taxonomy), rejections with reasons and
// file/line, query-set entries, and deterministic keys and values.
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { dedupTransform, type DedupInput, type DedupTopics } from '../../processors/dedup/processor.js';
import { md5Hex } from '../../parsers/fasta-sequence.js';
import type { ProcessorOutput, TransformResult } from '../../processors/runner.js';
import type { IngestFastaRecord, ProteinRecord, QuerySetEntryRecord, SequenceRecord } from '../../schemas/generated/types.js';
import { SOURCE_FILE_HEADER, SOURCE_LINE_HEADER } from '../../topics/catalogue.js';
import { HBA_HUMAN, HBA_HUMAN_MD5, IDS } from '../fixtures/records.js';

const topics: DedupTopics = { sequences: 'ns.sequences', proteins: 'ns.proteins', querySets: 'ns.query_sets' };
const P53_ISO2 = 'MFCQLAKTCPVQLWVDSTPPPGTRVRAMAIYKQSQHMTEVVRRCPHHERCSDSDGLAPPQHLIRVEGNLRVEYLDDRNTFRHSVVVPYEPPEVGSDCTTIHYNYMCNSSCMGGMNRRPILTIITLEDSSGNLLGRNSFEVRVCACPGRDRRTEEENLRKKGEPHHELPPGSTKRALPNNT';

let line = 0;
function fasta(header: string, sequence: string, extra: Partial<IngestFastaRecord> = {}): DedupInput {
  line += 2;
  return {
    value: { header, sequence, source_file: 'test.fasta', line, source: 'uniprot', query_set_id: null, query_set_name: null, job_id: IDS.job, ...extra },
    topic: 'ns.ingest.fasta',
    partition: 0,
    offset: String(line),
  };
}

function outputs(results: TransformResult[]): ProcessorOutput[] {
  return results.flatMap((r) => (r instanceof ProteaError ? [] : r));
}
const onTopic = <T>(results: TransformResult[], topic: string) => outputs(results).filter((o) => o.topic === topic) as (ProcessorOutput & { value: T })[];

t.test('the same sequence under several accessions and isoforms: one sequence per MD5, one protein per accession', async (t) => {
  const input = [
    fasta('sp|P69905|HBA_HUMAN Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1 PE=1 SV=2', HBA_HUMAN),
    fasta('sp|P69905-2|HBA_HUMAN Isoform 2 of Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1', HBA_HUMAN.toLowerCase()),
    fasta('tr|Q0XXX1|Q0XXX1_PANTR Hemoglobin alpha OS=Pan troglodytes (Chimpanzee) OX=9598 PE=3 SV=1', `${HBA_HUMAN.slice(0, 60)}\n${HBA_HUMAN.slice(60)}*`),
    fasta('sp|P04637-2|P53_HUMAN Isoform 2 of Cellular tumor antigen p53 OS=Homo sapiens OX=9606 GN=TP53', P53_ISO2),
    fasta('T96060000001', HBA_HUMAN),
  ];
  const results = dedupTransform(input, topics);
  t.equal(results.length, input.length, 'one result per input');
  t.notOk(results.some((r) => r instanceof ProteaError), 'no rejection');

  const seqs = onTopic<SequenceRecord>(results, topics.sequences);
  t.same(seqs.map((s) => s.key).sort(), [HBA_HUMAN_MD5, md5Hex(P53_ISO2)].sort(), 'one sequence message per distinct MD5');
  const hba = seqs.find((s) => s.key === HBA_HUMAN_MD5)!;
  t.same(hba.value, { md5: HBA_HUMAN_MD5, sequence: HBA_HUMAN, length: HBA_HUMAN.length, first_seen_job_id: IDS.job });

  const proteins = new Map(onTopic<ProteinRecord>(results, topics.proteins).map((p) => [p.key, p.value]));
  t.same([...proteins.keys()], ['P69905', 'P69905-2', 'Q0XXX1', 'P04637-2', 'T96060000001'], 'one protein per accession, keyed by accession');
  t.same(proteins.get('P69905'), {
    accession: 'P69905',
    canonical_accession: 'P69905',
    is_canonical: true,
    isoform_index: null,
    entry_name: 'HBA_HUMAN',
    protein_name: 'Hemoglobin subunit alpha',
    reviewed: true,
    taxonomy_id: 9606,
    organism: 'Homo sapiens',
    gene_name: 'HBA1',
    protein_existence: 1,
    sequence_version: 2,
    sequence_md5: HBA_HUMAN_MD5,
    length: HBA_HUMAN.length,
    job_id: IDS.job,
  });
  t.match(proteins.get('P69905-2'), { canonical_accession: 'P69905', is_canonical: false, isoform_index: 2, sequence_md5: HBA_HUMAN_MD5, taxonomy_id: 9606 }, 'isoform: canonical accession and index; lower case normalised to the same MD5');
  t.match(proteins.get('Q0XXX1'), { reviewed: false, organism: 'Pan troglodytes (Chimpanzee)', taxonomy_id: 9598, protein_existence: 3, sequence_md5: HBA_HUMAN_MD5 }, 'TrEMBL header; line breaks and trailing * normalised away');
  t.match(proteins.get('P04637-2'), { canonical_accession: 'P04637', isoform_index: 2, gene_name: 'TP53', sequence_md5: md5Hex(P53_ISO2), length: P53_ISO2.length });
  t.match(proteins.get('T96060000001'), { canonical_accession: 'T96060000001', is_canonical: true, reviewed: null, taxonomy_id: null, entry_name: null, sequence_md5: HBA_HUMAN_MD5 }, 'a non-UniProt header: accession = first token');
  t.same(onTopic(results, topics.querySets), [], 'no query-set entries without a query set');
});

t.test('the MD5 is emitted once per call; a second call (batch) emits it again', async (t) => {
  const a = dedupTransform([fasta('sp|P69905|HBA_HUMAN x', HBA_HUMAN), fasta('sp|P01942|HBA_MOUSE y', HBA_HUMAN)], topics);
  const b = dedupTransform([fasta('sp|P01942|HBA_MOUSE y', HBA_HUMAN)], topics);
  t.equal(onTopic(a, topics.sequences).length, 1);
  t.equal(onTopic(b, topics.sequences).length, 1, 'each batch carries the sequence of its proteins');
  t.equal(onTopic(a, topics.proteins).length, 2);
});

t.test('invalid sequences are rejected with SEQUENCE_INVALID, the reason, file and line; the good records around them pass', async (t) => {
  const good1 = fasta('sp|P69905|HBA_HUMAN ok', HBA_HUMAN);
  const gap = fasta('sp|P00001|GAP_HUMAN gapped', 'MKV-LLA');
  const digit = fasta('sp|P00002|DIG_HUMAN digit', 'MKV1LLA');
  const empty = fasta('sp|P00003|EMP_HUMAN empty', '  \r\n');
  const stop = fasta('sp|P00004|STP_HUMAN stop', 'MK*VL');
  const good2 = fasta('sp|P04637-2|P53_HUMAN ok', P53_ISO2);
  const results = dedupTransform([good1, gap, digit, empty, stop, good2], topics);
  t.notOk(results[0] instanceof ProteaError);
  t.notOk(results[5] instanceof ProteaError);
  const expect: [number, DedupInput, RegExp][] = [
    [1, gap, /alignment gaps at position 4/],
    [2, digit, /digit '1' at position 4/],
    [3, empty, /sequence is empty/],
    [4, stop, /internal stop codon at position 3/],
  ];
  for (const [i, input, reason] of expect) {
    const err = results[i];
    t.ok(err instanceof ProteaError, `record ${i} rejected`);
    if (!(err instanceof ProteaError)) continue;
    t.equal(err.code, 'PROTEA_ERR_SEQUENCE_INVALID');
    t.equal(err.retriable, false, 'not retriable: it goes to the DLQ');
    t.match(err.message, reason);
    t.equal(err.context.file, 'test.fasta');
    t.equal(err.context.line, input.value.line);
    t.equal(err.context.offset, input.offset);
  }
  t.equal(onTopic(results, topics.proteins).length, 2, 'only the good records give proteins');
});

t.test('a header without an accession and a value of another shape are rejected as PROCESSOR_FAILED', async (t) => {
  const results = dedupTransform([fasta('sp||X', HBA_HUMAN), { value: { sequence: 'MK' } as unknown as IngestFastaRecord }], topics);
  t.match(results[0], { code: 'PROTEA_ERR_PROCESSOR_FAILED', message: /no accession/ });
  t.match(results[1], { code: 'PROTEA_ERR_PROCESSOR_FAILED', message: /not an IngestFastaRecord/ });
});

t.test('query-set entries are emitted only for records of a query set', async (t) => {
  const withSet = fasta('sp|P69905|HBA_HUMAN x', HBA_HUMAN, { query_set_id: IDS.querySet, query_set_name: 'hemoglobins', source: 'upload' });
  const unnamed = fasta('sp|P69905-2|HBA_HUMAN x', HBA_HUMAN, { query_set_id: IDS.querySet, query_set_name: null, source: 'upload' });
  const without = fasta('sp|P01942|HBA_MOUSE y', HBA_HUMAN);
  const results = dedupTransform([withSet, unnamed, without], topics);
  const entries = onTopic<QuerySetEntryRecord>(results, topics.querySets);
  t.same(
    entries.map((e) => e.key),
    [`${IDS.querySet}|P69905`, `${IDS.querySet}|P69905-2`],
  );
  t.same(entries[0]!.value, { query_set_id: IDS.querySet, query_set_name: 'hemoglobins', accession: 'P69905', sequence_md5: HBA_HUMAN_MD5, job_id: IDS.job });
  t.equal(entries[1]!.value.query_set_name, IDS.querySet, 'an unnamed query set is named by its id');
  t.same((results[2] as ProcessorOutput[]).map((o) => o.topic), [topics.proteins], 'the record without a query set gives its protein only');
});

t.test('output keys and values are deterministic: the same input twice gives the same outputs', async (t) => {
  const input = [
    fasta('sp|P69905|HBA_HUMAN Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1 PE=1 SV=2', HBA_HUMAN, { query_set_id: IDS.querySet, query_set_name: 'q' }),
    fasta('sp|P69905-3|HBA_HUMAN iso', `${HBA_HUMAN.toLowerCase()}*`),
    fasta('sp|P04637-2|P53_HUMAN p53', P53_ISO2),
    fasta('sp|P00009|BAD_HUMAN bad', 'MK.V'),
  ];
  const first = dedupTransform(input, topics);
  const second = dedupTransform(structuredClone(input), topics);
  t.same(outputs(second), outputs(first), 'same topics, keys and values in the same order');
  t.same(
    second.map((r) => (r instanceof ProteaError ? r.message : null)),
    first.map((r) => (r instanceof ProteaError ? r.message : null)),
    'same rejections',
  );
  for (const o of outputs(first)) t.type(o.key, 'string');
});

t.test('every protein names the FASTA entry it came from (file and line headers): its identity for job progress', async (t) => {
  const input = [fasta('sp|P69905|HBA_HUMAN a', HBA_HUMAN), fasta('sp|P69905|HBA_HUMAN the same accession again', HBA_HUMAN)];
  const proteins = onTopic<ProteinRecord>(dedupTransform(input, topics), topics.proteins);
  t.same(
    proteins.map((p) => p.headers),
    input.map((i) => ({ [SOURCE_FILE_HEADER]: 'test.fasta', [SOURCE_LINE_HEADER]: String(i.value.line) })),
    'two entries of one accession stay two records of the job',
  );
  t.not(proteins[0]!.headers?.[SOURCE_LINE_HEADER], proteins[1]!.headers?.[SOURCE_LINE_HEADER]);
});
