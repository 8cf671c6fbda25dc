// The metric core: CAFA-style precision/recall/F, remaining uncertainty,
// misinformation and S, coverage and micro averages per threshold, plain and
// information-accretion weighted, as the CAFA-evaluator defines them
// (Piovesan et al. 2024, tool `cafaeval`). Pure: no I/O.
//
// Definitions (per namespace; "targets" are the ground-truth proteins there):
// - thresholds: tau_i = step + i*delta for i = 0 .. ceil((1-step)/step)-1,
//   delta = (step+step)-step, in float64 — the exact floats numpy's
//   arange(step, 1, step) makes, so 0 and 1 are never thresholds and a score
//   of 0.84 is NOT >= the 84th threshold 0.8400000000000001. A term is
//   predicted at tau when its propagated score >= tau.
// - ground truth: a target's terms of the namespace, propagated to every
//   ancestor (is_a, part_of, within the namespace). Targets: every protein with
//   at least one kept term of the namespace (ne); with `known` (PK) the known
//   terms, propagated, are removed first and a protein left with nothing is
//   not a target.
// - predictions: only for targets of the term's namespace (others are ignored
//   and counted); duplicates keep the highest score; scores <= 0 are never
//   predicted; alt_ids map to their term; propagation 'max' gives every
//   ancestor the maximum score of itself and its descendants, 'fill' keeps a
//   term's own score when it has one (> 0) and otherwise takes the maximum of
//   its direct children's propagated scores. Known terms are removed after
//   propagation.
// - terms scored: all terms, or with noRoots all but the namespace roots;
//   weighted: the terms with IA > 0 (the reference does not drop roots there;
//   a root's IA is 0 in any real IA file anyway).
// - per threshold: n = targets with >= 1 term predicted; tp, fp, fn summed over
//   targets; pr_i = tp_i/(tp_i+fp_i) for targets with a prediction; rc_i =
//   tp_i/|gt_i| (0 when |gt_i| = 0). Normalisation 'cafa': pr = sum pr_i / n,
//   everything else (tp, fp, fn, rc) / ne; 'pred': everything / n; 'gt':
//   everything / ne. cov = n/ne, mi = fp, ru = fn (after normalisation), f =
//   2 pr rc/(pr+rc) (0 when both 0), s = sqrt(ru^2 + mi^2), pr_micro =
//   tp/(tp+fp), rc_micro = tp/(tp+fn), f_micro from those. Weighted: the same
//   with every term counted by its IA (n_w: targets with a predicted term of
//   IA > 0). Any x/0 is 0.
// - best rows: among the thresholds with cov > 0 (the plain cov, also for the
//   weighted choices), the first (lowest tau) of maximum f, of minimum s, of
//   maximum f_w and of minimum s_w; null when no threshold has cov > 0.
//
// Cost: per target, one pass over its predicted terms' ancestor closures
// (max), or over their union in Kahn's order (fill), with every score turned
// into its threshold bin once; then its propagated terms are counted per bin
// and only the bins it occupies are walked. The per-threshold sums come from
// these per-bin counts and difference arrays, so the work is about the size of
// the propagated predictions, not thresholds x proteins x terms.
import { ProteaError } from '../lib/errors.js';
import { CompiledOntology, type EvalOntology } from './ontology.js';
import type { Annotation, CurveRow, EvaluationOptions, KnownAnnotations, NamespaceResult, ScoredPrediction } from './types.js';

/** The smallest threshold step accepted: 9,999 thresholds (curves stay printable). */
export const MIN_TH_STEP = 0.0001;

/** Thresholds as numpy.arange(step, 1, step) forms them (see the header). */
export function thresholds(step: number): Float64Array {
  const count = Math.max(0, Math.ceil((1 - step) / step));
  const taus = new Float64Array(count);
  const delta = step + step - step;
  for (let i = 0; i < count; i++) taus[i] = i === 0 ? step : i === 1 ? step + step : step + i * delta;
  return taus;
}

