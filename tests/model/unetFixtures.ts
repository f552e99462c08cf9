// Model configs shared by the UNet tests: the MNIST net of the docs and tiny ones the cpu backend runs fast;
// and weights moved off a fresh network's initialization.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/model/config';
import { modelConfigSchema } from '../../src/model/config';
import type { Network } from '../../src/model/network';

/**
 * Adds seeded N(0, std²) noise to every weight. A fresh UNet's output convolution is zero, so every output is
 * exactly 0 and a comparison of two forward passes (or of their gradients) would compare zeros.
 */
export function perturbWeights(net: Network, std = 0.2, seed = 100): void {
  for (const v of net.params.values()) {
    const moved = tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, std, 'float32', seed++)));
    v.assign(moved);
    moved.dispose();
  }
}

export function unetConfig(opts: { channels?: [number, number, number]; resBlocks?: number; attention?: boolean; groups?: number; dropout?: number; size?: [number, number, 1 | 3] } = {}): ModelConfig {
  const [height, width, channels] = opts.size ?? [28, 28, 1];
  return modelConfigSchema.parse({
    network: {
      arch: 'unet',
      channels: opts.channels ?? [4, 8, 8],
      resBlocks: opts.resBlocks ?? 1,
      attention: opts.attention ?? true,
      groups: opts.groups ?? 2,
      embedDim: 16,
      dropout: opts.dropout ?? 0,
    },
    data: { kind: 'image', height, width, channels, name: 'test' },
    parameterization: 'v',
    schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
    conditioning: 't',
  });
}

/** The MNIST teacher of the README (MNIST): channels 32/64/64, one res block per level, attention at 7×7. */
export function mnistUnetConfig(): ModelConfig {
  return modelConfigSchema.parse({
    network: { arch: 'unet', channels: [32, 64, 64], resBlocks: 1, attention: true, groups: 8, embedDim: 64, dropout: 0 },
    data: { kind: 'image', height: 28, width: 28, channels: 1, name: 'mnist' },
    parameterization: 'v',
    schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
    conditioning: 't',
  });
}
