// A small UNet denoiser for images (the DDPM architecture at MNIST scale), conditioned on continuous t.
// NHWC throughout; H and W divisible by 4; any batch size. With c = channels, T = 4·c₀:
//
//   e = W₂·SiLU(W₁·sinusoid(t))                                                   [B, T]
//   h = conv_in(z)                                                                [B, H, W, c₀]
//   down.0: resBlocks × Res(→c₀)              → skip s₀; stride-2 conv          [B, H/2, W/2, c₀]
//   down.1: resBlocks × Res(→c₁)              → skip s₁; stride-2 conv          [B, H/4, W/4, c₁]
//   mid:    Res(c₁→c₂), self-attention (if config.attention), Res(c₂→c₂)         [B, H/4, W/4, c₂]
//   up.1:   nearest ×2, conv c₂→c₁, concat s₁, Res(2c₁→c₁), (resBlocks-1) × Res  [B, H/2, W/2, c₁]
//   up.0:   nearest ×2, conv c₁→c₀, concat s₀, Res(2c₀→c₀), (resBlocks-1) × Res  [B, H, W, c₀]
//   out = conv_out(SiLU(GN(h)))                 zero-initialised, so the untrained network outputs 0
//
//   Res(ci→co): u = conv₁(SiLU(GN(x))) + P·SiLU(e);  u = conv₂(Dropout(SiLU(GN(u))));  x' = skip(x) + u
//   (skip is a 1×1 conv when ci ≠ co, else the identity; as in Ho et al. 2020, Appendix B.)
//
// Parameter (= checkpoint tensor) names, in creation order:
//   temb.{0,1}.{weight,bias}                       dense [embedDim, T], [T, T]
//   in.{weight,bias}                               conv [3, 3, C, c₀]
//   down.{0,1}.res.{k}.<res>, down.{0,1}.downsample.{weight,bias}
//   mid.res.0.<res>, mid.attn.<attn>, mid.res.1.<res>
//   up.{1,0}.upsample.{weight,bias}, up.{1,0}.res.{k}.<res>
//   out.norm.{weight,bias}, out.{weight,bias}
//   <res>  = norm1.{weight,bias}, conv1.{weight,bias}, temb.{weight,bias} [T, co], norm2.{weight,bias},
//            conv2.{weight,bias}, and skip.{weight,bias} [1, 1, ci, co] when ci ≠ co
//   <attn> = norm.{weight,bias}, qkv.{weight,bias} [c, 3c] (q, k, v in that order), proj.{weight,bias} [c, c]
// Conv filters are [kh, kw, in, out], dense kernels [in, out], GroupNorm scales and offsets [channels].
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';
import { conv2d } from '../kernels/conv2d';
import { groupNorm } from '../kernels/groupNorm';
import type { ModelConfig, UnetConfig } from './config';
import { ParamBuilder, dense, disposeParams, silu, timeEmbedding } from './layers';
import type { ApplyOptions, Network } from './network';

/**
 * Nearest-neighbour ×2 upsampling, [B, H, W, C] → [B, 2H, 2W, C]: out[y, x] = in[⌊y/2⌋, ⌊x/2⌋]. On webgpu and cpu
 * as two rank-4 broadcasts (their gradient is a plain sum); on wasm, whose Tile kernel walks every output index
 * (~40 ms at batch 32 of 28×28×32, a tenth of an MNIST training step), as tfjs's ResizeNearestNeighbor, which
 * with half-pixel centres off reads in[⌊y·H/2H⌋] = in[⌊y/2⌋], the same values.
 */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (tf.getBackend() === 'wasm') return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false);
  const cols = tf.broadcastTo(tf.reshape(x, [b * h, w, 1, c]), [b * h, w, 2, c]); // [B·H, W, 2, C]
  const rows = tf.broadcastTo(tf.reshape(cols, [b * h, 1, 2 * w, c]), [b * h, 2, 2 * w, c]); // [B·H, 2, 2W, C]
  return tf.reshape(rows, [b, 2 * h, 2 * w, c]); // [B, 2H, 2W, C]
}

interface Conv { w: tf.Variable; b: tf.Variable }
interface Norm { w: tf.Variable; b: tf.Variable }
interface ResBlock { co: number; norm1: Norm; conv1: Conv; temb: Conv; norm2: Norm; conv2: Conv; skip?: Conv }
interface Attention { norm: Norm; qkv: Conv; proj: Conv }

/** A training step without a seed still gets a dropout seed: from [0, 2³¹). */
const SEED_RANGE = 2 ** 31;

/** The dropout table's own seed: its values are fixed, the per-step offsets carry the randomness. */
const TABLE_SEED = 0x0d5e;

