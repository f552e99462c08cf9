// The two gradients of an NHWC conv2d, each in three formulations, and the choice between them per backend:
//   webgpu: our tiled WGSL programs (conv2dBackprop*_webgpu.ts); for the input gradient, tfjs's kernel
//           at the shapes where it measured faster on the GPU in use (autotune.ts);
//   wasm:   forward convolutions over transposed / dilated tensors (tfjs-wasm has no Conv2DBackpropFilter
//           kernel, and at stride 1 its Conv2DBackpropInput runs 3-8x slower than the forward-conv form;
//           at stride 2 the dilated form multiplies 3/4 zeros and ties with it, so there tfjs's kernel runs);
//   cpu, or webgpu with our kernels switched off: tfjs's own kernels.
// Notation: x [B, H, W, ci], filter W [kh, kw, ci, co], dy [B, H', W', co], stride s, padding (p_top, p_left)
// as tfjs computes it for 'same' / 'valid' / a number.
import * as tf from '@tensorflow/tfjs';
import { pick } from './autotune';
import { conv2dBackpropFilterWebGPU } from './conv2dBackpropFilter_webgpu';
import { conv2dBackpropInputWebGPU } from './conv2dBackpropInput_webgpu';
import { useWebGPUKernels } from './customKernels';

export type ConvPad = 'same' | 'valid' | number;
type Shape4 = [number, number, number, number];

/** dW: [kh, kw, ci, co] = Σ_{b,y,x} X[b, y·s + kh - p_top, x·s + kw - p_left, ci] · dY[b, y, x, co]. */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, stride: number, pad: ConvPad): tf.Tensor4D {
  if (useWebGPUKernels()) return conv2dBackpropFilterWebGPU(x, dy, filterShape, stride, pad);
  if (tf.getBackend() === 'wasm') return conv2dBackpropFilterAsConv(x, dy, filterShape, stride, pad);
  return conv2dBackpropFilterStock(x, dy, filterShape, stride, pad);
}

/** dX: [B, H, W, ci] = Σ_{kh,kw,co} dY[b, (iy + p_top - kh)/s, (ix + p_left - kw)/s, co] · W[kh, kw, ci, co]. */
export function conv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: Shape4, stride: number, pad: ConvPad): tf.Tensor4D {
  if (useWebGPUKernels()) {
    // Ours or tfjs's, whichever measured faster at this shape on this GPU (on the H100 ours was 0.88-1.9x
    // tfjs's, by shape; README, Performance).
    return pick('conv2dBackpropInput', `input [${inputShape.join(',')}], stride ${stride}, ${pad}`, [dy, filter],
      ([d, f]) => conv2dBackpropInputWebGPU(d as tf.Tensor4D, f as tf.Tensor4D, inputShape, stride, pad),
      ([d, f]) => conv2dBackpropInputStock(d as tf.Tensor4D, f as tf.Tensor4D, inputShape, stride, pad));
  }
  if (tf.getBackend() === 'wasm' && stride === 1) return conv2dBackpropInputAsConv(dy, filter, inputShape, stride, pad);
  return conv2dBackpropInputStock(dy, filter, inputShape, stride, pad);
}

