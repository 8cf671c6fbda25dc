import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import t from 'tap';
import { buildProgram } from '../../cli/main.js';
import { PROJECT_ROOT } from '../../lib/config.js';

function walk(cmd: Command, trail: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((c) => [{ path: [...trail, c.name()], cmd: c }, ...walk(c, [...trail, c.name()])]);
}

t.test('every command and sub-command has a description and --help', async (t) => {
  const all = walk(buildProgram());
  t.ok(all.length >= 15, `the CLI has its commands (${all.length})`);
  for (const { path: p, cmd } of all) {
    t.ok(cmd.description().length > 10, `protea ${p.join(' ')} is described`);
    t.match(cmd.helpInformation(), /-h, --help/, `protea ${p.join(' ')} --help`);
  }
  const names = all.map((c) => c.path.join(' '));
  for (const expected of ['stack up', 'stack down', 'stack status', 'db migrate', 'db rollback', 'db status', 'topics create', 'schemas generate', 'schemas check', 'demo']) {
    t.ok(names.includes(expected), `protea ${expected} exists`);
  }
});

t.test('the built protea binary prints help for a sub-command and fails clearly on an unknown one', async (t) => {
  const bin = path.join(PROJECT_ROOT, 'bin/protea.js');
  const help = spawnSync(process.execPath, [bin, 'stack', 'up', '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /Usage: protea stack up/);
  const bad = spawnSync(process.execPath, [bin, 'stak'], { encoding: 'utf8' });
  t.not(bad.status, 0, 'an unknown command exits non-zero');
  t.match(bad.stderr, /unknown command 'stak'/);
  const badEnv = spawnSync(process.execPath, [bin, 'stack', 'status'], { encoding: 'utf8', env: { ...process.env, PROTEA_KAFKA_BROKERS: 'nohostport' } });
  t.equal(badEnv.status, 1, 'an invalid setting exits 1');
  t.match(badEnv.stderr, /PROTEA_ERR_CONFIG_INVALID: PROTEA_KAFKA_BROKERS="nohostport"/);
  const noPool = spawnSync(process.execPath, [bin, 'api', '--port', '0'], { encoding: 'utf8', env: { ...process.env, PROTEA_API_DB_POOL_SIZE: '0' } });
  t.equal(noPool.status, 1, 'an API without database connections is refused before it starts');
  t.match(noPool.stderr, /PROTEA_ERR_CONFIG_INVALID: PROTEA_API_DB_POOL_SIZE=0/);
});

t.test('every benchmark entry point parses its options with commander: --help, and an unknown option fails', async (t) => {
  // the entry points under bench/ (helpers such as common.ts, cli.ts, experiments.ts are not run on their own)
  const entries = ['generate', 'ingest-fasta', 'ingest-gaf', 'sink-copy-vs-insert', 'sink-vs-kafka-connect', 'sink-statements', 'evaluate', 'cpuprofile-top', 'kmer-representation', 'embeddings-export', 'embed-onnx', 'embedder-stage', 'knn-search', 'align', 'api-latency', 'enricher', 'avro-codec', 'kafka-codecs', 'cafa3-loo', 'partitioner'];
  for (const name of entries) {
    const file = path.join(PROJECT_ROOT, 'dist', 'bench', `${name}.js`);
    const help = spawnSync(process.execPath, [file, '--help'], { encoding: 'utf8' });
    t.equal(help.status, 0, `${name} --help exits 0`);
    t.match(help.stdout, new RegExp(`^Usage: node dist/bench/${name}\\.js \\[options\\]`), `${name} --help prints its usage`);
    t.match(help.stdout, /-h, --help/, `${name} --help lists its options`);
    const bad = spawnSync(process.execPath, [file, '--no-such-option'], { encoding: 'utf8' });
    t.not(bad.status, 0, `${name} with an unknown option exits non-zero`);
    t.match(bad.stderr, /unknown option '--no-such-option'/, `${name} names the unknown option`);
  }
});
