// Σ over every axis but the last (a layer's bias gradient from its output gradient): our program on webgpu
// (columnSum_webgpu.ts), tf.sum elsewhere and with our kernels off.
import * as tf from '@tensorflow/tfjs';
import { columnSumWebGPU } from './columnSum_webgpu';
import { useWebGPUKernels } from './customKernels';

/** x: [..., C] → [C]. */
export function columnSum(x: tf.Tensor): tf.Tensor1D {
  if (useWebGPUKernels()) return columnSumWebGPU(x);
  return tf.sum(x, Array.from({ length: x.rank - 1 }, (_, i) => i)) as tf.Tensor1D;
}
