// The fused DDIM program against the plain-tfjs step it replaces and against the update written out in
// float64 here (Song et al. 2021, eq. 12), for each parameterization, with and without clip and noise.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DdimStepCoefficients, ddimStepCoefficients } from '../../src/core/ddimCoefficients';
import { Rng } from '../../src/core/rng';
import { type Parameterization, timePoint } from '../../src/core/schedule';
import { setCustomKernels } from '../../src/kernels/customKernels';
import { ddimStep, ddimStepPlain } from '../../src/kernels/ddimStep';
import { ddimStepWebGPU } from '../../src/kernels/ddimStep_webgpu';
import { expectClose, on, setupWebGPU } from './webgpuSetup';

const gpu = await setupWebGPU();

/** z_s and x̂ from the coefficients, one element at a time in float64. */
function golden(z: Float32Array, out: Float32Array, c: DdimStepCoefficients, clip: boolean, noise?: Float32Array): { zS: number[]; xHat: number[] } {
  const zS: number[] = [];
  const xHat: number[] = [];
  for (let i = 0; i < z.length; i++) {
    let x = c.xz * z[i] + c.xo * out[i];
    let eps = c.ez * z[i] + c.eo * out[i];
    if (clip) {
      x = Math.min(1, Math.max(-1, x));
      eps = (z[i] - c.alphaT * x) / c.sigmaT;
    }
    xHat.push(x);
    zS.push(c.alphaS * x + c.epsWeight * eps + (noise ? c.noiseStd * noise[i] : 0));
  }
  return { zS, xHat };
}

// The plain step on cpu, on every machine: with clip, ε̂ must come from the clipped x̂, which the samplers'
// end-to-end tests cannot see (their last step returns x̂ alone).
describe('plain DDIM step on cpu', () => {
  const shape = [3, 5, 4, 2];
  const size = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(11);
  const z = rng.normals(size);
  const out = rng.normals(size).map((v) => 2 * v);
  const noise = rng.normals(size);
  const cases: [Parameterization, boolean, number][] = [['v', true, 0], ['x', true, 0], ['eps', true, 0.5], ['v', false, 1]];
  for (const [param, clip, eta] of cases) {
    it(`${param}, clip=${clip}, eta=${eta}: matches the float64 formula`, async () => {
      const c = ddimStepCoefficients(param, timePoint(0.7), timePoint(0.45), eta);
      const g = golden(z, out, c, clip, eta > 0 ? noise : undefined);
      const [zS, xHat] = await on('cpu', () => {
        const r = ddimStepPlain(tf.tensor(z, shape), tf.tensor(out, shape), c, clip, eta > 0 ? tf.tensor(noise, shape) : undefined);
        return [r.zS, r.xHat];
      });
      expectClose(zS, g.zS);
      expectClose(xHat, g.xHat);
      if (clip) {
        // The control: the parameterization's own ε̂, unclipped, would give another z_s.
        const kept = golden(z, out, c, false, eta > 0 ? noise : undefined);
        const moved = g.xHat.some((x, i) => x !== kept.xHat[i]);
        expect(moved).toBe(true);
        expect(Math.max(...g.zS.map((v, i) => Math.abs(v - (c.alphaS * g.xHat[i] + c.epsWeight * (c.ez * z[i] + c.eo * out[i]) + (eta > 0 ? c.noiseStd * noise[i] : 0)))))).toBeGreaterThan(1e-2);
      }
    });
  }
});

describe.skipIf(!gpu)('fused DDIM step on webgpu', () => {
  const shape = [3, 5, 4, 2]; // [B, H, W, C], 120 values: not a multiple of the workgroup size
  const size = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(7);
  const z = rng.normals(size);
  // Scaled so that x̂ leaves [-1, 1] often and clip changes the result.
  const out = rng.normals(size).map((v) => 2 * v);
  const noise = rng.normals(size);
  let before = 0;

  beforeEach(() => { before = tf.memory().numTensors; });
  afterEach(() => {
    setCustomKernels(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  const cases: [Parameterization, boolean, number][] = [
    ['v', false, 0], ['v', true, 0], ['x', false, 0], ['eps', true, 0], ['v', false, 1], ['eps', true, 0.5],
  ];
  for (const [param, clip, eta] of cases) {
    it(`${param}, clip=${clip}, eta=${eta}: matches ddimStepPlain and the float64 formula`, async () => {
      const c = ddimStepCoefficients(param, timePoint(0.7), timePoint(0.45), eta);
      const g = golden(z, out, c, clip, eta > 0 ? noise : undefined);
      const ours = tf.tidy(() => {
        const r = ddimStepWebGPU(tf.tensor(z, shape), tf.tensor(out, shape), c, clip, eta > 0 ? tf.tensor(noise, shape) : undefined);
        expect(r.zS.shape).toEqual(shape);
        expect(r.xHat.shape).toEqual(shape);
        return [r.zS, r.xHat];
      });
      const plain = tf.tidy(() => {
        const r = ddimStepPlain(tf.tensor(z, shape), tf.tensor(out, shape), c, clip, eta > 0 ? tf.tensor(noise, shape) : undefined);
        return [r.zS, r.xHat];
      });
      const [zS, xHat, zSPlain, xHatPlain] = await Promise.all([...ours, ...plain].map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([...ours, ...plain]);
      expectClose(zS, zSPlain);
      expectClose(xHat, xHatPlain);
      expectClose(zS, g.zS);
      expectClose(xHat, g.xHat);
      if (clip) expect(Math.max(...xHat.map(Math.abs))).toBeLessThanOrEqual(1);
    });
  }

  it('ddimStep dispatches to the fused program on webgpu, and to the plain ops when our kernels are off', async () => {
    const c = ddimStepCoefficients('v', timePoint(0.5), timePoint(0.25));
    const zT = tf.tensor(z, shape);
    const outT = tf.tensor(out, shape);
    const kernelsOf = async () => {
      let results: tf.Tensor[] = [];
      const p = await tf.profile(() => {
        const r = ddimStep(zT, outT, c, false);
        results = [r.zS, r.xHat];
        return results;
      });
      tf.dispose(results);
      return p.kernelNames;
    };
    expect(await kernelsOf()).toEqual(['HalfstepDdimStep']);
    setCustomKernels(false);
    const plainKernels = await kernelsOf();
    expect(plainKernels).not.toContain('HalfstepDdimStep');
    expect(plainKernels).toContain('Multiply');
    tf.dispose([zT, outT]);
  });

  it('asks for noise when the step has noiseStd > 0', () => {
    const c = ddimStepCoefficients('v', timePoint(0.5), timePoint(0.25), 1);
    tf.tidy(() => {
      expect(() => ddimStepWebGPU(tf.tensor(z, shape), tf.tensor(out, shape), c, false)).toThrow(/noise is required/);
    });
  });
});