/** How many thresholds are <= score: the score is predicted at thresholds 0 .. bin-1. */
export function thresholdBin(taus: Float64Array, score: number): number {
  const k = taus.length;
  if (k === 0 || !(score >= taus[0]!)) return 0;
  // a guess from the step (taus[0]), then corrected against the exact floats
  let b = Math.min(k, Math.floor(score / taus[0]!));
  while (b < k && taus[b]! <= score) b++;
  while (b > 0 && taus[b - 1]! > score) b--;
  return b;
}

/** Checks the options; throws USAGE naming the option. */
export function validateOptions(o: EvaluationOptions): void {
  if (o.prop !== 'max' && o.prop !== 'fill') throw new ProteaError('USAGE', `prop must be max or fill, got ${JSON.stringify(o.prop)}`, { field: 'prop' });
  if (o.norm !== 'cafa' && o.norm !== 'pred' && o.norm !== 'gt') throw new ProteaError('USAGE', `norm must be cafa, pred or gt, got ${JSON.stringify(o.norm)}`, { field: 'norm' });
  if (typeof o.thStep !== 'number' || !Number.isFinite(o.thStep) || o.thStep < MIN_TH_STEP || o.thStep >= 1) {
    throw new ProteaError('USAGE', `th-step must be a number in [${MIN_TH_STEP}, 1) (thresholds are step, 2*step, ... below 1; a step of 1 leaves none), got ${String(o.thStep)}`, { field: 'thStep' });
  }
}

/** What was ignored on the way in, for the command's warnings; prediction counts add up over every run of one Evaluator. */
export interface EvaluationStats {
  groundTruthAnnotations: number;
  /** ground-truth lines whose term is unknown or obsolete (ignored) */
  groundTruthUnknownTerms: number;
  knownAnnotations: number;
  knownIgnored: number;
  /** ground-truth proteins that are no target anywhere because known terms cover their ground truth (PK) */
  targetsCoveredByKnown: number;
  predictions: number;
  /** target not in the ground truth */
  predictionsOtherTarget: number;
  /** term unknown or obsolete */
  predictionsUnknownTerm: number;
  /** target has no ground truth in the term's namespace */
  predictionsOtherNamespace: number;
  /** score <= 0: never predicted */
  predictionsZeroScore: number;
  /** a few unknown term ids, for the message */
  unknownTermExamples: string[];
}

