// Teacher training in continuous time: t ~ U[0, 1], z_t = α_t·x + σ_t·ε, the weighted x-space loss of
// the configured parameterization (v and truncated-SNR weighting by default, Salimans & Ho Section 4).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';
import type { LossWeighting } from '../core/schedule';
import type { BatchSource } from '../data/batchSource';
import { usesDropout } from '../model/config';
import type { Network } from '../model/network';
import { type XSpaceBatch, diffuse, timePoints, xSpaceCoefficients, xSpaceLoss } from './diffusionLoss';
import { type TrainResult, Trainer, type TrainerOptions } from './trainer';

export interface TeacherTrainingOptions extends TrainerOptions {
  batchSize: number;
  data: BatchSource;
  seed: number;
  weighting?: LossWeighting;
  /** Receives the trainer before the first step (to save its optimizer/EMA state from a hook). */
  onTrainer?: (t: Trainer) => void;
}

export interface TeacherTrainingRun {
  trainer: Trainer;
  result: TrainResult;
}

/** Trains `net` in place. The caller owns the returned trainer (its EMA weights) and disposes it. */
export async function trainTeacher(net: Network, opts: TeacherTrainingOptions): Promise<TeacherTrainingRun> {
  const { batchSize, data, seed, weighting = 'snr_trunc' } = opts;
  const { parameterization, schedule } = net.config;
  // One generator per run, advanced from the resume point so a resumed run does not repeat its draws.
  const rng = new Rng(seed + 7919 * (opts.startStep ?? 0));
  // Without dropout the loss depends on the batch alone: on webgpu a step is recorded once and replayed.
  const trainer = new Trainer(net.params, { schedule: 'constant', replaySteps: !usesDropout(net.config), ...opts });
  opts.onTrainer?.(trainer);
  const result = await trainer.run(
    (): XSpaceBatch => {
      const x = data(batchSize, rng);
      const points = timePoints(Array.from({ length: batchSize }, () => rng.uniform()), schedule);
      const eps = tf.tensor(rng.normals(x.size), x.shape);
      return { zT: diffuse(x, eps, points), xTarget: x, ...xSpaceCoefficients(points, parameterization, weighting, x.rank) };
    },
    (b, step) => xSpaceLoss(net, b, seed + step),
  );
  return { trainer, result };
}
