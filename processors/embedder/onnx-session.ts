// ONNX Runtime sessions, one per (model file, device, threads) in the process:
// several configs over the same model share it, and the last close() releases
// it. Execution provider: CUDA when the device setting allows it and the
// provider loads, else CPU; the session says which it got.
//
// onnxruntime-node's npm package carries only the CPU provider; CUDA needs
// libonnxruntime_providers_cuda.so (+ _shared.so) of the same ORT version put
// beside its binding (e.g. from the onnxruntime_gpu Maven/NuGet packages) and
// the machine's CUDA/cuDNN. Without the file, CUDA is not tried at all: ORT
// would log a loader error on every open.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';

export type Device = 'cuda' | 'cpu';
export type DeviceSetting = 'auto' | 'cpu' | 'cuda';

export interface SharedSession {
  session: ort.InferenceSession;
  device: Device;
  /** releases this holder's reference; the session is released with the last one */
  release(): Promise<void>;
}

interface Entry {
  opened: Promise<{ session: ort.InferenceSession; device: Device }>;
  refs: number;
}

const sessions = new Map<string, Entry>();

/** Folder of onnxruntime-node's native binding, where provider libraries must sit. */
export function ortBindingDir(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return path.join(path.dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

export function cudaProviderPresent(): boolean {
  return existsSync(path.join(ortBindingDir(), 'libonnxruntime_providers_cuda.so'));
}

async function create(file: string, device: DeviceSetting, threads: number): Promise<{ session: ort.InferenceSession; device: Device }> {
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (threads > 0) base.intraOpNumThreads = threads;
  // spinning intra-op threads hold the cores between calls, when the stage's
  // own work (tokenising, pooling, Kafka) needs them (PROTEA_EMBED_SPIN_WAIT)
  if (config().embedSpinWait === 'off') base.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  let cudaError: unknown;
  if (device !== 'cpu') {
    if (cudaProviderPresent()) {
      try {
        return { session: await ort.InferenceSession.create(file, { ...base, executionProviders: ['cuda', 'cpu'] }), device: 'cuda' };
      } catch (err) {
        cudaError = err;
      }
    } else {
      cudaError = new Error(`no libonnxruntime_providers_cuda.so in ${ortBindingDir()}`);
    }
    if (device === 'cuda') {
      throw new ProteaError(
        'EMBEDDING_MODEL_UNAVAILABLE',
        `PROTEA_EMBED_DEVICE=cuda but the CUDA execution provider cannot be loaded: ${(cudaError as Error).message}`,
        {
          file,
          hint: `onnxruntime-node ships the CPU provider only: put libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so of ONNX Runtime ${ort.env.versions.common} beside its binding (${ortBindingDir()}) with CUDA and cuDNN on the library path, or set PROTEA_EMBED_DEVICE=auto|cpu.`,
        },
        { cause: cudaError },
      );
    }
  }
  try {
    return { session: await ort.InferenceSession.create(file, { ...base, executionProviders: ['cpu'] }), device: 'cpu' };
  } catch (err) {
    throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `ONNX Runtime cannot load ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** The process's session for `file` on `device`, opened on first use. */
export async function acquireSession(file: string, device: DeviceSetting, threads: number): Promise<SharedSession> {
  const key = `${path.resolve(file)}\0${device}\0${threads}`;
  let entry = sessions.get(key);
  if (!entry) {
    entry = { opened: create(file, device, threads), refs: 0 };
    sessions.set(key, entry);
    // a failed open is not cached: the next open tries again
    entry.opened.catch(() => sessions.delete(key));
  }
  entry.refs++;
  const held = entry;
  let opened: { session: ort.InferenceSession; device: Device };
  try {
    opened = await held.opened;
  } catch (err) {
    held.refs--;
    throw err;
  }
  let released = false;
  return {
    session: opened.session,
    device: opened.device,
    async release() {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs === 0 && sessions.get(key) === held) {
        sessions.delete(key);
        await opened.session.release();
      }
    },
  };
}

/** Sessions open in this process (for tests and the stage's metrics). */
export function openSessionCount(): number {
  return sessions.size;
}