/** A typed array that doubles when full (CSR arrays built in one pass). */
class Grow<A extends Int32Array | Float64Array> {
  length = 0;
  data: A;
  constructor(private readonly make: (size: number) => A) {
    this.data = make(1024);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}
const growInt32 = () => new Grow((n) => new Int32Array(n));
const growFloat64 = () => new Grow((n) => new Float64Array(n));

/** One namespace's targets and their propagated ground truth. */
interface NsTargets {
  ns: number;
  name: string;
  /** global target index -> slot in this namespace, -1 when not a target here */
  slotOf: Int32Array;
  /** slots: count of targets here */
  count: number;
  /** propagated ground truth per slot (CSR), known terms removed */
  gtOff: Int32Array;
  gtTerms: Int32Array;
  /** propagated known terms per slot (CSR; empty without PK) */
  knOff: Int32Array;
  knTerms: Int32Array;
  /** |gt| over the scored terms (roots out with noRoots) */
  gtCount: Float64Array;
  /** sum of IA over the ground truth (IA > 0 terms) */
  gtW: Float64Array;
}

function asCompiled(ontology: EvalOntology): CompiledOntology {
  if (ontology instanceof CompiledOntology) return ontology;
  throw new ProteaError('INTERNAL', 'evaluate() needs an ontology made by buildOntology() (it walks the DAG edges itself)');
}

/** Sums over targets per threshold, before normalisation. */
interface Sums {
  n: Float64Array;
  pred: Float64Array;
  tp: Float64Array;
  pr: Float64Array;
  rc: Float64Array;
  /** sum of |gt| (or IA) over all targets */
  gt: number;
}

function newSums(k: number): Sums {
  return { n: new Float64Array(k), pred: new Float64Array(k), tp: new Float64Array(k), pr: new Float64Array(k), rc: new Float64Array(k), gt: 0 };
}

/** Turns per-bin increments (index bin-1) into per-threshold totals: total[k] = sum over j >= k. */
function suffix(a: Float64Array): void {
  for (let k = a.length - 2; k >= 0; k--) a[k]! += a[k + 1]!;
}

/**
 * Adds one target's per-bin counts to the sums, walking its occupied bins from
 * the highest threshold down: its precision and recall change only there, so
 * each change is added once (difference arrays, summed from the top later).
 * Clears the bins it read. `g` is |ground truth| (or its IA sum).
 */
function addTargetBins(sums: Sums, bins: Int32Array, nBins: number, binPred: Int32Array | Float64Array, binTp: Int32Array | Float64Array, g: number): void {
  const d = bins.subarray(0, nBins).sort();
  let pred = 0;
  let tp = 0;
  let prevPr = 0;
  let prevRc = 0;
  sums.n[d[nBins - 1]! - 1]!++;
  for (let i = nBins - 1; i >= 0; i--) {
    const b = d[i]!;
    const at = b - 1;
    pred += binPred[b]!;
    tp += binTp[b]!;
    sums.pred[at]! += binPred[b]!;
    sums.tp[at]! += binTp[b]!;
    binPred[b] = 0;
    binTp[b] = 0;
    const pr = pred > 0 ? tp / pred : 0;
    const rc = g > 0 ? tp / g : 0;
    sums.pr[at]! += pr - prevPr;
    sums.rc[at]! += rc - prevRc;
    prevPr = pr;
    prevRc = rc;
  }
}

const div = (a: number, b: number): number => (b > 0 ? a / b : 0);
const fOf = (pr: number, rc: number): number => (pr + rc !== 0 ? (2 * pr * rc) / (pr + rc) : 0);

type Normalised = Pick<CurveRow, 'n' | 'tp' | 'fp' | 'fn' | 'pr' | 'rc' | 'cov' | 'mi' | 'ru' | 'f' | 's' | 'pr_micro' | 'rc_micro' | 'f_micro'>;

function normalise(s: Sums, k: number, ne: number, norm: EvaluationOptions['norm']): Normalised {
  const n = s.n[k]!;
  const tpRaw = s.tp[k]!;
  const fpRaw = s.pred[k]! - tpRaw;
  const fnRaw = s.gt - tpRaw;
  const other = norm === 'pred' ? n : ne;
  const prDen = norm === 'gt' ? ne : n;
  const tp = div(tpRaw, other);
  const fp = div(fpRaw, other);
  const fn = div(fnRaw, other);
  const pr = div(s.pr[k]!, prDen);
  const rc = div(s.rc[k]!, other);
  const prMicro = div(tp, tp + fp);
  const rcMicro = div(tp, tp + fn);
  return {
    n,
    tp,
    fp,
    fn,
    pr,
    rc,
    cov: div(n, ne),
    mi: fp,
    ru: fn,
    f: fOf(pr, rc),
    s: Math.sqrt(fn * fn + fp * fp),
    pr_micro: prMicro,
    rc_micro: rcMicro,
    f_micro: fOf(prMicro, rcMicro),
  };
}

/**
 * Ground truth, options and ontology prepared once; `score` evaluates one
 * prediction set against them (call it once per prediction file).
 */
export class Evaluator {
  readonly taus: Float64Array;
  readonly stats: EvaluationStats;
  private readonly ont: CompiledOntology;
  private readonly ia: Float64Array | null;
  private readonly targetIndex = new Map<string, number>();
  private readonly spaces: NsTargets[] = [];
  // scratch per term, reused across targets (zeroed again through the lists of what was set)
  private scratch: { gt: Uint8Array; kn: Uint8Array; code: Uint16Array; own: Uint16Array; cand: Uint16Array; pending: Int32Array } | undefined;

