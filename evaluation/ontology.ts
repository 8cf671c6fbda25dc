// The ontology as the evaluator sees it: one DAG per namespace over the terms
// that are kept, with every term's ancestor closure precomputed.
//
// Rules (those of the CAFA-evaluator, Piovesan et al. 2024):
// - a term is kept when it is not obsolete and has a namespace; the namespace
//   'external' (imported terms in GO-plus style releases) counts as none.
// - a term listed twice: the last kept definition wins (its index stays the first's).
// - edges: is_a and part_of only (regulates & co. never propagate), and only to
//   a kept parent of the SAME namespace, named by its primary id (an edge to an
//   obsolete term, to another namespace or to an unknown id is dropped).
// - alt_id -> the kept term that lists it; a primary id always wins over an
//   alt_id, and an alt_id listed by two terms goes to the first in input order.
// - an obsolete or unknown id resolves to nothing.
// - a root is a kept term without a kept parent in its namespace (isolated
//   terms included): what the reference's -no_orphans drops.
// - a cycle over is_a/part_of is an error naming terms on it.
import { ProteaError } from '../lib/errors.js';
import type { OntologyTermInput } from './types.js';

export interface EvalOntology {
  /** terms kept: not obsolete, with a namespace */
  readonly size: number;
  /** sorted */
  namespaces(): readonly string[];
  /** term id or alt_id -> index; obsolete/unknown -> undefined */
  resolve(id: string): number | undefined;
  id(index: number): string;
  namespace(index: number): string;
  /** self included; is_a + part_of edges within the term's namespace only */
  ancestors(index: number): readonly number[] | Int32Array;
  /** no is_a/part_of parent inside its namespace */
  isRoot(index: number): boolean;
}

/** What buildOntology returns: the EvalOntology plus the DAG itself, which the metric core walks. */
export class CompiledOntology implements EvalOntology {
  /** namespace index (into namespaceNames) of every term */
  readonly nsOf: Int32Array;
  /** position of every term in `order` */
  readonly rank: Int32Array;
  /** 1 for a root (no parent in its namespace) */
  readonly roots: Uint8Array;
  /** every term, each after all of its descendants (children first, roots last) */
  readonly order: Int32Array;

  constructor(
    private readonly ids: readonly string[],
    readonly namespaceNames: readonly string[],
    nsOf: Int32Array,
    private readonly lookup: ReadonlyMap<string, number>,
    /** CSR of the direct parents (hot loops index these instead of calling parents()) */
    readonly parentOffsets: Int32Array,
    readonly parentList: Int32Array,
    /** CSR of the ancestor closures, self first */
    readonly ancestorOffsets: Int32Array,
    readonly ancestorList: Int32Array,
    order: Int32Array,
  ) {
    this.nsOf = nsOf;
    this.order = order;
    this.rank = new Int32Array(ids.length);
    for (let i = 0; i < order.length; i++) this.rank[order[i]!] = i;
    this.roots = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) this.roots[i] = parentOffsets[i + 1] === parentOffsets[i] ? 1 : 0;
  }

  get size(): number {
    return this.ids.length;
  }

  namespaces(): readonly string[] {
    return this.namespaceNames;
  }

  resolve(id: string): number | undefined {
    return this.lookup.get(id);
  }

  id(index: number): string {
    const id = this.ids[index];
    if (id === undefined) throw new RangeError(`term index ${index} out of range (0..${this.ids.length - 1})`);
    return id;
  }

  namespace(index: number): string {
    return this.namespaceNames[this.nsOf[index]!]!;
  }

  ancestors(index: number): Int32Array {
    return this.ancestorList.subarray(this.ancestorOffsets[index]!, this.ancestorOffsets[index + 1]!);
  }

  /** direct is_a/part_of parents inside the term's namespace */
  parents(index: number): Int32Array {
    return this.parentList.subarray(this.parentOffsets[index]!, this.parentOffsets[index + 1]!);
  }

  isRoot(index: number): boolean {
    return this.parentOffsets[index + 1]! === this.parentOffsets[index]!;
  }

  /** total size of the ancestor closures (memory and cost figure for the bench) */
  get closureSize(): number {
    return this.ancestorList.length;
  }
}

function kept(t: OntologyTermInput): boolean {
  return t.obsolete !== true && typeof t.namespace === 'string' && t.namespace.length > 0 && t.namespace !== 'external';
}

