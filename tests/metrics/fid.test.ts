import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { type GaussianStats, featureStats, frechetDistance } from '../../src/metrics/fid';

const stats = (mean: number[], cov: number[][]): GaussianStats => ({ dim: mean.length, mean: Float64Array.from(mean), cov: Float64Array.from(cov.flat()), count: 0 });

/** A random rotation from Gram–Schmidt on Gaussian columns: Q·diag(a)·Qᵀ and Q·diag(b)·Qᵀ commute. */
function rotation(d: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const cols: number[][] = [];
  for (let j = 0; j < d; j++) {
    const v = Array.from({ length: d }, () => rng.normal());
    for (const c of cols) {
      const dot = v.reduce((s, x, i) => s + x * c[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * c[i];
    }
    const n = Math.hypot(...v);
    cols.push(v.map((x) => x / n));
  }
  return Array.from({ length: d }, (_, i) => cols.map((c) => c[i]));
}

function rotated(q: number[][], diag: number[]): number[][] {
  const d = diag.length;
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => diag.reduce((s, l, k) => s + q[i][k] * l * q[j][k], 0)));
}

describe('frechetDistance', () => {
  it('is 0 between identical statistics', () => {
    const s = stats([1, 2, 3], [[2, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 3]]);
    expect(frechetDistance(s, s)).toBeCloseTo(0, 9);
  });

  it('matches the closed form for diagonal covariances: ‖Δμ‖² + Σ(√aᵢ - √bᵢ)²', () => {
    const a = [1, 4, 0.25, 9];
    const b = [4, 1, 1, 0];
    const s1 = stats([0, 1, 2, 3], a.map((v, i) => a.map((_, j) => (i === j ? v : 0))));
    const s2 = stats([1, 1, 0, 3], b.map((v, i) => b.map((_, j) => (i === j ? v : 0))));
    // ‖Δμ‖² = 1 + 0 + 4 + 0 = 5;  Σ(√a - √b)² = 1 + 1 + 0.25 + 9 = 11.25
    expect(frechetDistance(s1, s2)).toBeCloseTo(16.25, 9);
  });

  it('matches the closed form for commuting (co-rotated) covariances', () => {
    const d = 6;
    const q = rotation(d, 3);
    const a = [0.5, 1, 2, 3, 4, 5];
    const b = [5, 0.1, 2, 1, 0.5, 3];
    const want = a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0) + 0.5 ** 2;
    const got = frechetDistance(stats([0.5, 0, 0, 0, 0, 0], rotated(q, a)), stats([0, 0, 0, 0, 0, 0], rotated(q, b)));
    expect(got).toBeCloseTo(want, 8);
  });

  it('matches tr √M = √(tr M + 2√det M) for non-commuting 2×2 covariances', () => {
    const c1 = [[2, 0.7], [0.7, 1]];
    const c2 = [[1, -0.4], [-0.4, 3]];
    // M = Σ₁^{1/2} Σ₂ Σ₁^{1/2} has tr M = tr(Σ₁Σ₂) and det M = det Σ₁ · det Σ₂.
    const trProd = c1[0][0] * c2[0][0] + c1[0][1] * c2[1][0] + c1[1][0] * c2[0][1] + c1[1][1] * c2[1][1];
    const det = (c1[0][0] * c1[1][1] - c1[0][1] ** 2) * (c2[0][0] * c2[1][1] - c2[0][1] ** 2);
    const want = 3 + 4 - 2 * Math.sqrt(trProd + 2 * Math.sqrt(det)) + 1;
    expect(frechetDistance(stats([1, 0], c1), stats([0, 0], c2))).toBeCloseTo(want, 10);
  });

  it('handles singular covariances (dead ReLU features)', () => {
    const s1 = stats([0, 0, 0], [[1, 0, 0], [0, 0, 0], [0, 0, 0]]);
    const s2 = stats([0, 0, 0], [[4, 0, 0], [0, 1, 0], [0, 0, 0]]);
    expect(frechetDistance(s1, s2)).toBeCloseTo(1 + 1, 10);
  });
});

describe('featureStats', () => {
  it('gives the mean and the unbiased covariance', () => {
    const rows = [[1, 2], [3, 5], [-1, 0], [2, 2]];
    const s = featureStats(Float32Array.from(rows.flat()), 2);
    expect(Array.from(s.mean)).toEqual([1.25, 2.25]);
    const cov = (a: number, b: number) => rows.reduce((acc, r) => acc + (r[a] - s.mean[a]) * (r[b] - s.mean[b]), 0) / 3;
    expect(s.cov[0]).toBeCloseTo(cov(0, 0), 12);
    expect(s.cov[1]).toBeCloseTo(cov(0, 1), 12);
    expect(s.cov[2]).toBeCloseTo(cov(1, 0), 12);
    expect(s.cov[3]).toBeCloseTo(cov(1, 1), 12);
    expect(s.count).toBe(4);
  });

  it('recovers a Gaussian: FID between two large samples of it is near 0, of a shifted one near ‖Δμ‖²', () => {
    const rng = new Rng(1);
    const sample = (shift: number) => Float64Array.from({ length: 4000 * 4 }, (_, i) => rng.normal() + (i % 4 === 0 ? shift : 0));
    const a = featureStats(sample(0), 4);
    expect(frechetDistance(a, featureStats(sample(0), 4))).toBeLessThan(0.02);
    expect(frechetDistance(a, featureStats(sample(2), 4))).toBeCloseTo(4, 0);
  });
});
