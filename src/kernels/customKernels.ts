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

/** True when our WGSL programs run: the switch is on and webgpu is the active backend. */
export function useWebGPUKernels(): boolean {
  return enabled && tf.getBackend() === 'webgpu';
}
