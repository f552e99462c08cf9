import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, timePoint } from '../../src/core/schedule';
import type { Denoiser } from '../../src/samplers/denoiser';
import { sampleDdim, sampleDdimAsync, seededNoise } from '../../src/samplers/ddim';
import { generateSamples } from '../../src/samplers/generate';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Dummy denoisers with known exact predictions.
// 1. Data is the single point x*: the ideal x̂ is x* everywhere, so the v-output is v = α·ε̂ - σ·x*
//    with ε̂ = (z - α·x*)/σ, and DDIM follows z_t = α_t·x* + σ_t·ε₁ exactly (ε₁ = (z₁ - α₁·x*)/σ₁).
function pointMassDenoiser(xStar: number[]): Denoiser {
  return {
    parameterization: 'v',
    schedule: DEFAULT_SCHEDULE,
    output: (z, t) =>
      tf.tidy(() => {
        const { alpha, sigma } = timePoint(t);
        const x = tf.tensor(xStar, [1, xStar.length]);
        const eps = tf.div(tf.sub(z, tf.mul(x, alpha)), sigma);
        return tf.sub(tf.mul(eps, alpha), tf.mul(x, sigma));
      }),
  };
}

// 2. Data is N(0, I): E[x | z_t] = α_t·z_t, so x̂ = α_t·z and ε̂ = σ_t·z. With α = cos φ, σ = sin φ a DDIM step
//    t → s gives z_s = (α_s·α_t + σ_s·σ_t)·z_t = cos(φ_t - φ_s)·z_t, and the last step returns x̂ = cos φ_t·z_t.
//    (x-parameterized: an ε-output would need x̂ = (z - σ·ε̂)/α, which float32 cannot resolve at α₁ ≈ 4.5e-5.)
const gaussianDenoiser: Denoiser = {
  parameterization: 'x',
  schedule: DEFAULT_SCHEDULE,
  output: (z, t) => tf.mul(z, timePoint(t).alpha),
};
const phi = (t: number) => Math.atan2(timePoint(t).sigma, timePoint(t).alpha);

