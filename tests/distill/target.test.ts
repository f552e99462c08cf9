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

  // The teacher's DDIM step, written out here in float64 from its raw v-output (not through the target's own
  // step): x̂ = α·z − σ·v̂, ε̂ = σ·z + α·v̂, z_s = α_s·x̂ + σ_s·ε̂. Returns z_s and x̂.
  type Times = ReturnType<typeof timePoint>[];
  async function teacherStep(teacher: Pick<ReturnType<typeof buildNetwork>, 'apply'>, zs: number[][], from: Times, to: Times) {
    const v = await tf.tidy(() => teacher.apply(tf.tensor2d(zs), tf.tensor1d(from.map((a) => a.t)))).array() as number[][];
    const xHat = zs.map((row, k) => row.map((zv, d) => from[k].alpha * zv - from[k].sigma * v[k][d]));
    const z = zs.map((row, k) => row.map((zv, d) => to[k].alpha * xHat[k][d] + to[k].sigma * (from[k].sigma * zv + from[k].alpha * v[k][d])));
    return { z, xHat };
  }

  // The defining property: one student DDIM step from z_t whose x̂ is x̃ lands on the teacher's z_t″.
  // The student step is written out here from the DDIM update, independent of the target's algebra:
  //   ε̂ = (z_t - α_t·x̃)/σ_t,  z_t″ = α_t″·x̃ + σ_t″·ε̂.
  for (const n of [2, 8]) {
    it(`makes one student step equal two teacher steps (N = ${n}, every i ≥ 2)`, async () => {
      // An untrained network with random weights is as good a teacher as any for this identity.
      const teacher = buildNetwork(config, 11);
      const rows = Array.from({ length: n - 1 }, (_, k) => k + 2); // i = 2..N, one example each
      const times = rows.map((i) => distillTimes(i, n));
      const at = times.map((k) => timePoint(k.t));
      const aMid = times.map((k) => timePoint(k.tMid));
      const aEnd = times.map((k) => timePoint(k.tEnd));
      const zT = tf.randomNormal([rows.length, 2], 0, 1, 'float32', 5);
      const xTilde = await distillationTarget(teacher, zT, at, aMid, aEnd).array() as number[][];
      const z = await zT.array() as number[][];
      const zEnd = (await teacherStep(teacher, (await teacherStep(teacher, z, at, aMid)).z, aMid, aEnd)).z;
      for (let k = 0; k < rows.length; k++) {
        for (let d = 0; d < 2; d++) {
          const epsHat = (z[k][d] - at[k].alpha * xTilde[k][d]) / at[k].sigma;
          const student = aEnd[k].alpha * xTilde[k][d] + aEnd[k].sigma * epsHat;
          expect(Math.abs(student - zEnd[k][d])).toBeLessThan(1e-4 * Math.max(1, Math.abs(zEnd[k][d])));
        }
      }
      teacher.dispose();
    });
  }

  // At i = 1 (t″ = 0) a sampler's last step returns x̂, not z_0: the teacher's two steps end on x̂(z_t′), and
  // the student's one step must return that. The closing formula would not give it, because σ_0 ≈ 4.5e-5 is
  // not 0: it leaves a share ≈ 0.64·N·σ_0 of x̂(z_t) in x̃ (0.4% at N = 128), which this test also shows.
  it('targets the teacher\'s x̂ at t′ on the last step (t″ = 0), at N = 1 and N = 128', async () => {
    // A v-network whose output moves fast with t (a random MLP barely changes between t = 1/128 and 0.5/128,
    // which would hide the formula's share of x̂(z_t)): v̂ = (1 + 400·t)·z.
    const teacher = { ...buildNetwork(config, 11), apply: (z: tf.Tensor, t: tf.Tensor) => tf.mul(z, tf.reshape(tf.add(1, tf.mul(400, t)), [-1, 1])) };
    const times = [distillTimes(1, 1), distillTimes(1, 128), distillTimes(1, 128)];
    const at = times.map((k) => timePoint(k.t));
    const aMid = times.map((k) => timePoint(k.tMid));
    const aEnd = times.map((k) => timePoint(k.tEnd));
    expect(aEnd.map((a) => a.t)).toEqual([0, 0, 0]);
    const zT = tf.randomNormal([3, 2], 0, 1, 'float32', 9);
    const xTilde = await distillationTarget(teacher, zT, at, aMid, aEnd).array() as number[][];
    const z = await zT.array() as number[][];
    const mid = await teacherStep(teacher, z, at, aMid);
    const end = await teacherStep(teacher, mid.z, aMid, aEnd);
    let formulaGap = 0;
    for (let k = 0; k < 3; k++) {
      for (let d = 0; d < 2; d++) {
        expect(Math.abs(xTilde[k][d] - end.xHat[k][d])).toBeLessThan(2e-5 * Math.max(1, Math.abs(end.xHat[k][d])));
        const ratio = aEnd[k].sigma / at[k].sigma;
        const formula = (end.z[k][d] - ratio * z[k][d]) / (aEnd[k].alpha - ratio * at[k].alpha);
        formulaGap = Math.max(formulaGap, Math.abs(formula - end.xHat[k][d]));
      }
    }
    expect(formulaGap).toBeGreaterThan(1e-4); // the closing formula alone would miss by more than the tolerance
  });

  // Images: the teacher's x̂ is clipped to [-1, 1] in both steps and ε̂ recomputed from the clipped x̂, as the
  // sampler does. Written out here in float64 for an x-network whose x̂ = 3·z leaves [-1, 1] (i = 1..4 of N = 4;
  // at i = 1 the target is the second step's clipped x̂).
  it('clips the teacher\'s x̂ in both steps when asked, with ε̂ = (z − α·x̂)/σ', async () => {
    const fake = { ...buildNetwork({ ...config, parameterization: 'x' }, 1), apply: (z: tf.Tensor) => tf.mul(z, 3) };
    const times = [1, 2, 3, 4].map((i) => distillTimes(i, 4));
    const [at, aMid, aEnd] = [times.map((k) => timePoint(k.t)), times.map((k) => timePoint(k.tMid)), times.map((k) => timePoint(k.tEnd))];
    const z = [[0.7, -0.9], [0.9, -0.2], [-1.4, 0.25], [0.6, 1.8]];
    const clipped = await distillationTarget(fake, tf.tensor2d(z), at, aMid, aEnd, true).array() as number[][];
    const unclipped = await distillationTarget(fake, tf.tensor2d(z), at, aMid, aEnd, false).array() as number[][];
    const xHat = (zv: number) => Math.min(1, Math.max(-1, 3 * zv));
    const step = (zv: number, from: (typeof at)[number], to: (typeof at)[number]) => to.alpha * xHat(zv) + to.sigma * (zv - from.alpha * xHat(zv)) / from.sigma;
    let gap = 0;
    for (let k = 0; k < 4; k++) {
      for (let d = 0; d < 2; d++) {
        const zMid = step(z[k][d], at[k], aMid[k]);
        const zEnd = step(zMid, aMid[k], aEnd[k]);
        const ratio = aEnd[k].sigma / at[k].sigma;
        const want = aEnd[k].t === 0 ? xHat(zMid) : (zEnd - ratio * z[k][d]) / (aEnd[k].alpha - ratio * at[k].alpha);
        expect(Math.abs(clipped[k][d] - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        gap = Math.max(gap, Math.abs(unclipped[k][d] - want));
      }
    }
    expect(gap).toBeGreaterThan(0.1); // clipping changed the target
  });

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
