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

export async function tinyToyTeacher(seed = 3): Promise<Uint8Array> {
  await initBackend('cpu');
  const net = buildNetwork(TINY_TOY_CONFIG, seed);
  try {
    const weights = await weightsFromNetwork(net);
    return writeCheckpoint({ config: TINY_TOY_CONFIG, role: 'teacher', steps: null, lineage: null, weights });
  } finally {
    net.dispose();
  }
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
