// Σ over every axis but the last (a layer's bias gradient from its output gradient): our program on webgpu
// (columnSum_webgpu.ts; tf.sum at shapes where a GPU measured it faster, autotune.ts); on wasm a matrix
// product with a row of ones, since tfjs-wasm's Sum over leading axes transposes first (at batch 64 of
// 28×28×32 about 18x the product's time: scripts/wasmOps.ts); tf.sum on cpu, and on webgpu with our kernels off
// (setCustomKernels switches our WGSL programs, not this wasm form).
import * as tf from '@tensorflow/tfjs';
import { pick } from './autotune';
import { columnSumWebGPU } from './columnSum_webgpu';
import { useWebGPUKernels } from './customKernels';

/** x: [..., C] → [C]. */
export function columnSum(x: tf.Tensor): tf.Tensor1D {
  const stock = ([xs]: tf.Tensor[]) => tf.sum(xs, Array.from({ length: xs.rank - 1 }, (_, i) => i)) as tf.Tensor1D;
  if (tf.getBackend() === 'wasm') {
    const c = x.shape[x.rank - 1];
    const rows = x.size / c;
    return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(x, [rows, c])), [c])); // [1, N]·[N, C] → [C]
  }
  if (!useWebGPUKernels()) return stock([x]);
  return pick('columnSum', '', [x], ([xs]) => columnSumWebGPU(xs), stock);
}
