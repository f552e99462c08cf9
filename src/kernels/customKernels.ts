// One switch for all of our WGSL programs, so that a benchmark (or a user chasing a suspected kernel bug)
// can run the same training step on stock tfjs-webgpu kernels and on ours, in one process.
import * as tf from '@tensorflow/tfjs';
import { Toggle } from '../core/toggle';
import { choiceVersion } from './autotune';

const ours = new Toggle(true);

export function setCustomKernels(on: boolean): void {
  ours.set(on);
}

export function customKernelsEnabled(): boolean {
  return ours.enabled;
}

/**
 * Runs `f` with our kernels switched on or off, then restores the switch as it was (after the promise settles
 * when `f` is async). How the benchmark times stock tfjs beside ours.
 */
export function withCustomKernels<T>(on: boolean, f: () => T): T {
  return ours.with(on, f);
}

/** True when our WGSL programs run: the switch is on and webgpu is the active backend. */
export function useWebGPUKernels(): boolean {
  return ours.enabled && tf.getBackend() === 'webgpu';
}

/**
 * Which kernels a recording of GPU work holds: a replay recorded with one set must not serve another. With
 * ours on, the tuned choices between ours and stock per shape (autotune.ts) are part of it.
 */
export function kernelVariant(): string {
  return ours.enabled ? `ours#${choiceVersion()}` : 'stock';
}
