// The Avro schemas of the topics, read from schemas/*.avsc (the single source of
// truth; see schemas/codegen.ts for the TypeScript types derived from them).
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { PROJECT_ROOT } from './config.js';
import { ProteaError } from './errors.js';
import { parseSchemaFile, type AvroRecordSchema } from '../schemas/codegen.js';
import { SCHEMA_FILES, type RecordName } from '../schemas/generated/types.js';

export type { AvroRecordSchema } from '../schemas/codegen.js';
export type { RecordName, RecordTypes } from '../schemas/generated/types.js';

const SCHEMAS_DIR = path.join(PROJECT_ROOT, 'schemas');
const NAMESPACE = 'org.protea.stream';

const schemas = new Map<RecordName, AvroRecordSchema>();
const types = new Map<RecordName, avro.Type>();

export const RECORD_NAMES = Object.freeze(Object.keys(SCHEMA_FILES).sort() as RecordName[]);

export function isRecordName(name: string): name is RecordName {
  return Object.hasOwn(SCHEMA_FILES, name);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The parsed (and frozen) JSON schema of a top-level record, e.g. loadSchema('JobEventRecord'):
 * what is registered under a topic's `<topic>-value` subject. Read once, then cached.
 */
export function loadSchema(recordName: RecordName): AvroRecordSchema {
  const cached = schemas.get(recordName);
  if (cached) return cached;
  if (!isRecordName(recordName)) {
    throw new ProteaError('SCHEMA_INVALID', `unknown record type ${JSON.stringify(recordName)}`, { hint: `Use one of ${RECORD_NAMES.join(', ')}.` });
  }
  const file = path.join(SCHEMAS_DIR, SCHEMA_FILES[recordName]);
  if (!fs.existsSync(file)) {
    throw new ProteaError('SCHEMA_DRIFT', `schemas/${SCHEMA_FILES[recordName]} (record ${recordName}) is gone but the generated types still name it`, { file: `schemas/${SCHEMA_FILES[recordName]}` });
  }
  const schema = parseSchemaFile(file);
  if (schema.name !== recordName && schema.name !== `${NAMESPACE}.${recordName}`) {
    throw new ProteaError('SCHEMA_DRIFT', `schemas/${SCHEMA_FILES[recordName]} defines ${schema.name}, but the generated types expect ${recordName}`, { file: `schemas/${SCHEMA_FILES[recordName]}` });
  }
  deepFreeze(schema);
  schemas.set(recordName, schema);
  return schema;
}

/** Every top-level record schema, by record name (sorted). */
export function allSchemas(): { name: RecordName; file: string; schema: AvroRecordSchema }[] {
  return RECORD_NAMES.map((name) => ({ name, file: SCHEMA_FILES[name], schema: loadSchema(name) }));
}

/** The avsc Type of a record (cached): isValid / toBuffer / fromBuffer without the registry. */
export function avroType(recordName: RecordName): avro.Type {
  let type = types.get(recordName);
  if (!type) {
    type = avro.Type.forSchema(loadSchema(recordName) as unknown as avro.Type);
    types.set(recordName, type);
  }
  return type;
}
