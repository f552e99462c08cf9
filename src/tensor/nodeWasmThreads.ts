// tfjs-backend-wasm on several cores in Node.
//
// tfjs turns its threaded wasm build off in Node (tensorflow/tfjs#3830): the pthread workers it makes for the
// browser are Blob URLs that Node's worker_threads cannot start. Three things let the same build run in Node:
// a worker file of ours that runs the package's own worker script (wasmPthreadWorker.cjs), handed to
// Emscripten in place of the Blob URL; tfjs's thread-support flag set; and the core count the module reads
// once at start. That count matters because tfjs's C++ caps the pool at half the logical cores (it assumes
// two hyperthreads per core), which on a 2-core machine is one thread; we report 2·n cores while the module
// starts, so the cap is the n asked for (at most 8, the pool tfjs's build makes).
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The most threads tfjs-backend-wasm's build can use: it starts a pool of 8 pthread workers. */
export const MAX_WASM_THREADS = 8;

/** All cores of this machine, up to MAX_WASM_THREADS: the CLI's default. */
export function defaultWasmThreads(): number {
  return Math.min(MAX_WASM_THREADS, os.availableParallelism());
}

interface EmscriptenPThreads {
  PThread?: { runningWorkers?: { unref?(): void }[]; unusedWorkers?: { unref?(): void }[] };
}

/**
 * Sets the wasm backend up for `threads` threads and runs `start` (tf.setBackend('wasm')) under that setup.
 * Returns the thread count the backend reports, 0 if it could not start. With threads ≤ 1, when the worker
 * file is missing (a bundle that left it out) or when the threaded build fails to start, it starts the
 * one-thread build.
 */
export async function startNodeWasm(
  wasm: typeof import('@tensorflow/tfjs-backend-wasm'),
  threads: number,
  start: () => Promise<boolean>,
): Promise<number> {
  const worker = fileURLToPath(new URL('./wasmPthreadWorker.cjs', import.meta.url));
  const n = Math.min(MAX_WASM_THREADS, Math.floor(threads));
  const plain = async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return (await start()) ? 1 : 0;
  };
  if (!(n > 1) || !existsSync(worker)) return plain();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(n);
  // Emscripten asks for its worker script through URL.createObjectURL (a Blob of JavaScript) and reads the
  // core count through os.cpus(), both while the module starts; each is ours only until then.
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? worker : createObjectURL(obj));
  os.cpus = () => Array.from({ length: 2 * n }, () => cpus()[0]);
  let ok: boolean;
  try {
    ok = await start();
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  // tfjs has printed why; the one-thread build may still start.
  if (!ok) return plain();
  // The pool's threads wait for work forever; unreferenced, they do not keep Node from exiting.
  const module = (tf.backend() as unknown as { wasm: EmscriptenPThreads }).wasm;
  for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref?.();
  return wasm.getThreadsCount();
}
