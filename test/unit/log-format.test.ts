// Log format: pretty on a terminal, JSON lines on a pipe, a file or under CI,
// PROTEA_LOG_FORMAT overriding either way; and the demo's log capture (every
// line to a file, errors still on the terminal).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT, loadConfig } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { chooseLogFormat, createRootLogger } from '../../lib/log.js';

t.test('auto: pretty on a terminal unless CI is set; JSON on anything else; json and pretty force it', async (t) => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  t.equal(chooseLogFormat('auto', tty, {}), 'pretty', 'a terminal, no CI');
  t.equal(chooseLogFormat('auto', pipe, {}), 'json', 'a pipe or file');
  t.equal(chooseLogFormat('auto', {}, {}), 'json', 'a stream that says nothing about a terminal');
  t.equal(chooseLogFormat('auto', tty, { CI: 'true' }), 'json', 'CI=true on a terminal');
  t.equal(chooseLogFormat('auto', tty, { CI: '1' }), 'json', 'CI=1');
  for (const off of ['', '0', 'false', 'FALSE']) t.equal(chooseLogFormat('auto', tty, { CI: off }), 'pretty', `CI=${JSON.stringify(off)} counts as unset`);
  t.equal(chooseLogFormat('json', tty, {}), 'json', 'json on a terminal');
  t.equal(chooseLogFormat('pretty', pipe, { CI: 'true' }), 'pretty', 'pretty on a pipe under CI');
});

t.test('PROTEA_LOG_FORMAT: auto by default, one of auto, json, pretty', async (t) => {
  t.equal(loadConfig({}).logFormat, 'auto');
  t.equal(loadConfig({ PROTEA_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
  const err = t.throws(() => loadConfig({ PROTEA_LOG_FORMAT: 'colour' })) as unknown as ProteaError;
  t.equal(err.code, 'PROTEA_ERR_CONFIG_INVALID');
  t.equal(err.context.field, 'PROTEA_LOG_FORMAT');
  t.match(err.message, /auto, json, pretty/);
});

t.test('a pretty line is one readable line: level, component and message, fields after; a JSON line parses', async (t) => {
  const lines: string[] = [];
  const writer = { write: (s: string) => lines.push(s) };
  createRootLogger({ level: 'info', format: 'pretty', writer, colorize: false }).logger.child({ component: 'sink:annotations' }).warn({ topic: 'protea.ingest.gaf', offset: '7' }, 'dead-lettered: GO:0005515 is unknown');
  t.equal(lines.length, 1);
  t.match(lines[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: sink:annotations: dead-lettered: GO:0005515 is unknown \{"topic":"protea\.ingest\.gaf","offset":"7"\}\n$/);
  t.notMatch(lines[0], /"level"|"app"/, 'no JSON envelope');

  lines.length = 0;
  createRootLogger({ level: 'info', format: 'json', writer }).logger.child({ component: 'x' }).info({ n: 1 }, 'hello');
  const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  t.match(entry, { level: 30, app: 'protea', component: 'x', n: 1, msg: 'hello' });
});

const LOG_JS = path.join(PROJECT_ROOT, 'dist', 'lib', 'log.js');

function runLogging(script: string, env: Record<string, string>): { stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { logger, captureLogs } from ${JSON.stringify(LOG_JS)};\n${script}`], {
    encoding: 'utf8',
    env: { ...process.env, PROTEA_LOG_LEVEL: 'info', ...env },
  });
  return { stderr: r.stderr, status: r.status };
}

t.test('the process logger follows the environment: a pipe gets JSON under auto, pretty when asked', async (t) => {
  const auto = runLogging(`logger('cli').info('plain');`, { PROTEA_LOG_FORMAT: 'auto', CI: '' });
  t.equal(auto.status, 0);
  t.match(JSON.parse(auto.stderr.trim()) as object, { level: 30, component: 'cli', msg: 'plain' }, 'stderr is a pipe here: JSON');
  const forced = runLogging(`logger('cli').info('plain');`, { PROTEA_LOG_FORMAT: 'pretty', NO_COLOR: '1' });
  t.match(forced.stderr, /^\[[\d:.]+\] INFO: cli: plain\n$/, 'PROTEA_LOG_FORMAT=pretty on a pipe');
});

t.test('captureLogs: every line goes to the file as JSON and is counted; errors still reach the terminal; end() switches back', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'logs', 'demo.log'); // the folder does not exist yet
  const r = runLogging(
    `const early = logger('sink:annotations'); // made before the capture: it follows it too
     const c = captureLogs(${JSON.stringify(file)});
     early.info('started');
     early.warn({ offset: '1' }, 'dead-lettered: one');
     early.warn({ offset: '2' }, 'dead-lettered: two');
     logger('pipeline').error('a real failure');
     c.end();
     logger('cli').info('after the capture');`,
    { PROTEA_LOG_FORMAT: 'pretty', NO_COLOR: '1' },
  );
  t.equal(r.status, 0, r.stderr);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
  t.same(lines.map((l) => [l.level, l.msg]), [[30, 'started'], [40, 'dead-lettered: one'], [40, 'dead-lettered: two'], [50, 'a real failure']], 'the file: JSON lines, all levels');
  const stderr = r.stderr.trim().split('\n');
  t.equal(stderr.length, 2, `the terminal: the error and the line after the capture only (${r.stderr})`);
  t.match(stderr[0], /ERROR: pipeline: a real failure/);
  t.match(stderr[1], /INFO: cli: after the capture/);
});

t.test('captureLogs counts by level', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { logger, captureLogs } from ${JSON.stringify(LOG_JS)};
    const c = captureLogs(${JSON.stringify(path.join(dir, 'x.log'))});
    logger().warn('a'); logger().warn('b'); logger().info('c'); logger().debug('not at this level');
    c.end();
    process.stdout.write(JSON.stringify(c.counts));`], { encoding: 'utf8', env: { ...process.env, PROTEA_LOG_LEVEL: 'info' } });
  t.same(JSON.parse(r.stdout) as object, { warn: 2, info: 1 });
});