  constructor(
    ontology: EvalOntology,
    groundTruth: Iterable<Annotation>,
    private readonly options: EvaluationOptions,
    known?: KnownAnnotations,
  ) {
    validateOptions(options);
    this.ont = asCompiled(ontology);
    this.taus = thresholds(options.thStep);
    this.stats = {
      groundTruthAnnotations: 0,
      groundTruthUnknownTerms: 0,
      knownAnnotations: 0,
      knownIgnored: 0,
      targetsCoveredByKnown: 0,
      predictions: 0,
      predictionsOtherTarget: 0,
      predictionsUnknownTerm: 0,
      predictionsOtherNamespace: 0,
      predictionsZeroScore: 0,
      unknownTermExamples: [],
    };
    const ont = this.ont;
    if (options.ia) {
      this.ia = new Float64Array(ont.size);
      for (let i = 0; i < ont.size; i++) {
        const v = options.ia.get(ont.id(i));
        // missing, zero, negative, NaN or infinite IA: the term carries no weight
        this.ia[i] = v !== undefined && Number.isFinite(v) && v > 0 ? v : 0;
      }
    } else this.ia = null;

    // raw ground truth per namespace per target, in order of first appearance
    const nsCount = ont.namespaces().length;
    const raw: Map<number, number[]>[] = Array.from({ length: nsCount }, () => new Map());
    for (const a of groundTruth) {
      this.stats.groundTruthAnnotations++;
      const t = ont.resolve(a.term);
      if (t === undefined) {
        this.stats.groundTruthUnknownTerms++;
        this.noteUnknown(a.term);
        continue;
      }
      let tid = this.targetIndex.get(a.target);
      if (tid === undefined) {
        tid = this.targetIndex.size;
        this.targetIndex.set(a.target, tid);
      }
      const m = raw[ont.nsOf[t]!]!;
      const list = m.get(tid);
      if (list) list.push(t);
      else m.set(tid, [t]);
    }
    const knownBy = new Map<number, number[]>();
    if (known) {
      for (const a of known) {
        this.stats.knownAnnotations++;
        const tid = this.targetIndex.get(a.target);
        const t = ont.resolve(a.term);
        if (tid === undefined || t === undefined) {
          this.stats.knownIgnored++;
          continue;
        }
        const list = knownBy.get(tid);
        if (list) list.push(t);
        else knownBy.set(tid, [t]);
      }
    }

    const nTargets = this.targetIndex.size;
    const mark = new Int32Array(ont.size).fill(-1);
    const kmark = new Int32Array(ont.size).fill(-1);
    let stamp = 0;
    const targetsAnywhere = new Uint8Array(nTargets);
    for (let ns = 0; ns < nsCount; ns++) {
      const m = raw[ns]!;
      if (m.size === 0) continue;
      const slotOf = new Int32Array(nTargets).fill(-1);
      const gtOff = growInt32();
      const gtTerms = growInt32();
      const knOff = growInt32();
      const knTerms = growInt32();
      const gtCount = growFloat64();
      const gtW = growFloat64();
      gtOff.push(0);
      knOff.push(0);
      let count = 0;
      for (const [tid, terms] of m) {
        stamp++;
        const kn = knownBy.get(tid);
        const knStart = knTerms.length;
        if (kn) {
          for (const k of kn) {
            if (ont.nsOf[k] !== ns) continue;
            for (const a of ont.ancestors(k)) {
              if (kmark[a] !== stamp) {
                kmark[a] = stamp;
                knTerms.push(a);
              }
            }
          }
        }
        const gtStart = gtTerms.length;
        let c = 0;
        let w = 0;
        for (const t of terms) {
          for (const a of ont.ancestors(t)) {
            if (mark[a] === stamp || kmark[a] === stamp) continue;
            mark[a] = stamp;
            gtTerms.push(a);
            if (!options.noRoots || !ont.isRoot(a)) c++;
            if (this.ia) w += this.ia[a]!;
          }
        }
        if (gtTerms.length === gtStart) {
          // PK: everything this protein has here was known already
          knTerms.length = knStart;
          continue;
        }
        slotOf[tid] = count++;
        targetsAnywhere[tid] = 1;
        gtOff.push(gtTerms.length);
        knOff.push(knTerms.length);
        gtCount.push(c);
        gtW.push(w);
      }
      if (count === 0) continue;
      this.spaces.push({
        ns,
        name: ont.namespaces()[ns]!,
        slotOf,
        count,
        gtOff: gtOff.data.slice(0, gtOff.length),
        gtTerms: gtTerms.data.slice(0, gtTerms.length),
        knOff: knOff.data.slice(0, knOff.length),
        knTerms: knTerms.data.slice(0, knTerms.length),
        gtCount: gtCount.data.slice(0, gtCount.length),
        gtW: gtW.data.slice(0, gtW.length),
      });
    }
    if (known) for (let i = 0; i < nTargets; i++) if (!targetsAnywhere[i]) this.stats.targetsCoveredByKnown++;
  }

