// Dense layers on webgpu through our conv programs (kernels/dense.ts) and the bias gradient's column sum
// (columnSum_webgpu.ts), against tfjs's matrix products and sums on cpu and against float64 loops.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { columnSumWebGPU } from '../../src/kernels/columnSum_webgpu';
import { denseForward, denseGrads } from '../../src/kernels/dense';
import { dense } from '../../src/model/layers';
import { countDispatches } from '../../src/tensor/dispatchCounter';
import { expectClose, on, setupWebGPU } from './webgpuSetup';

const gpu = await setupWebGPU();

/** [M, K, N]: the UNet's embedding projections and attention projections, odd sizes, vector and scalar paths. */
const SHAPES: [number, number, number][] = [[4, 64, 256], [4, 256, 32], [1, 64, 64], [7, 5, 3], [3, 12, 1], [196, 32, 96], [2, 1, 8]];

describe.skipIf(!gpu)('dense layers and column sums on webgpu', () => {
  let before = 0;
  beforeEach(() => { before = tf.memory().numTensors; });
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  for (const [m, k, n] of SHAPES) {
    it(`[${m}, ${k}] · [${k}, ${n}]: x·W + b, g·Wᵀ and xᵀ·g equal tfjs's products on cpu`, async () => {
      const rng = new Rng(m * 1000 + k * 10 + n);
      const [xv, wv, bv, gv] = [m * k, k * n, n, m * n].map((size) => rng.normals(size));
      const make = () => [tf.tensor2d(xv, [m, k]), tf.tensor2d(wv, [k, n]), tf.tensor1d(bv), tf.tensor2d(gv, [m, n])] as const;
      const ref = await on('cpu', () => {
        const [x, w, b, g] = make();
        return [tf.add(tf.matMul(x, w), b), tf.matMul(g, w, false, true), tf.matMul(x, g, true, false)];
      });
      const got = tf.tidy(() => {
        const [x, w, b, g] = make();
        return [denseForward(x, w, b), ...denseGrads(x, w, g)];
      });
      expect(got.map((t) => t.shape)).toEqual([[m, n], [m, k], [k, n]]);
      const data = await Promise.all(got.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(got);
      data.forEach((d, i) => expectClose(d, ref[i]));
    });
  }

  it('a dense layer forward is one dispatch, and its gradients in x, W and b match autodiff on cpu', async () => {
    const [m, k, n] = [4, 64, 32];
    const rng = new Rng(3);
    const [xv, wv, bv, rv] = [m * k, k * n, n, m * n].map((size) => rng.normals(size));
    const grads = () => {
      const r = tf.tensor2d(rv, [m, n]);
      return tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(dense(x as tf.Tensor2D, w as tf.Variable, b as tf.Variable), r)))(
        [tf.tensor2d(xv, [m, k]), tf.tensor2d(wv, [k, n]), tf.tensor1d(bv)]);
    };
    const ref = await on('cpu', grads);
    const got = tf.tidy(grads);
    const data = await Promise.all(got.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(got);
    data.forEach((d, i) => expectClose(d, ref[i]));
    const [x, w, b] = [tf.tensor2d(xv, [m, k]), tf.tensor2d(wv, [k, n]), tf.tensor1d(bv)];
    const { result, dispatches } = countDispatches(() => dense(x, w as tf.Variable, b as tf.Variable));
    expect(dispatches).toBe(1);
    tf.dispose([x, w, b, result]);
  });

  // Few rows (one slice), many rows (split-K slices and their sum), C a multiple of 4 and not.
  for (const shape of [[2, 3, 8], [64, 28, 28, 32], [5000, 3], [1, 12]]) {
    it(`column sum of [${shape.join(', ')}] equals the float64 sum over all but the last axis`, async () => {
      const values = new Rng(shape.length + shape[0]).normals(tf.util.sizeFromShape(shape));
      const cols = shape[shape.length - 1];
      const expected = new Float64Array(cols);
      values.forEach((v, i) => { expected[i % cols] += v; });
      const sum = tf.tidy(() => columnSumWebGPU(tf.tensor(values, shape)));
      expect(sum.shape).toEqual([cols]);
      const data = (await sum.data()) as Float32Array;
      sum.dispose();
      expectClose(data, expected, 1e-5, 1e-4 * Math.sqrt(values.length / cols));
    });
  }
});
