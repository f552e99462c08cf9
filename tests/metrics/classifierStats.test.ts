import { describe, expect, it } from 'vitest';
import { classifierStats } from '../../src/metrics/classifierStats';

describe('classifierStats', () => {
  it('counts confident samples and the entropy of the predicted-class histogram', () => {
    const probs = [
      [0.95, 0.05, 0],
      [0.1, 0.9, 0],
      [0.2, 0.3, 0.5],
      [0.05, 0.9, 0.05],
    ];
    const s = classifierStats(probs.flat(), 3);
    expect(s.confident).toBe(0.75); // 0.95, 0.9 and 0.9 reach the 0.9 threshold
    expect(s.histogram).toEqual([0.25, 0.5, 0.25]);
    expect(s.classEntropy).toBeCloseTo(-(0.25 * Math.log(0.25) * 2 + 0.5 * Math.log(0.5)), 12);
  });

  it('gives ln 10 for a uniform spread over ten classes and 0 for a collapsed sampler', () => {
    const uniform = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, c) => (c === i ? 1 : 0))).flat();
    expect(classifierStats(uniform).classEntropy).toBeCloseTo(Math.log(10), 12);
    const collapsed = Array.from({ length: 5 }, () => [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]).flat();
    expect(classifierStats(collapsed).classEntropy).toBe(0);
    expect(classifierStats(collapsed, 10, 0.99).confident).toBe(1);
  });

  it('rejects rows of the wrong length', () => {
    expect(() => classifierStats([0.5, 0.5, 0.1], 2)).toThrow(/rows of 2/);
  });
});
