// The convolution the UNet calls: NHWC input, filter [kh, kw, ci, co], one stride for both axes, 'same',
// 'valid' or explicit symmetric padding. The forward pass is tfjs's (its tiled conv is fast on every backend);
// the two gradients are ours (conv2dGradients.ts): tiled WGSL programs on webgpu, forward convolutions on
// wasm (which has no filter-gradient kernel). On cpu, and on webgpu with our kernels switched off
// (setCustomKernels(false), the benchmark's baseline), this is exactly tf.conv2d with its stock gradients.
import * as tf from '@tensorflow/tfjs';
import { type ConvPad, conv2dBackpropFilter, conv2dBackpropInput } from './conv2dGradients';
import { customKernelsEnabled } from './customKernels';

export type Conv2dPad = ConvPad;

/** x: [B, H, W, ci], filter: [kh, kw, ci, co] → [B, H', W', co]. Differentiable in both. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride = 1, pad: Conv2dPad = 'same'): tf.Tensor4D {
  const backend = tf.getBackend();
  if (backend === 'cpu' || (backend === 'webgpu' && !customKernelsEnabled())) return tf.conv2d(x, filter, stride, pad);
  type GradientFunc = Parameters<typeof tf.customGrad<tf.Tensor4D>>[0];
  const withOurGradients = tf.customGrad<tf.Tensor4D>(((xIn: tf.Tensor4D, fIn: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([xIn, fIn]);
    return {
      value: tf.conv2d(xIn, fIn, stride, pad),
      gradFunc: (dy: tf.Tensor4D, [xs, fs]: tf.Tensor[]) => [
        conv2dBackpropInput(dy, fs as tf.Tensor4D, xs.shape as [number, number, number, number], stride, pad),
        conv2dBackpropFilter(xs as tf.Tensor4D, dy, fs.shape as [number, number, number, number], stride, pad),
      ],
    };
  }) as unknown as GradientFunc);
  return withOurGradients(x, filter);
}
