// The paper's effect in miniature: distil a trained 2D teacher from 64 to 4 steps; from the same noise, the
// 4-step student lands much closer to the teacher's 64-step samples than the teacher's own 4-step DDIM does.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayBatchSource } from '../../src/data/batchSource';
import { toyDataset } from '../../src/data/toy2d';
import { distillChain } from '../../src/distill/chain';
import { buildNetwork } from '../../src/model/build';
import { slicedWasserstein2d } from '../../src/metrics/swd2d';
import { TOY_REFERENCE_SEED } from '../../src/metrics/quality';
import { networkDenoiser } from '../../src/samplers/denoiser';
import { generateSamples } from '../../src/samplers/generate';
import { initBackend } from '../../src/tensor/backend';
import { trainTeacher } from '../../src/train/teacher';
import { toyConfig } from '../../src/model/presets';
import type { Network } from '../../src/model/network';

const N = 600;
const data = arrayBatchSource(toyDataset('moons', 10_000, 3), [2]);
let teacher: Network;

beforeAll(async () => {
  await initBackend('wasm');
  teacher = buildNetwork(toyConfig('moons', 64, 2), 1);
  const { trainer, result } = await trainTeacher(teacher, { iterations: 1200, learningRate: 2e-3, warmup: 100, batchSize: 256, data, seed: 1, reportEvery: 100 });
  trainer.dispose();
  expect(result.stopped).toBe('done');
});

afterAll(() => teacher?.dispose());

const sample = (net: Network, steps: number) => generateSamples(networkDenoiser(net), { seed: 42, count: N, shape: [2], steps });

/** Mean Euclidean distance between paired samples (same starting noise). */
function pairedDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 2) s += Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]);
  return s / (a.length / 2);
}

describe('progressive distillation on two moons', () => {
  it('gives a 4-step student much closer to the 64-step teacher than the teacher\'s own 4-step DDIM', async () => {
    const reference = await sample(teacher, 64);
    const teacher4 = await sample(teacher, 4);
    const result = await distillChain(teacher, { fromSteps: 64, toSteps: 4, iterations: 200, batchSize: 256, learningRate: 1e-3, data, seed: 5, reportEvery: 50 });
    expect(result.stopped).toBe('done');
    expect(result.rounds.map((r) => r.studentSteps)).toEqual([32, 16, 8, 4]);
    const student4 = await sample(result.rounds.at(-1)!.student, 4);

    const dTeacher4 = pairedDistance(teacher4, reference);
    const dStudent4 = pairedDistance(student4, reference);
    console.log(`paired distance to teacher@64: teacher DDIM@4 ${dTeacher4.toFixed(4)}, student@4 ${dStudent4.toFixed(4)}`);
    expect(dStudent4).toBeLessThan(0.4 * dTeacher4);

    // And in distribution: the student's samples are as close to the data as the 64-step teacher's.
    const truth = toyDataset('moons', N, TOY_REFERENCE_SEED);
    const swd = { teacher64: slicedWasserstein2d(reference, truth), teacher4: slicedWasserstein2d(teacher4, truth), student4: slicedWasserstein2d(student4, truth) };
    console.log('sliced W2 to data', swd);
    expect(swd.student4).toBeLessThan(swd.teacher4);
    expect(swd.student4).toBeLessThan(1.5 * swd.teacher64);
    for (const r of result.rounds) r.student.dispose();
    expect(tf.memory().numTensors).toBeLessThan(200);
  });
});