/**
 * Dropout masks made on the device. tf.dropout draws its uniforms in JavaScript (~25 ns each; an MNIST
 * training step at batch 128 needs ~10M, more time than the GPU step itself) and uploads them. Here one table
 * of seeded uniforms is uploaded once, and a mask over n values is
 *   u_i = fract(table[o₁ + i] + table[o₂ + i]),  keep where u_i ≥ rate,
 * with offsets o₁, o₂ drawn per block and step: the sum of two independent uniforms mod 1 is uniform.
 * Owned by one network, which disposes it.
 */
export class DropoutTable {
  private table: tf.Tensor1D | null = null;

  /** x scaled by 1/(1 - rate) where kept, 0 elsewhere; offsets from `rng`. Call inside tf.tidy. */
  apply(x: tf.Tensor, rate: number, rng: Rng): tf.Tensor {
    const n = x.size;
    const table = this.ensure(n);
    const span = table.size - n + 1;
    const u = tf.add(tf.slice(table, rng.int(span), n), tf.slice(table, rng.int(span), n)); // [n] in [0, 2)
    const keep = tf.cast(tf.greaterEqual(tf.sub(u, tf.floor(u)), rate), 'float32'); // [n]
    return tf.mul(x, tf.reshape(tf.mul(keep, 1 / (1 - rate)), x.shape));
  }

  /** At least 2n values (and 2²⁰), so offsets have room; regrown for a bigger batch, with the same prefix. */
  private ensure(n: number): tf.Tensor1D {
    if (this.table && this.table.size >= 2 * n) return this.table;
    this.dispose();
    const size = Math.max(1 << 20, 2 ** Math.ceil(Math.log2(2 * n)));
    const rng = new Rng(TABLE_SEED);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.uniform();
    this.table = tf.keep(tf.tensor1d(values));
    return this.table;
  }

  dispose(): void {
    this.table?.dispose();
    this.table = null;
  }
}

