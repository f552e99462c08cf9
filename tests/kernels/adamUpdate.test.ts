// The fused optimizer step (kernels/gradNorm_webgpu.ts + kernels/adamUpdate_webgpu.ts, as the Trainer runs
// them on webgpu) against the Trainer's plain-tfjs path on the same backend: same weights, Adam moments,
// EMA and reported gradient norms after a few steps on small random tensors, clipped and unclipped;
// resuming from optimizerState(); the non-finite guard; and in-place updates that never write through a
// shared buffer.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { setCustomKernels } from '../../src/kernels/customKernels';
import { type OptimizerTensor, type TrainReport, Trainer, type TrainerOptions } from '../../src/train/trainer';
import { expectClose, setupWebGPU } from './webgpuSetup';

const gpu = await setupWebGPU();

// Nine tensors (two gradient-norm groups), sizes off the workgroup sizes, one larger than a workgroup's
// 256-thread stride.
const SHAPES = [[3, 5], [7], [2, 3, 4, 2], [1], [130], [4, 4], [9], [2, 2, 2], [600]];

interface RunResult {
  params: Float32Array[];
  ema: Float32Array[] | null;
  state: Float32Array[];
  stateNames: string[];
  reports: TrainReport[];
}

function makeParams(): Map<string, tf.Variable> {
  const rng = new Rng(11);
  return new Map(SHAPES.map((s, i) => [`p${i}`, tf.tidy(() => tf.variable(tf.tensor(rng.normals(s.reduce((a, b) => a * b, 1)), s)))]));
}

/** Σ of scalars as a chain of adds: webgpu's addN binds all its inputs at once, at most 8 storage buffers. */
const total = (xs: tf.Tensor[]): tf.Scalar => xs.reduce((a, b) => tf.add(a, b)) as tf.Scalar;

/** loss = Σ_i sum(a_i·p_i + b_i·p_i²) with a, b drawn per step: gradient a + 2b·p, norm ~ scale·√(size). */
function batchMaker(scale: number) {
  return (step: number) => {
    const rng = new Rng(100 + step);
    return SHAPES.map((s) => {
      const n = s.reduce((a, b) => a * b, 1);
      return { a: tf.tensor(rng.normals(n).map((x) => scale * x), s), b: tf.tensor(rng.normals(n).map((x) => Math.abs(x)), s) };
    });
  };
}

async function read(ts: tf.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
}

async function train(fused: boolean, opts: Partial<TrainerOptions> & { scale?: number }, params = makeParams(), resume?: OptimizerTensor[]): Promise<RunResult> {
  setCustomKernels(fused);
  const trainer = new Trainer(params, { iterations: 5, learningRate: 0.05, schedule: 'linear-decay', warmup: 2, reportEvery: 1, emaDecay: 0.9, ...opts });
  if (resume) await trainer.loadOptimizerState(resume);
  const vars = [...params.values()];
  const r = await trainer.run(batchMaker(opts.scale ?? 1), (batch) =>
    total(batch.map(({ a, b }, i) => tf.sum(tf.add(tf.mul(a, vars[i]), tf.mul(b, tf.square(vars[i])))))));
  expect(r.stopped).toBe('done');
  const state = await trainer.optimizerState();
  const result: RunResult = {
    params: await read(vars),
    ema: trainer.ema ? await read([...trainer.ema.values()]) : null,
    state: await read(state.map((s) => s.tensor)),
    stateNames: state.map((s) => s.name),
    reports: r.reports,
  };
  tf.dispose(state[0].tensor); // the step count is a fresh scalar; the moments belong to the trainer
  trainer.dispose();
  for (const v of params.values()) v.dispose();
  return result;
}

