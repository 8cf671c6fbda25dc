// Messages between AlignmentPool and its workers.
import type { BestHit } from './types.js';

export type WorkerRequest =
  | { id: number; op: 'pairs'; pairs: [string, string][]; global: boolean }
  | { id: number; op: 'load'; ref: number; bytes: Uint8Array; offsets: Int32Array }
  | { id: number; op: 'drop'; ref: number }
  | { id: number; op: 'best'; ref: number; queries: string[]; groups: Uint8Array | null; nGroups: number; exclude: number[][]; maxIdentity: number | null };

export type WorkerReply =
  | { id: number; error: string }
  | { id: number; raw: Int32Array }
  | { id: number; hits: (BestHit | null)[][] }
  | { id: number };

/** A request before the pool numbers it. */
export type WorkerTask = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
