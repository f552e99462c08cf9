// The distillation target of Salimans & Ho (2022), Algorithm 2. For a student of N steps and t = i/N:
//   t′ = t - 0.5/N,  t″ = t - 1/N
//   z_t′ = α_t′·x̂_η(z_t) + (σ_t′/σ_t)·(z_t - α_t·x̂_η(z_t))         (teacher DDIM step)
//   z_t″ = α_t″·x̂_η(z_t′) + (σ_t″/σ_t′)·(z_t′ - α_t′·x̂_η(z_t′))    (teacher DDIM step)
//   x̃ = (z_t″ - (σ_t″/σ_t)·z_t) / (α_t″ - (σ_t″/σ_t)·α_t)
// so that one student DDIM step from z_t with x̂ = x̃ lands exactly on z_t″. Except at i = 1 (t″ = 0), the
// student's last step: a sampler returns x̂ there, not z_0, so the teacher's two steps end on x̂_η(z_t′) and
// that is the target, as in the authors' code (`x_target = where(i == 0, x_pred, x_target)`). The formula
// would not give it: the truncated schedule leaves σ_0 ≈ 4.5e-5, and x̃ would carry a share ≈ 0.64·N·σ_0 of
// x̂_η(z_t) (0.4% at N = 128).
// Every per-example scalar is worked out in float64 on the CPU and reaches the GPU as one column of a
// [B, 15] coefficient tensor: a batch is then a function of three tensors (x, ε and the coefficients) with no
// upload inside, which a distillation round records once and replays (src/tensor/replay.ts).
import * as tf from '@tensorflow/tfjs';
import { predictionCoefficients } from '../core/ddimCoefficients';
import type { Parameterization, TimePoint } from '../core/schedule';
import type { Network } from '../model/network';
import { diffuseWith } from '../train/diffusionLoss';

/** What the target needs of the frozen teacher: a Network, or its replayed forward pass (src/model/replayedForward.ts). */
export type Teacher = Pick<Network, 'config' | 'apply'>;

/** Student times of Algorithm 2 for i ∈ {1, …, N}: t, t′ and t″. */
export function distillTimes(i: number, studentSteps: number): { t: number; tMid: number; tEnd: number } {
  const t = i / studentSteps;
  return { t, tMid: t - 0.5 / studentSteps, tEnd: t - 1 / studentSteps };
}

/** The columns of the coefficient tensor, in order. */
export const TARGET_COLUMNS = [
  't', 'tMid', // the teacher's two evaluation times
  'alphaT', 'sigmaT', 'alphaMid', 'sigmaMid', 'alphaEnd', 'sigmaEnd',
  'xzT', 'xoT', 'xzMid', 'xoMid', // x̂ = xz·z + xo·(network output) at t and t′
  'ratio', 'denominator', // σ_t″/σ_t and α_t″ - (σ_t″/σ_t)·α_t
  'last', // 1 where t″ = 0 (the target is x̂_η(z_t′)), else 0
] as const;
type Column = (typeof TARGET_COLUMNS)[number];

/** Algorithm 2's per-example scalars for times (t, t′, t″) per example, float64 → one float32 [B, 15] tensor. */
export function targetCoefficients(p: Parameterization, at: TimePoint[], aMid: TimePoint[], aEnd: TimePoint[]): tf.Tensor2D {
  const rows = at.map((a, k) => {
    const [m, e] = [aMid[k], aEnd[k]];
    const [ct, cm] = [predictionCoefficients(p, a), predictionCoefficients(p, m)];
    const ratio = e.sigma / a.sigma;
    const row: Record<Column, number> = {
      t: a.t, tMid: m.t, alphaT: a.alpha, sigmaT: a.sigma, alphaMid: m.alpha, sigmaMid: m.sigma, alphaEnd: e.alpha, sigmaEnd: e.sigma,
      xzT: ct.xz, xoT: ct.xo, xzMid: cm.xz, xoMid: cm.xo, ratio, denominator: e.alpha - ratio * a.alpha,
      last: e.t <= 0 ? 1 : 0,
    };
    return TARGET_COLUMNS.map((c) => row[c]);
  });
  return tf.tensor2d(Float32Array.from(rows.flat()), [at.length, TARGET_COLUMNS.length]);
}

