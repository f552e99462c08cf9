// Small checkpoints made in Node for the browser tests: an (untrained) 2D toy teacher, quick to sample and to
// distill on SwiftShader, and a corrupt file.
import { DEFAULT_SCHEDULE } from '../../src/core/schedule';
import { readCheckpoint, weightsFromNetwork, writeCheckpoint } from '../../src/io/checkpoint';
import { initBackend } from '../../src/tensor/backend';
import { buildNetwork } from '../../src/model/build';
import type { ModelConfig } from '../../src/model/config';

/** Narrow on purpose: SwiftShader runs every dispatch on the CPU. */
export const TINY_TOY_CONFIG: ModelConfig = {
  network: { arch: 'mlp', hidden: 32, blocks: 1, embedDim: 16 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: DEFAULT_SCHEDULE,
  conditioning: 't',
};

/** A UNet of MNIST's shape with a handful of channels: the image path (grids, x̂ strips) at SwiftShader speed. */
export const TINY_UNET_CONFIG: ModelConfig = {
  network: { arch: 'unet', channels: [8, 8, 8], resBlocks: 1, attention: false, groups: 4, embedDim: 16, dropout: 0 },
  data: { kind: 'image', height: 28, width: 28, channels: 1, name: 'mnist' },
  parameterization: 'v',
  schedule: DEFAULT_SCHEDULE,
  conditioning: 't',
};

async function freshTeacher(config: ModelConfig, seed: number): Promise<Uint8Array> {
  await initBackend('cpu');
  const net = buildNetwork(config, seed);
  try {
    const weights = await weightsFromNetwork(net);
    return writeCheckpoint({ config, role: 'teacher', steps: null, lineage: null, weights });
  } finally {
    net.dispose();
  }
}

export const tinyToyTeacher = (seed = 3) => freshTeacher(TINY_TOY_CONFIG, seed);
export const tinyUnetTeacher = (seed = 5) => freshTeacher(TINY_UNET_CONFIG, seed);

/**
 * A student whose lineage names `teacherBytes` as its teacher but whose network is another width: what the
 * compatibility check must refuse, whichever of the two is loaded first.
 */
export async function misfitStudentOf(teacherBytes: Uint8Array): Promise<Uint8Array> {
  await initBackend('cpu');
  const config: ModelConfig = { ...TINY_TOY_CONFIG, network: { ...TINY_TOY_CONFIG.network, hidden: 64 } as ModelConfig['network'] };
  const net = buildNetwork(config, 9);
  try {
    const weights = await weightsFromNetwork(net);
    const lineage = { teacherHash: readCheckpoint(teacherBytes).hash, teacherSteps: 8, stage: 1, iterations: 10, finalLoss: 0.1 };
    return writeCheckpoint({ config, role: 'student', steps: 4, lineage, weights });
  } finally {
    net.dispose();
  }
}

/** A toy teacher with finite weights so large that its outputs overflow float32: it loads, but cannot teach. */
export async function overflowingTeacher(): Promise<Uint8Array> {
  const c = readCheckpoint(await tinyToyTeacher(31));
  const weights = new Map([...c.weights].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((v) => v * 1e30) }]));
  return writeCheckpoint({ ...c, weights }, 'F32');
}

/** Bytes that claim a 1 GB safetensors header: the reader must refuse them with a one-line reason. */
export function corruptCheckpoint(): Uint8Array {
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setBigUint64(0, 1_000_000_000n, true);
  return bytes;
}

/** The content hash a link uses to name a model (its first 8 hex digits). */
export function hashPrefix(bytes: Uint8Array): string {
  return readCheckpoint(bytes).hash.slice(0, 8);
}
