import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictionCoefficients } from '../../src/core/ddimCoefficients';
import { DEFAULT_SCHEDULE, timePoint } from '../../src/core/schedule';
import { distillTimes, distillationTarget } from '../../src/distill/target';
import { chainStages } from '../../src/distill/chain';
import { buildNetwork } from '../../src/model/build';
import type { ModelConfig } from '../../src/model/config';

const config: ModelConfig = {
  network: { arch: 'mlp', hidden: 32, blocks: 2, embedDim: 16 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: DEFAULT_SCHEDULE,
  conditioning: 't',
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Algorithm 2 target', () => {
  it('uses t = i/N, t′ = t - 0.5/N, t″ = t - 1/N', () => {
    expect(distillTimes(3, 4)).toEqual({ t: 0.75, tMid: 0.625, tEnd: 0.5 });
    expect(distillTimes(1, 1)).toEqual({ t: 1, tMid: 0.5, tEnd: 0 });
  });

  it('lists the chain stages', () => {
    expect(chainStages(64, 4)).toEqual([32, 16, 8, 4]);
    expect(chainStages(2, 1)).toEqual([1]);
    expect(() => chainStages(64, 3)).toThrow(RangeError);
    expect(() => chainStages(4, 4)).toThrow(RangeError);
  });

  // The defining property: one student DDIM step from z_t whose x̂ is x̃ lands on the teacher's z_t″.
  // The student step is written out here from the DDIM update, independent of the target's algebra:
  //   ε̂ = (z_t - α_t·x̃)/σ_t,  z_t″ = α_t″·x̃ + σ_t″·ε̂.
  for (const n of [1, 2, 8]) {
    it(`makes one student step equal two teacher steps (N = ${n}, every i including t″ = 0)`, async () => {
      // An untrained network with random weights is as good a teacher as any for this identity.
      const teacher = buildNetwork(config, 11);
      const rows = Array.from({ length: n }, (_, k) => k + 1); // i = 1..N, one example each
      const times = rows.map((i) => distillTimes(i, n));
      const at = times.map((k) => timePoint(k.t));
      const aMid = times.map((k) => timePoint(k.tMid));
      const aEnd = times.map((k) => timePoint(k.tEnd));
      const zT = tf.randomNormal([n, 2], 0, 1, 'float32', 5);
      const xTilde = await distillationTarget(teacher, zT, at, aMid, aEnd).array() as number[][];
      const z = await zT.array() as number[][];
      // The teacher's two steps, written out here in float64 from its raw v-output (not through the target's
      // own step): x̂ = α·z − σ·v̂, ε̂ = σ·z + α·v̂, z_s = α_s·x̂ + σ_s·ε̂.
      const step = async (zs: number[][], from: typeof at, to: typeof at) => {
        const v = await tf.tidy(() => teacher.apply(tf.tensor2d(zs), tf.tensor1d(from.map((a) => a.t)))).array() as number[][];
        return zs.map((row, k) => row.map((zv, d) => {
          const [a, s] = [from[k].alpha, from[k].sigma];
          return to[k].alpha * (a * zv - s * v[k][d]) + to[k].sigma * (s * zv + a * v[k][d]);
        }));
      };
      const zEnd = await step(await step(z, at, aMid), aMid, aEnd);
      for (let k = 0; k < n; k++) {
        for (let d = 0; d < 2; d++) {
          const epsHat = (z[k][d] - at[k].alpha * xTilde[k][d]) / at[k].sigma;
          const student = aEnd[k].alpha * xTilde[k][d] + aEnd[k].sigma * epsHat;
          expect(Math.abs(student - zEnd[k][d])).toBeLessThan(1e-4 * Math.max(1, Math.abs(zEnd[k][d])));
        }
      }
      teacher.dispose();
    });
  }

  it('gives x̃ = x̂ of the teacher when the teacher is exact (point-mass data)', async () => {
    // For a teacher whose x̂ is always x*, both teacher steps stay on α·x* + σ·ε, so x̃ must be x*.
    // Build such a "network" by hand: x-parameterized output x* regardless of input.
    const xStar = [0.4, -1.1];
    const fake = { ...buildNetwork({ ...config, parameterization: 'x' }, 1), apply: (z: tf.Tensor) => tf.tile(tf.tensor2d([xStar]), [z.shape[0], 1]) };
    const times = [distillTimes(3, 4), distillTimes(1, 4)];
    const at = times.map((k) => timePoint(k.t));
    const zT = tf.tensor2d([[0.5, 0.1], [-0.3, 2]]);
    const x = await distillationTarget(fake, zT, at, times.map((k) => timePoint(k.tMid)), times.map((k) => timePoint(k.tEnd))).array() as number[][];
    for (const row of x) {
      expect(row[0]).toBeCloseTo(xStar[0], 4);
      expect(row[1]).toBeCloseTo(xStar[1], 4);
    }
    // And predictionCoefficients agree that x-parameterization returns the output itself.
    expect(predictionCoefficients('x', at[0])).toMatchObject({ xz: 0, xo: 1 });
  });
});
