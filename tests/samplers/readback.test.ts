// Issue 3's sampling target: no readback inside the sampler loop, one per finished batch. Counted at the backend
// (`read` and `readSync`, which every `data()` / `dataSync()` / `array()` goes through) while generateSamples
// runs the UNet with DDIM on WebGPU (SwiftShader; the fused DDIM program). Not on cpu, where tensors live in
// memory and its own kernels call readSync on their inputs: there is nothing to read back.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/model/build';
import { generateSamples } from '../../src/samplers/generate';
import { networkDenoiser } from '../../src/samplers/denoiser';
import { getWebGPUBackend } from '../../src/tensor/backend';
import { sampleNetwork } from '../../src/worker/sampling';
import { NO_WEBGPU, setupWebGPU } from '../kernels/webgpuSetup';
import { unetConfig } from '../model/unetFixtures';

/** Counts the active backend's readbacks until restore(). */
function countReads(): { reads: () => number; restore: () => void } {
  const backend = tf.backend() as unknown as { read: (id: object) => Promise<unknown>; readSync: (id: object) => unknown };
  const [read, readSync] = [backend.read, backend.readSync];
  let n = 0;
  backend.read = function (this: unknown, id: object) {
    n++;
    return read.call(this, id);
  };
  backend.readSync = function (this: unknown, id: object) {
    n++;
    return readSync.call(this, id);
  };
  return { reads: () => n, restore: () => Object.assign(backend, { read, readSync }) };
}

// Whatever a test leaves counting (a failed assertion before its own restore) is restored after it.
let counter: ReturnType<typeof countReads> | undefined;
afterEach(() => counter?.restore());

describe('the sampler reads back once per finished batch', () => {
  it('on webgpu: 7 samples in batches of 3, 4 DDIM steps each → 3 readbacks', async (ctx) => {
    if (!(await setupWebGPU())) ctx.skip(NO_WEBGPU);
    const net = buildNetwork(unetConfig({ channels: [4, 4, 4], groups: 2 }), 1);
    const batches: number[] = [];
    const denoiser = networkDenoiser(net); // replays its recorded forward pass after the first step
    counter = countReads();
    const samples = await generateSamples(denoiser, {
      seed: 3, count: 7, shape: [28, 28, 1], batchSize: 3, steps: 4, clip: true, onBatch: (done) => batches.push(done),
    });
    const reads = counter.reads();
    counter.restore();
    denoiser.dispose();
    net.dispose();
    expect(batches).toEqual([3, 6, 7]);
    expect(samples.length).toBe(7 * 784);
    expect(reads).toBe(3);
  }, 120_000);
});

describe("the playground's sampler (sampleNetwork) counts steps the GPU has done, not steps queued", () => {
  it('on webgpu: step k is reported once the GPU has finished it, the CPU at most 2 steps ahead, with one readback', async (ctx) => {
    if (!(await setupWebGPU())) ctx.skip(NO_WEBGPU);
    const net = buildNetwork(unetConfig({ channels: [4, 4, 4], groups: 2 }), 2);
    const backend = getWebGPUBackend()!;
    const queue = backend.device.queue;
    const ownDone = Object.getOwnPropertyDescriptor(queue, 'onSubmittedWorkDone');
    const done = queue.onSubmittedWorkDone;
    let asked = 0;
    let finished = 0;
    const submittedFirst: boolean[] = [];
    // Counts the GPU's "work done" questions and answers (answered in submission order), and checks that each
    // question comes after everything encoded was submitted: tfjs holds no unsubmitted encoder then.
    queue.onSubmittedWorkDone = function (this: GPUQueue) {
      asked++;
      submittedFirst.push((backend as unknown as { commandEncoder: unknown }).commandEncoder === null);
      return done.call(this).then(() => {
        finished++;
        return undefined;
      });
    };
    counter = countReads();
    const reported: { step: number; finished: number; asked: number }[] = [];
    let samples: Float32Array = new Float32Array(0);
    try {
      const run = await sampleNetwork(net, { seed: 1, count: 3, steps: 6, onStep: (step) => reported.push({ step, finished, asked }) });
      samples = run.samples;
    } finally {
      if (ownDone) Object.defineProperty(queue, 'onSubmittedWorkDone', ownDone);
      else delete (queue as { onSubmittedWorkDone?: unknown }).onSubmittedWorkDone;
    }
    const reads = counter.reads();
    counter.restore();
    // The same samples as the sampler run straight through, without pacing: the pacing's submits lose no work.
    const denoiser = networkDenoiser(net);
    const straight = await generateSamples(denoiser, { seed: 1, count: 3, shape: [28, 28, 1], batchSize: 3, steps: 6, clip: true });
    denoiser.dispose();
    net.dispose();
    expect(samples.length).toBe(3 * 784);
    expect(samples.some((v) => v !== 0)).toBe(true);
    expect(Math.max(...samples.map((v, i) => Math.abs(v - straight[i])))).toBeLessThan(1e-5);
    expect(reported.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(asked).toBe(6); // one question per step
    expect(submittedFirst.every(Boolean)).toBe(true);
    for (const r of reported) {
      // Step k (0-based) is reported after k + 1 answers: the GPU has finished it.
      expect(r.finished).toBeGreaterThanOrEqual(r.step + 1);
      // The CPU had queued at most 2 steps beyond it.
      expect(r.asked - (r.step + 1)).toBeLessThanOrEqual(2);
    }
    // While the sampler ran (before the last step's drain), it was exactly 2 steps ahead.
    expect(reported.slice(0, 3).map((r) => r.asked - (r.step + 1))).toEqual([2, 2, 2]);
    expect(reads).toBe(1);
  }, 120_000);
});