function expectSameRun(fused: RunResult, plain: RunResult): void {
  fused.params.forEach((p, i) => expectClose(p, plain.params[i]));
  if (plain.ema) fused.ema!.forEach((e, i) => expectClose(e, plain.ema![i]));
  else expect(fused.ema).toBeNull();
  expect(fused.state.length).toBe(plain.state.length);
  expect(fused.state[0][0]).toBe(plain.state[0][0]); // step count
  fused.state.slice(1).forEach((s, i) => expectClose(s, plain.state[i + 1], 1e-5, 1e-9));
  expect(fused.stateNames.map((n) => n.replace(/^.*\//, ''))).toEqual(plain.stateNames.map((n) => n.replace(/^.*\//, '')));
  expect(fused.reports.map((r) => r.step)).toEqual(plain.reports.map((r) => r.step));
  fused.reports.forEach((r, i) => {
    expect(r.gradNorm).toBeCloseTo(plain.reports[i].gradNorm, 4);
    expect(r.loss).toBeCloseTo(plain.reports[i].loss, 3);
  });
}

describe.skipIf(!gpu)('fused optimizer step on webgpu', () => {
  let before = 0;
  beforeEach(() => { before = tf.memory().numTensors; });
  afterEach(() => {
    setCustomKernels(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clipped (‖g‖ > clip), with EMA: same weights, moments, EMA and norms as plain tfjs', async () => {
    const plain = await train(false, { clipNorm: 1, scale: 3 });
    const fused = await train(true, { clipNorm: 1, scale: 3 });
    expect(plain.reports[0].gradNorm).toBeGreaterThan(5);
    expectSameRun(fused, plain);
  });

  it('unclipped, without EMA, constant learning rate', async () => {
    const opts = { clipNorm: 1e6, emaDecay: undefined, schedule: 'constant' as const, warmup: 0, learningRate: 0.01 };
    const plain = await train(false, opts);
    const fused = await train(true, opts);
    expectSameRun(fused, plain);
  });

  it('resumes from optimizerState: 3 + 2 steps equal 5, and the plain state loads into the fused path', async () => {
    const straight = await train(false, { clipNorm: 1, emaDecay: undefined });
    for (const firstFused of [true, false]) {
      const params = makeParams();
      setCustomKernels(firstFused);
      // Stopped after 3 of the 5 steps, so the learning-rate schedule is the 5-step run's.
      const ac = new AbortController();
      const first = new Trainer(params, {
        iterations: 5, learningRate: 0.05, schedule: 'linear-decay', warmup: 2, reportEvery: 1, clipNorm: 1,
        signal: ac.signal, onReport: (r) => { if (r.step === 3) ac.abort(); },
      });
      const vars = [...params.values()];
      const lossFn = (batch: { a: tf.Tensor; b: tf.Tensor }[]) =>
        total(batch.map(({ a, b }, i) => tf.sum(tf.add(tf.mul(a, vars[i]), tf.mul(b, tf.square(vars[i]))))));
      expect((await first.run(batchMaker(1), lossFn)).steps).toBe(3);
      // As `halfstep train --resume` does: copies of the state, outliving the trainer that made them.
      const state = await first.optimizerState();
      const values = await read(state.map((s) => s.tensor));
      const saved = state.map((s, i) => ({ name: s.name, tensor: tf.tensor(values[i], s.tensor.shape, s.tensor.dtype) }));
      tf.dispose(state[0].tensor);
      first.dispose();
      const resumed = await train(true, { clipNorm: 1, emaDecay: undefined, startStep: 3 }, params, saved);
      tf.dispose(saved.map((s) => s.tensor));
      resumed.params.forEach((p, i) => expectClose(p, straight.params[i]));
      resumed.state.slice(1).forEach((s, i) => expectClose(s, straight.state[i + 1], 1e-5, 1e-9));
      expect(resumed.state[0][0]).toBe(5);
    }
  });

  it('non-finite guard: stops, names the step and restores the last good weights and EMA', async () => {
    setCustomKernels(true);
    const params = makeParams();
    const vars = [...params.values()];
    let atStep2: Float32Array[] = [];
    let emaAtStep2: Float32Array[] = [];
    const trainer = new Trainer(params, {
      iterations: 10, learningRate: 0.05, reportEvery: 2, emaDecay: 0.9,
      onReport: async (r) => {
        if (r.step === 2) [atStep2, emaAtStep2] = [await read(vars), await read([...trainer.ema!.values()])];
      },
    });
    const r = await trainer.run(batchMaker(1), (batch, step) => {
      const l = total(batch.map(({ a, b }, i) => tf.sum(tf.add(tf.mul(a, vars[i]), tf.mul(b, tf.square(vars[i]))))));
      return step === 3 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
    });
    expect(r.stopped).toBe('nonfinite');
    expect(r.nonFiniteStep).toBe(3);
    expect(r.steps).toBe(2);
    (await read(vars)).forEach((p, i) => expect(Array.from(p)).toEqual(Array.from(atStep2[i])));
    (await read([...trainer.ema!.values()])).forEach((e, i) => expect(Array.from(e)).toEqual(Array.from(emaAtStep2[i])));
    trainer.dispose();
    for (const v of params.values()) v.dispose();
  });

  it('never writes through a buffer another tensor shares, and leaves no stale CPU copy', async () => {
    setCustomKernels(true);
    const params = makeParams();
    const w = params.get('p4')!;
    const alias = w.clone(); // shares w's buffer
    const atStart = Float32Array.from(await w.data()); // caches w's values on the CPU
    const trainer = new Trainer(params, { iterations: 2, learningRate: 0.1, reportEvery: 1, emaDecay: 0.5 });
    const vars = [...params.values()];
    await trainer.run(() => ({}), () => total(vars.map((v) => tf.sum(v))));
    const after = await w.data();
    expect(Array.from(await alias.data())).toEqual(Array.from(atStart));
    // Gradient 1 everywhere, lr 0.1 then 0.05: Adam moves every weight down by about 0.15.
    for (let i = 0; i < after.length; i++) expect(after[i] - atStart[i]).toBeCloseTo(-0.15, 3);
    const ema = await trainer.ema!.get('p4')!.data();
    for (let i = 0; i < ema.length; i++) expect(ema[i]).not.toBe(after[i]);
    alias.dispose();
    trainer.dispose();
    for (const v of params.values()) v.dispose();
  });
});
