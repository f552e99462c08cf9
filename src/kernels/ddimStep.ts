// One DDIM update from the network output, x̂ and ε̂ first (parameterization via coefficients), then z_s.
// This file is the plain-tfjs formulation; on the webgpu backend the same arithmetic runs as one fused
// dispatch (ddimStep_webgpu.ts), tested against this one.
import * as tf from '@tensorflow/tfjs';
import type { DdimStepCoefficients } from '../core/ddimCoefficients';
import { useWebGPUKernels } from './customKernels';
import { ddimStepWebGPU } from './ddimStep_webgpu';

export type DdimStepResult = {
  zS: tf.Tensor;
  xHat: tf.Tensor;
};

/**
 * z: z_t, out: the raw network output, both [B, ...]. `noise` is required when c.noiseStd > 0.
 * With `clip`, x̂ is clipped to [-1, 1] and ε̂ recomputed from it as (z_t - α_t·x̂)/σ_t.
 */
export function ddimStepPlain(z: tf.Tensor, out: tf.Tensor, c: DdimStepCoefficients, clip: boolean, noise?: tf.Tensor): DdimStepResult {
  return tf.tidy(() => {
    let xHat = tf.add(tf.mul(z, c.xz), tf.mul(out, c.xo));
    const epsHat = clip
      ? tf.div(tf.sub(z, tf.mul(xHat = tf.clipByValue(xHat, -1, 1), c.alphaT)), c.sigmaT)
      : tf.add(tf.mul(z, c.ez), tf.mul(out, c.eo));
    let zS = tf.add(tf.mul(xHat, c.alphaS), tf.mul(epsHat, c.epsWeight));
    if (c.noiseStd > 0) {
      if (!noise) throw new Error('ddimStep: noise is required when noiseStd > 0');
      zS = tf.add(zS, tf.mul(noise, c.noiseStd));
    }
    return { zS, xHat };
  });
}

/** The DDIM step the samplers call: one fused WGSL program on webgpu, ddimStepPlain elsewhere. */
export function ddimStep(z: tf.Tensor, out: tf.Tensor, c: DdimStepCoefficients, clip: boolean, noise?: tf.Tensor): DdimStepResult {
  return useWebGPUKernels() ? ddimStepWebGPU(z, out, c, clip, noise) : ddimStepPlain(z, out, c, clip, noise);
}
