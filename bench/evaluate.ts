// Evaluation time of the metric core (evaluation/metrics.ts evaluate()) on a
// generated GO-shaped problem: 10k proteins x 40k terms by default.
//
//   npx tsc -p . && node dist/bench/evaluate.js [--proteins N=10000] [--terms N=40000] [--seed S=42]
//     [--repeat N=5] [--baseline-proteins N=300] [--no-baseline]
//
// Data (bench-generated, seed 42): three namespaces (65/25/10% of the terms,
// like GO's BP/MF/CC), one root each, levels 1..13 (bell-shaped level sizes),
// each term with a parent on the level above chosen by preferential
// attachment (heavy-tailed child counts), a second parent from the three
// levels above with p 0.45 and a third with p 0.15; 15% of edges part_of;
// 1% of terms with a cross-namespace part_of (dropped by the evaluator), 2%
// extra obsolete terms, 3% with an alt_id. Ground truth: per protein, BP with
// p 0.75, MF 0.6, CC 0.5 (at least one), 1-4 terms per namespace drawn from the
// terms of level >= 3 with Zipf-like popularity. Predictions (NK-style): 20-100
// per protein: 70% of its true terms (score 0.4-1.0), a parent of half of them
// (0.3-0.9), the rest popular terms (low scores, 80% in its own namespaces),
// 3-decimal scores; plus, for 3% of the proteins, a line for a protein outside
// the ground truth. IA: 0 for roots and 20% of terms, else exponential (mean 1).
//
// Measured: each configuration (prop max|fill x IA or not) in its own child
// process: the data is generated there (not timed), then `evaluate()` (ground
// truth preparation + scoring, the same call `protea evaluate files` makes)
// runs --repeat times; the median wall time and the process's peak RSS
// (getrusage maxrss) before and after are reported.
// Baseline (same run): a straightforward implementation of the same
// definitions — dense protein x term matrices per namespace, propagation over
// the children lists, and for every threshold a scan of every protein x term
// cell — on the first --baseline-proteins proteins, against evaluate() on the
// same subset; the two results are compared value by value too (max |diff|).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildOntology } from '../evaluation/ontology.js';
import { evaluate } from '../evaluation/metrics.js';
import type { Annotation, CurveRow, EvaluationOptions, NamespaceResult, OntologyTermInput, ScoredPrediction } from '../evaluation/types.js';
import { Option } from 'commander';
import { benchMain, benchProgram, nonNegativeInt, positiveInt } from './cli.js';
import { fmt, machineLine, table } from './common.js';
import { Rng, Weighted } from './generate.js';

// ── data ─────────────────────────────────────────────────────────────────────

export interface GoLikeData {
  terms: OntologyTermInput[];
  groundTruth: Annotation[];
  predictions: ScoredPrediction[];
  ia: Map<string, number>;
  edges: number;
}

const NAMESPACES: ReadonlyArray<[string, number, number]> = [
  ['biological_process', 0.65, 0.75],
  ['molecular_function', 0.25, 0.6],
  ['cellular_component', 0.1, 0.5],
];
const LEVEL_WEIGHTS = [2, 5, 9, 13, 15, 15, 13, 10, 7, 5, 3, 2, 1];

const goId = (n: number) => `GO:${String(n).padStart(7, '0')}`;

