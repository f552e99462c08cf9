import { describe, expect, it } from 'vitest';
import { ddimStepCoefficients, predictionCoefficients } from '../../src/core/ddimCoefficients';
import { DEFAULT_SCHEDULE, ddimTimes, logSnr, lossWeight, timeAtLogSnr, timePoint } from '../../src/core/schedule';

// Second formulation: with λ = -2·log(tan(a·t + b)), α² = sigmoid(λ) = 1/(1 + tan²(a·t + b)) = cos²(a·t + b),
// so α_t = cos(a·t + b) and σ_t = sin(a·t + b) exactly. For λ in [-20, 20]: b = atan(e^-10), a = π/2 - 2b.
const b = Math.atan(Math.exp(-10));
const a = Math.PI / 2 - 2 * b;

describe('cosine logSNR schedule', () => {
  it('hits its end points and is 0 at t = 1/2 (by symmetry)', () => {
    // tan(a·t + b) near π/2 costs a few digits at t = 1.
    expect(logSnr(0)).toBeCloseTo(20, 10);
    expect(logSnr(1)).toBeCloseTo(-20, 10);
    expect(Math.abs(logSnr(0.5))).toBeLessThan(1e-12);
  });

  it('matches α = cos(a·t + b), σ = sin(a·t + b)', () => {
    for (const t of [0, 0.1, 0.25, 0.5, 0.77, 1]) {
      const p = timePoint(t);
      expect(p.alpha).toBeCloseTo(Math.cos(a * t + b), 14);
      expect(p.sigma).toBeCloseTo(Math.sin(a * t + b), 14);
      expect(p.alpha ** 2 + p.sigma ** 2).toBeCloseTo(1, 14);
    }
  });

  it('is close to the plain cosine schedule α = cos(πt/2) (λ bounds ±20 shift it by ~2e-5)', () => {
    expect(timePoint(0.25).alpha).toBeCloseTo(Math.cos(Math.PI / 8), 4);
  });

  it('takes other λ bounds', () => {
    // λmax = 5, λmin = -15: b = atan(e^-2.5), a = atan(e^7.5) - b; at t = 0.3 (hand-evaluated).
    const cfg = { kind: 'cosine' as const, logSnrMin: -15, logSnrMax: 5 };
    expect(logSnr(0, cfg)).toBeCloseTo(5, 12);
    expect(logSnr(1, cfg)).toBeCloseTo(-15, 12);
    const bb = Math.atan(Math.exp(-2.5));
    const aa = Math.atan(Math.exp(7.5)) - bb;
    expect(timePoint(0.3, cfg).alpha).toBeCloseTo(Math.cos(aa * 0.3 + bb), 14);
    expect(timeAtLogSnr(logSnr(0.3, cfg), cfg)).toBeCloseTo(0.3, 12);
  });

  it('builds the DDIM grid t_i = i/N from 1 to 0', () => {
    expect(ddimTimes(4)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    expect(() => ddimTimes(0)).toThrow(RangeError);
  });

  it('weights the loss by max(SNR, 1) or SNR + 1', () => {
    expect(lossWeight(Math.log(4), 'snr_trunc')).toBeCloseTo(4, 12);
    expect(lossWeight(Math.log(0.25), 'snr_trunc')).toBe(1);
    expect(lossWeight(Math.log(0.25), 'snr+1')).toBeCloseTo(1.25, 12);
  });
});

describe('parameterizations', () => {
  // Fix x and ε; z = α·x + σ·ε; the true network outputs are v = α·ε - σ·x, x, ε. Each must give back x and ε.
  const x = 0.7;
  const eps = -1.3;
  for (const t of [0.05, 0.5, 0.95]) {
    const p = timePoint(t, DEFAULT_SCHEDULE);
    const z = p.alpha * x + p.sigma * eps;
    const outputs = { v: p.alpha * eps - p.sigma * x, x, eps };
    for (const param of ['v', 'x', 'eps'] as const) {
      it(`${param} recovers x̂ and ε̂ at t = ${t}`, () => {
        const c = predictionCoefficients(param, p);
        expect(c.xz * z + c.xo * outputs[param]).toBeCloseTo(x, 10);
        expect(c.ez * z + c.eo * outputs[param]).toBeCloseTo(eps, 10);
      });
    }
  }

  it('gives a DDIM step that lands on α_s·x + σ_s·ε for the true prediction (η = 0)', () => {
    const at = timePoint(0.6);
    const as = timePoint(0.35);
    const z = at.alpha * x + at.sigma * eps;
    const c = ddimStepCoefficients('v', at, as, 0);
    const v = at.alpha * eps - at.sigma * x;
    const xHat = c.xz * z + c.xo * v;
    const epsHat = c.ez * z + c.eo * v;
    expect(c.noiseStd).toBe(0);
    expect(c.alphaS * xHat + c.epsWeight * epsHat).toBeCloseTo(as.alpha * x + as.sigma * eps, 12);
  });

  it('gives the ancestral posterior variance at η = 1', () => {
    // q(z_s | z_t, x) has variance σ²_{t|s}·σ_s²/σ_t² with σ²_{t|s} = σ_t² - (α_t/α_s)²·σ_s² (Kingma et al. 2021).
    const at = timePoint(0.6);
    const as = timePoint(0.35);
    const sigma2ts = at.sigma ** 2 - (at.alpha / as.alpha) ** 2 * as.sigma ** 2;
    const c = ddimStepCoefficients('v', at, as, 1);
    expect(c.noiseStd ** 2).toBeCloseTo((sigma2ts * as.sigma ** 2) / at.sigma ** 2, 12);
  });
});
