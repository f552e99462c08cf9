// The weighted x-space loss against a float64 formulation written out here: for each parameterization the
// network output is turned into x̂ by its own algebra (not predictionCoefficients), and each weighting is
// written from its definition (truncated SNR: max(e^λ, 1); SNR + 1: e^λ + 1).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, type LossWeighting, type Parameterization, timePoint } from '../../src/core/schedule';
import { buildNetwork } from '../../src/model/build';
import type { ModelConfig } from '../../src/model/config';
import { diffuse, timePoints, xSpaceCoefficients, xSpaceLoss } from '../../src/train/diffusionLoss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function xHatByHand(p: Parameterization, z: number, out: number, alpha: number, sigma: number): number {
  if (p === 'x') return out;
  if (p === 'eps') return (z - sigma * out) / alpha;
  return alpha * z - sigma * out; // v = α·ε − σ·x  ⇒  x = α·z − σ·v
}

/** A small MLP on 2D data: any network will do, the loss is checked around its output. */
const mlp = (parameterization: Parameterization): ModelConfig => ({
  network: { arch: 'mlp', hidden: 16, blocks: 1, embedDim: 8 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization,
  schedule: DEFAULT_SCHEDULE,
  conditioning: 't',
});

describe('x-space loss', () => {
  const ts = [0.05, 0.3, 0.55, 0.9];
  for (const p of ['v', 'x', 'eps'] as const) {
    for (const weighting of ['snr_trunc', 'snr+1'] as const satisfies readonly LossWeighting[]) {
      it(`is mean_b w(λ_b)·mean_d (x − x̂)² for ${p}-parameterization, ${weighting} weighting`, async () => {
        const net = buildNetwork(mlp(p), 3);
        const x = tf.tensor2d([[0.5, -0.2], [1.1, 0.3], [-0.7, 0.9], [0.05, -1.2]]);
        const eps = tf.tensor2d([[-1.0, 0.4], [0.2, 0.8], [1.3, -0.6], [-0.1, 0.7]]);
        const points = timePoints(ts, DEFAULT_SCHEDULE);
        const zT = diffuse(x, eps, points);
        const batch = { zT, xTarget: x, ...xSpaceCoefficients(points, p, weighting, 2) };
        const loss = (await xSpaceLoss(net, batch, 0).data())[0];

        const out = await net.apply(zT, tf.tensor1d(ts)).array() as number[][];
        const [zs, xs] = [await zT.array() as number[][], await x.array() as number[][]];
        let expected = 0;
        ts.forEach((t, b) => {
          const { alpha, sigma } = timePoint(t);
          const snr = (alpha * alpha) / (sigma * sigma);
          const w = weighting === 'snr_trunc' ? Math.max(snr, 1) : snr + 1;
          const se = xs[b].map((xv, d) => (xv - xHatByHand(p, zs[b][d], out[b][d], alpha, sigma)) ** 2);
          expected += (w * (se[0] + se[1])) / 2;
        });
        expected /= ts.length;
        expect(Math.abs(loss - expected)).toBeLessThan(1e-5 * Math.max(1, expected));
        net.dispose();
      });
    }
  }

  // SNR + 1 weighting of the x-space error of a v-model is its plain v-space error: x̂ − x = −σ·(v̂ − v), and
  // (SNR + 1)·σ² = α² + σ² = 1 (Salimans & Ho 2022, section 4).
  it('with SNR + 1 weighting equals the v-space error for a v-model', async () => {
    const net = buildNetwork(mlp('v'), 4);
    const x = tf.tensor2d([[0.3, -0.4], [0.8, 0.1], [-0.5, 0.6]]);
    const eps = tf.tensor2d([[0.9, -0.3], [-1.4, 0.2], [0.5, 1.1]]);
    const ts = [0.1, 0.5, 0.95];
    const points = timePoints(ts, DEFAULT_SCHEDULE);
    const zT = diffuse(x, eps, points);
    const loss = (await xSpaceLoss(net, { zT, xTarget: x, ...xSpaceCoefficients(points, 'v', 'snr+1', 2) }, 0).data())[0];
    const vHat = await net.apply(zT, tf.tensor1d(ts)).array() as number[][];
    const [xs, es] = [await x.array() as number[][], await eps.array() as number[][]];
    let vLoss = 0;
    ts.forEach((t, b) => {
      const { alpha, sigma } = timePoint(t);
      for (let d = 0; d < 2; d++) vLoss += (alpha * es[b][d] - sigma * xs[b][d] - vHat[b][d]) ** 2 / 2;
    });
    vLoss /= ts.length;
    expect(Math.abs(loss - vLoss)).toBeLessThan(1e-5 * Math.max(1, vLoss));
    net.dispose();
  });
});
