import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distillRound, studentConfig } from '../../src/distill/round';
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
