// Our WGSL forward convolution (conv2d_webgpu.ts) on webgpu against tfjs's conv2d on cpu (an independent
// implementation) on every case of convCases, with and without the bias, and against a float64 loop written
// from the definition; non-finite inputs kept out of the padding.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { conv2d } from '../../src/kernels/conv2d';
import { conv2dWebGPU } from '../../src/kernels/conv2d_webgpu';
import { conv2dBackpropInputWebGPU } from '../../src/kernels/conv2dBackpropInput_webgpu';
import { conv2dBackpropInputStock } from '../../src/kernels/conv2dGradients';
import { countDispatches } from '../../src/tensor/dispatchCounter';
import { convCases as cases, dyShape } from './convCases';
import { expectClose, on, setupWebGPU } from './webgpuSetup';

const gpu = await setupWebGPU();

/** Y = conv(X, W) + b from the definition, in float64 (a second formulation, not tfjs's). */
function convLoop(xv: Float32Array, [B, H, W, ci]: number[], fv: Float32Array, [kh, kw, , co]: number[], bv: Float32Array | null, [, oh, ow]: number[], s: number, top: number, left: number): Float64Array {
  const out = new Float64Array(B * oh * ow * co);
  for (let b = 0; b < B; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < co; o++) {
    let v = bv ? bv[o] : 0;
    for (let u = 0; u < kh; u++) for (let t = 0; t < kw; t++) {
      const iy = oy * s + u - top;
      const ix = ox * s + t - left;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      for (let c = 0; c < ci; c++) v += xv[((b * H + iy) * W + ix) * ci + c] * fv[((u * kw + t) * ci + c) * co + o];
    }
    out[((b * oh + oy) * ow + ox) * co + o] = v;
  }
  return out;
}

describe.skipIf(!gpu)('conv2d forward on webgpu', () => {
  let before = 0;
  beforeEach(() => { before = tf.memory().numTensors; });
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  for (const c of cases) {
    it(`${c.name}: ours equals tf.conv2d on cpu, with and without a bias, and the float64 loop`, async () => {
      const rng = new Rng(c.f.reduce((a, b) => a * 17 + b, c.stride + 3));
      const xv = rng.normals(tf.util.sizeFromShape(c.x));
      const fv = rng.normals(tf.util.sizeFromShape(c.f));
      const bv = rng.normals(c.f[3]);
      const [ref, refBias] = await on('cpu', () => {
        const y = tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), c.stride, c.pad);
        return [y, tf.add(y, tf.tensor1d(bv))];
      });
      const [y, yBias] = tf.tidy(() => [
        conv2dWebGPU(tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), c.stride, c.pad),
        conv2dWebGPU(tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), c.stride, c.pad, tf.tensor1d(bv)),
      ]);
      expect(y.shape).toEqual(dyShape(c));
      const [got, gotBias] = [(await y.data()) as Float32Array, (await yBias.data()) as Float32Array];
      tf.dispose([y, yBias]);
      expectClose(got, ref);
      expectClose(gotBias, refBias);
      const { padInfo } = tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, 1, c.pad);
      expectClose(gotBias, convLoop(xv, c.x, fv, c.f, bv, dyShape(c), c.stride, padInfo.top, padInfo.left));
    });
  }

  it('an Inf or NaN in X or dY reaches only the outputs whose window holds it, as on cpu (padding reads zeros)', async () => {
    // One non-finite value in column 0 of each image row: with padding, the right edge's taps outside X must
    // not read it (our programs read a clamped address there and must replace, not multiply by 0, what they read).
    const c = cases.find((k) => k.name === 'stride 1 same, channels ÷4')!;
    const rng = new Rng(13);
    const xv = rng.normals(tf.util.sizeFromShape(c.x));
    const fv = rng.normals(tf.util.sizeFromShape(c.f));
    const yShape = dyShape(c);
    const dyv = rng.normals(tf.util.sizeFromShape(yShape));
    const poison = (v: Float32Array, [, , w, ch]: number[]) => {
      for (let i = 0; i < v.length; i += w * ch) v[i] = i % (2 * w * ch) === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
    };
    poison(xv, c.x);
    poison(dyv, yShape);
    const run = () => [
      tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), c.stride, c.pad),
      conv2dBackpropInputStock(tf.tensor4d(dyv, yShape), tf.tensor4d(fv, c.f), c.x, c.stride, c.pad),
    ];
    const [yRef, dxRef] = await on('cpu', run);
    const [y, dx] = tf.tidy(() => [
      conv2dWebGPU(tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), c.stride, c.pad),
      conv2dBackpropInputWebGPU(tf.tensor4d(dyv, yShape), tf.tensor4d(fv, c.f), c.x, c.stride, c.pad),
    ]);
    const [yGot, dxGot] = [(await y.data()) as Float32Array, (await dx.data()) as Float32Array];
    tf.dispose([y, dx]);
    for (const [got, ref] of [[yGot, yRef], [dxGot, dxRef]]) {
      const finite = (v: Float32Array) => Array.from(v, Number.isFinite);
      expect(finite(ref).some((f) => !f)).toBe(true); // the poison reached some outputs
      expect(finite(ref).some((f) => f)).toBe(true); // and not all
      expect(finite(got)).toEqual(finite(ref));
    }
  });

  it('conv2d() runs it as one dispatch, bias included', async () => {
    const c = cases[0];
    const rng = new Rng(9);
    const [xv, fv, bv] = [c.x, c.f, [c.f[3]]].map((s) => rng.normals(tf.util.sizeFromShape(s)));
    const ref = await on('cpu', () => tf.add(tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), c.stride, c.pad), tf.tensor1d(bv)));
    const [x, f, b] = [tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.f), tf.tensor1d(bv)];
    const { result: y, dispatches } = countDispatches(() => conv2d(x, f, c.stride, c.pad, b));
    const got = (await y.data()) as Float32Array;
    tf.dispose([x, f, b, y]);
    expect(dispatches).toBe(1);
    expectClose(got, ref[0]);
  });
});
