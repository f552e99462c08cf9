import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/train/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const oneParam = (init: number[]) => new Map([['w', tf.variable(tf.tensor1d(init))]]);

describe('Trainer', () => {
  it('decays the learning rate linearly to 0 over the run, after an optional warm-up', () => {
    const t = new Trainer(oneParam([0]), { iterations: 100, learningRate: 0.5 });
    expect(t.learningRateAt(0)).toBe(0.5);
    expect(t.learningRateAt(50)).toBeCloseTo(0.25, 12);
    expect(t.learningRateAt(99)).toBeCloseTo(0.005, 12);
    const w = new Trainer(oneParam([0]), { iterations: 100, learningRate: 1, schedule: 'constant', warmup: 10 });
    expect(w.learningRateAt(0)).toBeCloseTo(0.1, 12);
    expect(w.learningRateAt(50)).toBe(1);
  });

  it('reports the global gradient norm before clipping and the mean loss per report', async () => {
    // loss = 3·w₀ + 4·w₁ has gradient (3, 4): norm 5 at every step, loss = 3·w₀ + 4·w₁ at the step's weights.
    const params = oneParam([0, 0]);
    const c = tf.tensor1d([3, 4]);
    const t = new Trainer(params, { iterations: 20, learningRate: 0.01, reportEvery: 10 });
    const r = await t.run(() => ({}), () => tf.sum(tf.mul(c, params.get('w')!)) as tf.Scalar);
    expect(r.stopped).toBe('done');
    expect(r.reports.map((x) => x.step)).toEqual([10, 20]);
    for (const x of r.reports) expect(x.gradNorm).toBeCloseTo(5, 4);
    // A constant gradient makes Adam's bias-corrected step m̂/(√v̂ + ε) exactly ±1 per weight (clipped or not),
    // so each weight moves by lr_j = 0.01·(1 − j/20) (linear decay) at step j: before step k,
    // w₀ = w₁ = −Σ_{j<k} lr_j = −0.01·(k − k(k−1)/40) and the loss is 7·w₀.
    // Report 1, k = 0..9: Σk = 45, Σk(k−1) = 240: mean −0.07·(45 − 6)/10 = −0.273.
    // Report 2, k = 10..19: Σk = 145, Σk(k−1) = 2040: mean −0.07·(145 − 51)/10 = −0.658.
    expect(r.reports[0].loss).toBeCloseTo(-0.273, 4);
    expect(r.reports[1].loss).toBeCloseTo(-0.658, 4);
    // The mean learning rate of each window: 0.01·(1 − 4.5/20) and 0.01·(1 − 14.5/20).
    expect(r.reports[0].lr).toBeCloseTo(0.00775, 8);
    expect(r.reports[1].lr).toBeCloseTo(0.00275, 8);
  });

  it('reports at whole multiples of reportEvery from a resumed step when asked to, each window its own mean', async () => {
    // loss = w with gradient 1: Adam moves w by −lr_j at step j (constant lr 0.01), so before step k, w = −0.01·(k − 13).
    const params = oneParam([0]);
    const w = params.get('w')!;
    const steps = async (align: boolean) => {
      const p = oneParam([0]);
      const r = await new Trainer(p, { iterations: 40, startStep: 13, learningRate: 0.01, schedule: 'constant', reportEvery: 10, alignReports: align })
        .run(() => ({}), () => tf.sum(p.get('w')!) as tf.Scalar);
      return r.reports.map((x) => x.step);
    };
    expect(await steps(false)).toEqual([23, 33, 40]);
    expect(await steps(true)).toEqual([20, 30, 40]);
    const t = new Trainer(params, { iterations: 40, startStep: 13, learningRate: 0.01, schedule: 'constant', reportEvery: 10, alignReports: true });
    const r = await t.run(() => ({}), () => tf.sum(w) as tf.Scalar);
    // Window 13..19 (7 steps): mean of −0.01·(0..6) = −0.03; 20..29: −0.01·(7..16) mean −0.115; 30..39: −0.215.
    expect(r.reports.map((x) => x.loss)).toEqual([expect.closeTo(-0.03, 5), expect.closeTo(-0.115, 5), expect.closeTo(-0.215, 5)]);
  });

  it('stops on a non-finite loss, names the step and restores the last good weights', async () => {
    const params = oneParam([1, 2]);
    const w = params.get('w')!;
    let atStep30: number[] = [];
    const t = new Trainer(params, {
      iterations: 100, learningRate: 0.05, reportEvery: 10,
      onReport: (r) => { if (r.step === 30) atStep30 = Array.from(w.dataSync()); },
    });
    const r = await t.run(() => ({}), (_b, step) => {
      const loss = tf.sum(tf.square(w)) as tf.Scalar;
      return step === 37 ? (tf.mul(loss, Number.NaN) as tf.Scalar) : loss;
    });
    expect(r.stopped).toBe('nonfinite');
    expect(r.nonFiniteStep).toBe(37);
    expect(r.steps).toBe(30);
    expect(atStep30.length).toBe(2);
    expect(Array.from(w.dataSync())).toEqual(atStep30);
  });

  // loss = √(1 − w) is finite only while w ≤ 1; Adam's first step moves w by about lr, so from w = 0.9 a step of
  // lr 0.5 lands at 1.4, where every later loss is NaN. The loss that shows it is the next step's.
  const sqrtLoss = (w: tf.Variable) => () => tf.sum(tf.sqrt(tf.sub(1, w))) as tf.Scalar;

  it('does not keep the weights of a last step that blew them up: it goes back to the weights before it', async () => {
    const params = oneParam([0.9]);
    const w = params.get('w')!;
    const before = tf.memory().numTensors;
    const t = new Trainer(params, { iterations: 1, learningRate: 0.5, schedule: 'constant' });
    const r = await t.run(() => ({}), sqrtLoss(w));
    t.dispose();
    expect(r.stopped).toBe('nonfinite');
    expect(r.nonFiniteStep).toBe(1);
    expect(r.steps).toBe(0);
    expect(w.dataSync()[0]).toBeCloseTo(0.9, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('does not go back to a report\'s weights that the next step found bad', async () => {
    // Small steps for 10 (one report), then a big one: the weights at the report (step 10) are the blown-up
    // ones only if the jump comes in the report's own last step, which is what step 9's lr does here.
    const params = oneParam([0.5]);
    const w = params.get('w')!;
    let atReport: number[] = [];
    const t = new Trainer(params, {
      iterations: 30, learningRate: 1e-3, schedule: 'constant', reportEvery: 10,
      onReport: (rep) => { if (rep.step === 10) atReport = Array.from(w.dataSync()); },
    });
    t.learningRateAt = (step) => (step === 9 ? 10 : 1e-3);
    const r = await t.run(() => ({}), sqrtLoss(w));
    expect(atReport[0]).toBeGreaterThan(1); // the report saw the blown-up weights
    expect(r.stopped).toBe('nonfinite');
    expect(r.nonFiniteStep).toBe(10);
    expect(r.steps).toBe(0); // the only proved weights are the starting ones
    expect(w.dataSync()[0]).toBeCloseTo(0.5, 6);
  });

  it('goes back to the EMA a resumed run restored in its first gate, not to the raw weights', async () => {
    const params = oneParam([0.5]);
    const w = params.get('w')!;
    let restored = false;
    const t = new Trainer(params, {
      iterations: 20, learningRate: 1e-3, reportEvery: 5, emaDecay: 0.99,
      // What `train --resume` does: the saved EMA goes in before the first step.
      gate: async () => {
        if (restored) return;
        restored = true;
        t.ema!.get('w')!.assign(tf.tensor1d([0.123]));
      },
    });
    const r = await t.run(() => ({}), (_b, step) => (step === 2 ? (tf.mul(tf.sum(w), Number.NaN) as tf.Scalar) : (tf.sum(tf.square(w)) as tf.Scalar)));
    expect(r).toMatchObject({ stopped: 'nonfinite', nonFiniteStep: 2, steps: 0 });
    expect(t.ema!.get('w')!.dataSync()[0]).toBeCloseTo(0.123, 6);
    expect(w.dataSync()[0]).toBeCloseTo(0.5, 6);
    t.dispose();
  });

  it('judges the steps of a cancelled, unreported window too: a NaN among them still rolls back', async () => {
    const params = oneParam([1, 2]);
    const w = params.get('w')!;
    const ac = new AbortController();
    let atStep20: number[] = [];
    const t = new Trainer(params, {
      iterations: 100, learningRate: 0.05, reportEvery: 10, signal: ac.signal,
      onReport: (r) => { if (r.step === 20) atStep20 = Array.from(w.dataSync()); },
    });
    const before = tf.memory().numTensors;
    const r = await t.run(() => ({}), (_b, step) => {
      if (step === 25) ac.abort(); // cancelled mid-window, after a NaN at step 23
      const loss = tf.sum(tf.square(w)) as tf.Scalar;
      return step === 23 ? (tf.mul(loss, Number.NaN) as tf.Scalar) : loss;
    });
    expect(r).toMatchObject({ stopped: 'nonfinite', nonFiniteStep: 23, steps: 20 });
    expect(Array.from(w.dataSync())).toEqual(atStep20);
    t.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('cancels between steps and leaks no tensors', async () => {
    const params = oneParam([1]);
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    const t = new Trainer(params, { iterations: 1000, learningRate: 0.01, reportEvery: 5, signal: ac.signal, onReport: (r) => { if (r.step === 20) ac.abort(); } });
    const r = await t.run(() => ({ x: tf.ones([3]) }), (b) => tf.sum(tf.mul(b.x, tf.square(params.get('w')!))) as tf.Scalar);
    t.dispose();
    expect(r.stopped).toBe('cancelled');
    expect(r.steps).toBe(20);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps an exponential moving average of the weights, ema ← d·ema + (1 − d)·w, d = min(decay, (1 + k)/(10 + k))', async () => {
    // Gradient 1 at constant lr 0.1: Adam's step is exactly lr (m̂/√v̂ = 1), so after step k (0-based) w = −0.1·(k + 1).
    const run = async (emaDecay: number) => {
      const params = oneParam([0]);
      const t = new Trainer(params, { iterations: 50, learningRate: 0.1, schedule: 'constant', emaDecay });
      await t.run(() => ({}), () => tf.sum(params.get('w')!) as tf.Scalar);
      const out = { w: params.get('w')!.dataSync()[0], ema: t.ema!.get('w')!.dataSync()[0] };
      t.dispose();
      return out;
    };
    // Decay 0.9 is reached only at k = 80: through 50 steps d = (1 + k)/(10 + k), and by induction the EMA is
    // exactly 0.9·w (if ema = −0.09·k, then (k + 1)/(k + 10)·(−0.09·k) + 9/(k + 10)·(−0.1·(k + 1)) = −0.09·(k + 1)).
    const warm = await run(0.9);
    expect(warm.w).toBeCloseTo(-5, 4);
    expect(warm.ema).toBeCloseTo(-4.5, 4);
    // Decay 0.5 is reached at k = 8; from there the EMA of a weight moving 0.1 per step lags it by
    // 0.1·d/(1 − d) = 0.1, and the warm-up's transient has shrunk by 0.5⁴²: −5 + 0.1.
    const capped = await run(0.5);
    expect(capped.ema).toBeCloseTo(-4.9, 4);
  });
});
