// One switch for all of our WGSL programs, so that a benchmark (or a user chasing a suspected kernel bug)
// can run the same training step on stock tfjs-webgpu kernels and on ours, in one process.
import * as tf from '@tensorflow/tfjs';

let enabled = true;

export function setCustomKernels(on: boolean): void {
  enabled = on;
}

export function customKernelsEnabled(): boolean {
  return enabled;
}

/**
 * Runs `f` with our kernels switched on or off, then restores the switch as it was (after the promise settles
 * when `f` is async). How the benchmark times stock tfjs beside ours.
 */
export function withCustomKernels<T>(on: boolean, f: () => T): T {
  const was = enabled;
  enabled = on;
  let result: T;
  try {
    result = f();
  } catch (e) {
    enabled = was;
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => { enabled = was; }) as T;
  enabled = was;
  return result;
}

/** True when our WGSL programs run: the switch is on and webgpu is the active backend. */
export function useWebGPUKernels(): boolean {
  return enabled && tf.getBackend() === 'webgpu';
}
