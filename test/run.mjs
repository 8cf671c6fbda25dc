#!/usr/bin/env node
// `npm test`: type-checks and builds, brings the local stack up when it is not
// running, runs every tap test (extra arguments pass through to tap, e.g. a
// file), and ends with the line CI reads: "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const step = (title) => console.log(`\n── ${title}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function finish(passed, failed, code) {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code);
}

// The failed and skipped assertions of a report, counted by walking it: tap's
// JSON reporter counts a skipped or todo assertion among its `failures`, so a
// test skipped for a missing optional tool would fail the run.
function failuresOf(report) {
  const lines = [];
  let skipped = 0;
  const walk = (suite) => {
    for (const c of suite.cases ?? []) {
      if (c.skip || c.todo) skipped++;
      else if (c.ok === false) {
        const { source: _source, ...rest } = c.diag ?? {};
        const diag = c.diag ? JSON.stringify(rest).slice(0, 600) : '';
        lines.push(`✗ ${suite.fullname ?? suite.name} > ${c.name}${diag ? `\n    ${diag}` : ''}`);
      }
    }
    for (const s of suite.suites ?? []) {
      if (s.ok === false && !(s.suites?.length) && !(s.cases?.length)) {
        lines.push(`✗ ${s.fullname ?? s.name} (failed without a failing assertion: crash, timeout or plan mismatch)`);
      }
      walk(s);
    }
  };
  walk(report);
  return { lines, skipped };
}

// A failed test that drew random choices says its seed in a comment (see
// test/helpers/seeded-random.ts); the JSON report has no comments, so the
// lines come from tap's saved output, to stand next to the failures.
function printSeeds(files) {
  const dir = path.join(root, '.tap', 'test-results');
  const wanted = new Set(files.map((f) => path.normalize(f)));
  const lines = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.tap')) {
        const file = path.relative(dir, p).replace(/\.tap$/, '');
        if (wanted.size > 0 && !wanted.has(file)) continue;
        for (const m of readFileSync(p, 'utf8').matchAll(/# (FAILED with .*PROTEA_TEST_SEED=\d+)/g)) lines.push(`${file}: ${m[1]}`);
      }
    }
  };
  walk(dir);
  if (lines.length > 0) console.log(`\nseeds of the failed tests:\n${lines.join('\n')}`);
}

const t0 = Date.now();
step('build (tsc, strict)');
if (run(bin('tsc'), ['-p', 'tsconfig.json']) !== 0) {
  console.error('PROTEA_ERR_USAGE: the TypeScript build failed (see above); no test was run');
  finish(0, 1, 1);
}

step('local stack (Kafka, registry, PostgreSQL)');
if (process.env.PROTEA_TEST_SKIP_STACK !== '1') {
  if (run(process.execPath, ['bin/protea.js', 'stack', 'up']) !== 0) {
    console.error('PROTEA_ERR_STACK_UNHEALTHY: the local stack did not come up; integration tests need it (see the log named above)');
    finish(0, 1, 1);
  }
}

step('tests (tap)');
const tapArgs = process.argv.slice(2);
const tap = spawn(bin('tap'), tapArgs, { cwd: root, stdio: 'inherit', env: { ...process.env } });
const code = await new Promise((resolve) => tap.on('close', (c) => resolve(c ?? 1)));

// Counts come from the recorded results, whatever reporter drew them.
// (only the files this run named, when it named some)
const files = tapArgs.filter((a) => !a.startsWith('-'));
const replay = spawnSync(bin('tap'), ['replay', '-R', 'json', ...files], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
let passed = 0;
let failed = code === 0 ? 0 : 1;
try {
  // the JSON report, without whatever the coverage reporter prints after it
  const out = replay.stdout;
  const report = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1));
  // CI shows only the tail of the output: name every failed assertion there,
  // with its file and the first lines of its diagnostics
  const { lines, skipped } = failuresOf(report);
  failed = lines.length;
  passed = (report.assertions ?? 0) - failed - skipped;
  if (lines.length > 0) console.log(`\nfailed:\n${lines.join('\n')}`);
  if (skipped > 0) console.log(`\n${skipped} skipped (each says why above)`);
  if (failed > 0) printSeeds(files);
  if (code !== 0 && failed === 0) failed = 1; // a crash outside any assertion still fails the run
} catch {
  console.error('could not read the test results back (tap replay); counting the run as failed');
}
console.log(`\ntest wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
finish(passed, failed, code === 0 && failed === 0 ? 0 : 1);
