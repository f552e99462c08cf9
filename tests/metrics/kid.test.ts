import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { kernelInceptionDistance, polynomialMmd2 } from '../../src/metrics/kid';

/** The estimator written out as a direct double loop, independently of kid.ts. */
function directMmd2(x: number[][], y: number[][]): number {
  const d = x[0].length;
  const k = (a: number[], b: number[]) => (a.reduce((s, v, i) => s + v * b[i], 0) / d + 1) ** 3;
  const m = x.length;
  const n = y.length;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) xx += k(x[i], x[j]);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) yy += k(y[i], y[j]);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xy += k(x[i], y[j]);
  return xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n);
}

describe('polynomialMmd2', () => {
  it('matches a direct double loop on a tiny set', () => {
    const x = [[0.1, 1.0, -0.5], [0.3, -0.2, 0.8], [1.5, 0.0, 0.2]];
    const y = [[0.0, 0.4, 0.4], [-1.0, 0.5, 0.1], [0.2, 0.2, 0.2], [2.0, -1.0, 0.0]];
    expect(polynomialMmd2(x.flat(), y.flat(), 3)).toBeCloseTo(directMmd2(x, y), 12);
  });

  it('hand value: x = {0, 2}, y = {1, 1} in one dimension', () => {
    // k(a, b) = (ab + 1)³: k(0,2) = 1, k(1,1) = 8, k(0,1) = 1, k(2,1) = 27.
    // MMD² = (1 + 1)/2 + (8 + 8)/2 - 2·(1 + 1 + 27 + 27)/4 = 1 + 8 - 28 = -19
    expect(polynomialMmd2([0, 2], [1, 1], 1)).toBe(-19);
  });
});

describe('kernelInceptionDistance', () => {
  const gaussian = (rng: Rng, n: number, d: number, shift = 0) => Float64Array.from({ length: n * d }, () => rng.normal() + shift);

  it('is ≈ 0 for two samples of one distribution and clearly positive for a shifted one', () => {
    const rng = new Rng(2);
    const d = 8;
    const x = gaussian(rng, 400, d);
    const same = kernelInceptionDistance(x, gaussian(rng, 400, d), d, { subsets: 5, subsetSize: 200, seed: 1 });
    const shifted = kernelInceptionDistance(x, gaussian(rng, 400, d, 0.5), d, { subsets: 5, subsetSize: 200, seed: 1 });
    expect(Math.abs(same.mean)).toBeLessThan(0.02);
    expect(shifted.mean).toBeGreaterThan(0.2);
    expect(shifted.mean).toBeGreaterThan(10 * Math.abs(same.mean));
    expect(same.subsets).toBe(5);
    expect(same.subsetSize).toBe(200);
  });

  it('with one subset covering both sets equals polynomialMmd2 (order does not matter)', () => {
    const rng = new Rng(3);
    const x = gaussian(rng, 30, 4);
    const y = gaussian(rng, 30, 4, 0.2);
    const r = kernelInceptionDistance(x, y, 4, { subsets: 1, subsetSize: 30 });
    expect(r.mean).toBeCloseTo(polynomialMmd2(x, y, 4), 10);
    expect(r.std).toBe(0);
  });

  it('caps the subset size at the smaller set and is reproducible per seed', () => {
    const rng = new Rng(4);
    const x = gaussian(rng, 50, 4);
    const y = gaussian(rng, 20, 4);
    const a = kernelInceptionDistance(x, y, 4, { subsets: 3, seed: 7 });
    expect(a.subsetSize).toBe(20);
    expect(kernelInceptionDistance(x, y, 4, { subsets: 3, seed: 7 })).toEqual(a);
  });

  it('gives the same subset values whether it precomputes all kernel values or sums per subset', () => {
    const rng = new Rng(5);
    const x = gaussian(rng, 10, 3);
    const y = gaussian(rng, 10, 3, 0.3);
    // 10 rows each, subsets of 5: three subsets sum per subset, four precompute (the cheaper way for each).
    const perSubset = kernelInceptionDistance(x, y, 3, { subsets: 3, subsetSize: 5, seed: 9 });
    const precomputed = kernelInceptionDistance(x, y, 3, { subsets: 4, subsetSize: 5, seed: 9 });
    for (let i = 0; i < 3; i++) expect(perSubset.values[i]).toBeCloseTo(precomputed.values[i], 10);
  });
});
