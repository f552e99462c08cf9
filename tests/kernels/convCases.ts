// Convolution shapes every gradient formulation is checked on: stride 1 and 2, 'same' (asymmetric padding
// at stride 2 on even sizes), 'valid' and numeric padding, channel counts divisible by 4 (vector code paths)
// and not, one and many split-K slices.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng';
import type { ConvPad } from '../../src/kernels/conv2dGradients';

export type Shape4 = [number, number, number, number];
export interface ConvCase { name: string; x: Shape4; f: Shape4; stride: number; pad: ConvPad }

export const convCases: ConvCase[] = [
  { name: 'stride 1 same, channels ÷4', x: [2, 6, 6, 4], f: [3, 3, 4, 8], stride: 1, pad: 'same' },
  { name: 'stride 1 same, odd sizes, channels not ÷4', x: [2, 7, 5, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { name: 'stride 2 same, even size (pad 0 top, 1 bottom)', x: [2, 8, 8, 4], f: [3, 3, 4, 4], stride: 2, pad: 'same' },
  { name: 'stride 2 same, odd sizes', x: [1, 9, 7, 8], f: [3, 3, 8, 12], stride: 2, pad: 'same' },
  { name: 'numeric pad 1, one output channel', x: [2, 6, 6, 4], f: [3, 3, 4, 1], stride: 1, pad: 1 },
  { name: 'stride 2 valid, 4×4 kernel, one input channel (cropped edge)', x: [1, 10, 9, 1], f: [4, 4, 1, 8], stride: 2, pad: 'valid' },
  { name: 'stride 2, numeric pad 2', x: [1, 8, 8, 4], f: [3, 3, 4, 4], stride: 2, pad: 2 },
  { name: '1×1 valid', x: [2, 5, 5, 8], f: [1, 1, 8, 4], stride: 1, pad: 'valid' },
  { name: 'a single dY row: no split-K', x: [1, 1, 6, 4], f: [1, 3, 4, 4], stride: 1, pad: 'valid' },
  { name: 'many channels: several dY rows per split-K slice', x: [1, 16, 4, 128], f: [3, 3, 128, 128], stride: 1, pad: 'same' },
];

/** dY's shape [B, H', W', co], as tfjs computes it for the forward convolution. */
export function dyShape(c: ConvCase): Shape4 {
  return tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, 1, c.pad).outShape as Shape4;
}

export type BiasConv = (x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;

/**
 * [dx, dW, db] of L = Σ conv(x, W, b) ⊙ r for a case, with x, W, b and r drawn from `seed` (so dL/dy = r):
 * a function to run on a backend with `on(backend, ...)`.
 */
export function biasConvGrads(c: ConvCase, seed: number, conv: BiasConv): () => tf.Tensor[] {
  const rng = new Rng(seed);
  const yShape = dyShape(c);
  const [xv, fv, bv, rv] = [c.x, c.f, [c.f[3]], yShape].map((s) => rng.normals(tf.util.sizeFromShape(s)));
  return () =>
    tf.grads((x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(x as tf.Tensor4D, f as tf.Tensor4D, b as tf.Tensor1D), tf.tensor4d(rv, yShape))))(
      [tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), tf.tensor1d(bv)]);
}