describe('DDIM sampler', () => {
  it('gives the same z₁ for a seed whatever the batch, and different noise for another seed', async () => {
    const a = await seededNoise(7, 4, [2]).data();
    const b = await seededNoise(7, 9, [2]).data();
    const c = await seededNoise(8, 4, [2]).data();
    expect(Array.from(b.slice(0, 8))).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('follows the exact ODE path of a point mass and ends on it, for any step count', async () => {
    const xStar = [0.3, -0.8];
    const z1 = seededNoise(1, 3, [2]);
    const z1v = await z1.data();
    const a1 = timePoint(1);
    for (const steps of [1, 2, 5, 64]) {
      const seen: { t: number; s: number; step: number }[] = [];
      const x = sampleDdim(pointMassDenoiser(xStar), z1, { steps, onStep: (e) => seen.push({ t: e.t, s: e.s, step: e.step }) });
      const xv = await x.data();
      for (let i = 0; i < xv.length; i++) expect(xv[i]).toBeCloseTo(xStar[i % 2], 4);
      expect(seen.map((e) => e.step)).toEqual(Array.from({ length: steps }, (_, i) => i));
      expect(seen[0].t).toBe(1);
      expect(seen.at(-1)!.s).toBe(0);
      x.dispose();
    }
    // Midway through an 8-step run, z_t is α_t·x* + σ_t·ε₁.
    let zHalf: Float32Array | undefined;
    const probe: Denoiser = { ...pointMassDenoiser(xStar), output: (z, t) => { if (t === 0.5) zHalf = z.dataSync() as Float32Array; return pointMassDenoiser(xStar).output(z, t); } };
    sampleDdim(probe, z1, { steps: 8 }).dispose();
    const h = timePoint(0.5);
    for (let i = 0; i < z1v.length; i++) {
      const eps1 = (z1v[i] - a1.alpha * xStar[i % 2]) / a1.sigma;
      expect(zHalf![i]).toBeCloseTo(h.alpha * xStar[i % 2] + h.sigma * eps1, 4);
    }
  });

  it('matches the closed-form DDIM contraction on Gaussian data', async () => {
    const z1 = seededNoise(3, 2, [2]);
    const z1v = await z1.data();
    for (const steps of [1, 3, 10]) {
      const x = await sampleDdim(gaussianDenoiser, z1, { steps }).data();
      // Product of cos(φ_{t_i} - φ_{t_{i+1}}) over all but the last step, then cos φ_{t_last}.
      let factor = 1;
      for (let i = steps; i > 1; i--) factor *= Math.cos(phi(i / steps) - phi((i - 1) / steps));
      factor *= Math.cos(phi(1 / steps));
      for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(factor * z1v[i], 5);
    }
  });

  it('clips x̂ to [-1, 1] when asked', async () => {
    const z1 = seededNoise(4, 8, [2]);
    const x = await sampleDdim(pointMassDenoiser([3, -3]), z1, { steps: 4, clip: true }).data();
    for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(i % 2 ? -1 : 1, 5);
  });

  it('adds fresh noise with η > 0, reproducibly from its seed, and still ends on a point mass', async () => {
    const z1 = seededNoise(5, 4, [2]);
    const run = (noiseSeed: number) => sampleDdim(pointMassDenoiser([0.2, 0.4]), z1, { steps: 6, eta: 1, noiseSeed }).dataSync();
    expect(Array.from(run(1))).toEqual(Array.from(run(1)));
    const det = sampleDdim(gaussianDenoiser, z1, { steps: 6 }).dataSync();
    const sto = sampleDdim(gaussianDenoiser, z1, { steps: 6, eta: 1, noiseSeed: 1 }).dataSync();
    expect(Array.from(sto)).not.toEqual(Array.from(det));
    for (const v of run(2).map((v, i) => v - (i % 2 ? 0.4 : 0.2))) expect(Math.abs(v)).toBeLessThan(1e-3);
  });

  it('with η > 0 gives each sample its own noise, whatever the batch split', async () => {
    const opts = { seed: 3, count: 10, shape: [2], steps: 5, eta: 1 };
    const whole = await generateSamples(gaussianDenoiser, { ...opts, batchSize: 10 });
    const split = await generateSamples(gaussianDenoiser, { ...opts, batchSize: 3 });
    expect(Array.from(split)).toEqual(Array.from(whole));
    const deterministic = await generateSamples(gaussianDenoiser, { ...opts, eta: 0 });
    expect(Array.from(whole)).not.toEqual(Array.from(deterministic));
  });

  // Gaussian data, exact denoiser, two steps 1 → ½ → 0 with η = ½ (Song et al. 2021, eq. 12):
  // z_½ = α_½·x̂ + √(σ_½² − s²)·ε̂ + s·n with x̂ = α₁·z₁, ε̂ = σ₁·z₁ and s = η·(σ_½/σ₁)·√(1 − α₁²/α_½²);
  // the output α_½·z_½ has variance α_½²·(k² + s²), k = α_½·α₁ + √(σ_½² − s²)·σ₁, if the fresh noise n is
  // independent of z₁. It once was z₁ itself for the first batch (the same seeded stream), which gives
  // α_½²·(k + s)²: 0.47 here against 0.25.
  it('draws the fresh noise of η > 0 independently of z₁', async () => {
    const count = 4000;
    const eta = 0.5;
    const x = await generateSamples(gaussianDenoiser, { seed: 11, count, shape: [1], steps: 2, eta, batchSize: count });
    const [a1, s1] = [timePoint(1).alpha, timePoint(1).sigma];
    const [ah, sh] = [timePoint(0.5).alpha, timePoint(0.5).sigma];
    const s = eta * (sh / s1) * Math.sqrt(1 - (a1 * a1) / (ah * ah));
    const k = ah * a1 + Math.sqrt(sh * sh - s * s) * s1;
    const expected = ah * ah * (k * k + s * s);
    expect(Math.abs(ah * ah * (k + s) ** 2 - expected)).toBeGreaterThan(0.15); // the two hypotheses are far apart
    const mean = x.reduce((a, v) => a + v, 0) / count;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / (count - 1);
    // Standard error of a variance over 4000 normals: √(2/3999)·0.25 ≈ 0.006.
    expect(Math.abs(variance - expected)).toBeLessThan(0.03);
  });

  // Song et al. (2021), Lemma 1: for every η the generalized DDIM step keeps the marginals, z_s ~ N(α_s·x, σ_s²)
  // when x̂ is the data point itself. It holds only because ε̂ is weighted by √(σ_s² − σ_η²) when σ_η of fresh
  // noise is added (weighting it by σ_s would give σ_s² + σ_η²: 0.625 against 0.5 at t = ½ here). Point-mass
  // data, so the exact x̂ is x*; the denoiser records the z it is given at every step.
  it('keeps z_t ~ N(α_t·x*, σ_t²) at every step for η = ½ (the marginals of Song et al.\'s Lemma 1)', () => {
    const xStar = 0.3;
    const count = 4000;
    const seen = new Map<number, Float32Array>();
    const exact = pointMassDenoiser([xStar]);
    const spy: Denoiser = { ...exact, output: (z, t) => { seen.set(t, z.dataSync() as Float32Array); return exact.output(z, t); } };
    sampleDdim(spy, seededNoise(21, count, [1]), { steps: 4, eta: 0.5, noiseSeed: 5 }).dispose();
    expect([...seen.keys()]).toEqual([1, 0.75, 0.5, 0.25]);
    for (const t of [0.75, 0.5, 0.25]) {
      const z = seen.get(t)!;
      const { alpha, sigma } = timePoint(t);
      const mean = z.reduce((a, v) => a + v, 0) / count;
      const variance = z.reduce((a, v) => a + (v - mean) ** 2, 0) / (count - 1);
      // Standard errors over 4000 draws: σ/63 for the mean, σ²·√(2/3999) ≈ 0.022·σ² for the variance.
      expect(Math.abs(mean - alpha * xStar)).toBeLessThan(4 * sigma / 63);
      expect(Math.abs(variance / (sigma * sigma) - 1)).toBeLessThan(0.09);
    }
  });

  it('stops on an aborted signal and leaks no tensors', () => {
    const z1 = seededNoise(6, 2, [2]);
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    expect(() => sampleDdim(gaussianDenoiser, z1, { steps: 10, signal: ac.signal, onStep: (e) => e.step === 3 && ac.abort() })).toThrow(/abort/i);
    sampleDdim(gaussianDenoiser, z1, { steps: 10 }).dispose();
    expect(tf.memory().numTensors).toBe(before + 0);
  });
});

describe('sampleDdimAsync', () => {
  it('gives exactly what sampleDdim gives', async () => {
    const z1 = seededNoise(11, 5, [2]);
    const a = await sampleDdim(gaussianDenoiser, z1, { steps: 7 }).data();
    const b = await (await sampleDdimAsync(gaussianDenoiser, z1, { steps: 7 })).data();
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('lets a timer cancel it between steps (the event loop runs), leaking nothing', async () => {
    const z1 = seededNoise(12, 3, [2]);
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    let seen = 0;
    await expect(sampleDdimAsync(gaussianDenoiser, z1, { steps: 1000, signal: ac.signal, onStep: () => seen++ })).rejects.toThrow(/abort/i);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(1000);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('holds between steps while its gate is closed (a paused job), and goes on, unchanged, when it opens', async () => {
    const z1 = seededNoise(13, 2, [2]);
    let open: () => void = () => {};
    let closed = true;
    let seen = 0;
    const gate = () => (closed ? new Promise<void>((resolve) => { open = resolve; }) : Promise.resolve());
    const run = sampleDdimAsync(gaussianDenoiser, z1, { steps: 5, gate, onStep: () => seen++ });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toBe(1); // the first step, then it waits at the gate
    closed = false;
    open();
    const got = await (await run).data();
    expect(seen).toBe(5);
    expect(Array.from(got)).toEqual(Array.from(await sampleDdim(gaussianDenoiser, z1, { steps: 5 }).data()));
  });
});
