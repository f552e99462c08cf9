// Rng.choose: the one sampler without replacement (KID subsets, the KID reference rows, eval --real).
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';

describe('Rng.choose', () => {
  it('draws k distinct indices in [0, n), the same for the same seed', () => {
    const a = new Rng(5).choose(1000, 300);
    expect(a).toHaveLength(300);
    expect(new Set(a).size).toBe(300);
    expect(Math.max(...a)).toBeLessThan(1000);
    expect(new Rng(5).choose(1000, 300)).toEqual(a);
    expect(new Rng(6).choose(1000, 300)).not.toEqual(a);
  });

  it('with k = n is a permutation, and its first draws are those of a smaller k', () => {
    const all = new Rng(9).choose(50, 50);
    expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Rng(9).choose(50, 10)).toEqual(all.slice(0, 10));
  });

  it('picks each index about equally often (partial Fisher–Yates is uniform)', () => {
    const rng = new Rng(1);
    const counts = new Array(10).fill(0);
    for (let t = 0; t < 20_000; t++) for (const i of rng.choose(10, 3)) counts[i]++;
    // 6,000 expected per index; a binomial std of ~65, so 5% is over 9 standard deviations.
    for (const c of counts) expect(Math.abs(c - 6000)).toBeLessThan(300);
  });
});
