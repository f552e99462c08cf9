// The io layer's copy of each network's parameter layout must equal what the real networks create, and a
// network's weights must survive weightsFromNetwork → writeCheckpoint → readCheckpoint → buildNetwork.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, weightsFromNetwork, writeCheckpoint } from '../../src/io/checkpoint';
import { expectedParamShapes } from '../../src/io/paramLayout';
import { buildNetwork } from '../../src/model/build';
import { quietNodeBanner } from '../../src/tensor/backend';
import type { ModelConfig } from '../../src/model/config';

beforeAll(async () => {
  await tf.setBackend('cpu');
  quietNodeBanner();
});

const schedule = { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 } as const;
const mlp = (hidden: number, blocks: number, embedDim: number): ModelConfig => ({
  network: { arch: 'mlp', hidden, blocks, embedDim },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule,
  conditioning: 't',
});
const unet = (channels: [number, number, number], resBlocks: number, attention: boolean, imageChannels: 1 | 3): ModelConfig => ({
  network: { arch: 'unet', channels, resBlocks, attention, groups: 4, embedDim: 16, dropout: 0 },
  data: { kind: 'image', height: 8, width: 8, channels: imageChannels, name: 'test' },
  parameterization: 'eps',
  schedule,
  conditioning: 't',
});

describe('expectedParamShapes', () => {
  const configs: [string, ModelConfig][] = [
    ['mlp 8x1', mlp(8, 1, 4)],
    ['mlp 16x3', mlp(16, 3, 8)],
    ['unet 8/16/16, 1 res block, attention, 1 channel', unet([8, 16, 16], 1, true, 1)],
    ['unet 8/8/16, 2 res blocks, no attention, 3 channels', unet([8, 8, 16], 2, false, 3)],
  ];
  for (const [name, config] of configs) {
    it(`matches the parameters buildNetwork creates: ${name}`, () => {
      const net = buildNetwork(config, 1);
      try {
        const actual = [...net.params].map(([n, v]) => [n, v.shape]);
        expect([...expectedParamShapes(config)]).toEqual(actual);
      } finally {
        net.dispose();
      }
    });
  }
});

describe('weightsFromNetwork', () => {
  it('round-trips a network through a checkpoint: same tensors, same outputs', async () => {
    const config = mlp(16, 2, 8);
    const net = buildNetwork(config, 42);
    const weights = await weightsFromNetwork(net);
    expect([...weights.keys()]).toEqual([...net.params.keys()]);
    const back = readCheckpoint(writeCheckpoint({ config, role: 'teacher', steps: null, lineage: null, weights }));
    expect([...back.weights.keys()]).toEqual([...net.params.keys()]);

    const rebuilt = buildNetwork(back.config, 7, new Map([...back.weights].map(([n, t]) => [n, t.data])));
    const z = tf.tensor2d([[0.5, -1], [2, 0.25], [-0.3, 0.1]]);
    const t = tf.tensor1d([0.1, 0.5, 0.9]);
    const a = net.apply(z, t);
    const b = rebuilt.apply(z, t);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([z, t, a, b]);
    net.dispose();
    rebuilt.dispose();
  });

  it('copies the values: later training steps do not change a saved map', async () => {
    const net = buildNetwork(mlp(4, 1, 4), 3);
    const weights = await weightsFromNetwork(net);
    const before = Array.from(weights.get('in.weight')!.data);
    const v = net.params.get('in.weight')!;
    v.assign(tf.zerosLike(v));
    expect(Array.from(weights.get('in.weight')!.data)).toEqual(before);
    net.dispose();
  });
});
