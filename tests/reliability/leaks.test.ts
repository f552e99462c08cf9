// No leaks: ten consecutive distillation rounds (one cancelled mid-round, one stopped by a NaN loss) and fifty
// sampling runs (one cancelled mid-run) leave tf.memory() exactly where it was, once the students a user keeps
// are disposed. The rounds that fail leave the students finished before them untouched and still sampling.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE } from '../../src/core/schedule';
import { arrayBatchSource, type BatchSource } from '../../src/data/batchSource';
import { toyDataset } from '../../src/data/toy2d';
import { distillChain, type ChainResult } from '../../src/distill/chain';
import { buildNetwork } from '../../src/model/build';
import type { ModelConfig } from '../../src/model/config';
import type { Network } from '../../src/model/network';
import { sampleDdim, seededNoise } from '../../src/samplers/ddim';
import { networkDenoiser } from '../../src/samplers/denoiser';
import { generateSamples } from '../../src/samplers/generate';
import { initBackend } from '../../src/tensor/backend';

const CONFIG: ModelConfig = {
  network: { arch: 'mlp', hidden: 16, blocks: 1, embedDim: 8 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: DEFAULT_SCHEDULE,
  conditioning: 't',
};
const ITERATIONS = 6;
const REPORT_EVERY = 2;
const moons = arrayBatchSource(toyDataset('moons', 2_000, 1), [2]);

let teacher: Network;
/**
 * What building and disposing one network leaves behind: nothing since 5596c91 (ParamBuilder used to keep each
 * variable's initial tensor). The rounds add it to their accounting, and the last test asserts it is zero.
 */
let buildLeak: { numTensors: number; numBytes: number };

beforeAll(async () => {
  await initBackend('cpu');
  teacher = buildNetwork(CONFIG, 1);
  const start = memory();
  buildNetwork(CONFIG, 2).dispose();
  const end = memory();
  buildLeak = { numTensors: end.numTensors - start.numTensors, numBytes: end.numBytes - start.numBytes };
});

afterAll(() => teacher?.dispose());

function memory(): { numTensors: number; numBytes: number } {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, numBytes };
}

function weightsOf(net: Network): Float32Array[] {
  return [...net.params.values()].map((v) => v.dataSync() as Float32Array);
}

function paramMemory(net: Network): { numTensors: number; numBytes: number } {
  let numBytes = 0;
  for (const v of net.params.values()) numBytes += v.size * 4;
  return { numTensors: net.params.size, numBytes };
}

/** One halving round from `steps` to steps/2, as the CLI and the worker call it. */
function round(from: Network, steps: number, opts: { data?: BatchSource; signal?: AbortSignal; onReport?: (step: number) => void } = {}): Promise<ChainResult> {
  return distillChain(from, {
    fromSteps: steps,
    toSteps: steps / 2,
    iterations: ITERATIONS,
    batchSize: 16,
    learningRate: 1e-3,
    data: opts.data ?? moons,
    seed: steps,
    reportEvery: REPORT_EVERY,
    signal: opts.signal,
    onReport: (_, r) => opts.onReport?.(r.step),
  });
}

/** A data source that turns to NaN from its `after`-th batch on (0-based), as a corrupt data file would. */
function nanAfter(after: number): BatchSource {
  let calls = 0;
  return (batchSize, rng) => {
    const x = moons(batchSize, rng);
    if (calls++ < after) return x;
    const bad = tf.mul(x, Number.NaN);
    x.dispose();
    return bad;
  };
}

async function sampleOnce(net: Network, steps: number, seed: number): Promise<Float32Array> {
  const z1 = seededNoise(seed, 32, [2]); // [32, 2]
  const x = sampleDdim(networkDenoiser(net), z1, { steps });
  z1.dispose();
  try {
    return (await x.data()) as Float32Array;
  } finally {
    x.dispose();
  }
}

