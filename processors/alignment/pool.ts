// AlignmentPool: batched alignments in worker threads (node:worker_threads).
// Pairs and queries are cut into chunks that idle workers take from one
// queue; references are packed once into shared memory that every worker
// reads without a copy.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ProteaError } from '../../lib/errors.js';
import { packReferences } from './best-hits.js';
import type { WorkerReply, WorkerRequest, WorkerTask } from './protocol.js';
import { normalizeSequence } from './sequence.js';
import { toResult, type AlignmentMode, type AlignmentResult, type BestHit } from './types.js';

/** References loaded into the pool's workers (loadReferences). */
export interface RefHandle {
  readonly id: number;
  /** number of references */
  readonly size: number;
}

export interface BestHitsOptions {
  /** per reference, bit g set when the reference belongs to group g (e.g. a GO namespace); absent: one group of all */
  groups?: Uint8Array;
  /** number of groups, 1..8 (default 1) */
  nGroups?: number;
  /** skip references whose (normalised) sequence is identical to the query's: the benchmark mode */
  excludeIdentical?: boolean;
  /** per query, reference indices to skip (e.g. the query protein itself) */
  excludeRefs?: readonly (readonly number[] | null | undefined)[];
  /** only references whose identityOverShorter to the query is at most this (--max-identity, leakage control) */
  maxIdentity?: number | null;
}

type Pending = { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void };
type Task = { msg: WorkerTask; pending: Pending };

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: Map<number, Pending>;
}

/** Alignment worker threads: the configured number, or one per CPU core less one (the stage's main thread), at least one. */
export function alignmentThreads(configured: number): number {
  return configured || Math.max(1, os.availableParallelism() - 1);
}

