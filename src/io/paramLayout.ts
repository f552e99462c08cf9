// The tensor names and shapes a config's network needs, known from the config alone, so a checkpoint with a
// missing, extra or mis-shaped tensor is refused when it is read rather than deep inside buildNetwork.
// The shape check matters most for files written elsewhere: ParamBuilder only compares element counts, so a
// PyTorch Linear weight left as [out, in] would load silently transposed. Mirrors src/model/mlp.ts and
// src/model/unet.ts; tests/io/paramLayout.test.ts builds the real networks and compares, so they cannot
// drift apart silently.
import type { ModelConfig, UnetConfig } from '../model/config';

/** name → shape in tfjs layouts (dense kernels [in, out], conv filters [kh, kw, in, out]), in creation order. */
export function expectedParamShapes(config: ModelConfig): Map<string, number[]> {
  const net = config.network;
  if (net.arch === 'unet') return unetShapes(net, config.data.kind === 'image' ? config.data.channels : 1);
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

function unetShapes(net: UnetConfig, imageChannels: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const [c0, c1, c2] = net.channels;
  const tDim = 4 * c0;
  const affine = (name: string, weight: number[], co: number) => {
    shapes.set(`${name}.weight`, weight);
    shapes.set(`${name}.bias`, [co]);
  };
  const conv = (name: string, k: number, ci: number, co: number) => affine(name, [k, k, ci, co], co);
  const linear = (name: string, ci: number, co: number) => affine(name, [ci, co], co);
  const norm = (name: string, c: number) => affine(name, [c], c);
  const res = (name: string, ci: number, co: number) => {
    norm(`${name}.norm1`, ci);
    conv(`${name}.conv1`, 3, ci, co);
    linear(`${name}.temb`, tDim, co);
    norm(`${name}.norm2`, co);
    conv(`${name}.conv2`, 3, co, co);
    if (ci !== co) conv(`${name}.skip`, 1, ci, co);
  };
  const resStack = (name: string, ci: number, co: number) => {
    for (let k = 0; k < net.resBlocks; k++) res(`${name}.res.${k}`, k === 0 ? ci : co, co);
  };
  linear('temb.0', net.embedDim, tDim);
  linear('temb.1', tDim, tDim);
  conv('in', 3, imageChannels, c0);
  resStack('down.0', c0, c0);
  conv('down.0.downsample', 3, c0, c0);
  resStack('down.1', c0, c1);
  conv('down.1.downsample', 3, c1, c1);
  res('mid.res.0', c1, c2);
  if (net.attention) {
    norm('mid.attn.norm', c2);
    linear('mid.attn.qkv', c2, 3 * c2);
    linear('mid.attn.proj', c2, c2);
  }
  res('mid.res.1', c2, c2);
  conv('up.1.upsample', 3, c2, c1);
  resStack('up.1', 2 * c1, c1);
  conv('up.0.upsample', 3, c1, c0);
  resStack('up.0', 2 * c0, c0);
  norm('out.norm', c0);
  conv('out', 3, c0, imageChannels);
  return shapes;
}
