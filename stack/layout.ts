// Where the local stack keeps its state: one git-ignored folder.
import path from 'node:path';
import type { Config } from '../lib/config.js';

export function layout(cfg: Config) {
  return {
    root: cfg.stateDir,
    jars: path.join(cfg.stateDir, 'jars'),
    logs: path.join(cfg.stateDir, 'logs'),
    run: path.join(cfg.stateDir, 'run'),
  };
}

export interface ComponentStatus {
  name: 'kafka' | 'registry' | 'postgresql';
  address: string;
  health: 'healthy' | 'unhealthy' | 'down';
  detail: string;
  log: string;
  /** pid when `stack up` started it and it still runs */
  pid?: number | undefined;
  /** true when this stack started it (and `down` will stop it) */
  managed: boolean;
}
