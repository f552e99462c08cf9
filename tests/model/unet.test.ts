import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { parameterCount } from '../../src/model/network';
import { DropoutTable, createUnet, upsampleNearest2x } from '../../src/model/unet';
import { initBackend } from '../../src/tensor/backend';
import { mnistUnetConfig, unetConfig } from './unetFixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(new Rng(seed).normals(shape.reduce((a, b) => a * b, 1)).map((v) => v * scale), shape);
}

/** Replaces the zero-initialised output conv with small random values so that the output and every gradient are non-zero. */
function perturbOutput(net: ReturnType<typeof createUnet>, seed = 5): void {
  const w = net.params.get('out.weight')!;
  const r = randomTensor(w.shape, seed, 0.1);
  w.assign(r);
  r.dispose();
}

describe('upsampleNearest2x', () => {
  it('repeats every pixel into a 2×2 block, and its gradient sums them back', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const y = upsampleNearest2x(x).arraySync() as number[][][][];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(y[0][i][j]).toEqual((x.arraySync() as number[][][][])[0][i >> 1][j >> 1]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(v as tf.Tensor4D), 1)))(x);
    expect(Array.from(g.dataSync())).toEqual(new Array(8).fill(4));
  });

  it('on wasm (tfjs ResizeNearestNeighbor) gives the same values and gradients, by index, at an odd size', async () => {
    const previous = tf.getBackend();
    expect((await initBackend('wasm')).name).toBe('wasm');
    try {
      const [b, h, w, c] = [2, 7, 7, 3];
      const rng = new Rng(11);
      const xv = Float32Array.from({ length: b * h * w * c }, () => rng.normal());
      const up = Float32Array.from({ length: b * 4 * h * w * c }, () => rng.normal()); // upstream gradient
      const x = tf.tensor4d(xv, [b, h, w, c]);
      const y = upsampleNearest2x(x).dataSync();
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(v as tf.Tensor4D), tf.tensor4d(up, [b, 2 * h, 2 * w, c]))))(x).dataSync();
      const expectedG = new Float32Array(xv.length);
      for (let n = 0; n < b; n++) for (let i = 0; i < 2 * h; i++) for (let j = 0; j < 2 * w; j++) for (let k = 0; k < c; k++) {
        const src = ((n * h + (i >> 1)) * w + (j >> 1)) * c + k;
        const dst = ((n * 2 * h + i) * 2 * w + j) * c + k;
        expect(y[dst]).toBe(xv[src]);
        expectedG[src] += up[dst];
      }
      for (let i = 0; i < xv.length; i++) expect(g[i]).toBeCloseTo(expectedG[i], 5);
    } finally {
      await tf.setBackend(previous);
    }
  });
});

describe('DropoutTable', () => {
  it('keeps a share 1 - rate of the values, scaled by 1/(1 - rate), reproducibly per seed', () => {
    const table = new DropoutTable();
    const x = tf.ones([4, 28, 28, 32]);
    const y = tf.tidy(() => table.apply(x, 0.1, new Rng(1)));
    const v = y.dataSync();
    const kept = v.filter((a) => a !== 0);
    expect(kept.every((a) => Math.abs(a - 1 / 0.9) < 1e-6)).toBe(true);
    // 100,352 Bernoulli(0.9) draws: the kept share is within 5 standard deviations (~0.0047) of 0.9.
    expect(Math.abs(kept.length / v.length - 0.9)).toBeLessThan(0.005);
    expect(tf.tidy(() => table.apply(x, 0.1, new Rng(1))).dataSync()).toEqual(v);
    const other = tf.tidy(() => table.apply(x, 0.1, new Rng(2))).dataSync();
    let same = 0;
    for (let i = 0; i < v.length; i++) if ((v[i] === 0) === (other[i] === 0)) same++;
    // Independent masks agree on 0.9² + 0.1² = 82% of the positions.
    expect(same / v.length).toBeGreaterThan(0.81);
    expect(same / v.length).toBeLessThan(0.83);
    // Neighbouring values are not correlated: P(both dropped) ≈ 0.01.
    let both = 0;
    for (let i = 1; i < v.length; i++) if (v[i] === 0 && v[i - 1] === 0) both++;
    expect(both / v.length).toBeLessThan(0.013);
    table.dispose();
    x.dispose();
  });
});

