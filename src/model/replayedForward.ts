// A network's inference forward pass, recorded once per batch shape on WebGPU and replayed after
// (src/tensor/replay.ts): what samplers and a distillation round's frozen teacher call hundreds of times
// with the same shapes. Elsewhere (cpu, wasm, a gradient tape, dropout on) it is the network's own apply.
import type * as tf from '@tensorflow/tfjs';
import { kernelVariant } from '../kernels/customKernels';
import { ReplayCache } from '../tensor/replay';
import type { ApplyOptions, Network } from './network';

export interface ReplayedForward extends Pick<Network, 'config' | 'apply'> {
  /** Recordings made, replays run and eager calls, for tests and the benchmark. */
  readonly stats: ReplayCache['stats'];
  /** Frees the recordings (GPU buffers); the network itself stays the caller's. */
  dispose(): void;
}

export function replayedForward(net: Network): ReplayedForward {
  // Our kernels and tfjs's stock ones record different dispatches: a switch flipped between calls records anew.
  const cache = new ReplayCache(([z, t]) => net.apply(z, t as tf.Tensor1D), {
    variant: kernelVariant,
    watch: { tensors: () => [...net.params.values()] },
  });
  return {
    config: net.config,
    stats: cache.stats,
    apply: (z: tf.Tensor, t: tf.Tensor1D, opts?: ApplyOptions) => (opts?.training ? net.apply(z, t, opts) : cache.call([z, t])),
    dispose: () => cache.dispose(),
  };
}
