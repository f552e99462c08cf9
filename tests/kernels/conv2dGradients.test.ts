// Our WGSL conv2d gradients on webgpu against tfjs's own kernels on cpu (an independent implementation):
// stride 1 and 2, 'same' (asymmetric padding at stride 2), 'valid' and numeric padding, vector (channels
// divisible by 4) and scalar code paths, one and many split-K slices.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { conv2d } from '../../src/kernels/conv2d';
import { conv2dBackpropFilterWebGPU, invocationTarget, splitPlan } from '../../src/kernels/conv2dBackpropFilter_webgpu';
import { conv2dBackpropInputWebGPU } from '../../src/kernels/conv2dBackpropInput_webgpu';
import { conv2dBackpropFilterStock, conv2dBackpropInputStock } from '../../src/kernels/conv2dGradients';
import { setCustomKernels } from '../../src/kernels/customKernels';
import { biasConvGrads, convCases as cases, dyShape } from './convCases';
import { expectClose, on, setupWebGPU } from './webgpuSetup';

const gpu = await setupWebGPU();

describe('split-K plan', () => {
  it('covers every dY row exactly once and keeps the slices within the invocation target', () => {
    for (const [perSplit, rows] of [[18, 12], [9216, 32], [576, 1792], [200_000, 7], [1, 1]]) {
      const { splits, rowsPerSplit } = splitPlan(perSplit, rows);
      expect(splits * rowsPerSplit).toBeGreaterThanOrEqual(rows);
      expect((splits - 1) * rowsPerSplit).toBeLessThan(rows);
      expect(splits).toBeGreaterThanOrEqual(1);
      expect(perSplit * splits).toBeLessThanOrEqual(Math.max(perSplit, 2 * invocationTarget(undefined)));
    }
    expect(splitPlan(9216, 32).rowsPerSplit).toBeGreaterThan(1);
    expect(splitPlan(18, 12)).toEqual({ splits: 12, rowsPerSplit: 1 });
    // SwiftShader (a CPU) gets fewer, longer slices than a GPU.
    expect(splitPlan(576, 28, invocationTarget('swiftshader')).splits).toBeLessThan(splitPlan(576, 28, invocationTarget('ampere')).splits);
  });
});

describe.skipIf(!gpu)('conv2d gradients on webgpu vs tfjs-cpu', () => {
  let before = 0;
  beforeEach(() => { before = tf.memory().numTensors; });
  afterEach(() => {
    setCustomKernels(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const c of cases) {
    it(`${c.name}: filter and input gradients`, async () => {
      const rng = new Rng(c.x.reduce((a, b) => a * 31 + b, c.stride));
      const xv = rng.normals(tf.util.sizeFromShape(c.x));
      const fv = rng.normals(tf.util.sizeFromShape(c.f));
      const yShape = dyShape(c);
      const dyv = rng.normals(tf.util.sizeFromShape(yShape));
      const [dwRef, dxRef] = await on('cpu', () => [
        conv2dBackpropFilterStock(tf.tensor4d(xv, c.x), tf.tensor4d(dyv, yShape), c.f, c.stride, c.pad),
        conv2dBackpropInputStock(tf.tensor4d(dyv, yShape), tf.tensor4d(fv, c.f), c.x, c.stride, c.pad),
      ]);
      const [dw, dx] = tf.tidy(() => [
        conv2dBackpropFilterWebGPU(tf.tensor4d(xv, c.x), tf.tensor4d(dyv, yShape), c.f, c.stride, c.pad),
        conv2dBackpropInputWebGPU(tf.tensor4d(dyv, yShape), tf.tensor4d(fv, c.f), c.x, c.stride, c.pad),
      ]);
      expect(dw.shape).toEqual(c.f);
      expect(dx.shape).toEqual(c.x);
      const [dwData, dxData] = [(await dw.data()) as Float32Array, (await dx.data()) as Float32Array];
      tf.dispose([dw, dx]);
      expectClose(dwData, dwRef);
      expectClose(dxData, dxRef);
    });
  }

  for (const c of cases.filter((k) => ['stride 1 same, channels ÷4', 'stride 2 same, odd sizes', 'numeric pad 1, one output channel'].includes(k.name))) {
    it(`${c.name}: conv2d() differentiates through our kernels like tf.conv2d on cpu`, async () => {
      const rng = new Rng(11);
      const xv = rng.normals(tf.util.sizeFromShape(c.x));
      const fv = rng.normals(tf.util.sizeFromShape(c.f));
      const yShape = dyShape(c);
      const rv = rng.normals(tf.util.sizeFromShape(yShape));
      // loss = Σ conv(x, W) ⊙ r, so dloss/dy = r: both gradients at once, through the whole wrapper.
      const lossGrads = (conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D) => () => {
        const r = tf.tensor4d(rv, yShape);
        const [gx, gf] = tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(x as tf.Tensor4D, f as tf.Tensor4D), r)))([tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f)]);
        return [gx, gf];
      };
      const [gxRef, gfRef] = await on('cpu', lossGrads((x, f) => tf.conv2d(x, f, c.stride, c.pad)));
      let kernels: string[] = [];
      let grads: tf.Tensor[] = [];
      const profile = await tf.profile(() => {
        grads = tf.tidy(lossGrads((x, f) => conv2d(x, f, c.stride, c.pad)));
        return grads;
      });
      kernels = profile.kernelNames;
      const [gx, gf] = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
      tf.dispose(grads);
      expect(kernels).toContain('HalfstepConv2dBackpropFilter');
      expect(kernels).toContain('HalfstepConv2dBackpropInput');
      expect(kernels).not.toContain('Conv2DBackpropFilter');
      expectClose(gx, gxRef);
      expectClose(gf, gfRef);
    });
  }

  it('with a bias: conv2d() runs our forward program (bias included) and differentiates in x, W and b like tf.conv2d + tf.add on cpu', async () => {
    const c = cases.find((k) => k.name === 'stride 2 same, odd sizes')!;
    const ref = await on('cpu', biasConvGrads(c, 12, (x, f, b) => tf.add(tf.conv2d(x, f, c.stride, c.pad), b)));
    let grads: tf.Tensor[] = [];
    const profile = await tf.profile(() => (grads = tf.tidy(biasConvGrads(c, 12, (x, f, b) => conv2d(x, f, c.stride, c.pad, b)))));
    const got = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
    tf.dispose(grads);
    expect(profile.kernelNames).toContain('HalfstepConv2D');
    expect(profile.kernelNames).not.toContain('FusedConv2D');
    expect(profile.kernelNames).not.toContain('Conv2DBackpropFilter');
    got.forEach((g, k) => expectClose(g, ref[k]));
  });

  it('with our kernels switched off, conv2d() is tf.conv2d with the stock gradient kernels', async () => {
    const c = cases[0];
    setCustomKernels(false);
    let grads: tf.Tensor[] = [];
    const profile = await tf.profile(() => {
      grads = tf.tidy(() => tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad)))([tf.ones(c.x), tf.ones(c.f)]));
      return grads;
    });
    tf.dispose(grads);
    expect(profile.kernelNames).toContain('Conv2DBackpropFilter');
    expect(profile.kernelNames).not.toContain('HalfstepConv2dBackpropFilter');
  });
});
