import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { settingsMarkdown } from '../../lib/settings-doc.js';
import { PROJECT_ROOT, SETTINGS, loadConfig } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';

t.test('defaults apply when the environment is empty, and the result is frozen', async (t) => {
  const cfg = loadConfig({});
  t.same(cfg.kafkaBrokers, ['127.0.0.1:9092']);
  t.equal(cfg.registryUrl, 'http://127.0.0.1:8080/apis/ccompat/v7');
  t.equal(cfg.dbUrl, 'postgres://postgres@127.0.0.1:5432/protea');
  t.equal(cfg.kafkaControllerPort, 9093);
  t.equal(cfg.kafkaCompression, 'none', 'no compression by default');
  t.equal(loadConfig({ PROTEA_KAFKA_COMPRESSION: 'zstd' }).kafkaCompression, 'zstd');
  t.equal(cfg.stateDir, path.join(PROJECT_ROOT, '.protea'), 'state dir resolves against the project root');
  t.ok(Object.isFrozen(cfg), 'config is frozen');
  t.ok(Object.isFrozen(cfg.kafkaBrokers), 'lists are frozen too');
});

t.test('environment overrides are parsed: lists split, integers converted, URLs lose trailing slashes', async (t) => {
  const cfg = loadConfig({
    PROTEA_KAFKA_BROKERS: 'a:1, b:2',
    PROTEA_KAFKA_CONTROLLER_PORT: '19093',
    PROTEA_REGISTRY_URL: 'http://r:9/apis/ccompat/v7/',
    PROTEA_STATE_DIR: '/tmp/x',
  });
  t.same(cfg.kafkaBrokers, ['a:1', 'b:2']);
  t.equal(cfg.kafkaControllerPort, 19093);
  t.equal(cfg.registryUrl, 'http://r:9/apis/ccompat/v7');
  t.equal(cfg.stateDir, '/tmp/x');
});

t.test('invalid values fail with PROTEA_ERR_CONFIG_INVALID naming the variable', async (t) => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PROTEA_KAFKA_BROKERS: 'localhost' }, 'PROTEA_KAFKA_BROKERS', /not host:port/],
    [{ PROTEA_KAFKA_CONTROLLER_PORT: 'ninety' }, 'PROTEA_KAFKA_CONTROLLER_PORT', /integer/],
    [{ PROTEA_DB_URL: 'not a url' }, 'PROTEA_DB_URL', /URL/],
    [{ PROTEA_LOG_LEVEL: 'loud' }, 'PROTEA_LOG_LEVEL', /one of/],
    [{ PROTEA_TOPIC_NAMESPACE: 'bad name' }, 'PROTEA_TOPIC_NAMESPACE', /topic names/],
    [{ PROTEA_EMBED_PARTITIONS_AT_ONCE: '0' }, 'PROTEA_EMBED_PARTITIONS_AT_ONCE', /at least 1/],
    [{ PROTEA_SINK_PARTITIONS_AT_ONCE: '0' }, 'PROTEA_SINK_PARTITIONS_AT_ONCE', /at least 1/],
    [{ PROTEA_KAFKA_COMPRESSION: 'brotli' }, 'PROTEA_KAFKA_COMPRESSION', /expected one of none, gzip, snappy, lz4, zstd/],
    [{ PROTEA_KAFKA_COMPRESSION: 'LZ4' }, 'PROTEA_KAFKA_COMPRESSION', /one of/],
  ];
  for (const [env, field, why] of cases) {
    const err = t.throws(() => loadConfig(env)) as unknown as ProteaError;
    t.ok(err instanceof ProteaError, `${field}: a ProteaError`);
    t.equal(err.code, 'PROTEA_ERR_CONFIG_INVALID');
    t.equal(err.context.field, field);
    t.match(err.message, why);
    t.match(err.describe(), new RegExp(`→ ${field}`), 'the hint says which variable to fix');
  }
});

t.test('the README documents every setting with its default', async (t) => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  for (const line of settingsMarkdown().split('\n').slice(2)) {
    t.ok(readme.includes(line), `README has: ${line.slice(0, 60)}…`);
  }
  t.equal(Object.keys(SETTINGS).length, settingsMarkdown().split('\n').length - 2);
});
