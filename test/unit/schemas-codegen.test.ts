import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import avro from 'avsc';
import { allSchemas, avroType, loadSchema, RECORD_NAMES } from '../../lib/schemas.js';
import { GENERATED_FILE, GENERATED_HEADER, SCHEMAS_DIR, checkDrift, generateTypes, lineDiff, writeTypes, type AvroField, type AvroSchema } from '../../schemas/codegen.js';
import { SCHEMA_FILES } from '../../schemas/generated/types.js';
import { exampleRecord } from '../fixtures/records.js';

t.test('the committed schemas/generated/types.ts is up to date with schemas/*.avsc', async (t) => {
  const drift = checkDrift();
  t.equal(drift.stale, false, drift.diff ?? 'not stale');
  t.ok(fs.readFileSync(GENERATED_FILE, 'utf8').startsWith(`${GENERATED_HEADER}\n`), 'starts with the generated header');
});

t.test('generation is deterministic', async (t) => {
  t.equal(generateTypes(), generateTypes());
});

t.test('every .avsc parses with avsc and is listed in SCHEMA_FILES', async (t) => {
  const files = fs.readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.avsc')).sort();
  t.same([...Object.values(SCHEMA_FILES)].sort(), files, 'one record per file, every file listed');
  for (const file of files) {
    const json = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as { name: string; namespace: string };
    const type = avro.Type.forSchema(json as unknown as avro.Type);
    t.equal(type.name, `org.protea.stream.${json.name}`, `${file}: record in org.protea.stream`);
  }
});