  /** Namespaces with at least one target, sorted. */
  namespaces(): string[] {
    return this.spaces.map((s) => s.name);
  }

  /** Targets per namespace. */
  targetCount(namespace: string): number {
    return this.spaces.find((s) => s.name === namespace)?.count ?? 0;
  }

  private noteUnknown(term: string): void {
    if (this.stats.unknownTermExamples.length < 5 && !this.stats.unknownTermExamples.includes(term)) this.stats.unknownTermExamples.push(term);
  }

  /** Evaluates one prediction set. */
  score(predictions: Iterable<ScoredPrediction>): NamespaceResult[] {
    const run = this.start();
    for (const p of predictions) run.add(p.target, p.term, p.score);
    return run.finish();
  }

  /** Streaming form of `score`: add predictions one by one (e.g. while reading a file), then finish(). */
  start(): { add(target: string, term: string, score: number): void; finish(): NamespaceResult[] } {
    const nsOfSpace = new Int32Array(this.ont.namespaces().length).fill(-1);
    this.spaces.forEach((s, i) => (nsOfSpace[s.ns] = i));
    const space = growInt32();
    const slot = growInt32();
    const term = growInt32();
    const score = growFloat64();
    const stats = this.stats;
    let finished = false;
    const add = (target: string, termId: string, value: number): void => {
      stats.predictions++;
      const tid = this.targetIndex.get(target);
      if (tid === undefined) {
        stats.predictionsOtherTarget++;
        return;
      }
      const t = this.ont.resolve(termId);
      if (t === undefined) {
        stats.predictionsUnknownTerm++;
        this.noteUnknown(termId);
        return;
      }
      const si = nsOfSpace[this.ont.nsOf[t]!]!;
      const s = si < 0 ? -1 : this.spaces[si]!.slotOf[tid]!;
      if (s < 0) {
        stats.predictionsOtherNamespace++;
        return;
      }
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new ProteaError('EVALUATION_INPUT_INVALID', `prediction ${target} ${termId} has no numeric score (${String(value)})`, { field: 'score' });
      }
      if (!(value > 0)) {
        stats.predictionsZeroScore++;
        return;
      }
      space.push(si);
      slot.push(s);
      term.push(t);
      score.push(value);
    };
    const finish = (): NamespaceResult[] => {
      if (finished) throw new ProteaError('INTERNAL', 'finish() called twice on one evaluation run');
      finished = true;
      // group the predictions by (namespace, slot) with one counting sort
      const starts: Int32Array[] = this.spaces.map((s) => new Int32Array(s.count + 1));
      for (let i = 0; i < space.length; i++) starts[space.data[i]!]![slot.data[i]! + 1]!++;
      let base = 0;
      const spaceBase = new Int32Array(this.spaces.length);
      for (let si = 0; si < this.spaces.length; si++) {
        const st = starts[si]!;
        spaceBase[si] = base;
        for (let j = 1; j < st.length; j++) st[j]! += st[j - 1]!;
        base += st[st.length - 1]!;
      }
      const fill = starts.map((st) => st.slice(0, st.length - 1));
      const sortedTerm = new Int32Array(space.length);
      const sortedScore = new Float64Array(space.length);
      for (let i = 0; i < space.length; i++) {
        const si = space.data[i]!;
        const at = spaceBase[si]! + fill[si]![slot.data[i]!]!++;
        sortedTerm[at] = term.data[i]!;
        sortedScore[at] = score.data[i]!;
      }
      return this.spaces.map((sp, si) => this.scoreSpace(sp, starts[si]!, spaceBase[si]!, sortedTerm, sortedScore));
    };
    return { add, finish };
  }

