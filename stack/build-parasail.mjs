#!/usr/bin/env node
// Builds native/parasail (PROTEA's N-API binding to Debian's libparasail, the
// alignment kernels of processors/alignment) with node-gyp. Run as part of the
// root `postinstall`, or by hand. Without libparasail-dev it warns and exits 0:
// processors/alignment then falls back to its TypeScript dynamic programming
// (same scores, about 30x slower; see bench/RESULTS.md).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, rebuildArgs } from './node-gyp.mjs';

const t0 = Date.now();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'native', 'parasail');
const ADDON = join(DIR, 'build', 'Release', 'protea_parasail.node');
const STAMP = join(DIR, 'build', 'protea-build.stamp');
const APT = 'apt-get install -y libparasail-dev';
const log = (msg) => console.log(`[build-parasail] ${msg}`);
const skip = (msg) => { console.warn(`[build-parasail] WARNING: ${msg}; alignments fall back to TypeScript (slow).`); process.exit(0); };

if (process.env.PROTEA_SKIP_PARASAIL === '1') skip('PROTEA_SKIP_PARASAIL=1, not building the parasail binding');

const INC = ['/usr/include', '/usr/local/include'].find((d) => existsSync(join(d, 'parasail.h')));
const LIBDIRS = [`/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '/usr/lib', '/usr/local/lib'];
const lib = LIBDIRS.map((d) => join(d, 'libparasail.so')).find((p) => existsSync(p));
if (!INC || !lib) skip(`libparasail-dev not installed (parasail.h / libparasail.so); install it with: ${APT}`);

const stat = (p) => { const s = statSync(p); return `${p}:${s.size}:${s.mtimeMs}`; };
const stamp = createHash('sha256').update([
  readFileSync(join(DIR, 'align.cc')), readFileSync(join(DIR, 'binding.gyp')),
  process.versions.node, process.versions.modules, process.arch, stat(lib), stat(join(INC, 'parasail.h')),
].join('\0')).digest('hex');

// Load in a child process: a bad .node can abort, and this process must report it.
const loads = () => spawnSync(process.execPath, ['-e',
  `const p = require(${JSON.stringify(ADDON)}); if (p.align('MKV', 'MKV', false)[0] !== 14) process.exit(2);`],
  { encoding: 'utf8' });

if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp && loads().status === 0) {
  log(`parasail binding up to date (${Date.now() - t0} ms).`);
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) skip('node-gyp not found (expected the copy bundled with npm)');
const args = rebuildArgs(nodeGyp);
log(`building the parasail binding with ${lib}`);
// node-addon-api is resolved from the repository's node_modules (binding.gyp asks node for its include dir).
const gypRun = spawnSync(process.execPath, args, { cwd: DIR, stdio: 'inherit', env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } });
if (gypRun.status !== 0) skip(`node-gyp rebuild failed (exit ${gypRun.status ?? gypRun.signal}) in ${DIR}; see output above`);

const check = loads();
if (check.status !== 0) skip(`built parasail binding does not load:\n${check.stderr || check.stdout}`);
mkdirSync(dirname(STAMP), { recursive: true });
writeFileSync(STAMP, stamp);
log(`parasail binding built and loads (${((Date.now() - t0) / 1000).toFixed(1)} s).`);
