// A dense layer y = x·W + b (x: [M, K], W: [K, N], b: [N]) and its two matrix gradients, per backend.
// On webgpu with our kernels, a dense layer is the 1×1 convolution of x seen as one image row [1, 1, M, K]
// and runs on our conv programs: tfjs-webgpu's small matrix products (MatMulReduceProgram,
// MatMulSmallOutputSizeProgram, chosen for the UNet's [B, 256] × [256, C] embedding projections) run 7-200x
// slower on SwiftShader than the conv programs on the same shapes (README, Performance); the filter gradient
// sees x as a column [1, M, 1, K] instead, so that its split-K slices run along M.
// On wasm the gradients are written with explicit transposes: tfjs-wasm's matMul with transposeA/transposeB
// (what the stock gradient uses) runs 2-5x slower than a plain product (measured 3.5x on a whole MLP step).
// Elsewhere (cpu, webgpu with our kernels off) they are tfjs's products with transpose flags.
import * as tf from '@tensorflow/tfjs';
import { pick } from './autotune';
import { conv2dWebGPU } from './conv2d_webgpu';
import { conv2dBackpropFilterWebGPU } from './conv2dBackpropFilter_webgpu';
import { conv2dBackpropInputWebGPU } from './conv2dBackpropInput_webgpu';
import { useWebGPUKernels } from './customKernels';

/** x·W + b: [M, N]. */
export function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const stock = ([xs, ws, bs]: tf.Tensor[]) => tf.fused.matMul({ a: xs as tf.Tensor2D, b: ws as tf.Tensor2D, bias: bs }) as tf.Tensor2D;
  if (!useWebGPUKernels()) return stock([x, w, b]);
  const [m, k] = x.shape;
  const n = w.shape[1];
  return pick('dense', '', [x, w, b], ([xs, ws, bs]) => tf.tidy(() => tf.reshape(conv2dWebGPU(tf.reshape(xs, [1, 1, m, k]), tf.reshape(ws, [1, 1, k, n]), 1, 'valid', bs as tf.Tensor1D), [m, n])), stock);
}

/** [dx, dW] = [g·Wᵀ, xᵀ·g] for the output gradient g: [M, N]. */
export function denseGrads(x: tf.Tensor2D, w: tf.Tensor2D, g: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const [m, k] = x.shape;
  const n = w.shape[1];
  const stockDx = ([gs, ws]: tf.Tensor[]): tf.Tensor2D => tf.matMul(gs as tf.Tensor2D, ws as tf.Tensor2D, false, true);
  const stockDw = ([xs, gs]: tf.Tensor[]): tf.Tensor2D => tf.matMul(xs as tf.Tensor2D, gs as tf.Tensor2D, true, false);
  if (useWebGPUKernels()) {
    // Each ours or tfjs's product, whichever measured faster at this shape on this GPU (autotune.ts).
    return [
      pick('denseBackpropInput', '', [g, w], ([gs, ws]) => tf.tidy(() => tf.reshape(conv2dBackpropInputWebGPU(tf.reshape(gs, [1, 1, m, n]), tf.reshape(ws, [1, 1, k, n]), [1, 1, m, k], 1, 'valid'), [m, k]) as tf.Tensor2D), stockDx),
      pick('denseBackpropFilter', '', [x, g], ([xs, gs]) => tf.tidy(() => tf.reshape(conv2dBackpropFilterWebGPU(tf.reshape(xs, [1, m, 1, k]), tf.reshape(gs, [1, m, 1, n]), [1, 1, k, n], 1, 'valid'), [k, n]) as tf.Tensor2D), stockDw),
    ];
  }
  if (tf.getBackend() === 'wasm') return [tf.matMul(g, tf.transpose(w)), tf.matMul(tf.transpose(x), g)];
  return [stockDx([g, w]), stockDw([x, g])];
}
