// The page's side of the worker protocol: one module worker for all tensor work, typed requests out,
// events routed into the store. The page stays responsive because nothing here computes.
import type { Request, WorkerEvent } from '../worker/protocol';
import { useStore } from './store';

let worker: Worker | null = null;
const memoryWaiters = new Map<string, (m: { numTensors: number; numBytes: number }) => void>();
const exportWaiters = new Map<string, { resolve(v: { fileName: string; bytes: ArrayBuffer }): void; reject(e: Error): void }>();

let counter = 0;
/** Unique ids for jobs and requests within this page. */
export function newId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function startWorker(): void {
  if (worker) return;
  worker = new Worker(new URL('../worker/gpu.worker.ts', import.meta.url), { type: 'module', name: 'halfstep-gpu' });
  worker.addEventListener('message', (e: MessageEvent<WorkerEvent>) => route(e.data));
  worker.addEventListener('error', (e) => {
    useStore.getState().setBackend({ name: 'none', adapter: null, fallbackReason: `the worker failed to start: ${e.message}` });
  });
}

export function send(req: Request, transfer: Transferable[] = []): void {
  if (!worker) startWorker();
  worker!.postMessage(req, transfer);
}

/** Asks the worker for a checkpoint's .safetensors bytes. */
export function exportModel(modelId: string): Promise<{ fileName: string; bytes: ArrayBuffer }> {
  const requestId = newId('export');
  return new Promise((resolve, reject) => {
    exportWaiters.set(requestId, { resolve, reject });
    send({ type: 'export', requestId, modelId });
  });
}

/** `?test-hooks=1`: the worker serves the debug requests, and the page exposes them to browser tests. */
export function testHooksEnabled(): boolean {
  return new URLSearchParams(location.search).get('test-hooks') === '1';
}

export interface TestHooks {
  /** Destroys the worker's WebGPU device (a simulated device loss). */
  destroyDevice(): void;
  /** tf.memory() in the worker, once it is ready. */
  memory(): Promise<{ numTensors: number; numBytes: number }>;
}

export function installTestHooks(): void {
  const hooks: TestHooks = {
    destroyDevice: () => send({ type: 'debugDestroyDevice' }),
    memory: () => {
      const requestId = newId('memory');
      return new Promise((resolve) => {
        memoryWaiters.set(requestId, resolve);
        send({ type: 'debugMemory', requestId });
      });
    },
  };
  (globalThis as { halfstepTestHooks?: TestHooks }).halfstepTestHooks = hooks;
}

function route(e: WorkerEvent): void {
  const s = useStore.getState();
  switch (e.type) {
    case 'ready':
      s.setBackend(e.backend);
      break;
    case 'backendLost':
    case 'backendRecovered':
      s.setBackend(e.backend, e.message);
      break;
    case 'memory':
      memoryWaiters.get(e.requestId)?.({ numTensors: e.numTensors, numBytes: e.numBytes });
      memoryWaiters.delete(e.requestId);
      break;
    case 'loaded':
      s.addModel(e.requestId, e.model, e.alreadyLoaded);
      break;
    case 'metric':
      s.setImageMetric(e.ready, e.message);
      break;
    case 'loadFailed':
      s.failLoad(e.requestId, e.name, e.message);
      break;
    case 'unlisted':
      s.unlistModel(e.modelId, e.name, e.message);
      break;
    case 'progress':
      s.progressJob(e.jobId, e.done, e.total, e.label);
      break;
    case 'column':
      s.setColumnSamples(e.jobId, e.index, e.result);
      break;
    case 'quality':
      s.setColumnQuality(e.jobId, e.index, e.value, e.metric);
      break;
    case 'teacherCurve':
      s.setTeacherCurve(e.jobId, e.points, e.metric, e.teacherPoints);
      break;
    case 'loss':
      s.appendLoss(e.jobId, e.points);
      s.appendToyLoss(e.jobId, e.points);
      break;
    case 'round':
      s.addModel(`round-${e.jobId}-${e.result.round}`, e.result.student);
      s.addRound(e.jobId, e.result);
      break;
    case 'trained':
      s.addModel(`trained-${e.jobId}`, e.model);
      s.setToyTeacherPoints(e.jobId, e.points);
      break;
    case 'trajectories':
      s.setTrajectories(e.jobId, { paths: e.paths, steps: e.steps, count: e.count, data: e.data });
      break;
    case 'paused':
      s.setJobStatus(e.jobId, e.paused ? 'paused' : 'running');
      break;
    case 'done':
    case 'cancelled':
    case 'failed':
      s.setJobStatus(e.jobId, e.type, e.type === 'failed' ? e.message : undefined);
      s.endDistill(e.jobId, e.type);
      break;
    case 'exported':
      exportWaiters.get(e.requestId)?.resolve({ fileName: e.fileName, bytes: e.bytes });
      exportWaiters.delete(e.requestId);
      break;
    case 'exportFailed':
      exportWaiters.get(e.requestId)?.reject(new Error(e.message));
      exportWaiters.delete(e.requestId);
      break;
  }
}
