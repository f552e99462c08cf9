// What a sampler needs of a model: its parameterization, its schedule and a function from (z_t, t) to the
// raw network output. Samplers take this as an argument and never see the network itself.
import * as tf from '@tensorflow/tfjs';
import type { Parameterization, ScheduleConfig } from '../core/schedule';
import type { Network } from '../model/network';
import { type ReplayedForward, replayedForward } from '../model/replayedForward';

export interface Denoiser {
  readonly parameterization: Parameterization;
  readonly schedule: ScheduleConfig;
  /** Raw network output at time t (one t for the whole batch), shaped like z. */
  output(z: tf.Tensor, t: number): tf.Tensor;
  /** Frees what the denoiser holds on the GPU (recorded forward passes); the network stays the caller's. */
  dispose?(): void;
}

/**
 * The network as a denoiser. On WebGPU its forward pass is recorded on the first call of each batch shape
 * and replayed on the rest (src/model/replayedForward.ts): call dispose() when sampling is done.
 */
export function networkDenoiser(net: Network): Denoiser & { dispose(): void; readonly stats: ReplayedForward['stats'] } {
  const forward = replayedForward(net);
  return {
    parameterization: net.config.parameterization,
    schedule: net.config.schedule,
    output: (z, t) => tf.tidy(() => forward.apply(z, tf.fill([z.shape[0]], t) as tf.Tensor1D)),
    dispose: () => forward.dispose(),
    /** Forward passes recorded, replayed and run eagerly so far. */
    stats: forward.stats,
  };
}