export function generateGoLike(opts: { terms: number; proteins: number; seed: number }): GoLikeData {
  const rng = new Rng(opts.seed);
  const terms: OntologyTermInput[] = [];
  const nsTerms: number[][] = [];
  const nsLevels: number[][][] = [];
  let next = 1;
  let edges = 0;
  const wsum = LEVEL_WEIGHTS.reduce((a, b) => a + b, 0);
  for (const [ns, share] of NAMESPACES) {
    const count = Math.max(2, Math.round(opts.terms * share));
    const levels: number[][] = [[]];
    const urns: number[][] = [[]];
    const mine: number[] = [];
    const add = (t: OntologyTermInput, level: number) => {
      const i = terms.length;
      terms.push(t);
      mine.push(i);
      (levels[level] ??= []).push(i);
      (urns[level] ??= []).push(i);
      return i;
    };
    add({ id: goId(next++), namespace: ns, name: `${ns} root`, isA: [], partOf: [] }, 0);
    for (let l = 1; l <= LEVEL_WEIGHTS.length; l++) {
      const size = Math.max(1, Math.round(((count - 1) * LEVEL_WEIGHTS[l - 1]!) / wsum));
      for (let k = 0; k < size; k++) {
        const isA: string[] = [];
        const partOf: string[] = [];
        const parents = new Set<number>();
        const upper = urns[l - 1]!;
        const first = upper[rng.int(upper.length)]!;
        parents.add(first);
        upper.push(first); // preferential attachment
        for (const p of [0.45, 0.15]) {
          if (!rng.chance(p)) continue;
          const from = Math.max(0, l - 1 - rng.int(3));
          const urn = urns[from]!;
          const extra = urn[rng.int(urn.length)]!;
          parents.add(extra);
          urn.push(extra);
        }
        for (const p of parents) {
          (rng.chance(0.15) ? partOf : isA).push(terms[p]!.id);
          edges++;
        }
        const t: OntologyTermInput = { id: goId(next++), namespace: ns, isA, partOf };
        if (rng.chance(0.03)) t.altIds = [goId(9_000_000 + next)];
        add(t, l);
      }
    }
    nsTerms.push(mine);
    nsLevels.push(levels);
  }
  // cross-namespace part_of (dropped by the evaluator) and obsolete terms
  for (let i = 0; i < terms.length; i++) {
    if (!rng.chance(0.01)) continue;
    const other = nsTerms[(NAMESPACES.findIndex(([n]) => n === terms[i]!.namespace) + 1) % NAMESPACES.length]!;
    (terms[i]!.partOf as string[]).push(terms[other[rng.int(other.length)]!]!.id);
  }
  const obsolete = Math.round(terms.length * 0.02);
  for (let k = 0; k < obsolete; k++) terms.push({ id: goId(next++), namespace: NAMESPACES[k % 3]![0], obsolete: true });

  // annotation popularity per namespace: terms of level >= 3, Zipf-like over a random order
  const popular = nsLevels.map((levels) => {
    const pool = levels.slice(3).flat();
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return new Weighted(pool.map((t, r) => [t, 1 / Math.pow(r + 10, 0.9)] as const));
  });
  const parentsOf = (t: number) => [...(terms[t]!.isA ?? []), ...(terms[t]!.partOf ?? [])];
  const indexOf = new Map(terms.map((t, i) => [t.id, i]));
  const groundTruth: Annotation[] = [];
  const predictions: ScoredPrediction[] = [];
  const score = (lo: number, hi: number) => Math.max(0.001, Math.round((lo + rng.next() * (hi - lo)) * 1000) / 1000);
  for (let p = 0; p < opts.proteins; p++) {
    const target = `P${String(p).padStart(6, '0')}`;
    const inNs = NAMESPACES.map(([, , prob]) => rng.chance(prob));
    if (!inNs.some(Boolean)) inNs[rng.int(3)] = true;
    const want = rng.range(20, 100);
    const mine: ScoredPrediction[] = [];
    const nsUsed: number[] = [];
    for (let n = 0; n < 3; n++) {
      if (!inNs[n]) continue;
      nsUsed.push(n);
      const k = 1 + Math.min(3, Math.floor(-Math.log(1 - rng.next()) * 1.2));
      for (let j = 0; j < k; j++) {
        const t = popular[n]!.draw(rng);
        groundTruth.push({ target, term: terms[t]!.id });
        if (rng.chance(0.7)) mine.push({ target, term: terms[t]!.id, score: score(0.4, 1) });
        if (rng.chance(0.5)) {
          const ps = parentsOf(t);
          const par = ps[rng.int(ps.length)];
          if (par !== undefined && indexOf.has(par)) mine.push({ target, term: par, score: score(0.3, 0.9) });
        }
      }
    }
    while (mine.length < want) {
      const n = rng.chance(0.8) ? nsUsed[rng.int(nsUsed.length)]! : rng.int(3);
      const t = popular[n]!.draw(rng);
      mine.push({ target, term: terms[t]!.id, score: Math.max(0.001, Math.round(rng.next() ** 2 * 600) / 1000) });
    }
    predictions.push(...mine);
    if (rng.chance(0.03)) predictions.push({ target: `X${p}`, term: terms[popular[0]!.draw(rng)]!.id, score: 0.5 });
  }
  const ia = new Map<string, number>();
  for (const t of terms) {
    if (t.obsolete) continue;
    const root = (t.isA?.length ?? 0) + (t.partOf?.length ?? 0) === 0;
    ia.set(t.id, root || rng.chance(0.2) ? 0 : -Math.log(1 - rng.next()));
  }
  return { terms, groundTruth, predictions, ia, edges };
}

