// The 2D quality figure: the sliced Wasserstein-2 distance against values worked out by hand, and its floor
// (what the data itself scores against the reference), which the playground's legend quotes.
import { describe, expect, it } from 'vitest';
import { TOY_DATASETS, toyDataset } from '../../src/data/toy2d';
import { toyQuality, toySwdFloor } from '../../src/metrics/quality';
import { slicedWasserstein2d } from '../../src/metrics/swd2d';

describe('sliced Wasserstein distance (2D)', () => {
  it('is |d|/√2 between a set and its copy shifted by d', () => {
    // Projected on θ, every point moves by d·θ, so W₂² = (d·θ)² and its mean over evenly spaced θ ∈ [0, π) is |d|²/2.
    const a = toyDataset('moons', 100, 3);
    const shifted = a.map((v, i) => v + (i % 2 === 0 ? 0.3 : -0.4));
    expect(slicedWasserstein2d(a, shifted)).toBeCloseTo(0.5 / Math.SQRT2, 6); // float32 points
    expect(slicedWasserstein2d(a, a)).toBe(0);
  });

  it('is √(1/2) between the points (0, 0) and (1, 0), and does not depend on the order of the points', () => {
    expect(slicedWasserstein2d(new Float32Array([0, 0]), new Float32Array([1, 0]))).toBeCloseTo(Math.SQRT1_2, 12);
    const a = new Float32Array([0, 0, 2, 1, -1, 3]);
    const b = new Float32Array([1, 1, 0, -2, 3, 0]);
    const bReordered = new Float32Array([3, 0, 1, 1, 0, -2]);
    expect(slicedWasserstein2d(a, bReordered)).toBe(slicedWasserstein2d(a, b));
  });

  it('has a floor that fresh data sets, shrinking as the point count grows', () => {
    for (const name of TOY_DATASETS) {
      const small = toySwdFloor(name, 256);
      const large = toySwdFloor(name, 4096);
      expect(small.lo).toBeGreaterThan(0);
      expect(small.lo).toBeLessThanOrEqual(small.hi);
      // Sampling noise falls like 1/√n: 16x the points, about a quarter of the distance.
      expect(large.hi).toBeLessThan(small.lo);
    }
  });

  it("measures the floor against the same reference as the quality figure the columns get", async () => {
    // One draw: lo = hi = that draw's distance, which toyQuality must give the same points.
    const one = toySwdFloor('moons', 512, 1);
    const { swd } = await toyQuality({ kind: 'toy2d', name: 'moons' }).evaluate(toyDataset('moons', 512, 1));
    expect(one.lo).toBe(swd);
    expect(one.hi).toBe(swd);
  });
});
