// The Kafka seam holds: kafkajs (its values and its types) is imported only by
// the seam modules of lib/, so replacing the client touches them alone.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';

const SEAM = new Set(['lib/kafka-client.ts', 'lib/topic-consumer.ts', 'lib/topic-producer.ts']);
// this file holds import lines as samples for the pattern, not imports
const SELF = 'test/unit/kafka-seam.test.ts';
// lib/partitioner.ts (outside the seam) chooses partitions as kafkajs's DefaultPartitioner
// does: its test and benchmark import kafkajs as the reference to compare with
const REFERENCE = new Set(['test/unit/partitioner.test.ts', 'bench/partitioner.ts']);
const SKIP = new Set(['node_modules', 'dist', '.git', '.protea', '.tap', 'coverage']);
// import ... from 'kafkajs', import type ..., import('kafkajs'), require('kafkajs'), export ... from 'kafkajs'; subpaths too
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"]kafkajs(?:\/[^'"]*)?['"]/;

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, out);
    else if (/\.(ts|mts|cts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

t.test('no module outside the seam imports kafkajs, not even a type', async (t) => {
  const files = sources(PROJECT_ROOT);
  t.ok(files.length > 100, `${files.length} source files scanned`);
  const importers = files.filter((f) => IMPORT.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(PROJECT_ROOT, f).split(path.sep).join('/'));
  t.same(importers.filter((f) => !SEAM.has(f) && f !== SELF && !REFERENCE.has(f)), [], 'kafkajs is imported by the seam modules (and the partitioner\'s reference comparisons) only');
  for (const f of REFERENCE) t.ok(importers.includes(f), `${f} compares with kafkajs (or leaves this list)`);
  for (const seam of SEAM) t.ok(importers.includes(seam), `${seam} is where the client is used`);
});

t.test('the pattern catches every import form', async (t) => {
  for (const line of ["import { Kafka } from 'kafkajs';", 'import type { Consumer } from "kafkajs";', "const k = await import('kafkajs');", "const k = require('kafkajs');", "export type { Admin } from 'kafkajs';", "import 'kafkajs';", "import x from 'kafkajs/src/errors';"]) {
    t.ok(IMPORT.test(line), line);
  }
  for (const line of ["import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';", '// kafkajs leaves timers behind']) t.notOk(IMPORT.test(line), line);
});