describe('memory stays flat', () => {
  it('over ten distillation rounds, a cancelled one and a NaN one among them', async () => {
    // Warm-up: tfjs keeps a few tensors of its own after the first op of a kind (e.g. scalar constants).
    const warm = await round(teacher, 1024);
    for (const r of warm.rounds) r.student.dispose();
    await sampleOnce(teacher, 2, 0);

    const before = memory();
    const kept: Network[] = [];
    let current = teacher;
    let steps = 1024;
    const outcomes: string[] = [];
    for (let k = 0; k < 10; k++) {
      const atStart = memory();
      const snapshot = [teacher, ...kept].map(weightsOf);
      let result: ChainResult;
      if (k === 3) {
        // Cancelled mid-round, at the first report (step 2 of 6).
        const controller = new AbortController();
        result = await round(current, steps, { signal: controller.signal, onReport: (step) => step === REPORT_EVERY && controller.abort() });
        expect(result.stopped).toBe('cancelled');
        expect(result.rounds).toEqual([]);
        expect(result.failure).toBeUndefined();
      } else if (k === 6) {
        // NaN data from the fourth batch on: step 3 (0-based) is the first bad step.
        result = await round(current, steps, { data: nanAfter(3) });
        expect(result.stopped).toBe('nonfinite');
        expect(result.rounds).toEqual([]);
        expect(result.failure).toEqual({ stage: 1, studentSteps: steps / 2, step: 3 });
      } else {
        result = await round(current, steps);
        expect(result.stopped).toBe('done');
        expect(result.rounds).toHaveLength(1);
      }
      outcomes.push(result.stopped);
      const after = memory();
      if (result.stopped === 'done') {
        // Exactly the new student's variables, nothing else.
        const student = result.rounds[0].student;
        const own = paramMemory(student);
        // The new student's variables, and what building a network leaks (see buildLeak).
        expect(after).toEqual({
          numTensors: atStart.numTensors + own.numTensors + buildLeak.numTensors,
          numBytes: atStart.numBytes + own.numBytes + buildLeak.numBytes,
        });
        kept.push(student);
        current = student;
        steps /= 2;
      } else {
        // The discarded student was built (cloneNetwork) and disposed: only the build leak stays.
        expect(after).toEqual({ numTensors: atStart.numTensors + buildLeak.numTensors, numBytes: atStart.numBytes + buildLeak.numBytes });
        // The teacher and every finished student are untouched and still sample.
        expect([teacher, ...kept].map(weightsOf)).toEqual(snapshot);
        const x = await sampleOnce(current, steps / 2, 7);
        expect(x.every(Number.isFinite)).toBe(true);
        expect(memory()).toEqual(after);
      }
    }
    expect(outcomes).toEqual(['done', 'done', 'done', 'cancelled', 'done', 'done', 'nonfinite', 'done', 'done', 'done']);
    expect(kept).toHaveLength(8);
    for (const s of kept) s.dispose();
    // Ten networks were built (one per round), nothing else is left.
    expect(memory()).toEqual({ numTensors: before.numTensors + 10 * buildLeak.numTensors, numBytes: before.numBytes + 10 * buildLeak.numBytes });
  }, 60_000);

  it('over fifty sampling runs, one cancelled mid-run', async () => {
    const denoiser = networkDenoiser(teacher);
    await generateSamples(denoiser, { seed: 0, count: 8, shape: [2], steps: 2 });
    const before = memory();
    for (let k = 0; k < 50; k++) {
      if (k === 25) {
        const controller = new AbortController();
        const z1 = seededNoise(k, 32, [2]); // [32, 2]
        expect(() => sampleDdim(denoiser, z1, { steps: 8, signal: controller.signal, onStep: (e) => e.step === 2 && controller.abort() })).toThrow(/abort/i);
        z1.dispose();
      } else if (k % 2 === 0) {
        const x = await sampleOnce(teacher, 1 + (k % 8), k);
        expect(x).toHaveLength(64);
      } else {
        const x = await generateSamples(denoiser, { seed: k, count: 40, shape: [2], steps: 1 + (k % 8), batchSize: 16 });
        expect(x).toHaveLength(80);
      }
      expect(memory()).toEqual(before);
    }
  }, 30_000);

  // Both once leaked: generateSamples kept a cancelled batch's z₁, and ParamBuilder kept each variable's
  // initial tensor (tf.variable copies its argument).
  it('when generateSamples is cancelled', async () => {
    const before = memory();
    const controller = new AbortController();
    controller.abort();
    await expect(generateSamples(networkDenoiser(teacher), { seed: 1, count: 40, shape: [2], steps: 4, batchSize: 16, signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(memory()).toEqual(before);
  });

  it('after building and disposing a network', () => {
    expect(buildLeak).toEqual({ numTensors: 0, numBytes: 0 });
  });
});