t.test('schema conventions: snake_case fields with docs, optional fields default to null', async (t) => {
  const check = (schema: AvroSchema, where: string): void => {
    if (typeof schema === 'string') return;
    if (Array.isArray(schema)) return schema.forEach((s) => check(s, where));
    if (schema.type === 'record' || schema.type === 'error') {
      const rec = schema as { name: string; doc?: string; fields: AvroField[] };
      t.ok(rec.doc, `${where} ${rec.name} has a doc`);
      for (const f of rec.fields) {
        t.match(f.name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${where} ${rec.name}.${f.name} is snake_case`);
        t.ok(f.doc && f.doc.length > 10, `${where} ${rec.name}.${f.name} has a doc`);
        if (Array.isArray(f.type) && f.type[0] === 'null') t.equal(f.default, null, `${rec.name}.${f.name} defaults to null`);
        check(f.type, where);
      }
    } else if (schema.type === 'array') check((schema as { items: AvroSchema }).items, where);
    else if (schema.type === 'map') check((schema as { values: AvroSchema }).values, where);
  };
  for (const { file, schema } of allSchemas()) check(schema, file);
});

t.test('loadSchema caches and freezes', async (t) => {
  const a = loadSchema('JobEventRecord');
  t.equal(loadSchema('JobEventRecord'), a, 'same object');
  t.ok(Object.isFrozen(a) && Object.isFrozen(a.fields), 'frozen');
  t.equal(a.name, 'JobEventRecord');
  t.throws(() => loadSchema('NoSuchRecord' as never), { code: 'PROTEA_ERR_SCHEMA_INVALID' });
});

t.test('every example record validates and survives an Avro round trip', async (t) => {
  t.equal(RECORD_NAMES.length, Object.keys(SCHEMA_FILES).length);
  for (const name of RECORD_NAMES) {
    const type = avroType(name);
    const value = exampleRecord(name);
    const errors: string[] = [];
    const valid = type.isValid(value, { noUndeclaredFields: true, errorHook: (p) => errors.push(p.join('.')) });
    t.ok(valid, `${name} is valid${errors.length ? `; invalid at ${errors.join(', ')}` : ''}`);
    const decoded: unknown = type.fromBuffer(type.toBuffer(value));
    t.same(decoded, value, `${name} decodes to the same value`);
  }
  const emb = exampleRecord('EmbeddingRecord');
  t.equal(emb.vector.length, emb.dim * 4, 'vector holds dim float32 values');
});

t.test('codegen maps each Avro field kind', async (t) => {
  const dir = t.testdir({
    'kinds.avsc': JSON.stringify({
      type: 'record',
      name: 'Kinds',
      namespace: 'org.example',
      doc: 'All the kinds.',
      fields: [
        { name: 'n', type: 'null', doc: 'nothing' },
        { name: 'b', type: 'boolean', doc: 'flag' },
        { name: 'i', type: 'int', doc: 'an int' },
        { name: 'l', type: 'long', doc: 'a long' },
        { name: 'f', type: 'float', doc: 'a float' },
        { name: 'd', type: 'double', doc: 'a double' },
        { name: 'by', type: 'bytes', doc: 'raw */ bytes' },
        { name: 's', type: 'string' },
        { name: 'fx', type: { type: 'fixed', name: 'Md5', size: 16 }, doc: 'digest' },
        { name: 'e', type: { type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN'] }, doc: 'colour' },
        { name: 'e2', type: 'Colour', doc: 'reference to a named type' },
        { name: 'arr', type: { type: 'array', items: 'string' }, default: [], doc: 'list' },
        { name: 'arrn', type: { type: 'array', items: ['null', 'int'] }, doc: 'list of optional ints' },
        { name: 'm', type: { type: 'map', values: 'double' }, doc: 'map' },
        { name: 'opt', type: ['null', 'string'], default: null, doc: 'optional' },
        { name: 'nested', type: ['null', { type: 'record', name: 'Inner', doc: 'Inner record.', fields: [{ name: 'x', type: 'int', doc: 'x' }] }], default: null, doc: 'nested record' },
        { name: 'inners', type: { type: 'array', items: 'org.example.Inner' }, doc: 'by full name' },
        { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'a time' },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' }, doc: 'an id' },
      ],
    }),
  });
  const ts = generateTypes(dir);
  t.ok(ts.startsWith(`${GENERATED_HEADER}\n`), 'header');
  for (const line of [
    'export interface Kinds {',
    '  n: null;',
    '  b: boolean;',
    '  i: number;',
    '  l: number;',
    '  f: number;',
    '  d: number;',
    '  by: Buffer;',
    '  s: string;',
    '  fx: Md5;',
    'export type Md5 = Buffer;',
    "export type Colour = 'RED' | 'GREEN';",
    '  e: Colour;',
    '  e2: Colour;',
    '  arr: string[];',
    '  arrn: Array<number | null>;',
    '  m: Record<string, number>;',
    '  opt: string | null;',
    '  nested: Inner | null;',
    'export interface Inner {',
    '  x: number;',
    '  inners: Inner[];',
    '  ts: number;',
    '  id: string;',
    "  Kinds: 'kinds.avsc',",
    '  Kinds: Kinds;',
  ]) {
    t.ok(ts.split('\n').includes(line), `has ${JSON.stringify(line)}`);
  }
  t.match(ts, /\/\*\* raw \*\\\/ bytes \*\//, 'a */ in a doc is escaped');
  t.match(ts, /milliseconds since the Unix epoch \(UTC\), as a number/, 'timestamp-millis documented');
  t.match(ts, /avsc decodes it as a JavaScript number/, 'long documented');
  t.match(ts, /Default: \[\]\./, 'non-null default documented');
  t.ok(ts.indexOf('export interface Kinds') < ts.indexOf('export interface Inner'), 'records precede their nested types');
  t.notOk(ts.includes('Inner:'), 'nested records are not in SCHEMA_FILES');

  // The generated module compiles on its own terms: strict TypeScript is checked by `tsc -p .`
  // for the committed file; here check write/drift on the temp copy.
  const out = path.join(dir, 'generated', 'types.ts');
  t.match(checkDrift(dir, out), { stale: true, diff: /generated\/types\.ts is missing$/ });
  t.equal(writeTypes(dir, out).changed, true);
  t.equal(writeTypes(dir, out).changed, false, 'unchanged content is not rewritten');
  t.same(checkDrift(dir, out), { stale: false });
  fs.appendFileSync(out, '// hand edit\n');
  const drift = checkDrift(dir, out);
  t.equal(drift.stale, true);
  t.match(drift.diff, /-\/\/ hand edit/);
});

t.test('an invalid schema is SCHEMA_INVALID naming the file', async (t) => {
  const cases: Record<string, string> = {
    'bad-json.avsc': '{ "type": "record", ',
    'bad-type.avsc': JSON.stringify({ type: 'record', name: 'R', namespace: 'x', fields: [{ name: 'a', type: 'strung' }] }),
    'not-record.avsc': JSON.stringify({ type: 'enum', name: 'E', namespace: 'x', symbols: ['A'] }),
    'no-namespace.avsc': JSON.stringify({ type: 'record', name: 'R', fields: [] }),
  };
  for (const [file, text] of Object.entries(cases)) {
    const dir = t.testdir({ [file]: text });
    t.throws(() => generateTypes(dir), { name: 'ProteaError', code: 'PROTEA_ERR_SCHEMA_INVALID', message: new RegExp(file.replace('.', '\\.')) }, file);
  }
  const dup = t.testdir({
    'a.avsc': JSON.stringify({ type: 'record', name: 'R', namespace: 'x', fields: [] }),
    'b.avsc': JSON.stringify({ type: 'record', name: 'R', namespace: 'x', fields: [] }),
  });
  t.throws(() => generateTypes(dup), { code: 'PROTEA_ERR_SCHEMA_INVALID', message: /b\.avsc.*already defined in a\.avsc/ });
});

t.test('lineDiff shows changed lines', async (t) => {
  const d = lineDiff('a\nb\nc\n', 'a\nB\nc\n', 'f.ts');
  t.match(d, /--- f\.ts/);
  t.match(d, /@@ committed line 2 @@\n-b\n\+B/);
});
