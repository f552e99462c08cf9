// The distillation target of Salimans & Ho (2022), Algorithm 2. For a student of N steps and t = i/N:
//   t′ = t - 0.5/N,  t″ = t - 1/N
//   z_t′ = α_t′·x̂_η(z_t) + (σ_t′/σ_t)·(z_t - α_t·x̂_η(z_t))         (teacher DDIM step)
//   z_t″ = α_t″·x̂_η(z_t′) + (σ_t″/σ_t′)·(z_t′ - α_t′·x̂_η(z_t′))    (teacher DDIM step)
//   x̃ = (z_t″ - (σ_t″/σ_t)·z_t) / (α_t″ - (σ_t″/σ_t)·α_t)
// so that one student DDIM step from z_t with x̂ = x̃ lands exactly on z_t″.
import * as tf from '@tensorflow/tfjs';
import { predictionCoefficients } from '../core/ddimCoefficients';
import type { TimePoint } from '../core/schedule';
import type { Network } from '../model/network';
import { perExample } from '../train/diffusionLoss';

/** What the target needs of the frozen teacher: a Network, or its replayed forward pass (src/model/replayedForward.ts). */
export type Teacher = Pick<Network, 'config' | 'apply'>;

/** Student times of Algorithm 2 for i ∈ {1, …, N}: t, t′ and t″. */
export function distillTimes(i: number, studentSteps: number): { t: number; tMid: number; tEnd: number } {
  const t = i / studentSteps;
  return { t, tMid: t - 0.5 / studentSteps, tEnd: t - 1 / studentSteps };
}

/** One deterministic DDIM step (η = 0) of the frozen network with per-example times: z_t → z_s. */
export function teacherDdimStep(teacher: Teacher, z: tf.Tensor, at: TimePoint[], as: TimePoint[], clip: boolean): tf.Tensor {
  return tf.tidy(() => {
    const p = teacher.config.parameterization;
    const c = at.map((a) => predictionCoefficients(p, a));
    const out = teacher.apply(z, tf.tensor1d(at.map((a) => a.t)));
    let xHat = tf.add(tf.mul(perExample(c.map((k) => k.xz), z.rank), z), tf.mul(perExample(c.map((k) => k.xo), z.rank), out));
    if (clip) xHat = tf.clipByValue(xHat, -1, 1);
    // ε̂ from x̂ (equal to the parameterization's own ε̂ when x̂ is not clipped): ε̂ = (z_t - α_t·x̂)/σ_t.
    const epsHat = tf.div(tf.sub(z, tf.mul(perExample(at.map((a) => a.alpha), z.rank), xHat)), perExample(at.map((a) => a.sigma), z.rank));
    return tf.add(tf.mul(perExample(as.map((a) => a.alpha), z.rank), xHat), tf.mul(perExample(as.map((a) => a.sigma), z.rank), epsHat));
  });
}

/** x̃ from z_t and the teacher's z_t″ (the closing equation of Algorithm 2's target). */
export function targetFromEndpoints(zT: tf.Tensor, zEnd: tf.Tensor, at: TimePoint[], aEnd: TimePoint[]): tf.Tensor {
  return tf.tidy(() => {
    const r = aEnd.map((e, k) => e.sigma / at[k].sigma); // σ_t″/σ_t
    const num = tf.sub(zEnd, tf.mul(perExample(r, zT.rank), zT));
    const den = perExample(aEnd.map((e, k) => e.alpha - r[k] * at[k].alpha), zT.rank);
    return tf.div(num, den);
  });
}

/** Algorithm 2's x̃ for a batch: two teacher DDIM steps t → t′ → t″, then solve for x̃. */
export function distillationTarget(teacher: Teacher, zT: tf.Tensor, at: TimePoint[], aMid: TimePoint[], aEnd: TimePoint[], clip = false): tf.Tensor {
  return tf.tidy(() => {
    const zMid = teacherDdimStep(teacher, zT, at, aMid, clip);
    const zEnd = teacherDdimStep(teacher, zMid, aMid, aEnd, clip);
    return targetFromEndpoints(zT, zEnd, at, aEnd);
  });
}