/** The columns of a coefficient tensor, each [B] for times and [B, 1, …, 1] (broadcasting over a sample of `rank`) else. */
function columns(coef: tf.Tensor2D, rank: number): Record<Column, tf.Tensor> {
  const b = coef.shape[0];
  const cols = tf.split(coef, TARGET_COLUMNS.length, 1); // one dispatch per column, recorded with the rest
  return Object.fromEntries(TARGET_COLUMNS.map((c, j) => [c, tf.reshape(cols[j], c === 't' || c === 'tMid' ? [b] : [b, ...new Array(rank - 1).fill(1)])])) as Record<Column, tf.Tensor>;
}

/** One deterministic DDIM step (η = 0) of the frozen network from per-example coefficient tensors: z_t → [z_s, x̂]. */
function ddimStep(teacher: Teacher, z: tf.Tensor, t: tf.Tensor, xz: tf.Tensor, xo: tf.Tensor, alphaT: tf.Tensor, sigmaT: tf.Tensor, alphaS: tf.Tensor, sigmaS: tf.Tensor, clip: boolean): [tf.Tensor, tf.Tensor] {
  const out = teacher.apply(z, t as tf.Tensor1D);
  let xHat = tf.add(tf.mul(xz, z), tf.mul(xo, out));
  if (clip) xHat = tf.clipByValue(xHat, -1, 1);
  // ε̂ from x̂ (equal to the parameterization's own ε̂ when x̂ is not clipped): ε̂ = (z_t - α_t·x̂)/σ_t.
  const epsHat = tf.div(tf.sub(z, tf.mul(alphaT, xHat)), sigmaT);
  return [tf.add(tf.mul(alphaS, xHat), tf.mul(sigmaS, epsHat)), xHat];
}

/** x̃ from z_t: the teacher's two DDIM steps t → t′ → t″, then the closing equation of Algorithm 2 (x̂_η(z_t′) at t″ = 0). */
function targetFromColumns(teacher: Teacher, zT: tf.Tensor, k: Record<Column, tf.Tensor>, clip: boolean): tf.Tensor {
  const [zMid] = ddimStep(teacher, zT, k.t, k.xzT, k.xoT, k.alphaT, k.sigmaT, k.alphaMid, k.sigmaMid, clip);
  const [zEnd, xHatMid] = ddimStep(teacher, zMid, k.tMid, k.xzMid, k.xoMid, k.alphaMid, k.sigmaMid, k.alphaEnd, k.sigmaEnd, clip);
  const xTilde = tf.div(tf.sub(zEnd, tf.mul(k.ratio, zT)), k.denominator);
  return tf.add(xTilde, tf.mul(k.last, tf.sub(xHatMid, xTilde))); // both finite: α_t″/σ_t″ > α_t/σ_t, so the denominator is > 0
}

/**
 * A distillation batch from clean samples x and noise ε: z_t = α_t·x + σ_t·ε and its target x̃, with the
 * coefficients of targetCoefficients(). Only GPU work: the function a round records and replays.
 */
export function distillBatch(teacher: Teacher, x: tf.Tensor, eps: tf.Tensor, coef: tf.Tensor2D, clip: boolean): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const k = columns(coef, x.rank);
    const zT = diffuseWith(x, eps, k.alphaT, k.sigmaT);
    return [zT, targetFromColumns(teacher, zT, k, clip)];
  });
}

/** Algorithm 2's x̃ for a batch z_t at times (t, t′, t″) per example. */
export function distillationTarget(teacher: Teacher, zT: tf.Tensor, at: TimePoint[], aMid: TimePoint[], aEnd: TimePoint[], clip = false): tf.Tensor {
  return tf.tidy(() => targetFromColumns(teacher, zT, columns(targetCoefficients(teacher.config.parameterization, at, aMid, aEnd), zT.rank), clip));
}
