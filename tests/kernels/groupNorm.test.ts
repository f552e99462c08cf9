// GroupNorm (+ SiLU): the plain-tfjs formulation with its closed-form gradient, on cpu and on wasm, against a
// per-group loop and against autodiff of the textbook formula (cpu); our WGSL programs against the same float64 loop and against
// the plain path on the same webgpu backend with our kernels off (values and the gradients of x, γ and β).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { setCustomKernels } from '../../src/kernels/customKernels';
import { groupNorm, groupNormPlain } from '../../src/kernels/groupNorm';
import { setGroupNormWorkgroup } from '../../src/kernels/groupNorm_webgpu';
import { countDispatches } from '../../src/tensor/dispatchCounter';
import { expectClose, on, setupWebGPU } from './webgpuSetup';

const gpu = await setupWebGPU();

type Shape = [number, number, number, number];

interface Case {
  shape: Shape;
  groups: number;
  silu: boolean;
  /** Offset added to x: a large mean tests the two-pass variance. */
  offset?: number;
  /** β of ±100 on alternate channels: SiLU far out on both tails (the programs clamp exp's argument). */
  farBeta?: boolean;
}

function inputs(c: Case, seed: number) {
  const rng = new Rng(seed);
  const size = c.shape.reduce((a, b) => a * b, 1);
  const ch = c.shape[3];
  return {
    x: rng.normals(size).map((v) => 2 * v + (c.offset ?? 0)),
    gamma: rng.normals(ch).map((v) => 1 + 0.5 * v),
    beta: c.farBeta ? Float32Array.from({ length: ch }, (_, i) => (i % 2 ? 100 : -100)) : rng.normals(ch).map((v) => 0.3 * v),
    up: rng.normals(size), // upstream gradient
  };
}

/** y = [SiLU](γ·(x - μ)/√(σ² + ε) + β) per group, in float64, one value at a time. */
function golden(c: Case, x: Float32Array, gamma: Float32Array, beta: Float32Array): number[] {
  const [b, h, w, ch] = c.shape;
  const cg = ch / c.groups;
  const y = new Array<number>(x.length);
  for (let n = 0; n < b; n++) {
    for (let g = 0; g < c.groups; g++) {
      const idx: number[] = [];
      for (let p = 0; p < h * w; p++) for (let k = 0; k < cg; k++) idx.push((n * h * w + p) * ch + g * cg + k);
      const mean = idx.reduce((a, i) => a + x[i], 0) / idx.length;
      const variance = idx.reduce((a, i) => a + (x[i] - mean) ** 2, 0) / idx.length;
      for (const i of idx) {
        const a = ((x[i] - mean) / Math.sqrt(variance + 1e-5)) * gamma[i % ch] + beta[i % ch];
        y[i] = c.silu ? a / (1 + Math.exp(-a)) : a;
      }
    }
  }
  return y;
}

/** The textbook formula as tfjs ops, differentiated by autodiff: a second formulation of the gradient. */
function textbook(c: Case) {
  const [b, h, w, ch] = c.shape;
  return (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor => {
    const grouped = tf.reshape(xi, [b, h, w, c.groups, ch / c.groups]);
    const mean = tf.mean(grouped, [1, 2, 4], true);
    const variance = tf.mean(tf.square(tf.sub(grouped, mean)), [1, 2, 4], true);
    const a = tf.add(tf.mul(tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, 1e-5))), [b, h, w, ch]), wi), bi);
    return c.silu ? tf.mul(a, tf.sigmoid(a)) : a;
  };
}

/**
 * [y, y under the gradient tape, dL/dx, dL/dγ, dL/dβ] of L = Σ f(x, γ, β)·up: on webgpu the forward without a
 * tape is one fused program, with a tape the two programs whose statistics the gradient reuses.
 */
function valueAndGrads(c: Case, seed: number, f: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor): tf.Tensor[] {
  const d = inputs(c, seed);
  const x = tf.tensor(d.x, c.shape);
  const gamma = tf.tensor1d(d.gamma);
  const beta = tf.tensor1d(d.beta);
  const up = tf.tensor(d.up, c.shape);
  const y = f(x, gamma, beta);
  let yTape: tf.Tensor | undefined;
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, bt: tf.Tensor) => {
    const out = f(a, g, bt);
    yTape = tf.keep(out);
    return tf.sum(tf.mul(out, up));
  })([x, gamma, beta]);
  return [y, yTape!, ...grads];
}

