// `protea stack up`, `status`, `down` on a stack of its own (fresh state
// folder, free ports, fresh databases), so the shared stack other tests use is
// never touched. Jars come from the main state folder's cache.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT, config } from '../../lib/config.js';
import { adminQuery, withDatabase } from '../../lib/db.js';
import { freePort } from '../../lib/free-port.js';

interface Component {
  name: string;
  health: string;
  managed: boolean;
  pid?: number;
  address: string;
  log: string;
}


function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

t.test('stack up brings up all three healthy, is idempotent, and stack down leaves nothing of ours running', async (t) => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'protea-stack-'));
  const mainJars = path.join(config().stateDir, 'jars');
  fs.mkdirSync(mainJars, { recursive: true });
  fs.symlinkSync(mainJars, path.join(state, 'jars'));
  const [kafkaPort, controllerPort, registryPort] = [await freePort(), await freePort(), await freePort()];
  const db = `protea_t_stack_${Math.random().toString(16).slice(2, 10)}`;
  const env = {
    ...process.env,
    PROTEA_STATE_DIR: state,
    PROTEA_KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    PROTEA_KAFKA_CONTROLLER_PORT: String(controllerPort),
    PROTEA_REGISTRY_URL: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    PROTEA_DB_URL: withDatabase(config().dbUrl, db),
    PROTEA_LOG_LEVEL: 'warn',
  };
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/protea.js'), 'stack', ...args], { env, encoding: 'utf8', timeout: 240_000 });
  const status = (): Component[] => JSON.parse(cli('status', '--json').stdout) as Component[];

  t.teardown(async () => {
    cli('down');
    const server = withDatabase(config().dbUrl, 'postgres');
    for (const name of [db, `${db}_registry`]) await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    fs.rmSync(state, { recursive: true, force: true });
  });

  const before = cli('status', '--json');
  t.equal(before.status, 1, 'status exits 1 before up: the fresh database, Kafka and registry are not there');

  const up = cli('up');
  t.equal(up.status, 0, 'stack up exits 0', { stdout: up.stdout, stderr: up.stderr });
  const afterUp = status();
  t.same(afterUp.map((c) => [c.name, c.health]), [['postgresql', 'healthy'], ['kafka', 'healthy'], ['registry', 'healthy']], 'all three healthy');
  const kafka = afterUp.find((c) => c.name === 'kafka')!;
  const registry = afterUp.find((c) => c.name === 'registry')!;
  t.equal(kafka.address, `127.0.0.1:${kafkaPort}`, 'kafka listens where PROTEA_KAFKA_BROKERS says');
  t.equal(registry.address, env.PROTEA_REGISTRY_URL, 'registry answers where PROTEA_REGISTRY_URL says');
  t.ok(kafka.managed && kafka.pid && alive(kafka.pid), 'kafka runs as our process');
  t.ok(registry.managed && registry.pid && alive(registry.pid), 'registry runs as our process');
  t.ok(kafka.log.startsWith(state) && fs.statSync(kafka.log).size > 0, 'kafka log lives in the state folder');
  t.ok(registry.log.startsWith(state) && fs.statSync(registry.log).size > 0, 'registry log lives in the state folder');
  const compat = (await (await fetch(`${env.PROTEA_REGISTRY_URL}/config`)).json()) as { compatibilityLevel: string };
  t.equal(compat.compatibilityLevel, 'BACKWARD', 'global compatibility is what the registry client asks for');

  const again = cli('up');
  t.equal(again.status, 0, 'a second up succeeds');
  t.match(again.stdout, /kafka\s+already running/, 'second up does not start kafka again');
  t.match(again.stdout, /registry\s+already running/, 'second up does not start the registry again');
  const afterAgain = status();
  t.same(afterAgain.map((c) => c.pid), afterUp.map((c) => c.pid), 'same processes after the second up');

  const down = cli('down');
  t.equal(down.status, 0, 'stack down exits 0', { stderr: down.stderr });
  t.notOk(alive(kafka.pid!), 'kafka process is gone');
  t.notOk(alive(registry.pid!), 'registry process is gone');
  t.notOk(await portOpen(kafkaPort), 'kafka port closed');
  t.notOk(await portOpen(controllerPort), 'controller port closed');
  t.notOk(await portOpen(registryPort), 'registry port closed');
  const afterDown = status();
  t.same(afterDown.map((c) => [c.name, c.health]), [['postgresql', 'healthy'], ['kafka', 'down'], ['registry', 'down']], 'postgresql stays up; ours are down');
  const down2 = cli('down');
  t.equal(down2.status, 0, 'down is idempotent');
});