// ── baseline: the definitions, straightforwardly (dense, every threshold scans everything) ──

/**
 * The evaluator's definitions (evaluation/metrics.ts header) implemented the
 * plain way, independent of evaluation/ontology.ts and metrics.ts: dense
 * matrices, propagation over the children lists in a post-order, and every
 * threshold rescanning every protein x term cell. For the bench baseline and
 * as an oracle in tests; O(thresholds x proteins x terms).
 */
export function naiveEvaluate(
  terms: readonly OntologyTermInput[],
  groundTruth: readonly Annotation[],
  predictions: readonly ScoredPrediction[],
  o: EvaluationOptions,
  known: readonly Annotation[] = [],
): NamespaceResult[] {
  const live = new Map<string, OntologyTermInput>();
  for (const t of terms) if (!t.obsolete && t.namespace && t.namespace !== 'external') live.set(t.id, t);
  const alt = new Map<string, string>();
  for (const t of live.values()) for (const a of t.altIds ?? []) if (!live.has(a) && !alt.has(a)) alt.set(a, t.id);
  const canon = (id: string) => (live.has(id) ? id : alt.get(id));
  const taus: number[] = [];
  const count = Math.ceil((1 - o.thStep) / o.thStep);
  for (let i = 0; i < count; i++) taus.push(i === 0 ? o.thStep : o.thStep + i * (o.thStep + o.thStep - o.thStep));
  const results: NamespaceResult[] = [];
  for (const ns of [...new Set([...live.values()].map((t) => t.namespace as string))].sort()) {
    const ids = [...live.values()].filter((t) => t.namespace === ns).map((t) => t.id);
    const col = new Map(ids.map((id, i) => [id, i]));
    const T = ids.length;
    const children: number[][] = ids.map(() => []);
    const hasParent = new Uint8Array(T);
    ids.forEach((id, i) => {
      const t = live.get(id)!;
      for (const p of new Set([...(t.isA ?? []), ...(t.partOf ?? [])])) {
        const j = col.get(p);
        if (j === undefined) continue;
        children[j]!.push(i);
        hasParent[i] = 1;
      }
    });
    const order: number[] = [];
    const done = new Uint8Array(T);
    const visit = (t: number): void => {
      if (done[t]) return;
      done[t] = 1;
      for (const c of children[t]!) visit(c);
      order.push(t); // after every descendant
    };
    for (let t = 0; t < T; t++) visit(t);

    let rows = new Map<string, number>();
    for (const a of groundTruth) {
      const c = canon(a.term);
      if (c !== undefined && col.has(c) && !rows.has(a.target)) rows.set(a.target, rows.size);
    }
    const dense = (list: readonly { target: string; term: string; score?: number }[], P: number, index: Map<string, number>) => {
      const m = new Float64Array(P * T);
      for (const a of list) {
        const r = index.get(a.target);
        const c = canon(a.term);
        const j = c === undefined ? undefined : col.get(c);
        if (r === undefined || j === undefined) continue;
        m[r * T + j] = Math.max(m[r * T + j]!, a.score ?? 1);
      }
      return m;
    };
    const propagate = (m: Float64Array, P: number, mode: 'max' | 'fill') => {
      for (const t of order) {
        for (let r = 0; r < P; r++) {
          let best = 0;
          for (const c of children[t]!) best = Math.max(best, m[r * T + c]!);
          const own = m[r * T + t]!;
          m[r * T + t] = mode === 'max' ? Math.max(own, best) : own > 0 ? own : best;
        }
      }
    };
    let P = rows.size;
    let G = dense(groundTruth, P, rows);
    propagate(G, P, 'max');
    let K = dense(known, P, rows);
    propagate(K, P, 'max');
    // PK: known terms leave the ground truth; a protein left with nothing is no target
    const keep = new Map<string, number>();
    for (const [target, r] of rows) {
      let any = false;
      for (let j = 0; j < T; j++) if (G[r * T + j]! > 0 && K[r * T + j]! === 0) any = true;
      if (any) keep.set(target, keep.size);
    }
    if (keep.size === 0) continue;
    if (keep.size !== P) {
      const G2 = new Float64Array(keep.size * T);
      const K2 = new Float64Array(keep.size * T);
      for (const [target, r2] of keep) {
        const r = rows.get(target)!;
        G2.set(G.subarray(r * T, r * T + T), r2 * T);
        K2.set(K.subarray(r * T, r * T + T), r2 * T);
      }
      G = G2;
      K = K2;
      rows = keep;
      P = keep.size;
    }
    const S = dense(predictions, P, rows);
    propagate(S, P, o.prop);
    for (let i = 0; i < P * T; i++) {
      if (K[i]! > 0) {
        G[i] = 0;
        S[i] = 0;
      }
    }
    const scored = ids.map((_, j) => !o.noRoots || hasParent[j] === 1);
    const weight = ids.map((id) => {
      const v = o.ia?.get(id);
      return v !== undefined && Number.isFinite(v) && v > 0 ? v : 0;
    });
    const sums = (tau: number, w: (j: number) => number, use: (j: number) => boolean) => {
      let n = 0;
      let tp = 0;
      let fp = 0;
      let fn = 0;
      let pr = 0;
      let rc = 0;
      for (let r = 0; r < P; r++) {
        let pTp = 0;
        let pPred = 0;
        let pGt = 0;
        for (let j = 0; j < T; j++) {
          if (!use(j)) continue;
          const pred = S[r * T + j]! >= tau && S[r * T + j]! > 0;
          const truth = G[r * T + j]! > 0;
          if (pred) pPred += w(j);
          if (truth) pGt += w(j);
          if (pred && truth) pTp += w(j);
        }
        if (pPred > 0) {
          n++;
          pr += pTp / pPred;
        }
        if (pGt > 0) rc += pTp / pGt;
        tp += pTp;
        fp += pPred - pTp;
        fn += pGt - pTp;
      }
      const other = o.norm === 'pred' ? n : P;
      const prDen = o.norm === 'gt' ? P : n;
      const d = (a: number, b: number) => (b > 0 ? a / b : 0);
      const f = (a: number, b: number) => (a + b > 0 ? (2 * a * b) / (a + b) : 0);
      const nTp = d(tp, other);
      const nFp = d(fp, other);
      const nFn = d(fn, other);
      const prM = d(nTp, nTp + nFp);
      const rcM = d(nTp, nTp + nFn);
      const PR = d(pr, prDen);
      const RC = d(rc, other);
      return { n, tp: nTp, fp: nFp, fn: nFn, pr: PR, rc: RC, cov: d(n, P), mi: nFp, ru: nFn, f: f(PR, RC), s: Math.sqrt(nFp * nFp + nFn * nFn), pr_micro: prM, rc_micro: rcM, f_micro: f(prM, rcM) };
    };
    const curve: CurveRow[] = taus.map((tau) => {
      const row: CurveRow = { tau, ...sums(tau, () => 1, (j) => scored[j]!) };
      if (o.ia) {
        const w = sums(tau, (j) => weight[j]!, (j) => weight[j]! > 0);
        for (const [k, v] of Object.entries(w)) (row as unknown as Record<string, number>)[`${k}_w`] = v;
      }
      return row;
    });
    const pick = (v: (r: CurveRow) => number, max: boolean) => {
      let best: CurveRow | null = null;
      for (const r of curve) if (r.cov > 0 && (best === null || (max ? v(r) > v(best) : v(r) < v(best)))) best = r;
      return best;
    };
    let predicted = 0;
    for (let r = 0; r < P; r++) {
      let any = false;
      for (let j = 0; j < T; j++) if (S[r * T + j]! > 0) any = true;
      if (any) predicted++;
    }
    const result: NamespaceResult = { namespace: ns, groundTruthTargets: P, predictedTargets: predicted, curve, bestF: pick((r) => r.f, true), bestS: pick((r) => r.s, false) };
    if (o.ia) {
      result.bestFW = pick((r) => r.f_w!, true);
      result.bestSW = pick((r) => r.s_w!, false);
    }
    results.push(result);
  }
  return results;
}

