// The produce runs' toMessage (topics/ingest-runs.ts) builds each value field
// by field in schema order; it must give what the spread of the reader's value
// gave before (`{ ...item.value, source, ..., job_id }`): the same fields and
// values, the same Avro bytes, the same key, for every record of the sample
// files.
import path from 'node:path';
import t, { type Test } from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';
import { avroType, loadSchema } from '../../lib/schemas.js';
import type { RecordName } from '../../schemas/generated/types.js';
import { KEYS } from '../../topics/catalogue.js';
import { fastaRun, gafRun, oboRun, taxonomyRun } from '../../topics/ingest-runs.js';
import type { ProduceRun, ReaderRecord } from '../../topics/produce.js';

const DATA = path.join(PROJECT_ROOT, 'test', 'fixtures', 'data');
const JOB = '01890a5d-ac96-774b-bcce-b302099a8057';

/** Every record of the run compared to the old form; one assertion per run, naming the first difference. */
async function compare<V, Out>(t: Test, label: string, run: ProduceRun<V, Out>, record: RecordName, old: (item: ReaderRecord<V>) => { key: string; value: unknown }): Promise<void> {
  const fields = loadSchema(record).fields.map((f) => f.name);
  const type = avroType(record);
  let n = 0;
  let first: string | undefined;
  for await (const item of run.items) {
    if (item.kind !== 'record') continue;
    n++;
    const got = run.toMessage(item, JOB);
    const want = old(item);
    const problems: string[] = [];
    if (got.key !== want.key) problems.push(`key ${JSON.stringify(got.key)} vs ${JSON.stringify(want.key)}`);
    if (JSON.stringify(Object.keys(got.value as object)) !== JSON.stringify(fields)) problems.push(`fields ${Object.keys(got.value as object).join(',')} are not the schema's, in its order`);
    if (!type.toBuffer(got.value).equals(type.toBuffer(want.value))) problems.push('Avro bytes differ');
    const sorted = (v: unknown) => JSON.stringify(Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b))));
    if (sorted(got.value) !== sorted(want.value)) problems.push(`value ${sorted(got.value)} vs ${sorted(want.value)}`);
    if (problems.length > 0 && first === undefined) first = `record ${n}: ${problems.join('; ')}`;
  }
  t.ok(n > 0, `${label}: ${n} records read`);
  t.equal(first, undefined, `${label}: every value and key as the spread form gave it`);
}

t.test('gafRun', async (t) => {
  for (const file of ['oak-test-uniprot.gaf', 'ontobio-mgi.gaf', 'ontobio-test-qualifiers-2.2.gaf', 'ontobio-no-version.gaf']) {
    const opts = { source: 'goa', version: '220', ontology: 'releases/2024-01-17' };
    await compare(t, file, gafRun(path.join(DATA, 'gaf-samples', file), opts), 'IngestGafRecord', (item) => ({
      key: KEYS.ingestGaf({ source: opts.source, source_version: opts.version, db_object_id: item.value.db_object_id }),
      value: { ...item.value, source: opts.source, source_version: opts.version, obo_version: opts.ontology, job_id: JOB },
    }));
  }
});

t.test('fastaRun, reference data and a query set', async (t) => {
  const file = path.join(DATA, 'uniprot-swissprot-samples', 'fantasia-ecoli-swissprot-33.fasta');
  for (const opts of [{}, { source: 'upload', querySet: 'my queries' }]) {
    const run = fastaRun(file, opts);
    const querySetId = run.payload.query_set_id as string | null;
    t.equal(querySetId === null, opts.querySet === undefined, 'a query set id only for a query set');
    await compare(t, `fasta ${JSON.stringify(opts)}`, run, 'IngestFastaRecord', (item) => ({
      key: item.key ?? KEYS.ingestFasta(item.value.header.split(/\s/)[0] ?? ''),
      value: { ...item.value, source: opts.source ?? 'uniprot', query_set_id: querySetId, query_set_name: opts.querySet ?? null, job_id: JOB },
    }));
  }
});

t.test('oboRun', async (t) => {
  for (const file of ['go-nucleus.obo', 'go-header-2019-07-01.obo']) {
    await compare(t, file, oboRun(path.join(DATA, 'go-obo-subsets', file), { version: 'releases/test' }), 'IngestOboRecord', (item) => ({
      key: item.key ?? KEYS.ingestObo(item.value),
      value: { ...item.value, job_id: JOB },
    }));
  }
});

t.test('taxonomyRun', async (t) => {
  const dir = path.join(DATA, 'taxonomy-ncbi-mammalia');
  await compare(t, 'mammalia', taxonomyRun(path.join(dir, 'nodes.dmp'), path.join(dir, 'names.dmp')), 'IngestTaxonomyRecord', (item) => ({
    key: item.key ?? KEYS.ingestTaxonomy(item.value),
    value: { ...item.value, job_id: JOB },
  }));
});
