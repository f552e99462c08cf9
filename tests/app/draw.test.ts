// The trajectory plots' scale: wide enough for every path, the same for a row of plots.
import { describe, expect, it } from 'vitest';
import { PLOT_EXTENT, pathsExtent } from '../../src/app/draw';

describe('pathsExtent', () => {
  it('keeps the 2D plots\' square while every point fits in it', () => {
    expect(pathsExtent([Float32Array.from([0, 0, -2.5, 2.5]), Float32Array.from([1, -1])])).toBe(PLOT_EXTENT);
    expect(pathsExtent([])).toBe(PLOT_EXTENT);
  });

  it('widens in steps of 0.5 to the farthest coordinate of any plot in the row, with a margin', () => {
    // A noise end at x = -3.1 (a standard normal reaches past 2.6 about once in a hundred draws per coordinate).
    expect(pathsExtent([Float32Array.from([0, 0]), Float32Array.from([-3.1, 0.2, 0, 0])])).toBe(3.5);
    // 2.95 · 1.02 = 3.009: past 3, so 3.5, not a square whose edge cuts the dot.
    expect(pathsExtent([Float32Array.from([0, 2.95])])).toBe(3.5);
    expect(pathsExtent([Float32Array.from([4.2, 0])])).toBe(4.5);
  });

  it('ignores values that are not numbers (a diverged path is the samples\' own problem, not the scale\'s)', () => {
    expect(pathsExtent([Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, 1])])).toBe(PLOT_EXTENT);
  });
});
