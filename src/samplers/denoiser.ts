// What a sampler needs of a model: its parameterization, its schedule and a function from (z_t, t) to the
// raw network output. Samplers take this as an argument and never see the network itself.
import * as tf from '@tensorflow/tfjs';
import type { Parameterization, ScheduleConfig } from '../core/schedule';
import type { Network } from '../model/network';

export interface Denoiser {
  readonly parameterization: Parameterization;
  readonly schedule: ScheduleConfig;
  /** Raw network output at time t (one t for the whole batch), shaped like z. */
  output(z: tf.Tensor, t: number): tf.Tensor;
}

export function networkDenoiser(net: Network): Denoiser {
  return {
    parameterization: net.config.parameterization,
    schedule: net.config.schedule,
    output: (z, t) => tf.tidy(() => net.apply(z, tf.fill([z.shape[0]], t) as tf.Tensor1D)),
  };
}