export function createUnet(config: ModelConfig, seed: number, weights?: ReadonlyMap<string, Float32Array>): Network {
  const net = config.network as UnetConfig;
  if (net.arch !== 'unet') throw new Error('createUnet needs a unet config');
  if (config.data.kind !== 'image') throw new Error('createUnet needs image data');
  const { height, width, channels: imageChannels } = config.data;
  if (height % 4 !== 0 || width % 4 !== 0) throw new Error(`unet image size must be divisible by 4, got ${height}x${width}`);
  const { channels, resBlocks, attention, groups, embedDim, dropout } = net;
  for (const c of channels) if (c % groups !== 0) throw new Error(`unet channels ${c} not divisible by groups=${groups}`);
  const [c0, c1, c2] = channels;
  const tDim = 4 * c0; // DDPM's time-embedding width: 4× the base channel count.

  const p = new ParamBuilder(seed, weights);
  const conv = (name: string, k: number, ci: number, co: number, gain = 1): Conv => ({
    w: p.weight(`${name}.weight`, [k, k, ci, co], gain),
    b: p.constant(`${name}.bias`, [co], 0),
  });
  const linear = (name: string, ci: number, co: number, gain = 1): Conv => ({
    w: p.weight(`${name}.weight`, [ci, co], gain),
    b: p.constant(`${name}.bias`, [co], 0),
  });
  const norm = (name: string, c: number): Norm => ({ w: p.constant(`${name}.weight`, [c], 1), b: p.constant(`${name}.bias`, [c], 0) });
  const res = (name: string, ci: number, co: number): ResBlock => ({
    co,
    norm1: norm(`${name}.norm1`, ci),
    conv1: conv(`${name}.conv1`, 3, ci, co),
    temb: linear(`${name}.temb`, tDim, co),
    norm2: norm(`${name}.norm2`, co),
    conv2: conv(`${name}.conv2`, 3, co, co),
    skip: ci === co ? undefined : conv(`${name}.skip`, 1, ci, co),
  });
  const resStack = (name: string, ci: number, co: number): ResBlock[] =>
    Array.from({ length: resBlocks }, (_, k) => res(`${name}.res.${k}`, k === 0 ? ci : co, co));

  const temb0 = linear('temb.0', embedDim, tDim);
  const temb1 = linear('temb.1', tDim, tDim);
  const convIn = conv('in', 3, imageChannels, c0);
  const down0 = resStack('down.0', c0, c0);
  const downsample0 = conv('down.0.downsample', 3, c0, c0);
  const down1 = resStack('down.1', c0, c1);
  const downsample1 = conv('down.1.downsample', 3, c1, c1);
  const mid0 = res('mid.res.0', c1, c2);
  const attn: Attention | undefined = attention
    ? { norm: norm('mid.attn.norm', c2), qkv: linear('mid.attn.qkv', c2, 3 * c2), proj: linear('mid.attn.proj', c2, c2) }
    : undefined;
  const mid1 = res('mid.res.1', c2, c2);
  const upsample1 = conv('up.1.upsample', 3, c2, c1);
  const up1 = resStack('up.1', 2 * c1, c1);
  const upsample0 = conv('up.0.upsample', 3, c1, c0);
  const up0 = resStack('up.0', 2 * c0, c0);
  const outNorm = norm('out.norm', c0);
  const convOut = { w: p.constant('out.weight', [3, 3, c0, imageChannels], 0), b: p.constant('out.bias', [imageChannels], 0) };
  const params = p.params;
  const dropoutTable = new DropoutTable();

  return {
    config,
    params,
    apply(z: tf.Tensor, t: tf.Tensor1D, opts: ApplyOptions = {}): tf.Tensor {
      if (z.rank !== 4 || z.shape[1] !== height || z.shape[2] !== width || z.shape[3] !== imageChannels) {
        throw new Error(`unet expects z of shape [B, ${height}, ${width}, ${imageChannels}], got [${z.shape.join(', ')}]`);
      }
      const dropoutRng = opts.training && dropout > 0 ? new Rng(opts.seed ?? Math.floor(Math.random() * SEED_RANGE)) : undefined;
      return tf.tidy(() => {
        const convApply = (x: tf.Tensor4D, c: Conv, stride = 1): tf.Tensor4D => {
          const k = c.w.shape[0];
          return conv2d(x, c.w as tf.Tensor4D, stride, (k - 1) / 2, c.b as tf.Tensor1D);
        };
        const normAct = (x: tf.Tensor4D, n: Norm): tf.Tensor4D => groupNorm(x, groups, n.w as tf.Tensor1D, n.b as tf.Tensor1D, true); // SiLU(GN(x))
        const e = silu(dense(silu(dense(timeEmbedding(t, embedDim), temb0.w, temb0.b)) as tf.Tensor2D, temb1.w, temb1.b)) as tf.Tensor2D; // SiLU(e): [B, T]
        const resApply = (x: tf.Tensor4D, r: ResBlock): tf.Tensor4D => {
          let u = convApply(normAct(x, r.norm1), r.conv1); // [B, H, W, co]
          u = tf.add(u, tf.reshape(dense(e, r.temb.w, r.temb.b), [-1, 1, 1, r.co])); // per-block time embedding, [B, 1, 1, co]
          let a = normAct(u, r.norm2);
          if (dropoutRng) a = dropoutTable.apply(a, dropout, dropoutRng) as tf.Tensor4D;
          u = convApply(a, r.conv2);
          return tf.add(r.skip ? convApply(x, r.skip) : x, u);
        };
        const attnApply = (x: tf.Tensor4D, at: Attention): tf.Tensor4D => {
          const [b, h, w, c] = x.shape;
          const flat = tf.reshape(groupNorm(x, groups, at.norm.w as tf.Tensor1D, at.norm.b as tf.Tensor1D), [b * h * w, c]); // [B·N, C], N = H·W
          const qkv = tf.reshape(dense(flat as tf.Tensor2D, at.qkv.w, at.qkv.b), [b, h * w, 3 * c]); // [B, N, 3C]
          const [q, k, v] = tf.split(qkv, 3, 2) as tf.Tensor3D[]; // [B, N, C] each
          const weightsAttn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c))); // [B, N, N]
          const mixed = tf.reshape(tf.matMul(weightsAttn, v), [b * h * w, c]); // [B·N, C]
          return tf.add(x, tf.reshape(dense(mixed as tf.Tensor2D, at.proj.w, at.proj.b), [b, h, w, c])); // [B, H, W, C]
        };

        let h = convApply(z as tf.Tensor4D, convIn); // [B, H, W, c₀]
        for (const r of down0) h = resApply(h, r);
        const s0 = h;
        h = convApply(h, downsample0, 2); // [B, H/2, W/2, c₀]
        for (const r of down1) h = resApply(h, r);
        const s1 = h; // [B, H/2, W/2, c₁]
        h = convApply(h, downsample1, 2); // [B, H/4, W/4, c₁]
        h = resApply(h, mid0); // [B, H/4, W/4, c₂]
        if (attn) h = attnApply(h, attn);
        h = resApply(h, mid1);
        h = tf.concat([convApply(upsampleNearest2x(h), upsample1), s1], 3); // [B, H/2, W/2, 2c₁]
        for (const r of up1) h = resApply(h, r);
        h = tf.concat([convApply(upsampleNearest2x(h), upsample0), s0], 3); // [B, H, W, 2c₀]
        for (const r of up0) h = resApply(h, r);
        return convApply(normAct(h, outNorm), convOut); // [B, H, W, C]
      });
    },
    dispose: () => {
      disposeParams(params);
      dropoutTable.dispose();
    },
  };
}
