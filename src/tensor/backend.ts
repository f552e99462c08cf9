// The one place that picks and sets up a tfjs backend: WebGPU where an adapter exists (browser, Web Worker,
// or Node through Dawn, the npm package `webgpu`), otherwise wasm, otherwise cpu. Everything else asks this
// module which backend runs and never calls tf.setBackend itself.
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { errorLine } from '../core/errorLine';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm', 'cpu'];

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
}

export interface BackendInfo {
  name: BackendName;
  /** The WebGPU adapter in use; null on wasm and cpu. */
  adapter: AdapterSummary | null;
  /** wasm only: the threads tfjs-backend-wasm runs on (1 unless threads were asked for and the build allows them). */
  threads?: number;
  /** wasm only: why it runs on fewer threads than asked for, when it does. */
  threadsNote?: string;
  /** Why a preferred backend was not used (e.g. no WebGPU adapter), when one was passed over. */
  fallbackReason?: string;
}

export interface DeviceLostEvent {
  /** 'destroyed' when we disposed the device ourselves, 'unknown' for a driver reset or crash. */
  reason: string;
  message: string;
}

type DeviceLostListener = (e: DeviceLostEvent) => void;

const lostListeners = new Set<DeviceLostListener>();
let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;
let nodeGpu: GPU | null | undefined;

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** Calls `cb` when the WebGPU device is lost (driver reset, tab backgrounded too long, disposal). Returns an unsubscribe. */
export function onDeviceLost(cb: DeviceLostListener): () => void {
  lostListeners.add(cb);
  return () => lostListeners.delete(cb);
}

/** The backend initBackend chose, or null before it has run. */
export function backendInfo(): BackendInfo | null {
  return current;
}

/** The active tfjs-webgpu backend, or null when another backend runs. Kernels use it to run WGSL programs. */
export function getWebGPUBackend(): WebGPUBackend | null {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as WebGPUBackend) : null;
}

export interface BackendOptions {
  /**
   * Node only: threads for the wasm backend (default 1: tests and library callers stay on one core; the CLI
   * asks for several). In a browser wasm runs on one thread (startWasm says why). Read when wasm starts: a
   * call that finds wasm already running returns it as it is.
   */
  wasmThreads?: number;
}

/**
 * Picks and initializes a backend. 'auto' tries webgpu, then wasm, then cpu; a named backend that cannot
 * start falls back the same way and says why in `fallbackReason`. Calling it again with the backend that
 * already runs is cheap.
 */
export function initBackend(pref: BackendPreference = 'auto', options: BackendOptions = {}): Promise<BackendInfo> {
  if (current && (pref === 'auto' || pref === current.name) && tf.getBackend() === current.name) return Promise.resolve(current);
  const run = (pending ?? Promise.resolve(null)).catch(() => null).then(() => start(pref, options));
  pending = run.finally(() => { if (pending === run) pending = null; });
  return run;
}

async function start(pref: BackendPreference, options: BackendOptions): Promise<BackendInfo> {
  quietNodeBanner();
  const reasons: string[] = [];
  const order: BackendName[] = pref === 'auto' || pref === 'webgpu' ? ['webgpu', 'wasm', 'cpu'] : pref === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  for (const name of order) {
    const info = name === 'webgpu' ? await startWebGPU() : name === 'wasm' ? await startWasm(options.wasmThreads ?? 1) : await startCpu();
    if (typeof info === 'string') {
      reasons.push(info);
      continue;
    }
    // 'auto' passing over webgpu is normal on a machine without a GPU, but still worth reporting.
    current = reasons.length > 0 ? { ...info, fallbackReason: reasons.join('; ') } : info;
    return current;
  }
  throw new Error(`no tfjs backend could start: ${reasons.join('; ')}`);
}

/** navigator.gpu in a browser or worker; in Node, Dawn's GPU installed as navigator.gpu (once per process). */
async function gpuEntry(): Promise<GPU | null> {
  if (!isNode) return typeof navigator !== 'undefined' && navigator.gpu ? navigator.gpu : null;
  if (nodeGpu !== undefined) return nodeGpu;
  // Without it SwiftShader's Vulkan driver prints an error line at every adapter request.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  // A variable specifier keeps the Node-only package out of the browser bundle (Vite) and external in esbuild.
  const dawnPackage = 'webgpu';
  try {
    const dawn = (await import(/* @vite-ignore */ dawnPackage)) as { create(flags: string[]): GPU; globals: object };
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    // Node 21+ has a read-only navigator getter; defineProperty replaces it with one that carries the GPU.
    const nav = (globalThis as { navigator?: object }).navigator ?? {};
    Object.defineProperty(globalThis, 'navigator', { value: Object.assign(Object.create(nav), { gpu }), configurable: true, writable: true });
    nodeGpu = gpu;
  } catch {
    nodeGpu = null;
  }
  return nodeGpu;
}

