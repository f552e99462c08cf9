import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { distillRound, roundBatch, studentConfig } from '../../src/distill/round';
import { TARGET_COLUMNS } from '../../src/distill/target';
import { checkConfigsMatch } from '../../src/io/compat';
import { buildNetwork } from '../../src/model/build';
import { TINY_TOY_CONFIG } from '../e2e/fixtures';
import { perturbWeights, unetConfig } from '../model/unetFixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('a distillation round', () => {
  it("trains its student without the teacher's dropout, as the authors' distillation configs do", async () => {
    const tensors = tf.memory().numTensors;
    const config = unetConfig({ channels: [4, 8, 8], attention: false, groups: 2, dropout: 0.5 });
    const teacher = buildNetwork(config, 3);
    perturbWeights(teacher);
    const { student, result } = await distillRound(teacher, {
      studentSteps: 2, batchSize: 2, seed: 4, iterations: 2, learningRate: 1e-3, reportEvery: 2, clip: true,
      data: (n, rng) => tf.tensor4d(rng.normals(n * 784), [n, 28, 28, 1]),
    });
    expect(Number.isFinite(result.reports.at(-1)!.loss)).toBe(true);
    expect(student.config.network).toEqual({ ...config.network, dropout: 0 });
    expect(teacher.config.network).toEqual(config.network);
    expect(checkConfigsMatch(student.config, teacher.config)).toEqual([]);

    // A training pass of the student draws no masks: two dropout seeds give one output. The teacher, built
    // with dropout, still draws them (the control: the comparison can tell).
    const z = tf.tensor4d(Array.from({ length: 784 }, (_, i) => Math.sin(i)), [1, 28, 28, 1]);
    const t = tf.tensor1d([0.6]);
    const out = (net: typeof teacher, seed: number) => tf.tidy(() => net.apply(z, t, { training: true, seed }).dataSync());
    expect(out(student, 1)).toEqual(out(student, 2));
    expect(out(teacher, 1)).not.toEqual(out(teacher, 2));
    tf.dispose([z, t]);
    student.dispose();
    teacher.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  }, 120_000);

  it("leaves a 2D (MLP) teacher's config as it is", () => {
    expect(studentConfig(TINY_TOY_CONFIG)).toEqual(TINY_TOY_CONFIG);
  });
});

describe("a round's batches (roundBatch)", () => {
  it('draw t = i/N with i uniform in {1, …, N}, and take x̂, w(λ) and the teacher coefficients at that t', () => {
    const n = 4, batchSize = 64, draws = 50;
    const spec = {
      studentSteps: n, batchSize, parameterization: 'v', weighting: 'snr_trunc',
      schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
      data: (k: number) => tf.zeros([k, 2]),
    } as const;
    // The cosine schedule written as angles, not as the code's sigmoids of λ: α = cos(a·t + b), σ = sin(a·t + b),
    // b = atan(e^(-λmax/2)), a = atan(e^(-λmin/2)) - b.
    const b0 = Math.atan(Math.exp(-10));
    const a0 = Math.atan(Math.exp(10)) - b0;
    const alpha = (t: number) => Math.cos(a0 * t + b0);
    const sigma = (t: number) => Math.sin(a0 * t + b0);
    const col = (name: (typeof TARGET_COLUMNS)[number]) => TARGET_COLUMNS.indexOf(name);
    const counts = new Map<number, number>();
    const rng = new Rng(7);
    const tensors = tf.memory().numTensors;
    for (let d = 0; d < draws; d++) {
      tf.tidy(() => {
        let coef: number[][] = [];
        const b = roundBatch(spec, rng, (x, eps, c) => {
          coef = c.arraySync();
          return [tf.add(x, eps), x];
        });
        const [t, xz, xo, w] = [b.t, b.xz, b.xo, b.weight].map((v) => v.dataSync());
        expect(b.xz.shape).toEqual([batchSize, 1]);
        for (let k = 0; k < batchSize; k++) {
          const i = Math.round(t[k] * n);
          expect(Math.abs(t[k] * n - i)).toBeLessThan(1e-6);
          counts.set(i, (counts.get(i) ?? 0) + 1);
          const ti = i / n;
          // v-parameterization: x̂ = α·z - σ·v̂; w = max(SNR, 1) with SNR = α²/σ².
          expect(xz[k]).toBeCloseTo(alpha(ti), 6);
          expect(xo[k]).toBeCloseTo(-sigma(ti), 6);
          expect(w[k]).toBeCloseTo(Math.max((alpha(ti) / sigma(ti)) ** 2, 1), 4);
          // The teacher's coefficients of the same example: its two steps t → t - 0.5/N → t - 1/N.
          const row = coef[k];
          expect(row[col('t')]).toBeCloseTo(ti, 6);
          expect(row[col('tMid')]).toBeCloseTo(ti - 0.5 / n, 6);
          expect(row[col('alphaMid')]).toBeCloseTo(alpha(ti - 0.5 / n), 6);
          expect(row[col('sigmaEnd')]).toBeCloseTo(sigma(ti - 1 / n), 6);
          expect(row[col('last')]).toBe(i === 1 ? 1 : 0);
        }
      });
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4]);
    const expected = (draws * batchSize) / n; // 800 each; a multinomial spread of about ±25
    for (const c of counts.values()) expect(Math.abs(c - expected)).toBeLessThan(0.12 * expected);
  });
});
