// Where the schemas and the generated types are, apart from schemas/codegen.ts
// (which loads avsc): `protea schemas`' help names the generated file.
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/config.js';

export const SCHEMAS_DIR = path.join(PROJECT_ROOT, 'schemas');
export const GENERATED_FILE = path.join(SCHEMAS_DIR, 'generated', 'types.ts');