async function startWebGPU(): Promise<BackendInfo | string> {
  const gpu = await gpuEntry();
  if (!gpu) return isNode ? 'webgpu: the npm package `webgpu` (Dawn) could not load' : 'webgpu: navigator.gpu is missing (no WebGPU in this browser, or not a secure context)';
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const hint = isNode && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES
      ? ' (without a GPU, SwiftShader works: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)'
      : '';
    return `webgpu: no adapter${hint}`;
  }
  // The same device request tfjs-backend-webgpu makes for itself, so its programs see the limits they expect;
  // we make it here to own the device (its `lost` promise) and the adapter's description.
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
    label: 'halfstep',
  });
  device.lost.then((lost) => {
    const e = { reason: String(lost.reason), message: lost.message };
    for (const cb of lostListeners) cb(e);
  });
  // Replace the factory tfjs-backend-webgpu registers on import (present only when navigator.gpu existed
  // then) with one that uses our device.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 3);
  if (!(await tf.setBackend('webgpu'))) {
    device.destroy();
    return 'webgpu: tfjs could not start the backend';
  }
  const { vendor, architecture, description } = adapter.info;
  return { name: 'webgpu', adapter: { vendor, architecture, description } };
}

/** nodeWasmThreads.ts, or why it cannot load (a bundle that left it out runs wasm on one thread). */
async function nodeWasmThreads(): Promise<typeof import('./nodeWasmThreads') | string> {
  // A variable specifier keeps this Node-only module (node:os, node:worker_threads) out of the browser bundle.
  const specifier = './nodeWasmThreads';
  try {
    return (await import(/* @vite-ignore */ specifier)) as typeof import('./nodeWasmThreads');
  } catch (e) {
    return `nodeWasmThreads.ts did not load: ${errorLine(e)}`;
  }
}

async function startWasm(threads: number): Promise<BackendInfo | string> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the package finds its .wasm files beside itself; a bundled browser build needs their URLs.
    // new URL(..., import.meta.url) is what Vite rewrites into emitted asset URLs.
    if (!isNode) {
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm', import.meta.url).href,
        'tfjs-backend-wasm-simd.wasm': new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', import.meta.url).href,
        'tfjs-backend-wasm-threaded-simd.wasm': new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm', import.meta.url).href,
      });
    }
    const nodeThreads = isNode ? await nodeWasmThreads() : null;
    if (nodeThreads && typeof nodeThreads !== 'string') {
      const started = await nodeThreads.startNodeWasm(wasm, threads, () => tf.setBackend('wasm'));
      if (started.threads === 0) return 'wasm: tfjs could not start the backend';
      return { name: 'wasm', adapter: null, threads: started.threads, ...(started.note ? { threadsNote: started.note } : {}) };
    }
    // One thread here: in Node without nodeWasmThreads.ts, and in every browser. There tfjs starts its threaded
    // build on a cross-origin-isolated page, and hands each pthread its module as the factory's source text
    // (Function.toString). Minified into our bundle, that text names variables that exist only in the bundle,
    // and every thread fails. One thread, whatever headers the page is served with.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) return 'wasm: tfjs could not start the backend';
    const note = typeof nodeThreads === 'string' && threads > 1 ? { threadsNote: nodeThreads } : {};
    return { name: 'wasm', adapter: null, threads: wasm.getThreadsCount(), ...note };
  } catch (e) {
    return `wasm: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function startCpu(): Promise<BackendInfo | string> {
  if (!(await tf.setBackend('cpu'))) return 'cpu: tfjs could not start the backend';
  return { name: 'cpu', adapter: null };
}

/**
 * tfjs-cpu prints an "install tfjs-node" banner on its first tensor in Node, whichever backend runs (tests
 * use cpu as the reference beside webgpu). tfjs-node cannot install here and wasm/webgpu are our fast paths,
 * so absorb that one warning, and only it, by making the cpu backend's first write with tfjs warnings off.
 */
export function quietNodeBanner(): void {
  if (!isNode) return;
  const env = tf.env();
  const prod = env.getBool('PROD');
  env.set('PROD', true);
  try {
    const cpu = tf.findBackend('cpu');
    if (cpu) cpu.disposeData(cpu.write(new Float32Array(1), [1], 'float32'));
  } finally {
    env.set('PROD', prod);
  }
}
