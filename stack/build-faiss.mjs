#!/usr/bin/env node
// Builds the faiss-node native binding against the system (Debian) faiss.
// faiss-node's own install script is disabled (allowScripts) because it
// downloads prebuilds / clones faiss from GitHub; we compile its src/faiss.cc
// with node-gyp instead. Run as the root `postinstall`, or by hand.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, rebuildArgs } from './node-gyp.mjs';

const t0 = Date.now();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = join(ROOT, 'node_modules', 'faiss-node');
const STAMP = join(PKG, 'build', 'protea-build.stamp');
const APT = 'apt-get install -y libfaiss-dev libopenblas-dev';
const log = (msg) => console.log(`[build-faiss] ${msg}`);
const die = (msg) => { console.error(`[build-faiss] ERROR: ${msg}`); process.exit(1); };

if (process.env.PROTEA_SKIP_FAISS === '1') {
  console.warn('[build-faiss] WARNING: PROTEA_SKIP_FAISS=1, not building faiss-node; vector search will not load.');
  process.exit(0);
}
if (!existsSync(join(PKG, 'src', 'faiss.cc'))) {
  log(`faiss-node not installed at ${PKG}; nothing to build.`);
  process.exit(0);
}

// --- system faiss -----------------------------------------------------------
const INC = ['/usr/include', '/usr/local/include'].find((d) => existsSync(join(d, 'faiss', 'IndexFlat.h')));
const LIBDIRS = [`/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '/usr/lib', '/usr/local/lib'];
// Debian bookworm's libfaiss-dev ships only the static libfaiss.a (no .so);
// it is PIC, so it links into the addon fine. Accept either.
const findLib = (names) => LIBDIRS.flatMap((d) => names.map((n) => join(d, n))).find((p) => existsSync(p));
const libfaiss = findLib(['libfaiss.so', 'libfaiss.a']);
const libblas = findLib(['libopenblas.so']);
const missing = [
  !INC && 'faiss headers (/usr/include/faiss/IndexFlat.h)',
  !libfaiss && `libfaiss.so / libfaiss.a (in ${LIBDIRS.join(', ')})`,
  !libblas && 'libopenblas.so',
].filter(Boolean);
if (missing.length) {
  die(`missing ${missing.join('; ')}.\n  Install them with:  ${APT}\n  (or set PROTEA_SKIP_FAISS=1 to skip building faiss-node)`);
}

// faiss >= 1.7.4 declares faiss::idx_t (MetricType.h); 1.7.3 (bookworm) only
// has faiss::Index::idx_t, and faiss-node's faiss.cc uses `faiss::idx_t`.
const metricH = readFileSync(join(INC, 'faiss', 'MetricType.h'), 'utf8');
const shim = /^\s*using\s+idx_t\s*=/m.test(metricH)
  ? '#pragma once\n// faiss already declares faiss::idx_t\n'
  : '#pragma once\n#include <faiss/Index.h>\nnamespace faiss { using idx_t = Index::idx_t; }\n';

// node-addon-api: faiss-node's nested copy if present, else the hoisted one.
let addonApi;
try {
  addonApi = dirname(createRequire(join(PKG, 'package.json')).resolve('node-addon-api/package.json'));
} catch {
  die('node-addon-api not found (dependency of faiss-node); reinstall node_modules.');
}

const SHIM_H = join(PKG, 'src', 'protea_faiss_compat.h');
const gyp = {
  targets: [{
    target_name: 'faiss-node', // -> build/Release/faiss-node.node, what lib/index.js's bindings('faiss-node') loads
    sources: ['src/faiss.cc'],
    include_dirs: [addonApi, INC],
    defines: ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS'],
    // node's common.gypi adds -fno-exceptions -fno-rtti; faiss.cc needs both
    // (try/catch FaissException, dynamic_cast<faiss::Index*>).
    'cflags!': ['-fno-exceptions', '-fno-rtti'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
    cflags_cc: ['-std=c++17', '-fexceptions', '-frtti', '-fopenmp', '-include', SHIM_H, '-Wno-deprecated-declarations', '-Wno-unused-but-set-variable'],
    libraries: [
      `-L${dirname(libfaiss)}`,
      '-lfaiss', '-lopenblas', '-fopenmp',
      // keep the static faiss symbols private to this addon
      '-Wl,--exclude-libs,libfaiss.a',
    ],
  }],
};
const gypText = JSON.stringify(gyp, null, 2) + '\n';

// Stamp of every build input: re-running postinstall is cheap when unchanged.
const stat = (p) => { const s = statSync(p); return `${p}:${s.size}:${s.mtimeMs}`; };
const stamp = createHash('sha256').update([
  readFileSync(join(PKG, 'package.json')), readFileSync(join(PKG, 'src', 'faiss.cc')),
  gypText, shim, process.versions.node, process.versions.modules, process.arch,
  stat(libfaiss), stat(libblas),
].join('\0')).digest('hex');

// Load in a child process: a bad .node can abort, and this process must report it.
const loads = () => spawnSync(process.execPath, ['-e',
  `const f = require(${JSON.stringify(PKG)}); if (new f.IndexFlatL2(3).getDimension() !== 3) process.exit(2);`],
  { encoding: 'utf8' });

if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp && loads().status === 0) {
  log(`faiss-node binding up to date (${Date.now() - t0} ms).`);
  process.exit(0);
}

writeFileSync(join(PKG, 'binding.gyp'), gypText);
writeFileSync(SHIM_H, shim);

const nodeGyp = findNodeGyp();
if (!nodeGyp) die('node-gyp not found (expected the copy bundled with npm).');
const args = rebuildArgs(nodeGyp);
log(`building faiss-node with ${libfaiss} (node-gyp ${args.slice(1).join(' ')})`);
const gypRun = spawnSync(process.execPath, args, { cwd: PKG, stdio: 'inherit' });
if (gypRun.status !== 0) {
  die(`node-gyp rebuild failed (exit ${gypRun.status ?? gypRun.signal}) in ${PKG}; see output above.\n`
    + `  Check the system packages:  ${APT}`);
}

const check = loads();
if (check.status !== 0) {
  die(`built faiss-node binding does not load:\n${check.stderr || check.stdout}`);
}
mkdirSync(dirname(STAMP), { recursive: true });
writeFileSync(STAMP, stamp);
log(`faiss-node binding built and loads (${((Date.now() - t0) / 1000).toFixed(1)} s).`);
