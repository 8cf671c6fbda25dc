// Locating the JDK and Maven the local stack runs with.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../lib/config.js';
import { ProteaError } from '../lib/errors.js';

function works(cmd: string, arg: string): boolean {
  const r = spawnSync(cmd, [arg], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** PROTEA_JAVA_HOME, then JAVA_HOME, then java on PATH. */
export function java(cfg: Config): string {
  const home = cfg.javaHome || process.env.JAVA_HOME || '';
  const cmd = home ? path.join(home, 'bin', 'java') : 'java';
  if (!works(cmd, '-version')) {
    throw new ProteaError('STACK_JAVA_MISSING', `no runnable java at ${cmd}`, { component: 'java' });
  }
  return cmd;
}

export function mvn(): string {
  if (!works('mvn', '-v')) {
    throw new ProteaError('STACK_MAVEN_FAILED', 'Apache Maven (mvn) is not on PATH; the stack fetches Kafka and the registry from Maven Central with it', {
      component: 'maven',
      hint: 'apt-get install -y maven',
    });
  }
  return 'mvn';
}