/** Largest |a - b| over every value of every curve row of two result lists (Infinity when their shapes differ). */
export function maxCurveDifference(a: readonly NamespaceResult[], b: readonly NamespaceResult[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.namespace !== y.namespace || x.curve.length !== y.curve.length || x.groundTruthTargets !== y.groundTruthTargets) return Infinity;
    for (let k = 0; k < x.curve.length; k++) {
      const rx = x.curve[k] as unknown as Record<string, number>;
      const ry = y.curve[k] as unknown as Record<string, number>;
      for (const key of Object.keys(rx)) worst = Math.max(worst, Math.abs(rx[key]! - (ry[key] ?? NaN)) || (Number.isNaN(ry[key]) ? Infinity : 0));
    }
  }
  return worst;
}

// ── measurement ────────────────────────────────────────────────────────────────

interface ChildJob {
  kind: 'ours' | 'baseline';
  prop: 'max' | 'fill';
  ia: boolean;
  terms: number;
  proteins: number;
  seed: number;
  repeat: number;
  /** baseline: evaluate only the first N proteins' ground truth */
  subset?: number;
}

interface ChildResult {
  ms: number[];
  /** CPU time (user + system) of each run: steadier than wall time on a shared machine */
  cpuMs: number[];
  ourMs?: number[];
  rssBeforeMiB: number;
  peakRssMiB: number;
  maxDiff?: number;
  stats: Record<string, number>;
}

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runJob(job: ChildJob): ChildResult {
  const data = generateGoLike(job);
  const options: EvaluationOptions = { prop: job.prop, norm: 'cafa', thStep: 0.01, noRoots: false, ...(job.ia ? { ia: data.ia } : {}) };
  let gt = data.groundTruth;
  if (job.subset !== undefined) {
    const keep = new Set<string>();
    for (const a of gt) if (keep.size < job.subset || keep.has(a.target)) keep.add(a.target);
    gt = gt.filter((a) => keep.has(a.target));
  }
  const t0 = performance.now();
  const ontology = buildOntology(data.terms);
  const ontologyMs = performance.now() - t0;
  const propagated = new Set<number>();
  let propagatedGt = 0;
  let lastTarget = '';
  for (const a of gt) {
    if (a.target !== lastTarget) {
      propagatedGt += propagated.size;
      propagated.clear();
      lastTarget = a.target;
    }
    const t = ontology.resolve(a.term);
    if (t !== undefined) for (const x of ontology.ancestors(t)) propagated.add(x);
  }
  propagatedGt += propagated.size;
  globalThis.gc?.();
  const rssBeforeMiB = maxRssMiB();
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const ourMs: number[] = [];
  let maxDiff: number | undefined;
  let results: NamespaceResult[] = [];
  for (let r = 0; r < job.repeat; r++) {
    const s = performance.now();
    const c = process.cpuUsage();
    if (job.kind === 'ours') results = evaluate(ontology, gt, data.predictions, options);
    else {
      const naive = naiveEvaluate(data.terms, gt, data.predictions, options);
      ms.push(performance.now() - s);
      const s2 = performance.now();
      results = evaluate(ontology, gt, data.predictions, options);
      ourMs.push(performance.now() - s2);
      maxDiff = Math.max(maxDiff ?? 0, maxCurveDifference(naive, results));
      continue;
    }
    ms.push(performance.now() - s);
    const cu = process.cpuUsage(c);
    cpuMs.push((cu.user + cu.system) / 1000);
  }
  return {
    ms,
    cpuMs,
    ...(job.kind === 'baseline' ? { ourMs, maxDiff: maxDiff ?? Infinity } : {}),
    rssBeforeMiB,
    peakRssMiB: maxRssMiB(),
    stats: {
      terms: data.terms.length,
      kept: ontology.size,
      edges: data.edges,
      closure: ontology.closureSize,
      ontologyMs,
      proteins: new Set(gt.map((a) => a.target)).size,
      groundTruth: gt.length,
      propagatedGt,
      predictions: data.predictions.length,
      fmax: results.find((r) => r.namespace === 'biological_process')?.bestF?.f ?? NaN,
    },
  };
}

function inChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], { execArgv: ['--expose-gc', '--max-old-space-size=8192'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    child.on('message', (m) => (result = m as ChildResult));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`child exited with ${code} without a result`))));
  });
}

const program = benchProgram('evaluate', 'evaluation time of the metric core (evaluate()) on a generated GO-shaped problem, each configuration in its own child process, against a dense baseline')
  .option('--proteins <n>', 'ground-truth proteins', nonNegativeInt, 10_000)
  .option('--terms <n>', 'terms of the generated ontology', nonNegativeInt, 40_000)
  .option('--seed <s>', 'seed of the generated data', nonNegativeInt, 42)
  .option('--repeat <n>', 'timed runs per configuration (the median is reported)', positiveInt, 5)
  .option('--baseline-proteins <n>', 'proteins the dense baseline is compared on (0: no baseline)', nonNegativeInt, 300)
  .option('--no-baseline', 'skip the dense baseline')
  // the configurations run in children of this program: one job each, as JSON
  .addOption(new Option('--child <job>', 'run one job (JSON) and send its result to the parent').hideHelp());

interface EvaluateBenchOptions {
  proteins: number;
  terms: number;
  seed: number;
  repeat: number;
  baselineProteins: number;
  baseline: boolean;
  child?: string;
}

async function run(o: EvaluateBenchOptions): Promise<number> {
  if (o.child !== undefined) {
    const result = runJob(JSON.parse(o.child) as ChildJob);
    if (process.send) await new Promise<void>((resolve) => process.send!(result, () => resolve()));
    else process.stdout.write(`${JSON.stringify(result)}\n`); // run by hand (e.g. under --cpu-prof)
    return 0;
  }
  const { proteins, terms, seed, repeat, baselineProteins } = o;
  process.stdout.write(`\n== evaluate(): ${fmt(proteins)} proteins x ${fmt(terms)} terms (GO-shaped DAG, seed ${seed}) ==\nmachine: ${machineLine()}\n`);
  const rows: string[][] = [['configuration', 'wall ms (median)', 'runs (wall ms)', 'CPU ms (median)', 'peak RSS MiB', 'RSS before MiB', 'BP Fmax']];
  let first: ChildResult | undefined;
  for (const prop of ['max', 'fill'] as const) {
    for (const ia of [false, true]) {
      const r = await inChild({ kind: 'ours', prop, ia, terms, proteins, seed, repeat });
      first ??= r;
      rows.push([`prop ${prop}, ${ia ? 'with IA (weighted columns)' : 'no IA'}`, fmt(median(r.ms)), r.ms.map((x) => fmt(x)).join(' / '), fmt(median(r.cpuMs)), fmt(r.peakRssMiB), fmt(r.rssBeforeMiB), r.stats.fmax!.toFixed(3)]);
    }
  }
  const s = first!.stats;
  process.stdout.write(
    `data: ${fmt(s.terms!)} terms (${fmt(s.kept!)} kept, ${fmt(s.edges!)} in-namespace edges, ${fmt(s.closure!)} ancestor-closure entries; buildOntology ${fmt(s.ontologyMs!)} ms, not in the figures below), ` +
      `${fmt(s.proteins!)} ground-truth proteins, ${fmt(s.groundTruth!)} ground-truth lines (${fmt(s.propagatedGt!)} after propagation), ${fmt(s.predictions!)} prediction lines; 99 thresholds (step 0.01), norm cafa\n\n`,
  );
  process.stdout.write(`${table(rows)}\n`);
  if (o.baseline && baselineProteins > 0) {
    const b = await inChild({ kind: 'baseline', prop: 'max', ia: false, terms, proteins, seed, repeat: 1, subset: baselineProteins });
    const naive = median(b.ms);
    const ours = median(b.ourMs!);
    const perProtein = naive / b.stats.proteins!;
    process.stdout.write(
      `\nbaseline (dense per-threshold scan of every protein x term, same definitions), prop max, no IA, on the first ${fmt(b.stats.proteins!)} proteins:\n` +
        `${table([
          ['implementation', 'ms', 'ms per protein'],
          ['baseline', fmt(naive), fmt(perProtein, 2)],
          ['evaluate()', fmt(ours, 1), fmt(ours / b.stats.proteins!, 3)],
        ])}\n` +
        `ratio ${fmt(naive / ours)}x on the subset; the baseline grows linearly with proteins: ~${fmt((perProtein * proteins) / 1000)} s for all ${fmt(proteins)} (extrapolated) vs ${fmt(median(first!.ms) / 1000, 2)} s measured for evaluate(); ` +
        `largest |difference| between the two results over every curve value: ${b.maxDiff!.toExponential(1)}\n`,
    );
  }
  return 0;
}

benchMain(import.meta.url, program, run);
