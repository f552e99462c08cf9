// The tensor names and shapes a config's network needs, known from the config alone, so a checkpoint with a
// missing, extra or mis-shaped tensor is refused when it is read rather than deep inside buildNetwork.
// Mirrors src/model/mlp.ts; tests/io/paramLayout.test.ts builds the real network and compares, so the two
// cannot drift apart silently.
import type { ModelConfig } from '../model/config';

/** name → shape in tfjs layouts (dense kernels [in, out]), in creation order; null when the arch's layout is not mirrored here. */
export function expectedParamShapes(config: ModelConfig): Map<string, number[]> | null {
  const net = config.network;
  if (net.arch !== 'mlp') return null;
  const { hidden: h, blocks, embedDim } = net;
  const shapes = new Map<string, number[]>([
    ['in.weight', [2, h]],
    ['in.bias', [h]],
    ['temb.0.weight', [embedDim, h]],
    ['temb.0.bias', [h]],
    ['temb.1.weight', [h, h]],
    ['temb.1.bias', [h]],
  ]);
  for (let i = 0; i < blocks; i++) {
    for (const layer of ['fc1', 'temb', 'fc2']) {
      shapes.set(`blocks.${i}.${layer}.weight`, [h, h]);
      shapes.set(`blocks.${i}.${layer}.bias`, [h]);
    }
  }
  shapes.set('out.weight', [h, 2]);
  shapes.set('out.bias', [2]);
  return shapes;
}