export class AlignmentPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly identical = new Map<number, Map<string, number[]>>();
  private nextId = 1;
  private nextRef = 1;
  private closed = false;

  constructor(opts: { threads?: number } = {}) {
    const threads = Math.max(1, opts.threads ?? os.availableParallelism());
    for (let t = 0; t < threads; t++) {
      const slot: Slot = { worker: new Worker(new URL('./worker.js', import.meta.url)), busy: false, pending: new Map() };
      slot.worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
      slot.worker.on('error', (err) => this.fail(slot, err));
      slot.worker.on('exit', (code) => this.fail(slot, new Error(`alignment worker exited (code ${code})`)));
      slot.worker.unref(); // referenced only while it has work (dispatch)
      this.slots.push(slot);
    }
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Aligns every pair (local: Smith-Waterman, global: Needleman-Wunsch); results in input order. */
  async alignPairs(pairs: readonly { query: string; ref: string }[], mode: AlignmentMode): Promise<AlignmentResult[]> {
    const norm = pairs.map((p): [string, string] => [normalizeSequence(p.query), normalizeSequence(p.ref)]);
    const size = this.chunkSize(norm.length, 256);
    const chunks: Promise<WorkerReply>[] = [];
    for (let at = 0; at < norm.length; at += size) {
      chunks.push(this.submit({ op: 'pairs', pairs: norm.slice(at, at + size), global: mode === 'global' }));
    }
    const out: AlignmentResult[] = [];
    for (const reply of await Promise.all(chunks)) {
      const raw = (reply as { raw: Int32Array }).raw;
      for (let k = 0; k < raw.length; k += 5) {
        const [a, b] = norm[out.length]!;
        out.push(toResult(raw.subarray(k, k + 5), a.length, b.length));
      }
    }
    return out;
  }

  /** Packs the references into shared memory and hands them to every worker. */
  async loadReferences(refs: readonly string[]): Promise<RefHandle> {
    this.assertOpen();
    const norm = refs.map(normalizeSequence);
    const packed = packReferences(norm, true);
    const id = this.nextRef++;
    const identical = new Map<string, number[]>();
    norm.forEach((s, j) => {
      const list = identical.get(s);
      if (list) list.push(j);
      else identical.set(s, [j]);
    });
    this.identical.set(id, identical);
    await Promise.all(this.slots.map((slot) => this.send(slot, { op: 'load', ref: id, bytes: packed.bytes, offsets: packed.offsets })));
    return { id, size: norm.length };
  }

  /** Frees references in the workers. */
  async releaseReferences(handle: RefHandle): Promise<void> {
    if (!this.identical.delete(handle.id) || this.closed) return;
    await Promise.all(this.slots.map((slot) => this.send(slot, { op: 'drop', ref: handle.id })));
  }

  /**
   * Per query, per group: the best Smith-Waterman hit among the references of
   * the group (highest score; ties: higher identity, then lower refIndex),
   * null when the group has no reference left or none scores above 0. With
   * maxIdentity: the best among the references not above it.
   */
  async bestHits(queries: readonly string[], refs: RefHandle, opts: BestHitsOptions = {}): Promise<(BestHit | null)[][]> {
    const identical = this.identical.get(refs.id);
    if (!identical) throw new ProteaError('USAGE', `bestHits: references ${refs.id} are not loaded in this pool (released?)`);
    const nGroups = opts.nGroups ?? 1;
    if (!Number.isInteger(nGroups) || nGroups < 1 || nGroups > 8) throw new ProteaError('USAGE', `bestHits: nGroups must be 1..8 (got ${nGroups})`);
    if (opts.groups && opts.groups.length !== refs.size) {
      throw new ProteaError('USAGE', `bestHits: groups has ${opts.groups.length} entries for ${refs.size} references`);
    }
    const norm = queries.map(normalizeSequence);
    const exclude = norm.map((q, k) => {
      const list = [...(opts.excludeRefs?.[k] ?? [])];
      if (opts.excludeIdentical) list.push(...(identical.get(q) ?? []));
      return list;
    });
    const size = this.chunkSize(norm.length, 16);
    const chunks: Promise<WorkerReply>[] = [];
    for (let at = 0; at < norm.length; at += size) {
      chunks.push(
        this.submit({ op: 'best', ref: refs.id, queries: norm.slice(at, at + size), groups: opts.groups ?? null, nGroups, exclude: exclude.slice(at, at + size), maxIdentity: opts.maxIdentity ?? null }),
      );
    }
    return (await Promise.all(chunks)).flatMap((r) => (r as { hits: (BestHit | null)[][] }).hits);
  }

  /**
   * Rejects the queued tasks, lets each worker finish the chunk it is on (at
   * most `drainMs`), then stops the workers. A worker terminated inside a
   * native alignment call aborts the whole process (the binding cannot hand
   * its result to a dying isolate), so a stage that stops mid-batch waits for
   * the chunk instead; a chunk is at most 256 pairs.
   */
  async close(drainMs = 30_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) task.pending.reject(new ProteaError('ALIGNMENT_FAILED', 'alignment pool closed'));
    const deadline = Date.now() + drainMs;
    while (this.slots.some((s) => s.pending.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  // Enough chunks for every worker to stay busy (4 per worker), none above `max` items.
  private chunkSize(n: number, max: number): number {
    return Math.max(1, Math.min(max, Math.ceil(n / (4 * this.slots.length))));
  }

  private assertOpen(): void {
    if (this.closed) throw new ProteaError('USAGE', 'alignment pool is closed');
  }

  private submit(msg: WorkerTask): Promise<WorkerReply> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const task = this.queue.shift()!;
      slot.busy = true;
      this.send(slot, task.msg).then(
        (r) => {
          slot.busy = false;
          task.pending.resolve(r);
          this.dispatch();
        },
        (err: Error) => {
          slot.busy = false;
          task.pending.reject(err);
          this.dispatch();
        },
      );
    }
  }

  // Direct message to one worker (broadcasts, and queued tasks once dispatched).
  private send(slot: Slot, msg: WorkerTask): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage({ ...msg, id } as WorkerRequest);
    });
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const p = slot.pending.get(reply.id);
    if (!p) return;
    slot.pending.delete(reply.id);
    if (slot.pending.size === 0) slot.worker.unref();
    if ('error' in reply) p.reject(new ProteaError('ALIGNMENT_FAILED', `alignment worker: ${reply.error}`));
    else p.resolve(reply);
  }

  private fail(slot: Slot, err: Error): void {
    for (const p of slot.pending.values()) p.reject(this.closed ? new ProteaError('ALIGNMENT_FAILED', 'alignment pool closed') : new ProteaError('ALIGNMENT_FAILED', `alignment worker failed: ${err.message}`, {}, { cause: err }));
    slot.pending.clear();
  }
}
