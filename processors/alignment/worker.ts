// Worker thread of AlignmentPool (pool.ts): runs the synchronous kernels on
// batches so the event loop of the main thread never blocks on them.
import { parentPort } from 'node:worker_threads';
import { alignRaw } from './align.js';
import { bestHitsOfQuery, type PackedReferences } from './best-hits.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const references = new Map<number, PackedReferences>();
let scratch = new Int32Array(0);

function handle(msg: WorkerRequest): WorkerReply {
  switch (msg.op) {
    case 'pairs': {
      const raw = new Int32Array(5 * msg.pairs.length);
      msg.pairs.forEach(([a, b], k) => raw.set(alignRaw(a, b, msg.global ? 'global' : 'local'), 5 * k));
      return { id: msg.id, raw };
    }
    case 'load':
      references.set(msg.ref, { bytes: msg.bytes, offsets: msg.offsets });
      return { id: msg.id };
    case 'drop':
      references.delete(msg.ref);
      return { id: msg.id };
    case 'best': {
      const refs = references.get(msg.ref);
      if (!refs) throw new Error(`references ${msg.ref} not loaded in this worker`);
      if (scratch.length < refs.offsets.length) scratch = new Int32Array(refs.offsets.length);
      const opts = { groups: msg.groups, nGroups: msg.nGroups, maxIdentity: msg.maxIdentity };
      return { id: msg.id, hits: msg.queries.map((q, k) => bestHitsOfQuery(q, refs, opts, msg.exclude[k] ?? [], scratch)) };
    }
  }
}

parentPort!.on('message', (msg: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = handle(msg);
  } catch (err) {
    reply = { id: msg.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
