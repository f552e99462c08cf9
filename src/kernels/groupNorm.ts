// GroupNorm (Wu & He 2018), optionally followed by SiLU, as the UNet calls it: in plain tfjs ops with a
// closed-form gradient (every backend, and webgpu with our kernels off), or as our WGSL programs on webgpu
// (groupNorm_webgpu.ts: 1 dispatch forward when sampling, 2 while training and 3 backward for the whole
// GroupNorm + SiLU), tested against this file's formulation.
import * as tf from '@tensorflow/tfjs';
import { useWebGPUKernels } from './customKernels';
import { GN_EPS, groupNormWebGPU, groupNormWebGPUFits } from './groupNorm_webgpu';

/**
 * GroupNorm: each sample's channels split into `groups` groups, each normalised over its H·W·(C/G) values,
 * then scaled and shifted per channel. x: [B, H, W, C], weight and bias: [C].
 * H and W are merged into one axis so that every tensor stays rank 4 (the widest rank every backend's
 * transpose and reduce kernels take); the statistics are the same as over [H, W, C/G] of [B, H, W, G, C/G].
 *
 * The gradient is the closed form rather than autodiff through tf.moments: with x̂ = (x - μ)·r, r = (σ² + ε)^-½
 * and g = dy·γ, per group  dx = r·(g - mean(g) - x̂·mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
 * Four full-size ops instead of autodiff's dozen broadcasts: fewer kernels per step, and faster on wasm.
 */
export function groupNormPlain(x: tf.Tensor4D, groups: number, weight: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const grouped = [b, h * w, groups, c / groups]; // [B, H·W, G, C/G]
  const op = tf.customGrad(((xIn: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, variance } = tf.moments(tf.reshape(xIn, grouped), [1, 3], true); // [B, 1, G, 1] each
    const r = tf.rsqrt(tf.add(variance, GN_EPS));
    const xhat = tf.reshape(tf.mul(tf.sub(tf.reshape(xIn, grouped), mean), r), [b, h, w, c]); // [B, H, W, C]
    save([xhat, r, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g] = saved;
        const gy = tf.reshape(tf.mul(dy, g), grouped);
        const xg = tf.reshape(xh, grouped);
        const m1 = tf.mean(gy, [1, 3], true);
        const m2 = tf.mean(tf.mul(gy, xg), [1, 3], true);
        const dx = tf.reshape(tf.mul(tf.sub(tf.sub(gy, m1), tf.mul(xg, m2)), rs), [b, h, w, c]);
        return [dx, tf.sum(tf.mul(dy, xh), [0, 1, 2]), tf.sum(dy, [0, 1, 2])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, weight, bias) as tf.Tensor4D;
}

/**
 * GroupNorm of x: [B, H, W, C] with weight and bias [C], then SiLU (y·sigmoid(y)) when `silu`.
 * Our WGSL programs on webgpu, groupNormPlain (+ tfjs SiLU) elsewhere; the same values and gradients.
 */
export function groupNorm(x: tf.Tensor4D, groups: number, weight: tf.Tensor1D, bias: tf.Tensor1D, silu = false): tf.Tensor4D {
  const c = x.shape[3];
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels do not split into ${groups} groups`);
  if (useWebGPUKernels() && groupNormWebGPUFits(x.shape, groups)) return groupNormWebGPU(x, groups, weight, bias, silu);
  return tf.tidy(() => {
    const y = groupNormPlain(x, groups, weight, bias);
    return silu ? tf.mul(y, tf.sigmoid(y)) : y;
  });
}
