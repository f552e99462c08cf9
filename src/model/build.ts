// Builds the network a ModelConfig names, fresh (seeded init) or from checkpoint weights.
import type { ModelConfig } from './config';
import { createMlp } from './mlp';
import type { Network } from './network';
import { createUnet } from './unet';

export type NetworkFactory = (config: ModelConfig, seed: number, weights?: ReadonlyMap<string, Float32Array>) => Network;

const factories: Record<ModelConfig['network']['arch'], NetworkFactory> = {
  mlp: createMlp,
  unet: createUnet,
};

export function buildNetwork(config: ModelConfig, seed = 0, weights?: ReadonlyMap<string, Float32Array>): Network {
  const factory = factories[config.network.arch];
  if (!factory) throw new Error(`no network registered for arch '${config.network.arch}'`);
  return factory(config, seed, weights);
}

/**
 * A new network with a copy of `net`'s current weights (GPU to GPU, no readback), built from `config`: `net`'s
 * own unless given, which must lay out the same weights (a training setting such as dropout may differ).
 */
export function cloneNetwork(net: Network, config: ModelConfig = net.config): Network {
  const copy = buildNetwork(config, 0);
  for (const [name, v] of net.params) {
    const target = copy.params.get(name);
    if (!target) throw new Error(`clone: parameter '${name}' missing from the rebuilt network`);
    target.assign(v);
  }
  return copy;
}