  private scoreSpace(sp: NsTargets, starts: Int32Array, base: number, terms: Int32Array, scores: Float64Array): NamespaceResult {
    const ont = this.ont;
    const taus = this.taus;
    const K = taus.length;
    const ia = this.ia;
    const noRoots = this.options.noRoots;
    const fill = this.options.prop === 'fill';
    const n = ont.size;
    // Scores are handled as codes: 0 = no score, else 1 + the threshold bin of
    // the score. The bin is monotone in the score, so the maximum of codes is
    // the code of the maximum and "has a score > 0" is "code > 0": both
    // propagation rules work on codes, and each score is binned once.
    this.scratch ??= {
      gt: new Uint8Array(n),
      kn: new Uint8Array(n),
      code: new Uint16Array(n),
      own: new Uint16Array(n),
      cand: new Uint16Array(n),
      pending: new Int32Array(n),
    };
    const { gt, kn, code, own, cand, pending } = this.scratch;
    const { ancestorOffsets: ancOff, ancestorList: ancList, parentOffsets: parOff, parentList: parList, roots } = ont;
    const plain = newSums(K);
    const weighted = ia ? newSums(K) : null;
    const touched = new Int32Array(n);
    const seeds = new Int32Array(n);
    const union = new Int32Array(n);
    // per-bin scratch (index = bin, 1..K), zeroed again as each target's bins are walked
    const bins = new Int32Array(K + 1);
    const binPred = new Int32Array(K + 1);
    const binTp = new Int32Array(K + 1);
    const binsW = new Int32Array(K + 1);
    const binPredW = new Float64Array(K + 1);
    const binTpW = new Float64Array(K + 1);
    let predictedTargets = 0;

    for (let slot = 0; slot < sp.count; slot++) {
      plain.gt += sp.gtCount[slot]!;
      if (weighted) weighted.gt += sp.gtW[slot]!;
      const from = base + starts[slot]!;
      const to = base + starts[slot + 1]!;
      if (from === to) continue;
      const gtFrom = sp.gtOff[slot]!;
      const gtTo = sp.gtOff[slot + 1]!;
      const knFrom = sp.knOff[slot]!;
      const knTo = sp.knOff[slot + 1]!;
      for (let j = gtFrom; j < gtTo; j++) gt[sp.gtTerms[j]!] = 1;
      for (let j = knFrom; j < knTo; j++) kn[sp.knTerms[j]!] = 1;

      // own scores, duplicates -> max
      let nSeeds = 0;
      for (let j = from; j < to; j++) {
        const t = terms[j]!;
        const c = thresholdBin(taus, scores[j]!) + 1;
        if (own[t] === 0) seeds[nSeeds++] = t;
        if (c > own[t]!) own[t] = c;
      }

      // propagation
      let nTouched = 0;
      if (!fill) {
        for (let j = 0; j < nSeeds; j++) {
          const t = seeds[j]!;
          const c = own[t]!;
          for (let e = ancOff[t]!, end = ancOff[t + 1]!; e < end; e++) {
            const a = ancList[e]!;
            const was = code[a]!;
            if (was === 0) {
              code[a] = c;
              touched[nTouched++] = a;
            } else if (c > was) code[a] = c;
          }
        }
      } else {
        // the union of the seeds' ancestors, then Kahn's order inside it (children
        // first); every parent of a union term is in the union
        let nUnion = 0;
        for (let j = 0; j < nSeeds; j++) {
          const t = seeds[j]!;
          for (let e = ancOff[t]!, end = ancOff[t + 1]!; e < end; e++) {
            const a = ancList[e]!;
            if (code[a] === 0) {
              code[a] = 1; // visited; the real code is set below
              union[nUnion++] = a;
            }
          }
        }
        for (let j = 0; j < nUnion; j++) {
          const u = union[j]!;
          for (let e = parOff[u]!, end = parOff[u + 1]!; e < end; e++) pending[parList[e]!]!++;
        }
        for (let j = 0; j < nUnion; j++) if (pending[union[j]!] === 0) touched[nTouched++] = union[j]!;
        for (let head = 0; head < nTouched; head++) {
          // a term's children are all done when it is reached; it has a scored
          // descendant (or a score), so its code is >= 1
          const u = touched[head]!;
          const c = own[u]! > 0 ? own[u]! : cand[u]!;
          code[u] = c;
          for (let e = parOff[u]!, end = parOff[u + 1]!; e < end; e++) {
            const p = parList[e]!;
            if (c > cand[p]!) cand[p] = c;
            if (--pending[p]! === 0) touched[nTouched++] = p;
          }
        }
      }

      // per threshold bin: how many scored terms (and true positives) the target has there
      let nBins = 0;
      let nBinsW = 0;
      let any = false;
      for (let j = 0; j < nTouched; j++) {
        const u = touched[j]!;
        const bin = code[u]! - 1;
        code[u] = 0;
        if (fill) cand[u] = 0;
        if (kn[u] === 1) continue;
        any = true;
        if (bin === 0) continue;
        const tp = gt[u]!;
        if (!noRoots || roots[u] === 0) {
          if (binPred[bin] === 0) bins[nBins++] = bin;
          binPred[bin]!++;
          binTp[bin]! += tp;
        }
        if (ia !== null && ia[u]! > 0) {
          if (binPredW[bin] === 0) binsW[nBinsW++] = bin;
          binPredW[bin]! += ia[u]!;
          if (tp === 1) binTpW[bin]! += ia[u]!;
        }
      }
      for (let j = 0; j < nSeeds; j++) own[seeds[j]!] = 0;
      for (let j = gtFrom; j < gtTo; j++) gt[sp.gtTerms[j]!] = 0;
      for (let j = knFrom; j < knTo; j++) kn[sp.knTerms[j]!] = 0;
      if (any) predictedTargets++;

      // walk the bins from the highest threshold down: the target's precision and
      // recall change only at these bins, so each change is added once (difference
      // arrays, summed from the top at the end)
      if (nBins > 0) addTargetBins(plain, bins, nBins, binPred, binTp, sp.gtCount[slot]!);
      if (weighted !== null && nBinsW > 0) addTargetBins(weighted, binsW, nBinsW, binPredW, binTpW, sp.gtW[slot]!);
    }

    for (const s of weighted ? [plain, weighted] : [plain]) for (const a of [s.n, s.pred, s.tp, s.pr, s.rc]) suffix(a);

    const ne = sp.count;
    const norm = this.options.norm;
    const curve: CurveRow[] = [];
    for (let k = 0; k < K; k++) {
      const p = normalise(plain, k, ne, norm);
      const row: CurveRow = { tau: taus[k]!, ...p };
      if (weighted) {
        const w = normalise(weighted, k, ne, norm);
        Object.assign(row, {
          n_w: w.n,
          tp_w: w.tp,
          fp_w: w.fp,
          fn_w: w.fn,
          pr_w: w.pr,
          rc_w: w.rc,
          cov_w: w.cov,
          mi_w: w.mi,
          ru_w: w.ru,
          f_w: w.f,
          s_w: w.s,
          pr_micro_w: w.pr_micro,
          rc_micro_w: w.rc_micro,
          f_micro_w: w.f_micro,
        });
      }
      curve.push(row);
    }
    const result: NamespaceResult = {
      namespace: sp.name,
      groundTruthTargets: ne,
      predictedTargets,
      curve,
      bestF: best(curve, (r) => r.f, 'max'),
      bestS: best(curve, (r) => r.s, 'min'),
    };
    if (weighted) {
      result.bestFW = best(curve, (r) => r.f_w ?? 0, 'max');
      result.bestSW = best(curve, (r) => r.s_w ?? 0, 'min');
    }
    return result;
  }
}

/** The first row (lowest tau) of maximum/minimum value among the rows with cov > 0; null when there is none. */
export function best(curve: readonly CurveRow[], value: (r: CurveRow) => number, want: 'max' | 'min'): CurveRow | null {
  let chosen: CurveRow | null = null;
  let bestValue = 0;
  for (const r of curve) {
    if (!(r.cov > 0)) continue;
    const v = value(r);
    if (chosen === null || (want === 'max' ? v > bestValue : v < bestValue)) {
      chosen = r;
      bestValue = v;
    }
  }
  return chosen;
}

/**
 * Evaluates one prediction set against a ground truth (see the header for the
 * definitions). `known` switches to PK scoring: each target's known terms,
 * propagated, leave its ground truth and its predictions first.
 */
export function evaluate(
  ontology: EvalOntology,
  groundTruth: Iterable<Annotation>,
  predictions: Iterable<ScoredPrediction>,
  options: EvaluationOptions,
  known?: KnownAnnotations,
): NamespaceResult[] {
  return new Evaluator(ontology, groundTruth, options, known).score(predictions);
}
