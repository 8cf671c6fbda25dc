// Summarises V8 .cpuprofile files (node --cpu-prof, e.g. from
// `ingest-fasta.js --cpu-prof DIR`): where the samples fall, by package
// (self time) and by function (self and inclusive time).
//
//   node dist/bench/cpuprofile-top.js FILE.cpuprofile [...] [--top N]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchMain, benchProgram, positiveInt } from './cli.js';
import { fmt, table } from './common.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: a package, a project folder, node internals, or a V8 pseudo-frame. */
export function packageOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `protea ${url.slice(dist + 6).split('/').slice(0, -1).join('/') || '.'}`;
  return url;
}

function frameKey(n: ProfileNode): string {
  const f = n.callFrame;
  const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

export function summarise(file: string, top = 15): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByPkg = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + dt);
    const key = frameKey(node);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclByFn.set(k, (inclByFn.get(k) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const pct = (v: number) => `${((100 * v) / Math.max(1, busy)).toFixed(1)}%`;
  const ms = (v: number) => fmt(v / 1000);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const out: string[] = [];
  out.push(`${path.basename(file)}: ${fmt(total / 1e6, 1)} s sampled, ${fmt(busy / 1e6, 1)} s on the main thread not idle`);
  out.push(table([['self time by package', 'ms', '% busy'], ...sorted(selfByPkg).slice(0, top).map(([k, v]) => [k, ms(v), pct(v)])]));
  out.push(table([['self time by function', 'ms', '% busy'], ...sorted(selfByFn).slice(0, top).map(([k, v]) => [k, ms(v), pct(v)])]));
  const interesting = sorted(inclByFn).filter(([k]) => !/^\((root|program|garbage collector)\)/.test(k) && !k.startsWith('processTicksAndRejections') && !k.startsWith('(anonymous)'));
  out.push(table([['inclusive time by function', 'ms', '% busy'], ...interesting.slice(0, top * 2).map(([k, v]) => [k, ms(v), pct(v)])]));
  return out.join('\n\n');
}

const program = benchProgram('cpuprofile-top', 'where the time of V8 CPU profiles (node --cpu-prof) went: self time by package and function, inclusive time by function')
  .argument('<file...>', '.cpuprofile files')
  .option('--top <n>', 'rows per table', positiveInt, 15);

benchMain(import.meta.url, program, async (o: { top: number }, files) => {
  for (const f of files) process.stdout.write(`${summarise(f, o.top)}\n\n`);
});
