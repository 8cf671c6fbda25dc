// How the native-binding builders (build-faiss.mjs, build-parasail.mjs) run
// node-gyp: the copy npm passes or bundles, and the distro's Node headers so
// it never downloads them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** node-gyp's script: npm passes its own via npm_config_node_gyp; otherwise the copy bundled with npm; null when none. */
export function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (found) return found;
  const prefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim();
  const p = prefix && join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return p && existsSync(p) ? p : null;
}

/**
 * `node-gyp rebuild` arguments. node-gyp only sees npmrc's nodedir when npm
 * runs it; when run by hand, point it at the distro headers.
 */
export function rebuildArgs(nodeGyp) {
  const args = [nodeGyp, 'rebuild', '--loglevel=warn']; // compiler output still streams
  const nodedir = process.env.npm_config_nodedir
    || (existsSync('/usr/include/node/common.gypi') && existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  return args;
}
