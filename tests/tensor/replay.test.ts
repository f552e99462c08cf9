// The recorded-and-replayed forward pass (src/tensor/replay.ts) on WebGPU (SwiftShader in CI). A replay runs the
// same dispatches as the eager pass, so its output must equal a fresh eager pass of the same inputs exactly; the
// expected values here always come from an eager pass with replay switched off, never from the replay itself.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distillBatch, distillationTarget, targetCoefficients } from '../../src/distill/target';
import { timePoint } from '../../src/core/schedule';
import { withCustomKernels } from '../../src/kernels/customKernels';
import { buildNetwork } from '../../src/model/build';
import type { Network } from '../../src/model/network';
import { replayedForward } from '../../src/model/replayedForward';
import { networkDenoiser } from '../../src/samplers/denoiser';
import { generateSamples } from '../../src/samplers/generate';
import { countDispatches } from '../../src/tensor/dispatchCounter';
import { Replay, ReplayCache, withReplay } from '../../src/tensor/replay';
import { NO_WEBGPU, setupWebGPU } from '../kernels/webgpuSetup';
import { perturbWeights, unetConfig } from '../model/unetFixtures';

const noise = (seed: number, shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', seed);

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('replay on webgpu', () => {
  let ready = false;
  let net: Network;
  beforeAll(async () => {
    ready = (await setupWebGPU()) !== null;
    if (!ready) return;
    net = buildNetwork(unetConfig({ channels: [4, 8, 8], attention: true, groups: 2 }), 5);
    perturbWeights(net);
  }, 120_000);
  afterAll(() => net?.dispose());

  it('replays the UNet forward pass bit for bit, at new inputs, with as many dispatches as the eager pass', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const fwd = replayedForward(net);
    const before = tf.memory().numTensors;
    const eager = (z: tf.Tensor, t: tf.Tensor1D) => withReplay(false, () => tf.tidy(() => net.apply(z, t)));
    const z0 = noise(1, [3, 28, 28, 1]);
    const t0 = tf.tensor1d([0.9, 0.5, 0.1]);
    const first = await values(fwd.apply(z0, t0)); // the recording (computed eagerly)
    expect(maxAbsDiff(first, await values(eager(z0, t0)))).toBe(0);
    for (const [seed, times] of [[2, [0.3, 0.3, 0.3]], [3, [1, 0.01, 0.7]]] as const) {
      const z = noise(seed, [3, 28, 28, 1]);
      const t = tf.tensor1d([...times]);
      const { result, dispatches } = countDispatches(() => fwd.apply(z, t));
      const { result: ref, dispatches: eagerDispatches } = countDispatches(() => eager(z, t));
      const got = await values(result);
      const want = await values(ref);
      // Not the previous output: the new inputs went in.
      expect(maxAbsDiff(got, first)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(got, want)).toBe(0);
      expect(dispatches).toBe(eagerDispatches);
      tf.dispose([z, t]);
    }
    expect(fwd.stats).toEqual({ recordings: 1, replays: 2, eager: 0 });
    fwd.dispose();
    tf.dispose([z0, t0]);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('records anew after a weight is reassigned, and replays the new weights', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const fwd = replayedForward(net);
    const z = noise(4, [2, 28, 28, 1]);
    const t = tf.tensor1d([0.6, 0.2]);
    const before = await values(fwd.apply(z, t));
    await values(fwd.apply(z, t)); // a replay
    const [name, w] = [...net.params].find(([k]) => k.includes('out'))!;
    const saved = w.clone();
    try {
      w.assign(tf.mul(w, 2));
      const after = await values(fwd.apply(z, t));
      const want = await values(withReplay(false, () => net.apply(z, t)));
      expect(maxAbsDiff(after, want), name).toBe(0);
      expect(maxAbsDiff(after, before)).toBeGreaterThan(1e-4);
      expect(fwd.stats.recordings).toBe(2);
    } finally {
      w.assign(saved);
      saved.dispose();
      tf.dispose([z, t]);
      fwd.dispose();
    }
  }, 120_000);

  it('keeps one recording per batch shape, and one per kernel switch', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const fwd = replayedForward(net);
    try {
      for (const b of [2, 1, 2, 1]) {
        const z = noise(b, [b, 28, 28, 1]);
        const t = tf.fill([b], 0.4) as tf.Tensor1D;
        const got = await values(fwd.apply(z, t));
        expect(maxAbsDiff(got, await values(withReplay(false, () => net.apply(z, t))))).toBe(0);
        tf.dispose([z, t]);
      }
      expect(fwd.stats).toEqual({ recordings: 2, replays: 2, eager: 0 });
      const z = noise(9, [1, 28, 28, 1]);
      const t = tf.fill([1], 0.4) as tf.Tensor1D;
      const stock = await values(withCustomKernels(false, () => fwd.apply(z, t)));
      expect(fwd.stats.recordings).toBe(3);
      expect(maxAbsDiff(stock, await values(withCustomKernels(false, () => withReplay(false, () => net.apply(z, t)))))).toBe(0);
      tf.dispose([z, t]);
    } finally {
      fwd.dispose();
    }
  }, 120_000);

  it('runs eagerly, and says why, when the function reads the GPU back or a gradient tape records', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const x = tf.tensor1d([1, 2, 3]);
    const tensors = tf.memory().numTensors;
    // A function that reads its input back (to a new GPU buffer: tfjs-webgpu cannot read synchronously in
    // Node) runs to the end eagerly and gives its output, but no recording.
    const r = Replay.record(([a]) => {
      const copy = a.dataToGPU();
      const y = tf.add(copy.tensorRef, 1);
      copy.tensorRef.dispose();
      return y;
    }, [x]);
    if ('replay' in r) throw new Error('recorded a function that reads back');
    expect(r.reason).toBe('the function reads the GPU back');
    expect(await values(r.output!)).toEqual(new Float32Array([2, 3, 4]));
    expect(tf.memory().numTensors).toBe(tensors);
    let taped: unknown;
    const g = tf.grad((a: tf.Tensor) => {
      taped = Replay.record(([b]) => tf.sum(b), [a]);
      return tf.sum(tf.square(a));
    })(x);
    expect(taped).toEqual({ reason: 'a gradient tape is recording' });
    expect(await values(g)).toEqual(new Float32Array([2, 4, 6]));
    x.dispose();
  }, 60_000);

  it('returns a list as a list, including an input and a weight passed through, and frees only what it made', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const init = tf.tensor1d([10, 20, 30]);
    const w = tf.variable(init);
    init.dispose();
    const tensors = tf.memory().numTensors;
    const cache = new ReplayCache(([a]) => [tf.mul(a, w), a, w], { watch: { tensors: () => [w] } });
    const runs: Float32Array[][] = [];
    for (const v of [[1, 2, 3], [4, 5, 6], [7, 8, 9]]) {
      const a = tf.tensor1d(v);
      runs.push(await Promise.all(cache.call([a]).map(values)));
      a.dispose();
    }
    expect(cache.stats).toEqual({ recordings: 1, replays: 2, eager: 0 });
    expect(runs[2]).toEqual([new Float32Array([70, 160, 270]), new Float32Array([7, 8, 9]), new Float32Array([10, 20, 30])]);
    cache.dispose();
    expect(w.isDisposed).toBe(false); // the weight passed through is still the caller's
    expect(tf.memory().numTensors).toBe(tensors);
    w.dispose();
  }, 60_000);

  it('frees what it recorded: tensors and GPU bytes back where they were', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const gpuBytes = () => (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
    await values(withReplay(false, () => tf.tidy(() => net.apply(noise(6, [2, 28, 28, 1]), tf.tensor1d([0.5, 0.5]))))); // warm the weights
    const tensors = tf.memory().numTensors;
    const bytes = gpuBytes();
    const z = noise(6, [2, 28, 28, 1]);
    const t = tf.tensor1d([0.5, 0.5]);
    const fwd = replayedForward(net);
    for (let i = 0; i < 3; i++) await values(fwd.apply(z, t));
    expect(fwd.stats.replays).toBe(2);
    expect(tf.memory().numTensors).toBe(tensors + 2 + 3); // z, t; the recording's two inputs and its output
    fwd.dispose();
    tf.dispose([z, t]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(gpuBytes()).toBe(bytes);
  }, 120_000);

  it('a sampler and a distillation target give the same numbers replayed as eager', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const opts = { seed: 8, count: 5, shape: [28, 28, 1], batchSize: 2, steps: 3, clip: true };
    const denoiser = networkDenoiser(net);
    const replayed = await generateSamples(denoiser, opts);
    // Batches of 2, 2 and 1, 3 steps each: one recording per batch shape, the other 7 passes replayed.
    expect(denoiser.stats).toEqual({ recordings: 2, replays: 7, eager: 0 });
    denoiser.dispose();
    const eager = await withReplay(false, () => generateSamples(networkDenoiser(net), opts));
    expect(maxAbsDiff(replayed, eager)).toBe(0);

    const frozen = replayedForward(net);
    const times = [0.75, 0.5, 1];
    const at = times.map((s) => timePoint(s, net.config.schedule));
    const aMid = times.map((s) => timePoint(s - 0.125, net.config.schedule));
    const aEnd = times.map((s) => timePoint(s - 0.25, net.config.schedule));
    const zT = noise(10, [3, 28, 28, 1]);
    await values(distillationTarget(frozen, zT, at, aMid, aEnd, true)); // records
    const got = await values(distillationTarget(frozen, zT, at, aMid, aEnd, true)); // replays twice
    const want = await values(withReplay(false, () => distillationTarget(net, zT, at, aMid, aEnd, true)));
    expect(frozen.stats).toEqual({ recordings: 1, replays: 3, eager: 0 });
    expect(maxAbsDiff(got, want)).toBe(0);
    frozen.dispose();
    zT.dispose();

    // A whole distillation batch, two outputs (z_t and x̃) from three inputs: a list replayed as a list.
    const batches = new ReplayCache(([x, eps, coef]) => distillBatch(net, x, eps, coef as tf.Tensor2D, true));
    const coef = targetCoefficients(net.config.parameterization, at, aMid, aEnd);
    const inputs = (seed: number) => [noise(seed, [3, 28, 28, 1]), noise(seed + 1, [3, 28, 28, 1]), coef];
    const lists = async (ts: tf.Tensor[]) => Promise.all(ts.map(values));
    for (const seed of [20, 30, 40]) { // recorded, then replayed at new inputs
      const [x, eps] = inputs(seed);
      const replayedBatch = await lists(batches.call([x, eps, coef]));
      const eagerBatch = await lists(withReplay(false, () => distillBatch(net, x, eps, coef, true)));
      expect(replayedBatch).toHaveLength(2);
      replayedBatch.forEach((r, k) => expect(maxAbsDiff(r, eagerBatch[k])).toBe(0));
      tf.dispose([x, eps]);
    }
    expect(batches.stats).toEqual({ recordings: 1, replays: 2, eager: 0 });
    batches.dispose();
    coef.dispose();
  }, 180_000);
});
