// Minibatches drawn with replacement from an in-memory data set, seeded through the caller's Rng.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng';
import { sizeOf } from '../core/shape';

/** Returns a [batchSize, ...sampleShape] tensor of data examples. */
export type BatchSource = (batchSize: number, rng: Rng) => tf.Tensor;

/** `data` is row-major [n, ...sampleShape]. */
export function arrayBatchSource(data: Float32Array, sampleShape: number[]): BatchSource {
  const dim = sizeOf(sampleShape);
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`data of length ${data.length} is not a whole number of [${sampleShape.join(', ')}] samples`);
  return (batchSize, rng) => {
    const out = new Float32Array(batchSize * dim);
    for (let b = 0; b < batchSize; b++) {
      const i = rng.int(n);
      out.set(data.subarray(i * dim, (i + 1) * dim), b * dim);
    }
    return tf.tensor(out, [batchSize, ...sampleShape]);
  };
}