const ours = (c: Case) => (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => groupNorm(x as tf.Tensor4D, c.groups, w as tf.Tensor1D, b as tf.Tensor1D, c.silu);

// The plain path on cpu and on wasm, where its per-channel statistics were written for speed (groupNorm.ts).
const PLAIN_CASES: Case[] = [
  { shape: [2, 3, 4, 6], groups: 3, silu: false },
  { shape: [2, 3, 4, 6], groups: 3, silu: true },
  { shape: [2, 3, 5, 8], groups: 1, silu: false }, // one group: the statistics over every channel
  { shape: [3, 2, 3, 4], groups: 4, silu: false }, // one channel per group
  { shape: [2, 4, 4, 8], groups: 2, silu: false, offset: 1000 }, // a large mean: the variance is two-pass
];

describe.each(['cpu', 'wasm'] as const)('groupNorm, plain tfjs (%s)', (backend) => {
  it('matches a per-group loop in float64, with and without SiLU', async () => {
    for (const c of PLAIN_CASES) {
      const d = inputs(c, 1);
      const [y] = await on(backend, () => groupNorm(tf.tensor(d.x, c.shape) as tf.Tensor4D, c.groups, tf.tensor1d(d.gamma), tf.tensor1d(d.beta), c.silu));
      expectClose(y, golden(c, d.x, d.gamma, d.beta), c.offset ? 1e-3 : 1e-5, 1e-5);
    }
  });

  it('has the gradients of autodiff through the textbook formula (on cpu), for x, weight and bias', async () => {
    for (const c of [{ shape: [2, 3, 5, 8], groups: 4, silu: false }, ...PLAIN_CASES.slice(2, 4)] as Case[]) {
      const got = await on(backend, () => valueAndGrads(c, 2, (x, w, b) => groupNormPlain(x as tf.Tensor4D, c.groups, w as tf.Tensor1D, b as tf.Tensor1D)));
      const want = await on('cpu', () => valueAndGrads(c, 2, textbook(c)));
      got.forEach((g, k) => expectClose(g, want[k], 1e-4, 1e-5));
    }
  });
});

describe('groupNorm, plain tfjs', () => {
  it('rejects a channel count that does not split into the groups', () => {
    expect(() => groupNorm(tf.zeros([1, 2, 2, 6]) as tf.Tensor4D, 4, tf.ones([6]) as tf.Tensor1D, tf.zeros([6]) as tf.Tensor1D)).toThrow(/groups/);
  });

  it('on wasm keeps its statistics per channel: no kernel sees the grouped view, forward or backward', async () => {
    // The grouped view is what made wasm slow (groupNorm.ts); cpu, as a control, uses it.
    const c: Case = { shape: [2, 3, 5, 8], groups: 4, silu: false };
    const grouped = JSON.stringify([2, 15, 4, 2]);
    const shapesOn = async (backend: 'cpu' | 'wasm') => {
      const previous = tf.getBackend();
      expect(await tf.setBackend(backend)).toBe(true);
      try {
        const profile = await tf.profile(() => valueAndGrads(c, 5, (x, w, b) => groupNormPlain(x as tf.Tensor4D, c.groups, w as tf.Tensor1D, b as tf.Tensor1D)));
        tf.dispose(profile.result as tf.Tensor[]);
        return profile.kernels.flatMap((k) => k.inputShapes.map((s) => JSON.stringify(s)));
      } finally {
        if (previous) await tf.setBackend(previous);
      }
    };
    expect(await shapesOn('cpu')).toContain(grouped);
    expect(await shapesOn('wasm')).not.toContain(grouped);
  });
});

describe.skipIf(!gpu)('groupNorm, our WGSL programs on webgpu', () => {
  let before = 0;
  beforeEach(() => { before = tf.memory().numTensors; });
  afterEach(() => {
    setCustomKernels(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  const cases: Case[] = [
    { shape: [2, 4, 4, 8], groups: 4, silu: true }, // the UNet's normAct
    { shape: [3, 5, 3, 6], groups: 2, silu: false }, // odd H·W, 3 channels per group (attention's norm)
    { shape: [1, 7, 7, 12], groups: 12, silu: true }, // one channel per group
    { shape: [2, 2, 6, 5], groups: 1, silu: true }, // one group (LayerNorm-like), C not a multiple of 4
    { shape: [2, 12, 12, 16], groups: 2, silu: true, offset: 40 }, // 576 values per group: many per thread; a large mean
    { shape: [2, 3, 3, 4], groups: 2, silu: true, farBeta: true }, // SiLU at ±100
  ];

  afterEach(() => setGroupNormWorkgroup(undefined));

  // 64 threads per reducing workgroup is SwiftShader's choice, 256 a GPU's: both run here.
  for (const [c, wg] of cases.flatMap((k) => [[k, 64], [k, 256]] as const)) {
    const name = `[${c.shape.join(', ')}], ${c.groups} groups${c.silu ? ' + SiLU' : ''}${c.offset ? `, x + ${c.offset}` : ''}${c.farBeta ? ', β = ±100' : ''}, ${wg} threads`;
    it(`${name}: values (fused, and under a gradient tape) as the float64 loop; values and gradients as the plain path`, async () => {
      setGroupNormWorkgroup(wg);
      const d = inputs(c, 3);
      setCustomKernels(true);
      const [y] = await on('webgpu', () => groupNorm(tf.tensor(d.x, c.shape) as tf.Tensor4D, c.groups, tf.tensor1d(d.gamma), tf.tensor1d(d.beta), c.silu));
      expectClose(y, golden(c, d.x, d.gamma, d.beta), 1e-5, 1e-5);

      const withOurs = await on('webgpu', () => valueAndGrads(c, 3, ours(c)));
      expectClose(withOurs[1], golden(c, d.x, d.gamma, d.beta), 1e-5, 1e-5);
      setCustomKernels(false);
      const plain = await on('webgpu', () => valueAndGrads(c, 3, ours(c)));
      const reference = await on('cpu', () => valueAndGrads(c, 3, textbook(c)));
      const labels = ['y', 'y under the tape', 'dx', 'dγ', 'dβ'];
      withOurs.forEach((f, k) => {
        expect.soft(() => expectClose(f, plain[k], 1e-4, 1e-5), `${labels[k]} vs plain`).not.toThrow();
        expect.soft(() => expectClose(f, reference[k], 1e-4, 1e-5), `${labels[k]} vs autodiff`).not.toThrow();
      });
    });
  }

  it('issues 1 GPU dispatch forward (2 under a gradient tape) and 3 backward, where the plain path issues over five times as many', async () => {
    const c: Case = { shape: [2, 4, 4, 8], groups: 4, silu: true };
    const d = inputs(c, 4);
    const x = tf.tensor(d.x, c.shape) as tf.Tensor4D;
    const [gamma, beta] = [tf.tensor1d(d.gamma), tf.tensor1d(d.beta)];
    const forward = () => groupNorm(x, c.groups, gamma, beta, true);
    const both = () => tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(groupNorm(a as tf.Tensor4D, c.groups, g as tf.Tensor1D, b as tf.Tensor1D, true)))([x, gamma, beta]);
    /** Dispatches recorded at the WebGPU API while `run` records its work (after a warm-up call that uploads x). */
    const dispatches = (run: () => tf.Tensor | tf.Tensor[]): number => {
      tf.dispose(run());
      const { result, dispatches: n } = countDispatches(run);
      tf.dispose(result);
      return n;
    };
    setCustomKernels(true);
    const ours = [dispatches(forward), dispatches(both)];
    setCustomKernels(false);
    const plain = [dispatches(forward), dispatches(both)];
    tf.dispose([x, gamma, beta]);
    expect(ours[0]).toBe(1);
    // Forward and backward: the 2 + 3 of ours plus what the loss around them costs (the sum and its gradient).
    const lossOverhead = ours[1] - 5;
    expect(lossOverhead).toBeGreaterThanOrEqual(0);
    expect(lossOverhead).toBeLessThanOrEqual(3);
    expect(plain[0]).toBeGreaterThanOrEqual(5 * 2);
    expect(plain[1] - lossOverhead).toBeGreaterThanOrEqual(5 * 5);
    // Under the tape our forward is 2 programs; the plain path's forward is the same with or without one.
    console.info(`GroupNorm + SiLU dispatches: ours ${ours[0]} forward (2 under a gradient tape) + ${ours[1] - 2 - lossOverhead} backward; plain tfjs ops ${plain[0]} forward + ${plain[1] - plain[0] - lossOverhead} backward`);
  });
});
