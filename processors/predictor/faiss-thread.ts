// The one thread of the process that loads faiss-node (search-worker.ts).
//
// Why one: faiss-node 0.5 keeps its classes' constructors in C++ statics
// (`inline static Napi::FunctionReference *constructor`), set by whichever
// JavaScript environment loaded the addon LAST; Index.read / fromBuffer /
// fromFactory create their result through it. With the addon loaded in two
// threads (or the main thread and a worker), a call in one creates objects in
// the other's environment: a hang or a segfault (seen here). So the main
// thread never loads faiss, and every build and search of the process goes
// through this single worker; faiss parallelises a batch of queries itself
// (BLAS / OpenMP), so one thread still uses every core. A binding storing
// the constructors per environment (napi SetInstanceData) would lift this.
//
// The worker is unref'd while nothing is in flight, so an idle process exits.
import { Worker } from 'node:worker_threads';
import { ProteaError } from '../../lib/errors.js';
import type { FaissRequest } from './search-worker.js';

class FaissThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  private start(): Worker {
    // libgomp (faiss's OpenMP) reads this when the binding loads, in this worker: its default
    // spins idle threads, which cost a flat search ~5x on a loaded 2-core machine
    // (bench/RESULTS.md); a user's own setting wins
    process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
    const worker = new Worker(new URL('./search-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: { id: number; error?: string }) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.error !== undefined) w?.reject(new ProteaError('INTERNAL', `faiss: ${reply.error}`));
      else w?.resolve(reply);
    });
    const fail = (err: Error) => {
      // the thread died: fail what was in flight; the next request starts a new one
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      if (this.worker === worker) this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new ProteaError('INTERNAL', `faiss thread exited (code ${code})`)));
    return worker;
  }

  request<R>(msg: FaissRequest, transfer: ArrayBuffer[] = []): Promise<R> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** Requests in flight (a measure of the queue). */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Stops the thread (its loaded indexes go with it); the next request starts a new one. */
  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

let thread: FaissThread | null = null;
/** The process's faiss thread (started on first use). */
export function faissThread(): FaissThread {
  thread ??= new FaissThread();
  return thread;
}
