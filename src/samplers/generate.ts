// Many samples from a seed, in batches, with one readback per finished batch. Sample k depends only on the
// seed and k (z₁ is drawn sequentially, and an η > 0 step's noise comes from sample k's own stream), so any
// batch size gives the same samples.
import * as tf from '@tensorflow/tfjs';
import { initialNoise } from '../core/rng';
import { sizeOf } from '../core/shape';
import { tunePendingKernels } from '../kernels/autotune';
import { type SampleOptions, sampleDdimAsync } from './ddim';
import type { Denoiser } from './denoiser';

export interface GenerateOptions extends Omit<SampleOptions, 'onStep'> {
  seed: number;
  count: number;
  /** One sample's shape, e.g. [2] or [28, 28, 1]. */
  shape: number[];
  batchSize?: number;
  onBatch?: (done: number, total: number) => void;
}

export async function generateSamples(denoiser: Denoiser, opts: GenerateOptions): Promise<Float32Array> {
  const { seed, count, shape, batchSize = 256 } = opts;
  const dim = sizeOf(shape);
  const z1All = initialNoise(seed, count, dim);
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const z1 = tf.tensor(z1All.subarray(start * dim, (start + n) * dim), [n, ...shape]);
    let x: tf.Tensor;
    try {
      x = await sampleDdimAsync(denoiser, z1, { ...opts, noiseSeed: opts.noiseSeed ?? seed, firstSample: start });
    } finally {
      z1.dispose();
    }
    try {
      out.set(await x.data(), start * dim);
    } finally {
      x.dispose();
    }
    // Shapes this batch ran for the first time are timed ours against tfjs's now, between batches
    // (autotune.ts): the next batch replays the faster kernels.
    await tunePendingKernels();
    opts.onBatch?.(start + n, count);
  }
  return out;
}