/** tfjs's own Conv2DBackpropFilter kernel on the active backend (the reference and the benchmark's baseline). */
export function conv2dBackpropFilterStock(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, stride: number, pad: ConvPad): tf.Tensor4D {
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', filterShape };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** tfjs's own Conv2DBackpropInput kernel on the active backend. */
export function conv2dBackpropInputStock(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: Shape4, stride: number, pad: ConvPad): tf.Tensor4D {
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', inputShape };
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * dW as one forward convolution in which ci plays the batch, B the input channels and dY the filter,
 * dilated by s:  out[ci, kh, kw, co] = Σ_{y,x,b} X'[ci, kh + s·y - p_top, kw + s·x - p_left, b] · dY'[y, x, b, co]
 * with X' = X transposed to [ci, H, W, B] and dY' = dY transposed to [H', W', B, co].
 */
export function conv2dBackpropFilterAsConv(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, stride: number, pad: ConvPad): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, stride, 1, pad);
    const [kh, kw] = filterShape;
    const { top, left } = info.padInfo;
    // The output is kh rows tall when p_top + H + p_bottom - s·(H' - 1) = kh; rows that p_bottom < 0 would
    // cut are rows no output pixel reads, so crop them instead.
    let bottom = kh + stride * (info.outHeight - 1) - info.inHeight - top;
    let right = kw + stride * (info.outWidth - 1) - info.inWidth - left;
    let xs: tf.Tensor4D = tf.transpose(x, [3, 1, 2, 0]); // [ci, H, W, B]
    if (bottom < 0 || right < 0) {
      xs = tf.slice(xs, [0, 0, 0, 0], [-1, info.inHeight + Math.min(bottom, 0), info.inWidth + Math.min(right, 0), -1]); // [ci, H - crop, W - crop, B]
      bottom = Math.max(bottom, 0);
      right = Math.max(right, 0);
    }
    const dys = tf.transpose(dy, [1, 2, 0, 3]); // [H', W', B, co]
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [top, bottom], [left, right], [0, 0]];
    const out = tf.conv2d(xs, dys, 1, padding, 'NHWC', stride); // [ci, kh, kw, co]
    return tf.transpose(out, [1, 2, 0, 3]); // [kh, kw, ci, co]
  });
}

/**
 * dX as one forward convolution of dY, dilated by s (s - 1 zeros between pixels), with W flipped in space
 * and its channel axes swapped:  dX[b, iy, ix, ci] = Σ_{u,v,co} dYd[b, iy - (kh-1-p_top) + u, ..., co] · W[kh-1-u, kw-1-v, ci, co].
 */
export function conv2dBackpropInputAsConv(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: Shape4, stride: number, pad: ConvPad): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, stride, 1, pad);
    let d = dilate(dy, stride); // [B, s·(H'-1)+1, s·(W'-1)+1, co]
    const [, dh, dw] = d.shape;
    // Forward conv output rows: dh + pt + pb - kh + 1 = H.
    let pt = kh - 1 - info.padInfo.top;
    let pl = kw - 1 - info.padInfo.left;
    let pb = info.inHeight - dh + info.padInfo.top;
    let pr = info.inWidth - dw + info.padInfo.left;
    if (pt < 0 || pl < 0 || pb < 0 || pr < 0) {
      // Negative padding means dY rows that reach no input pixel: crop them.
      d = tf.slice(d, [0, Math.max(-pt, 0), Math.max(-pl, 0), 0], [-1, dh - Math.max(-pt, 0) - Math.max(-pb, 0), dw - Math.max(-pl, 0) - Math.max(-pr, 0), -1]);
      [pt, pl, pb, pr] = [pt, pl, pb, pr].map((p) => Math.max(p, 0));
    }
    const wFlipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, co, ci], rotated 180°
    return tf.conv2d(d, wFlipped, 1, [[0, 0], [pt, pb], [pl, pr], [0, 0]]); // [B, H, W, ci]
  });
}

/** Inserts s - 1 zero rows and columns between the pixels of t: [B, h, w, c] → [B, s·(h-1)+1, s·(w-1)+1, c]. */
function dilate(t: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return t;
  const [b, h, w, c] = t.shape;
  const rows = tf.reshape(tf.pad(tf.reshape(t, [b, h, 1, w * c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]), [b, h * s, w, c]); // [B, h·s, w, c]
  const cols = tf.reshape(tf.pad(tf.reshape(rows, [b * h * s, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]), [b, h * s, w * s, c]); // [B, h·s, w·s, c]
  return tf.slice(cols, [0, 0, 0, 0], [b, s * (h - 1) + 1, s * (w - 1) + 1, c]) as tf.Tensor4D;
}
