// The convolution the UNet calls: NHWC input, filter [kh, kw, ci, co], optional bias [co], one stride for
// both axes, 'same', 'valid' or explicit symmetric padding. The forward pass is our register-tiled WGSL
// program on webgpu (conv2d_webgpu.ts, bias in the same dispatch; tfjs's at shapes where a GPU measured
// tfjs's faster, autotune.ts) and tfjs's elsewhere (its fused conv adds
// the bias in the same kernel); the two gradients are ours (conv2dGradients.ts): tiled WGSL programs on
// webgpu, forward convolutions on wasm (which has no filter-gradient kernel). On cpu, and on webgpu with our
// kernels switched off (setCustomKernels(false), the benchmark's baseline), this is exactly tf.conv2d
// (+ tf.add of the bias) with their stock gradients.
import * as tf from '@tensorflow/tfjs';
import { type ConvPad, conv2dBackpropFilter, conv2dBackpropInput } from './conv2dGradients';
import { columnSum } from './columnSum';
import { pick } from './autotune';
import { conv2dWebGPU } from './conv2d_webgpu';
import { customKernelsEnabled, useWebGPUKernels } from './customKernels';

export type Conv2dPad = ConvPad;

type Shape4 = [number, number, number, number];

/** x: [B, H, W, ci], filter: [kh, kw, ci, co], bias: [co] → [B, H', W', co]. Differentiable in all three. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride = 1, pad: Conv2dPad = 'same', bias?: tf.Tensor1D): tf.Tensor4D {
  const backend = tf.getBackend();
  if (backend === 'cpu' || (backend === 'webgpu' && !customKernelsEnabled())) {
    const y = tf.conv2d(x, filter, stride, pad);
    return bias ? tf.add(y, bias) : y;
  }
  const grads = (dy: tf.Tensor4D, xs: tf.Tensor, fs: tf.Tensor): tf.Tensor[] => [
    conv2dBackpropInput(dy, fs as tf.Tensor4D, xs.shape as Shape4, stride, pad),
    conv2dBackpropFilter(xs as tf.Tensor4D, dy, fs.shape as Shape4, stride, pad),
  ];
  type GradientFunc = Parameters<typeof tf.customGrad<tf.Tensor4D>>[0];
  if (!bias) {
    const op = tf.customGrad<tf.Tensor4D>(((xIn: tf.Tensor4D, fIn: tf.Tensor4D, save: tf.GradSaveFunc) => {
      save([xIn, fIn]);
      return { value: convForward(xIn, fIn, stride, pad), gradFunc: (dy: tf.Tensor4D, [xs, fs]: tf.Tensor[]) => grads(dy, xs, fs) };
    }) as unknown as GradientFunc);
    return op(x, filter);
  }
  const op = tf.customGrad<tf.Tensor4D>(((xIn: tf.Tensor4D, fIn: tf.Tensor4D, bIn: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([xIn, fIn]);
    return {
      value: convForward(xIn, fIn, stride, pad, bIn),
      gradFunc: (dy: tf.Tensor4D, [xs, fs]: tf.Tensor[]) => [...grads(dy, xs, fs), columnSum(dy)], // dbias: [co]
    };
  }) as unknown as GradientFunc);
  return op(x, filter, bias);
}

/**
 * The forward convolution (+ bias) alone: on webgpu ours, or tfjs's where it measured faster at this shape
 * on this GPU (autotune.ts); tfjs's (fused with the bias) elsewhere.
 */
export function convForward(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: Conv2dPad, bias?: tf.Tensor1D): tf.Tensor4D {
  if (!useWebGPUKernels()) return convForwardStock(x, filter, stride, pad, bias);
  return pick('conv2d', `stride ${stride}, ${pad}`, bias ? [x, filter, bias] : [x, filter],
    ([xs, fs, bs]) => conv2dWebGPU(xs as tf.Tensor4D, fs as tf.Tensor4D, stride, pad, bs as tf.Tensor1D | undefined),
    ([xs, fs, bs]) => convForwardStock(xs as tf.Tensor4D, fs as tf.Tensor4D, stride, pad, bs as tf.Tensor1D | undefined));
}

/** tfjs's forward convolution, with the bias in the same kernel. */
export function convForwardStock(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: Conv2dPad, bias?: tf.Tensor1D): tf.Tensor4D {
  return bias ? tf.fused.conv2d({ x, filter, strides: stride, pad, bias }) : tf.conv2d(x, filter, stride, pad);
}
