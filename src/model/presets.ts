// The configs the project trains: the 2D toy teacher (CLI and the browser's toy mode) and the MNIST teacher.
import { DEFAULT_SCHEDULE, type Parameterization } from '../core/schedule';
import type { ModelConfig } from './config';

/** The toy teacher: a 3-block residual MLP of width 128 learns every 2D set in ~2,000 steps; v-prediction as in the paper. */
export function toyConfig(name: string, hidden = 128, blocks = 3, parameterization: Parameterization = 'v'): ModelConfig {
  return { network: { arch: 'mlp', hidden, blocks, embedDim: 32 }, data: { kind: 'toy2d', name }, parameterization, schedule: DEFAULT_SCHEDULE, conditioning: 't' };
}

/**
 * The MNIST UNet: by default the 0.5M-parameter network of the PyTorch reference (32/64/64, GroupNorm,
 * dropout 0.1). The shipped teacher, trained on the CPU, is the 16/32/32 variant without dropout (README, MNIST).
 */
export function mnistConfig(channels: number[] = [32, 64, 64], parameterization: Parameterization = 'v', dropout = 0.1): ModelConfig {
  return {
    network: { arch: 'unet', channels, resBlocks: 1, attention: false, groups: 8, embedDim: 64, dropout },
    data: { kind: 'image', height: 28, width: 28, channels: 1, name: 'mnist' },
    parameterization, schedule: DEFAULT_SCHEDULE, conditioning: 't',
  };
}