export function buildOntology(terms: Iterable<OntologyTermInput>): CompiledOntology {
  // 1. the kept terms, first index per id, last definition wins
  const index = new Map<string, number>();
  const defs: OntologyTermInput[] = [];
  for (const t of terms) {
    if (!kept(t)) continue;
    const at = index.get(t.id);
    if (at === undefined) {
      index.set(t.id, defs.length);
      defs.push(t);
    } else defs[at] = t;
  }
  const n = defs.length;
  const ids = defs.map((t) => t.id);
  const namespaceNames = [...new Set(defs.map((t) => t.namespace as string))].sort();
  const nsIndex = new Map(namespaceNames.map((ns, i) => [ns, i]));
  const nsOf = new Int32Array(n);
  for (let i = 0; i < n; i++) nsOf[i] = nsIndex.get(defs[i]!.namespace as string)!;

  // 2. alt_ids of kept terms (a primary id is never shadowed)
  const lookup = new Map(index);
  for (let i = 0; i < n; i++) {
    for (const alt of defs[i]!.altIds ?? []) if (!lookup.has(alt)) lookup.set(alt, i);
  }

  // 3. in-namespace is_a/part_of edges, deduplicated
  const parentOffsets = new Int32Array(n + 1);
  const parentsTmp: number[] = [];
  const seen = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const d = defs[i]!;
    for (const list of [d.isA ?? [], d.partOf ?? []]) {
      for (const pid of list) {
        const p = index.get(pid);
        if (p === undefined || nsOf[p] !== nsOf[i] || seen[p] === i) continue;
        seen[p] = i;
        parentsTmp.push(p);
      }
    }
    parentOffsets[i + 1] = parentsTmp.length;
  }
  const parentList = Int32Array.from(parentsTmp);

  // 4. topological order, children first (Kahn over child counts)
  const childCount = new Int32Array(n);
  for (const p of parentList) childCount[p]!++;
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (childCount[i] === 0) order[tail++] = i;
  while (head < tail) {
    const c = order[head++]!;
    for (let k = parentOffsets[c]!; k < parentOffsets[c + 1]!; k++) {
      const p = parentList[k]!;
      if (--childCount[p]! === 0) order[tail++] = p;
    }
  }
  if (tail < n) throw cycleError(ids, parentOffsets, parentList, childCount);

  // 5. ancestor closures, parents before children (reverse order), deduplicated with a stamp
  const ancestorOffsets = new Int32Array(n + 1);
  const closures: Int32Array[] = new Array<Int32Array>(n);
  const stamp = new Int32Array(n).fill(-1);
  const buf: number[] = [];
  let total = 0;
  for (let k = n - 1; k >= 0; k--) {
    const t = order[k]!;
    buf.length = 0;
    buf.push(t);
    stamp[t] = t;
    for (let e = parentOffsets[t]!; e < parentOffsets[t + 1]!; e++) {
      for (const a of closures[parentList[e]!]!) {
        if (stamp[a] !== t) {
          stamp[a] = t;
          buf.push(a);
        }
      }
    }
    closures[t] = Int32Array.from(buf);
    total += buf.length;
  }
  const ancestorList = new Int32Array(total);
  for (let i = 0, at = 0; i < n; i++) {
    ancestorOffsets[i] = at;
    ancestorList.set(closures[i]!, at);
    at += closures[i]!.length;
  }
  ancestorOffsets[n] = total;
  return new CompiledOntology(ids, namespaceNames, nsOf, lookup, parentOffsets, parentList, ancestorOffsets, ancestorList, order);
}

/**
 * The error for a cyclic graph, naming one cycle. Terms left with children
 * after Kahn's pass are on a cycle or above one; peeling those without a
 * parent among them leaves the cycles, and following parents inside what is
 * left walks one.
 */
function cycleError(ids: readonly string[], parentOffsets: Int32Array, parentList: Int32Array, childCount: Int32Array): ProteaError {
  const n = ids.length;
  const left = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (childCount[i]! > 0) left[i] = 1;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (!left[i]) continue;
      let hasParent = false;
      for (let k = parentOffsets[i]!; k < parentOffsets[i + 1]! && !hasParent; k++) if (left[parentList[k]!]) hasParent = true;
      if (!hasParent) {
        left[i] = 0;
        changed = true;
      }
    }
  }
  const start = left.indexOf(1);
  const path: number[] = [];
  const at = new Map<number, number>();
  for (let t = start; t >= 0 && !at.has(t); ) {
    at.set(t, path.length);
    path.push(t);
    let next = -1;
    for (let k = parentOffsets[t]!; k < parentOffsets[t + 1]!; k++) if (left[parentList[k]!]) next = parentList[k]!;
    t = next;
  }
  const last = path[path.length - 1]!;
  let cycle = path;
  for (let k = parentOffsets[last]!; k < parentOffsets[last + 1]!; k++) {
    const p = parentList[k]!;
    if (left[p] && at.has(p)) {
      cycle = [...path.slice(at.get(p)!), p];
      break;
    }
  }
  return new ProteaError('EVALUATION_INPUT_INVALID', `the is_a/part_of graph has a cycle: ${cycle.map((i) => ids[i]).join(' -> ')} (each term a child of the next)`, {
    field: 'is_a/part_of',
    hint: 'An ontology must be a DAG over is_a and part_of; fix the release or use an official one.',
  });
}
