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
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import workerThreads from 'node:worker_threads';
import { errorLine } from '../core/errorLine';

/** The most threads tfjs-backend-wasm's build can use: it starts a pool of 8 pthread workers. */
export const MAX_WASM_THREADS = 8;

/**
 * The CLI's default: tfjs's own choice in a browser, half the logical cores (it assumes two hyperthreads per
 * core), but at least 2 where there are 2 cores (measured here: README, "wasm on several cores"), at most 8.
 */
export function defaultWasmThreads(): number {
  const cores = os.availableParallelism();
  return cores < 2 ? 1 : Math.min(MAX_WASM_THREADS, Math.max(2, Math.floor(cores / 2)));
}

export interface WasmStart {
  /** Threads the backend runs on; 0 if it could not start. */
  threads: number;
  /** Why it runs on fewer threads than asked for, when it does. */
  note?: string;
}

/**
 * Sets the wasm backend up for `threads` threads and runs `start` (tf.setBackend('wasm')) under that setup.
 * With threads ≤ 1 it starts the one-thread build; so it does, with a note saying why, when the package's
 * worker files are missing or changed, or when the threaded build fails to start.
 */
export async function startNodeWasm(
  wasm: typeof import('@tensorflow/tfjs-backend-wasm'),
  threads: number,
  start: () => Promise<boolean>,
  workerFile = new URL('./wasmPthreadWorker.cjs', import.meta.url),
): Promise<WasmStart> {
  const n = Math.min(MAX_WASM_THREADS, Math.floor(threads));
  const plain = async (note?: string): Promise<WasmStart> => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return { threads: (await start()) ? 1 : 0, ...(note ? { note } : {}) };
  };
  if (!(n > 1)) return plain();
  let worker: string;
  try {
    worker = fileURLToPath(workerFile);
    const { prepare } = createRequire(import.meta.url)(worker) as { prepare(): unknown };
    prepare();
  } catch (e) {
    return plain(`the threaded build's worker cannot be prepared: ${errorLine(e)}`);
  }

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(n);
  // While the module starts, and only then: Emscripten asks for its worker script through URL.createObjectURL
  // (a Blob of JavaScript), reads the core count through os.cpus(), and makes its pool of workers with
  // worker_threads' Worker, which we record, to unreference them once started or stop them if the start fails.
  const { createObjectURL } = URL;
  const { cpus } = os;
  const { Worker } = workerThreads;
  const pool: InstanceType<typeof Worker>[] = [];
  URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? worker : createObjectURL(obj));
  os.cpus = () => Array.from({ length: 2 * n }, () => cpus()[0]);
  workerThreads.Worker = class extends Worker {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      pool.push(this);
    }
  };
  let ok = false;
  let failure = 'tf.setBackend returned false';
  try {
    ok = await start();
  } catch (e) {
    failure = errorLine(e);
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    workerThreads.Worker = Worker;
  }
  if (!ok) {
    await Promise.all(pool.map((w) => w.terminate()));
    return plain(`the threaded build did not start: ${failure}`);
  }
  // The pool's threads wait for work forever; unreferenced, they do not keep Node from exiting.
  for (const w of pool) w.unref();
  const started = wasm.getThreadsCount();
  return started < n ? { threads: started, note: `tfjs-backend-wasm started ${started}` } : { threads: started };
}
