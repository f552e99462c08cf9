// The one interface every denoiser network implements. Parameters are named exactly as their
// checkpoint tensors; layouts are tfjs's (dense kernels [in, out], conv filters [kh, kw, in, out]).
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';

export interface ApplyOptions {
  /** Enables dropout. */
  training?: boolean;
  /** Seed for dropout masks, so a training step is reproducible. */
  seed?: number;
}

export interface Network {
  readonly config: ModelConfig;
  /** Owned by the network: `dispose()` frees them. Insertion order is the checkpoint's tensor order. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /**
   * The raw network output (v̂, x̂ or ε̂ as the config's parameterization says) for a batch.
   * z: [B, ...sampleShape], t: [B] continuous time in [0, 1]. Returns a tensor shaped like z.
   */
  apply(z: tf.Tensor, t: tf.Tensor1D, opts?: ApplyOptions): tf.Tensor;
  dispose(): void;
}

export function parameterCount(net: Pick<Network, 'params'>): number {
  let n = 0;
  for (const v of net.params.values()) n += v.size;
  return n;
}
