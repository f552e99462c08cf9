// GroupNorm (Wu & He 2018), optionally followed by SiLU, as the UNet calls it: in plain tfjs ops with a
// closed-form gradient (every backend, and webgpu with our kernels off), or as our WGSL programs on webgpu
// (groupNorm_webgpu.ts: 1 dispatch forward when sampling, 2 while training and 3 backward for the whole
// GroupNorm + SiLU), tested against this file's formulation.
import * as tf from '@tensorflow/tfjs';
import { columnSum } from './columnSum';
import { useWebGPUKernels } from './customKernels';
import { GN_EPS, groupNormWebGPU, groupNormWebGPUFits } from './groupNorm_webgpu';

/**
 * GroupNorm: each sample's channels split into `groups` groups, each normalised over its H·W·(C/G) values,
 * then scaled and shifted per channel. x: [B, H, W, C], weight and bias: [C]. The variance is two-pass, the
 * mean of (x - μ)², as tf.moments takes it; ε = GN_EPS.
 *
 * Where the statistics live depends on the backend. Elsewhere x is viewed as [B, H·W, G, C/G] (rank 4, the
 * widest every backend's reduce kernels take; the same statistics as over [H, W, C/G] of [B, H, W, G, C/G])
 * and a group's mean is one value, [B, 1, G, 1]. On wasm a [B, 1, G, 1] operand broadcast over that view
 * takes 20x as long as an op between equal shapes (at batch 64 of 28×28×16: scripts/wasmOps.ts), which made
 * GroupNorm a third of a training step; there a group's mean is taken as the mean of its channels' means
 * (every channel has H·W values) and spread back to one value per channel, [B, 1, 1, C], which tfjs-wasm
 * broadcasts over [B, H, W, C] in about 3x. (On webgpu, where our programs normally run, that form costs more
 * kernels; the plain path there is the baseline the bench compares ours with, so it keeps the grouped form.)
 *
 * The gradient is the closed form rather than autodiff: with x̂ = (x - μ)·r, r = (σ² + ε)^-½ and g = dy·γ, per
 * group  dx = r·(g - mean(g) - x̂·mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
 */
export function groupNormPlain(x: tf.Tensor4D, groups: number, weight: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const perGroup = c / groups;
  const perChannel = tf.getBackend() === 'wasm';
  const view = perChannel ? [b, h, w, c] : [b, h * w, groups, perGroup]; // full-size tensors: [B, H, W, C] or [B, H·W, G, C/G]
  const groupMean = perChannel
    ? (t: tf.Tensor): tf.Tensor => {
      const channelMeans = tf.reshape(tf.mean(t, [1, 2]), [b, groups, perGroup]); // [B, G, C/G]
      return tf.reshape(tf.broadcastTo(tf.mean(channelMeans, 2, true), [b, groups, perGroup]), [b, 1, 1, c]); // [B, 1, 1, C]
    }
    : (t: tf.Tensor): tf.Tensor => tf.mean(t, [1, 3], true); // [B, 1, G, 1]
  const op = tf.customGrad(((xIn: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const xv = tf.reshape(xIn, view);
    const centred = tf.sub(xv, groupMean(xv)); // x - μ
    const r = tf.rsqrt(tf.add(groupMean(tf.square(centred)), GN_EPS));
    const xhat = tf.reshape(tf.mul(centred, r), [b, h, w, c]); // [B, H, W, C]
    save([xhat, r, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g] = saved;
        const gy = tf.reshape(tf.mul(dy, g), view);
        const xhatView = tf.reshape(xh, view);
        const dx = tf.mul(tf.sub(tf.sub(gy, groupMean(gy)), tf.mul(xhatView, groupMean(tf.mul(gy, xhatView)))), rs);
        return [tf.reshape(dx, [b, h, w, c]), columnSum(tf.mul(dy, xh)), columnSum(dy)];
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