describe('createUnet', () => {
  it('has the documented MNIST size: ~0.56M parameters with stable names', () => {
    const net = createUnet(mnistUnetConfig(), 0);
    // Counted by hand with conv(ci, co) = 9·ci·co + co, T = 4·32 = 128 (the embedding MLP's width) and
    // res(ci, co) = 2ci + conv(ci, co) + (T·co + co) + 2co + conv(co, co) + (ci ≠ co ? ci·co + co : 0):
    // embedding MLP 64·128+128 + 128·128+128 = 24,832; in conv(1, 32) = 320;
    // down: res(32, 32) + conv(32, 32) = 32,000, res(32, 64) + conv(64, 64) = 102,912;
    // middle: res(64, 64) + attention at 7×7 (GroupNorm 128 + q, k, v, out 4·(64·64 + 64) = 16,768) + res(64, 64) = 181,504;
    // up: conv(64, 64) + res(128, 64) = 164,544, conv(64, 32) + res(64, 32) = 52,576; out GroupNorm 64 + conv(32, 1) 289.
    // 24,832 + 320 + 32,000 + 102,912 + 181,504 + 164,544 + 52,576 + 353 = 559,041.
    expect(parameterCount(net)).toBe(559041);
    const names = [...net.params.keys()];
    expect(names.slice(0, 6)).toEqual(['temb.0.weight', 'temb.0.bias', 'temb.1.weight', 'temb.1.bias', 'in.weight', 'in.bias']);
    expect(names).toContain('down.1.res.0.skip.weight');
    expect(names).toContain('mid.attn.qkv.weight');
    expect(names).toContain('up.0.upsample.weight');
    expect(names.slice(-4)).toEqual(['out.norm.weight', 'out.norm.bias', 'out.weight', 'out.bias']);
    expect(net.params.get('down.1.res.0.skip.weight')!.shape).toEqual([1, 1, 32, 64]);
    expect(net.params.get('up.1.res.0.conv1.weight')!.shape).toEqual([3, 3, 128, 64]);
    net.dispose();
  });

  it('drops the attention parameters when attention is off', () => {
    const net = createUnet(unetConfig({ attention: false }), 0);
    expect([...net.params.keys()].some((n) => n.includes('attn'))).toBe(false);
    net.dispose();
  });

  for (const size of [[28, 28, 1], [32, 32, 3]] as const) {
    for (const batch of [1, 3]) {
      it(`maps [${batch}, ${size.join(', ')}] to the same shape, all zeros at init`, () => {
        const net = createUnet(unetConfig({ size: [...size] }), 1);
        const z = randomTensor([batch, ...size], 2);
        const t = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i + 0.5) / batch));
        const y = net.apply(z, t);
        expect(y.shape).toEqual([batch, ...size]);
        expect(tf.max(tf.abs(y)).dataSync()[0]).toBe(0);
        tf.dispose([z, t, y]);
        net.dispose();
      });
    }
  }

  it('is a function of t, and rebuilding from its own weights reproduces it', () => {
    const cfg = unetConfig({ resBlocks: 2 });
    const net = createUnet(cfg, 3);
    perturbOutput(net);
    const z = randomTensor([2, 28, 28, 1], 4);
    const y1 = net.apply(z, tf.tensor1d([0.2, 0.2]));
    const y2 = net.apply(z, tf.tensor1d([0.7, 0.7]));
    expect(tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0]).toBeGreaterThan(1e-4);
    const weights = new Map([...net.params].map(([k, v]) => [k, v.dataSync() as Float32Array]));
    const copy = createUnet(cfg, 99, weights);
    const y3 = copy.apply(z, tf.tensor1d([0.2, 0.2]));
    expect(tf.max(tf.abs(tf.sub(y1, y3))).dataSync()[0]).toBe(0);
    net.dispose();
    copy.dispose();
  });

  it('rejects a checkpoint that misses a tensor, and inputs of the wrong shape', () => {
    const cfg = unetConfig();
    const net = createUnet(cfg, 0);
    const weights = new Map([...net.params].map(([k, v]) => [k, v.dataSync() as Float32Array]));
    weights.delete('mid.attn.proj.weight');
    expect(() => createUnet(cfg, 0, weights)).toThrow(/mid\.attn\.proj\.weight/);
    expect(() => net.apply(tf.zeros([1, 32, 32, 1]), tf.tensor1d([0.5]))).toThrow(/\[B, 28, 28, 1\]/);
    net.dispose();
  });

  it('applies dropout only when training, reproducibly per seed', () => {
    const net = createUnet(unetConfig({ dropout: 0.5 }), 0);
    perturbOutput(net);
    const z = randomTensor([1, 28, 28, 1], 6);
    const t = tf.tensor1d([0.5]);
    const read = (opts: { training?: boolean; seed?: number }) => net.apply(z, t, opts).dataSync();
    expect(read({ seed: 1 })).toEqual(read({ seed: 2 }));
    expect(read({ training: true, seed: 1 })).toEqual(read({ training: true, seed: 1 }));
    expect(read({ training: true, seed: 1 })).not.toEqual(read({ training: true, seed: 2 }));
    expect(read({ training: true, seed: 1 })).not.toEqual(read({}));
    net.dispose();
  });

  it('passes a gradient to every parameter', () => {
    const net = createUnet(unetConfig({ dropout: 0.1 }), 7);
    perturbOutput(net);
    const z = randomTensor([2, 28, 28, 1], 8);
    const t = tf.tensor1d([0.3, 0.8]);
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.apply(z, t, { training: true, seed: 3 }))) as tf.Scalar, [...net.params.values()]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, v] of net.params) {
      const norm = tf.sum(tf.abs(grads[v.name])).dataSync()[0];
      expect(Number.isFinite(norm), name).toBe(true);
      expect(norm, name).toBeGreaterThan(0);
    }
    tf.dispose([z, t, value, ...Object.values(grads)]);
    net.dispose();
  });

  it('fits a fixed MNIST-shaped batch: a few Adam steps reduce the v-loss', () => {
    const net = createUnet(unetConfig(), 11);
    const rng = new Rng(12);
    const batch = 4;
    // x in [-1, 1], z_t = α·x + σ·ε, v = α·ε - σ·x at fixed t (Section 4 of the paper).
    const t = [0.2, 0.4, 0.6, 0.8];
    const alpha = t.map((s) => Math.cos((Math.PI / 2) * s));
    const sigma = t.map((s) => Math.sin((Math.PI / 2) * s));
    const x = tf.tensor4d(Float32Array.from({ length: batch * 784 }, () => 2 * rng.uniform() - 1), [batch, 28, 28, 1]);
    const eps = randomTensor([batch, 28, 28, 1], 13);
    const a = tf.tensor4d(alpha, [batch, 1, 1, 1]);
    const s = tf.tensor4d(sigma, [batch, 1, 1, 1]);
    const zt = tf.add(tf.mul(a, x), tf.mul(s, eps));
    const v = tf.sub(tf.mul(a, eps), tf.mul(s, x));
    const tt = tf.tensor1d(t);
    const opt = tf.train.adam(2e-2);
    const loss = () => tf.mean(tf.squaredDifference(net.apply(zt, tt), v)) as tf.Scalar;
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const l = opt.minimize(loss, true, [...net.params.values()])!;
      losses.push(l.dataSync()[0]);
      l.dispose();
    }
    expect(losses[losses.length - 1]).toBeLessThan(0.95 * losses[0]);
    opt.dispose();
    net.dispose();
  });
});
