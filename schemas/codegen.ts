// Avro -> TypeScript: the .avsc files in schemas/ are the single source of truth
// for message shapes; this derives schemas/generated/types.ts from them so the
// types are never written twice. Deterministic: the same schemas give the same
// bytes, which is what the drift check (`protea schemas check`) relies on.
//
//   node dist/schemas/codegen.js      writes schemas/generated/types.ts
//   protea schemas generate | check   the same through the CLI
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import { PROJECT_ROOT } from '../lib/config.js';
import { ProteaError } from '../lib/errors.js';
import { GENERATED_FILE, SCHEMAS_DIR } from './paths.js';

// ---------------------------------------------------------------------------
// Avro schema JSON, as written in .avsc files (the subset of the spec we use:
// everything but protocols).

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

interface AvroBase {
  logicalType?: string;
  doc?: string;
  [attribute: string]: unknown;
}

export interface AvroField {
  name: string;
  type: AvroSchema;
  doc?: string;
  default?: unknown;
  order?: 'ascending' | 'descending' | 'ignore';
  aliases?: string[];
}

export interface AvroRecordSchema extends AvroBase {
  type: 'record' | 'error';
  name: string;
  namespace?: string;
  aliases?: string[];
  fields: AvroField[];
}

export interface AvroEnumSchema extends AvroBase {
  type: 'enum';
  name: string;
  namespace?: string;
  symbols: string[];
  default?: string;
}

export interface AvroFixedSchema extends AvroBase {
  type: 'fixed';
  name: string;
  namespace?: string;
  size: number;
}

export interface AvroArraySchema extends AvroBase {
  type: 'array';
  items: AvroSchema;
}

export interface AvroMapSchema extends AvroBase {
  type: 'map';
  values: AvroSchema;
}

/** A primitive written as an object, usually to attach a logicalType. */
export interface AvroPrimitiveObject extends AvroBase {
  type: AvroPrimitive;
}

export type AvroNamedSchema = AvroRecordSchema | AvroEnumSchema | AvroFixedSchema;
/** A primitive name, a reference to a named type, a union, or a complex type. */
export type AvroSchema = string | AvroSchema[] | AvroNamedSchema | AvroArraySchema | AvroMapSchema | AvroPrimitiveObject;

/** One validated .avsc file: a top-level record. */
export interface SchemaFile {
  /** file name inside the schema directory, e.g. 'job_event.avsc' */
  file: string;
  schema: AvroRecordSchema;
}

// ---------------------------------------------------------------------------
// Locations

export { GENERATED_FILE, SCHEMAS_DIR };

export const GENERATED_HEADER = '// generated from schemas/*.avsc by schemas/codegen.ts — do not edit';

