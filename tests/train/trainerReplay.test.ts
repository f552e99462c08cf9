// A recorded-and-replayed training step (Trainer's replaySteps, src/tensor/replay.ts) on WebGPU (SwiftShader in
// CI). The replay runs the eager step's dispatches (forward, backward, clipping, Adam, EMA) with each step's
// learning rate and bias corrections as an input, so a run with it must end on exactly the weights, EMA and
// reports of the same run taken eagerly. The expected values come from that eager run, never from the replay.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { setCustomKernels } from '../../src/kernels/customKernels';
import { distillRound } from '../../src/distill/round';
import { buildNetwork } from '../../src/model/build';
import { withReplay } from '../../src/tensor/replay';
import { type TrainReport, type TrainResult, Trainer } from '../../src/train/trainer';
import { NO_WEBGPU, setupWebGPU } from '../kernels/webgpuSetup';
import { unetConfig } from '../model/unetFixtures';

interface Run {
  params: Float32Array[];
  ema: Float32Array[];
  reports: TrainReport[];
  readAtReports: number[];
  stats: TrainResult['replay'];
  /** The clone of the first weight kept at the first report, as read then and at the end of the run. */
  kept?: { then: Float32Array; atEnd: Float32Array };
}

async function train(replaySteps: boolean, iterations: number, keepClone = false): Promise<Run> {
  const net = buildNetwork(unetConfig({ channels: [4, 8, 8], attention: true, groups: 2, dropout: 0 }), 21);
  const rng = new Rng(5);
  const first = [...net.params.values()][0];
  const readAtReports: number[] = [];
  let kept: { clone: tf.Tensor; then: Float32Array } | undefined;
  const trainer = new Trainer(net.params, {
    iterations, learningRate: 3e-3, schedule: 'linear-decay', warmup: 2, reportEvery: 2, emaDecay: 0.9, replaySteps,
    // A readback between steps, as a checkpoint save makes: tfjs keeps a CPU copy of what it read.
    onReport: async () => {
      readAtReports.push((await first.data())[0]);
      // A caller keeping a clone of a weight: it shares the weight's buffer, which the update writes in place.
      if (keepClone && !kept) {
        const clone = first.clone();
        kept = { clone, then: (await clone.data()).slice() as Float32Array };
      }
    },
  });
  const result = await trainer.run(
    () => ({
      z: tf.tensor4d(rng.normals(2 * 784), [2, 28, 28, 1]),
      target: tf.tensor4d(rng.normals(2 * 784), [2, 28, 28, 1]),
      t: tf.tensor1d([rng.uniform(), rng.uniform()]),
    }),
    (b) => tf.mean(tf.squaredDifference(net.apply(b.z, b.t as tf.Tensor1D, { training: true }), b.target)) as tf.Scalar,
  );
  expect(result.stopped).toBe('done');
  const run: Run = {
    params: await Promise.all([...net.params.values()].map(async (v) => (await v.data()) as Float32Array)),
    ema: await Promise.all([...trainer.ema!.values()].map(async (v) => (await v.data()) as Float32Array)),
    reports: result.reports,
    readAtReports,
    stats: result.replay,
    ...(kept ? { kept: { then: kept.then, atEnd: (await kept.clone.data()) as Float32Array } } : {}),
  };
  kept?.clone.dispose();
  trainer.dispose();
  net.dispose();
  return run;
}

describe('a replayed training step on webgpu', () => {
  let ready = false;
  beforeAll(async () => {
    ready = (await setupWebGPU()) !== null;
    setCustomKernels(true);
  }, 120_000);

  it('ends on the eager run\'s weights, EMA and reports exactly, with one recording for the run', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const tensors = tf.memory().numTensors;
    const eager = await train(false, 7);
    const replayed = await train(true, 7);
    expect(tf.memory().numTensors).toBe(tensors);
    // Step 1 eager (it creates Adam's moments), step 2 recorded, steps 3-7 replayed.
    expect(replayed.stats).toEqual({ recordings: 1, replays: 5, eager: 0 });
    expect(eager.stats).toBeUndefined();
    expect(replayed.reports).toEqual(eager.reports);
    expect(replayed.readAtReports).toEqual(eager.readAtReports);
    // The weights moved (so equality below says something), and moved the same way.
    const initial = await train(false, 0);
    expect(replayed.params.some((p, i) => p.some((x, j) => x !== initial.params[i][j]))).toBe(true);
    replayed.params.forEach((p, i) => expect(p).toEqual(eager.params[i]));
    replayed.ema.forEach((e, i) => expect(e).toEqual(eager.ema[i]));
  }, 300_000);

  it('leaves a clone of a weight that a caller keeps untouched, taking the steps eagerly while it lives', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const tensors = tf.memory().numTensors;
    const eager = await train(false, 5, true);
    const replayed = await train(true, 5, true);
    expect(tf.memory().numTensors).toBe(tensors);
    // The clone was taken after step 2 (the recording); steps 3-5 could not replay while it shared the buffer.
    expect(replayed.stats).toEqual({ recordings: 1, replays: 0, eager: 3 });
    expect(replayed.kept!.atEnd).toEqual(replayed.kept!.then);
    expect(replayed.kept!.then).toEqual(eager.kept!.then);
    replayed.params.forEach((p, i) => expect(p).toEqual(eager.params[i]));
    expect(replayed.reports).toEqual(eager.reports);
  }, 300_000);

  it('gives a distillation round the same student replayed (its batches and student steps) as eager', async (ctx) => {
    if (!ready) ctx.skip(NO_WEBGPU);
    const tensors = tf.memory().numTensors;
    const teacher = buildNetwork(unetConfig({ channels: [4, 8, 8], attention: false, groups: 2, dropout: 0 }), 3);
    let seed = 50;
    for (const v of teacher.params.values()) {
      const moved = tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', seed++)));
      v.assign(moved);
      moved.dispose();
    }
    const round = (replay: boolean) => withReplay(replay, () => distillRound(teacher, {
      studentSteps: 2, batchSize: 2, seed: 4, iterations: 5, learningRate: 1e-3, reportEvery: 5, clip: true,
      data: (n, rng) => tf.tensor4d(rng.normals(n * 784), [n, 28, 28, 1]),
    }));
    const eager = await round(false);
    const replayed = await round(true);
    const weights = async (r: Awaited<ReturnType<typeof round>>) => Promise.all([...r.student.params.values()].map(async (v) => (await v.data()) as Float32Array));
    const [we, wr, wt] = [await weights(eager), await weights(replayed), await weights({ student: teacher } as Awaited<ReturnType<typeof round>>)];
    expect(wr.some((w, i) => w.some((x, j) => x !== wt[i][j]))).toBe(true); // the student moved off its teacher
    wr.forEach((w, i) => expect(w).toEqual(we[i]));
    expect(replayed.result.reports).toEqual(eager.result.reports);
    // Step 1 eager, step 2 recorded, steps 3-5 replayed; with replay off, every step after the first eager.
    expect(replayed.result.replay).toEqual({ recordings: 1, replays: 3, eager: 0 });
    expect(eager.result.replay).toEqual({ recordings: 0, replays: 0, eager: 4 });
    // Each batch (z_t and the teacher's target: two forward passes and the arithmetic around them) likewise,
    // five for the steps and a sixth for the loss that proves the final weights.
    expect(replayed.batches).toEqual({ recordings: 1, replays: 5, eager: 0 });
    expect(eager.batches).toEqual({ recordings: 0, replays: 0, eager: 6 });
    eager.student.dispose();
    replayed.student.dispose();
    teacher.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  }, 300_000);
});
