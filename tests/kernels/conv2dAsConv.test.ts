// The wasm path of the conv2d gradients: each gradient as one forward convolution (tfjs-wasm has no
// Conv2DBackpropFilter kernel). The formulations are plain tfjs ops, so they are checked on cpu against
// tfjs's own gradient kernels, and then conv2d()'s gradients on wasm against tf.conv2d's on cpu.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { conv2d } from '../../src/kernels/conv2d';
import { conv2dBackpropFilterAsConv, conv2dBackpropFilterStock, conv2dBackpropInputAsConv, conv2dBackpropInputStock } from '../../src/kernels/conv2dGradients';
import { initBackend } from '../../src/tensor/backend';
import { biasConvGrads, convCases, dyShape } from './convCases';
import { expectClose, on } from './webgpuSetup';

let before = 0;
beforeAll(async () => {
  expect((await initBackend('wasm')).name).toBe('wasm');
});
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => expect(tf.memory().numTensors).toBe(before));

describe('gradients as forward convolutions, on cpu vs tfjs-cpu kernels', () => {
  // The many-channel case is about split-K slicing on webgpu; on cpu it would only add seconds.
  for (const c of convCases.filter((k) => k.x[3] < 128)) {
    it(c.name, async () => {
      const rng = new Rng(c.f.reduce((a, b) => a * 17 + b, c.stride));
      const yShape = dyShape(c);
      const xv = rng.normals(tf.util.sizeFromShape(c.x));
      const fv = rng.normals(tf.util.sizeFromShape(c.f));
      const dyv = rng.normals(tf.util.sizeFromShape(yShape));
      const [dw, dwRef, dx, dxRef] = await on('cpu', () => {
        const x = tf.tensor4d(xv, c.x);
        const f = tf.tensor4d(fv, c.f);
        const dy = tf.tensor4d(dyv, yShape);
        return [
          conv2dBackpropFilterAsConv(x, dy, c.f, c.stride, c.pad), conv2dBackpropFilterStock(x, dy, c.f, c.stride, c.pad),
          conv2dBackpropInputAsConv(dy, f, c.x, c.stride, c.pad), conv2dBackpropInputStock(dy, f, c.x, c.stride, c.pad),
        ];
      });
      expectClose(dw, dwRef);
      expectClose(dx, dxRef);
    });
  }
});

describe('conv2d() on wasm differentiates like tf.conv2d on cpu', () => {
  for (const c of convCases.filter((k) => k.x[3] * k.f[3] <= 64)) {
    it(c.name, async () => {
      const rng = new Rng(5);
      const yShape = dyShape(c);
      const xv = rng.normals(tf.util.sizeFromShape(c.x));
      const fv = rng.normals(tf.util.sizeFromShape(c.f));
      const rv = rng.normals(tf.util.sizeFromShape(yShape));
      // loss = Σ conv(x, W) ⊙ r, so dloss/dy = r.
      const grads = (conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D) => () =>
        tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(x as tf.Tensor4D, f as tf.Tensor4D), tf.tensor4d(rv, yShape))))([tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f)]);
      const [gxRef, gfRef] = await on('cpu', grads((x, f) => tf.conv2d(x, f, c.stride, c.pad)));
      expect(tf.getBackend()).toBe('wasm');
      const [gx, gf] = await on('wasm', grads((x, f) => conv2d(x, f, c.stride, c.pad)));
      expectClose(gx, gxRef);
      expectClose(gf, gfRef);
    });
  }
});

describe('conv2d() with a bias on wasm (tfjs\'s fused conv forward) differentiates in x, W and b like tf.conv2d + tf.add on cpu', () => {
  for (const c of convCases.filter((k) => k.x[3] * k.f[3] <= 64)) {
    it(c.name, async () => {
      const ref = await on('cpu', biasConvGrads(c, 6, (x, f, b) => tf.add(tf.conv2d(x, f, c.stride, c.pad), b)));
      const got = await on('wasm', biasConvGrads(c, 6, (x, f, b) => conv2d(x, f, c.stride, c.pad, b)));
      got.forEach((g, k) => expectClose(g, ref[k]));
    });
  }
});