function display(file: string): string {
  const rel = path.relative(PROJECT_ROOT, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function invalid(file: string, why: string, cause?: unknown): ProteaError {
  return new ProteaError('SCHEMA_INVALID', `${display(file)}: ${why}`, { file: display(file) }, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------
// Reading and validating

/** Reads one .avsc file, checks it is JSON, a valid Avro schema (avsc) and a top-level record with a namespace. */
export function parseSchemaFile(file: string): AvroRecordSchema {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, `cannot read: ${(err as Error).message}`, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(file, `not JSON: ${(err as Error).message}`, err);
  }
  try {
    avro.Type.forSchema(json as avro.Type);
  } catch (err) {
    throw invalid(file, `not a valid Avro schema: ${(err as Error).message}`, err);
  }
  const schema = json as Partial<AvroRecordSchema>;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || schema.type !== 'record') {
    throw invalid(file, 'the top-level type must be a record (one record type per file)');
  }
  if (typeof schema.namespace !== 'string' || schema.namespace === '') {
    throw invalid(file, `record ${String(schema.name)} has no namespace (the registry derives subjects from it)`);
  }
  return schema as AvroRecordSchema;
}

/** Every *.avsc of a directory, validated, in file-name order. */
export function readSchemaDir(dir: string = SCHEMAS_DIR): SchemaFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.avsc'));
  } catch (err) {
    throw new ProteaError('SCHEMA_INVALID', `cannot list schema directory ${display(dir)}: ${(err as Error).message}`, { file: display(dir) }, { cause: err });
  }
  names.sort(byCodeUnit);
  return names.map((file) => ({ file, schema: parseSchemaFile(path.join(dir, file)) }));
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Generation

const NUMBER_TYPES = new Set(['int', 'long', 'float', 'double']);
const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
// Names the generated module (or TypeScript) already uses.
const RESERVED = new Set(['Array', 'Boolean', 'Buffer', 'Date', 'Map', 'Number', 'Object', 'Promise', 'Record', 'Set', 'String', 'RecordName', 'RecordTypes', 'SCHEMA_FILES']);

interface Declaration {
  fullName: string;
  tsName: string;
  file: string;
  text: string;
}

function shortName(fullName: string): string {
  const i = fullName.lastIndexOf('.');
  return i < 0 ? fullName : fullName.slice(i + 1);
}

function qualify(name: string, namespace: string | undefined): string {
  if (name.includes('.')) return name;
  return namespace ? `${namespace}.${name}` : name;
}

function namespaceOf(fullName: string): string | undefined {
  const i = fullName.lastIndexOf('.');
  return i < 0 ? undefined : fullName.slice(0, i);
}

function jsdoc(lines: readonly string[], indent: string): string {
  const clean = lines.flatMap((l) => l.replace(/\*\//g, '*\\/').split(/\r?\n/)).map((l) => l.trimEnd());
  while (clean.length > 0 && clean[clean.length - 1] === '') clean.pop();
  if (clean.length === 0) return '';
  if (clean.length === 1) return `${indent}/** ${clean[0]} */\n`;
  return `${indent}/**\n${clean.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)).join('\n')}\n${indent} */\n`;
}

/** Extra doc lines that say how a field's Avro type appears in JavaScript. */
function typeNotes(schema: AvroSchema): string[] {
  const branches = Array.isArray(schema) ? schema.filter((s) => s !== 'null') : [schema];
  if (branches.length !== 1) return [];
  const s = branches[0]!;
  if (typeof s === 'string') return s === 'long' ? ['Avro long: avsc decodes it as a JavaScript number (exact up to 2^53).'] : [];
  if (Array.isArray(s)) return [];
  const logical = s.logicalType;
  switch (logical) {
    case 'timestamp-millis':
      return ['Avro long, logicalType timestamp-millis: milliseconds since the Unix epoch (UTC), as a number.'];
    case 'timestamp-micros':
      return ['Avro long, logicalType timestamp-micros: microseconds since the Unix epoch (UTC), as a number (exact up to 2^53).'];
    case 'local-timestamp-millis':
      return ['Avro long, logicalType local-timestamp-millis: milliseconds since the epoch in local time, as a number.'];
    case 'date':
      return ['Avro int, logicalType date: days since the Unix epoch.'];
    case 'time-millis':
      return ['Avro int, logicalType time-millis: milliseconds after midnight.'];
    case 'time-micros':
      return ['Avro long, logicalType time-micros: microseconds after midnight, as a number.'];
    case 'uuid':
      return ['UUID in its canonical string form (logicalType uuid).'];
    case 'decimal':
      return [`logicalType decimal (precision ${String(s.precision)}, scale ${String(s.scale ?? 0)}): the two's-complement big-endian unscaled value.`];
    case undefined:
      break;
    default:
      return [`logicalType ${logical}: decoded as its underlying Avro type.`];
  }
  if (s.type === 'long') return ['Avro long: avsc decodes it as a JavaScript number (exact up to 2^53).'];
  if (s.type === 'fixed') return [`Avro fixed, ${String((s as AvroFixedSchema).size)} bytes.`];
  return [];
}

class Generator {
  private readonly declarations = new Map<string, Declaration>();
  private readonly order: string[] = [];
  private readonly tsNames = new Map<string, string>();
  private readonly topLevel = new Map<string, string>();

  constructor(private readonly dir: string) {}

  addFile(sf: SchemaFile): void {
    const fullName = qualify(sf.schema.name, sf.schema.namespace);
    const other = this.topLevel.get(fullName);
    if (other !== undefined) {
      throw invalid(path.join(this.dir, sf.file), `record ${fullName} is already defined in ${other}; each record type lives in one file`);
    }
    this.topLevel.set(fullName, sf.file);
    this.named(sf.schema, undefined, sf.file);
  }

  /** Declares a named type (record, enum, fixed) and returns its TypeScript name. */
  private named(schema: AvroNamedSchema, enclosingNs: string | undefined, file: string): string {
    const fullName = qualify(schema.name, schema.namespace ?? enclosingNs);
    const tsName = shortName(fullName);
    const where = path.join(this.dir, file);
    if (RESERVED.has(tsName)) throw invalid(where, `type name ${tsName} clashes with a name the generated module uses`);
    const clash = this.tsNames.get(tsName);
    if (clash !== undefined && clash !== fullName) {
      throw invalid(where, `types ${clash} and ${fullName} would both become the TypeScript type ${tsName}; rename one`);
    }
    this.tsNames.set(tsName, fullName);
    const ns = namespaceOf(fullName);
    // Reserve the slot before walking children so the record precedes its nested types.
    const existing = this.declarations.get(fullName);
    const slot: Declaration = { fullName, tsName, file, text: '' };
    if (!existing) {
      this.declarations.set(fullName, slot);
      this.order.push(fullName);
    }
    // A type defined again (in another file) must be the same type: compare as if from the first file.
    const text = this.declare(schema, tsName, fullName, ns, existing?.file ?? file);
    if (existing) {
      if (existing.text !== text) {
        throw invalid(where, `type ${fullName} is defined differently in ${existing.file}; share one definition`);
      }
    } else {
      slot.text = text;
    }
    return tsName;
  }

  private declare(schema: AvroNamedSchema, tsName: string, fullName: string, ns: string | undefined, file: string): string {
    const origin = `Avro ${schema.type} ${fullName}, defined in ${file}.`;
    const head = (extra: string[] = []) => jsdoc([...(schema.doc ? [schema.doc, ''] : []), ...extra, origin], '');
    switch (schema.type) {
      case 'enum': {
        const symbols = schema.symbols.map((s) => `'${s}'`).join(' | ');
        return `${head()}export type ${tsName} = ${symbols};\n`;
      }
      case 'fixed':
        return `${head([`Fixed size: ${schema.size} bytes.`])}export type ${tsName} = Buffer;\n`;
      case 'record':
      case 'error': {
        const fields = schema.fields.map((f) => {
          const notes = typeNotes(f.type);
          const dflt = f.default === undefined || f.default === null ? [] : [`Default: ${JSON.stringify(f.default)}.`];
          const doc = jsdoc([...(f.doc ? [f.doc] : []), ...notes, ...dflt], '  ');
          return `${doc}  ${f.name}: ${this.expr(f.type, ns, file)};\n`;
        });
        return `${head()}export interface ${tsName} {\n${fields.join('')}}\n`;
      }
    }
  }

  /** The TypeScript type expression of a schema. */
  private expr(schema: AvroSchema, ns: string | undefined, file: string): string {
    if (typeof schema === 'string') {
      if (PRIMITIVES.has(schema)) return primitive(schema as AvroPrimitive);
      return this.reference(schema, ns, file);
    }
    if (Array.isArray(schema)) {
      const parts = schema.map((s) => this.expr(s, ns, file));
      const nonNull = parts.filter((p) => p !== 'null');
      const out = [...new Set(nonNull)];
      if (parts.includes('null')) out.push('null');
      return out.join(' | ');
    }
    switch (schema.type) {
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.named(schema as AvroNamedSchema, ns, file);
      case 'array': {
        const item = this.expr((schema as AvroArraySchema).items, ns, file);
        return item.includes(' | ') ? `Array<${item}>` : `${item}[]`;
      }
      case 'map':
        return `Record<string, ${this.expr((schema as AvroMapSchema).values, ns, file)}>`;
      default: {
        const t = (schema as { type: unknown }).type;
        if (typeof t === 'string' && PRIMITIVES.has(t)) return primitive(t as AvroPrimitive);
        // {"type": <schema>} wrappers and references written as objects
        return this.expr(t as AvroSchema, ns, file);
      }
    }
  }

  private reference(name: string, ns: string | undefined, file: string): string {
    for (const candidate of [qualify(name, ns), name]) {
      const d = this.declarations.get(candidate);
      if (d) return d.tsName;
    }
    // avsc already resolved every reference, so this is a generator bug.
    throw invalid(path.join(this.dir, file), `cannot resolve type reference ${name}`);
  }

  render(files: readonly SchemaFile[]): string {
    const out: string[] = [
      `${GENERATED_HEADER}\n`,
      '// Regenerate with `npm run codegen` (protea schemas generate); `protea schemas check` fails when this file is stale.\n',
      '// Mapping: record -> interface, enum -> union of string literals, bytes/fixed -> Buffer,\n',
      '// int/long/float/double -> number (avsc decodes long as a JS number), ["null", T] -> T | null,\n',
      '// array -> T[], map -> Record<string, T>. Logical types keep their underlying type (see field docs).\n',
    ];
    for (const name of this.order) out.push('\n', this.declarations.get(name)!.text);

    const tops = files.map((f) => ({ name: shortName(qualify(f.schema.name, f.schema.namespace)), file: f.file }));
    tops.sort((a, b) => byCodeUnit(a.name, b.name));
    out.push('\n/** Each top-level record type and the .avsc file (in schemas/) that defines it. */\n');
    out.push('export const SCHEMA_FILES = {\n');
    for (const t of tops) out.push(`  ${t.name}: '${t.file}',\n`);
    out.push('} as const;\n');
    out.push('\n/** Name of a top-level record type: the value schema of one or more topics. */\n');
    out.push('export type RecordName = keyof typeof SCHEMA_FILES;\n');
    out.push('\n/** The TypeScript type of each top-level record. */\n');
    out.push('export interface RecordTypes {\n');
    for (const t of tops) out.push(`  ${t.name}: ${t.name};\n`);
    out.push('}\n');
    return out.join('');
  }
}

function primitive(p: AvroPrimitive): string {
  if (NUMBER_TYPES.has(p)) return 'number';
  switch (p) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'bytes':
      return 'Buffer';
    default:
      return 'string';
  }
}

/**
 * The TypeScript module for every *.avsc of `dir` (default: the project's schemas/).
 * Pure and deterministic: reads the files, writes nothing.
 */
export function generateTypes(dir: string = SCHEMAS_DIR): string {
  const files = readSchemaDir(dir);
  const gen = new Generator(dir);
  for (const f of files) gen.addFile(f);
  return gen.render(files);
}

/** Writes the generated module (only when its content changed); returns the file and whether it changed. */
export function writeTypes(dir: string = SCHEMAS_DIR, outFile: string = GENERATED_FILE): { file: string; changed: boolean } {
  const text = generateTypes(dir);
  let current: string | undefined;
  try {
    current = fs.readFileSync(outFile, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) return { file: outFile, changed: false };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, text);
  return { file: outFile, changed: true };
}

/** Compares what the schemas generate with the committed file; `diff` shows the difference when stale. */
export function checkDrift(dir: string = SCHEMAS_DIR, outFile: string = GENERATED_FILE): { stale: boolean; diff?: string } {
  const expected = generateTypes(dir);
  let actual: string;
  try {
    actual = fs.readFileSync(outFile, 'utf8');
  } catch {
    return { stale: true, diff: `${display(outFile)} is missing` };
  }
  if (actual === expected) return { stale: false };
  return { stale: true, diff: lineDiff(actual, expected, display(outFile)) };
}

/** A small line diff (longest common subsequence): '-' committed, '+' generated, at most `max` changed lines. */
export function lineDiff(before: string, after: string, label = 'file', max = 40): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Trim the common head and tail so the quadratic part stays small.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const lines = [`--- ${label} (committed)`, `+++ ${label} (generated from the .avsc files)`];
  let changes: string[] = [];
  if (x.length * y.length > 4_000_000) {
    changes = [...x.map((l) => `-${l}`), ...y.map((l) => `+${l}`)];
    lines.push(`@@ from line ${head + 1} @@`);
  } else {
    const lcs: Uint32Array[] = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    let lastHunk = -2;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        i++;
        j++;
        continue;
      }
      if (lastHunk !== i - 1 && lastHunk !== i) changes.push(`@@ committed line ${head + i + 1} @@`);
      if (i < x.length && (j >= y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        changes.push(`-${x[i]}`);
        lastHunk = i;
        i++;
      } else {
        changes.push(`+${y[j]}`);
        j++;
        lastHunk = i;
      }
    }
  }
  if (changes.length > max) changes = [...changes.slice(0, max), `... ${changes.length - max} more changed lines`];
  return [...lines, ...changes].join('\n');
}

// `node dist/schemas/codegen.js` writes the file.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { file, changed } = writeTypes();
    process.stdout.write(`${changed ? 'wrote' : 'unchanged'} ${display(file)}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof ProteaError ? err.describe() : String(err)}\n`);
    process.exitCode = 1;
  }
}
