// One halving round (Salimans & Ho, Algorithm 2): the student starts as a copy of the teacher and learns
// to match, in one DDIM step of size 1/N, the teacher's two steps of size 1/(2N).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';
import { type LossWeighting, type Parameterization, type ScheduleConfig, timePoint } from '../core/schedule';
import type { BatchSource } from '../data/batchSource';
import { cloneNetwork } from '../model/build';
import { type ModelConfig, usesDropout } from '../model/config';
import type { Network } from '../model/network';
import { kernelVariant } from '../kernels/customKernels';
import { ReplayCache } from '../tensor/replay';
import { type XSpaceBatch, xSpaceCoefficients, xSpaceLoss } from '../train/diffusionLoss';
import { type TrainResult, Trainer, type TrainerOptions } from '../train/trainer';
import { distillBatch, distillTimes, targetCoefficients } from './target';

export interface RoundOptions extends Omit<TrainerOptions, 'schedule' | 'emaDecay' | 'startStep'> {
  /** N: the student's step count; the teacher samples with 2N. */
  studentSteps: number;
  batchSize: number;
  data: BatchSource;
  seed: number;
  weighting?: LossWeighting;
  /** Clip the teacher's x̂ to [-1, 1] (image data). */
  clip?: boolean;
}

export interface RoundResult {
  student: Network;
  result: TrainResult;
  /** How the batches (z_t and the teacher's target) were made: recorded, replayed, eager (webgpu records). */
  batches: { recordings: number; replays: number; eager: number };
}

/**
 * A student's config: its teacher's without dropout, as in the authors' distillation configs (google-research
 * diffusion_distillation, config/*_distill.py: the teacher's architecture "but with 0 dropout"). The student
 * fits its teacher's deterministic target; without dropout a step also depends on its batch alone, so on
 * webgpu it is recorded once and replayed.
 */
export function studentConfig(teacher: ModelConfig): ModelConfig {
  return teacher.network.arch === 'unet' ? { ...teacher, network: { ...teacher.network, dropout: 0 } } : teacher;
}

/** What one step's batch of a round is drawn from. */
export interface RoundBatchSpec {
  studentSteps: number;
  batchSize: number;
  data: BatchSource;
  parameterization: Parameterization;
  schedule: ScheduleConfig;
  weighting: LossWeighting;
}

/**
 * One step's batch of Algorithm 2: x from the data, i uniform in {1, …, N} per example (t = 1 too, so the
 * student's first step is distilled), ε, then `target` (the frozen teacher's two DDIM steps) gives z_t and
 * x̃ from the coefficients at (t, t′, t″); the student's x̂ coefficients, its time input and w(λ) are at t = i/N.
 * Runs under the trainer's tidy.
 */
export function roundBatch(spec: RoundBatchSpec, rng: Rng, target: (x: tf.Tensor, eps: tf.Tensor, coef: tf.Tensor2D) => [tf.Tensor, tf.Tensor]): XSpaceBatch {
  const { studentSteps: n, batchSize, data, parameterization, schedule, weighting } = spec;
  const x = data(batchSize, rng);
  const times = Array.from({ length: batchSize }, () => distillTimes(1 + rng.int(n), n));
  const at = times.map((k) => timePoint(k.t, schedule));
  const aMid = times.map((k) => timePoint(k.tMid, schedule));
  const aEnd = times.map((k) => timePoint(k.tEnd, schedule));
  const eps = tf.tensor(rng.normals(x.size), x.shape);
  const [zT, xTarget] = target(x, eps, targetCoefficients(parameterization, at, aMid, aEnd));
  return { zT, xTarget, ...xSpaceCoefficients(at, parameterization, weighting, x.rank) };
}

/** Trains a new student from `teacher` (left untouched). The caller owns the student. */
export async function distillRound(teacher: Network, opts: RoundOptions): Promise<RoundResult> {
  const { studentSteps: n, batchSize, data, seed, weighting = 'snr_trunc', clip = false } = opts;
  const { parameterization, schedule } = teacher.config;
  const student = cloneNetwork(teacher, studentConfig(teacher.config));
  const rng = new Rng(seed);
  // Optimizer reset each round (a fresh Trainer); lr decays linearly to 0 over the round.
  // Without dropout the loss depends on the batch alone: on webgpu a step is recorded once and replayed.
  const trainer = new Trainer(student.params, { replaySteps: !usesDropout(student.config), ...opts, schedule: 'linear-decay' });
  // A batch (z_t, then the frozen teacher's two DDIM steps and the target) is the same GPU work every step at
  // one batch shape: recorded once, replayed after, with x, ε and the per-example coefficients as its inputs.
  const batches = new ReplayCache(([x, eps, coef]) => distillBatch(teacher, x, eps, coef as tf.Tensor2D, clip), {
    variant: kernelVariant,
    watch: { tensors: () => [...teacher.params.values()] },
  });
  try {
    const result = await trainer.run(
      () => roundBatch({ studentSteps: n, batchSize, data, parameterization, schedule, weighting }, rng, (x, eps, coef) => batches.call([x, eps, coef]) as [tf.Tensor, tf.Tensor]),
      (b, step) => xSpaceLoss(student, b, seed + step),
    );
    return { student, result, batches: { ...batches.stats } };
  } catch (e) {
    student.dispose();
    throw e;
  } finally {
    batches.dispose();
    trainer.dispose();
  }
}
