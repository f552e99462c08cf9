// The convolution the UNet calls: NHWC input, filter [kh, kw, ci, co], stride, 'same' or explicit padding.
// Thin wrapper for now; gradients through our own kernels follow (issue 3).
import * as tf from '@tensorflow/tfjs';

export type Conv2dPad = 'same' | number;

/** x: [B, H, W, ci], filter: [kh, kw, ci, co] → [B, H', W', co]. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride = 1, pad: Conv2dPad = 'same'): tf.Tensor4D {
  return tf.conv2d(x, filter, stride, pad);
}
