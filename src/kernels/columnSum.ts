// Σ over every axis but the last (a layer's bias gradient from its output gradient): our program on webgpu
// (columnSum_webgpu.ts; tf.sum at shapes where a GPU measured it faster, autotune.ts), tf.sum elsewhere and
// with our kernels off.
import * as tf from '@tensorflow/tfjs';
import { pick } from './autotune';
import { columnSumWebGPU } from './columnSum_webgpu';
import { useWebGPUKernels } from './customKernels';

/** x: [..., C] → [C]. */
export function columnSum(x: tf.Tensor): tf.Tensor1D {
  const stock = ([xs]: tf.Tensor[]) => tf.sum(xs, Array.from({ length: xs.rank - 1 }, (_, i) => i)) as tf.Tensor1D;
  if (!useWebGPUKernels()) return stock([x]);
  return pick('columnSum', '', [x], ([xs]) => columnSumWebGPU(xs), stock);
}
