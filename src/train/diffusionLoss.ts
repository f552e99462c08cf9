// The weighted x-space loss shared by teacher training and distillation:
//   L = mean_b w(λ_b)·mean_d ‖x_target - x̂(z_b, t_b)‖²,
// where x̂ comes from the raw network output through the parameterization (x̂ = xz·z + xo·out).
// Per-example scalars (α, σ, weights) are computed in float64 and uploaded once per batch.
import * as tf from '@tensorflow/tfjs';
import { predictionCoefficients } from '../core/ddimCoefficients';
import { type LossWeighting, type Parameterization, type ScheduleConfig, type TimePoint, lossWeight, timePoint } from '../core/schedule';
import type { Network } from '../model/network';

/** A [B] list of numbers as a tensor shaped [B, 1, …, 1] that broadcasts against a [B, ...sample] batch. */
export function perExample(values: ArrayLike<number>, rank: number): tf.Tensor {
  return tf.tensor(Float32Array.from(values), [values.length, ...new Array(rank - 1).fill(1)]);
}

export interface XSpaceBatch extends tf.NamedTensorMap {
  /** z_t, [B, ...sample] */
  zT: tf.Tensor;
  /** t per example, [B] */
  t: tf.Tensor;
  /** The regression target in x-space, [B, ...sample] */
  xTarget: tf.Tensor;
  /** x̂ = xz·z + xo·out, [B, 1, …] each */
  xz: tf.Tensor;
  xo: tf.Tensor;
  /** w(λ_t) per example, [B] */
  weight: tf.Tensor;
}

/** The per-example tensors of an x-space batch at times `points`. */
export function xSpaceCoefficients(points: TimePoint[], p: Parameterization, weighting: LossWeighting, rank: number): Pick<XSpaceBatch, 't' | 'xz' | 'xo' | 'weight'> {
  const c = points.map((at) => predictionCoefficients(p, at));
  return {
    t: tf.tensor1d(points.map((at) => at.t)),
    xz: perExample(c.map((k) => k.xz), rank),
    xo: perExample(c.map((k) => k.xo), rank),
    weight: tf.tensor1d(points.map((at) => lossWeight(at.logSnr, weighting))),
  };
}

export function xSpaceLoss(net: Network, b: XSpaceBatch, seed: number): tf.Scalar {
  const out = net.apply(b.zT, b.t as tf.Tensor1D, { training: true, seed });
  const xHat = tf.add(tf.mul(b.xz, b.zT), tf.mul(b.xo, out));
  const sqErr = tf.square(tf.sub(b.xTarget, xHat));
  const perEx = tf.mean(tf.reshape(sqErr, [sqErr.shape[0], -1]), 1); // [B]
  return tf.mean(tf.mul(b.weight, perEx)) as tf.Scalar;
}

/** z_t = α_t·x + σ_t·ε for per-example times. x, eps: [B, ...sample]. */
export function diffuse(x: tf.Tensor, eps: tf.Tensor, points: TimePoint[]): tf.Tensor {
  return diffuseWith(x, eps, perExample(points.map((p) => p.alpha), x.rank), perExample(points.map((p) => p.sigma), x.rank));
}

/** z_t = α_t·x + σ_t·ε with α_t and σ_t as per-example tensors ([B, 1, …, 1]) already on the device. */
export function diffuseWith(x: tf.Tensor, eps: tf.Tensor, alpha: tf.Tensor, sigma: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(alpha, x), tf.mul(sigma, eps));
}

export function timePoints(ts: number[], schedule: ScheduleConfig): TimePoint[] {
  return ts.map((t) => timePoint(t, schedule));
}
