// binary16 / bfloat16 conversions against values worked out from the IEEE 754 definitions, and against a
// brute-force nearest-half oracle that shares no code with src/io/half.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBF16, floatToHalfBits, halfBitsToFloat } from '../../src/io/half';

// Every finite non-negative half, by value: (bits, value) with value from the definition in float64.
const positiveHalves: { bits: number; value: number }[] = [];
for (let e = 0; e < 31; e++) {
  for (let m = 0; m < 1024; m++) {
    const value = e === 0 ? m / 1024 * 2 ** -14 : (1 + m / 1024) * 2 ** (e - 15);
    positiveHalves.push({ bits: (e << 10) | m, value });
  }
}

/** Round-to-nearest-even by search: the closest half, ties to the even bit pattern, past 65520 to Infinity. */
function oracleHalfBits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) rounds to the next binade: overflow
  let lo = 0;
  let hi = positiveHalves.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (positiveHalves[mid].value <= a) lo = mid;
    else hi = mid;
  }
  const below = positiveHalves[lo];
  const above = positiveHalves[hi];
  if (a === below.value) return sign | below.bits;
  const dBelow = a - below.value;
  const dAbove = above.value - a;
  if (dBelow < dAbove) return sign | below.bits;
  if (dAbove < dBelow) return sign | above.bits;
  return sign | ((below.bits & 1) === 0 ? below.bits : above.bits);
}

describe('binary16 decode', () => {
  it('decodes known bit patterns', () => {
    expect(halfBitsToFloat(0x3c00)).toBe(1);
    expect(halfBitsToFloat(0xc000)).toBe(-2);
    expect(halfBitsToFloat(0x7bff)).toBe(65504);
    expect(halfBitsToFloat(0x0001)).toBe(5.960464477539063e-8); // 2^-24, the smallest subnormal
    expect(halfBitsToFloat(0x03ff)).toBe(6.097555160522461e-5); // 1023 · 2^-24, the largest subnormal
    expect(halfBitsToFloat(0x0400)).toBe(6.103515625e-5); // 2^-14, the smallest normal
    expect(halfBitsToFloat(0x3555)).toBe(0.333251953125);
    expect(halfBitsToFloat(0x3bff)).toBe(0.99951171875);
    expect(Object.is(halfBitsToFloat(0x8000), -0)).toBe(true);
    expect(halfBitsToFloat(0x7c00)).toBe(Infinity);
    expect(halfBitsToFloat(0xfc00)).toBe(-Infinity);
    expect(halfBitsToFloat(0x7e00)).toBeNaN();
    expect(halfBitsToFloat(0xfc01)).toBeNaN();
  });
});

describe('binary16 encode', () => {
  it('inverts decode for all 63,490 non-NaN bit patterns (65,536 less the 2 · 1,023 NaNs)', () => {
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) expect(halfBitsToFloat(floatToHalfBits(halfBitsToFloat(h)))).toBeNaN();
      else expect(floatToHalfBits(halfBitsToFloat(h))).toBe(h);
    }
  });

  it('rounds to nearest, ties to even, at the edges', () => {
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3C00 and 0x3C01: even is 0x3C00
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3C01 and 0x3C02: even is 0x3C02
    expect(floatToHalfBits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just past the tie
    expect(floatToHalfBits(65519)).toBe(0x7bff); // below 65504 + 16 stays finite
    expect(floatToHalfBits(65520)).toBe(0x7c00); // the tie rounds to even, which is Infinity
    expect(floatToHalfBits(-1e6)).toBe(0xfc00);
    expect(floatToHalfBits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even is 0
    expect(floatToHalfBits(2 ** -25 + 2 ** -40)).toBe(0x0001);
    expect(floatToHalfBits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps: even is 2
    expect(floatToHalfBits(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie at the top of the subnormals carries into the smallest normal
    expect(floatToHalfBits(1e-30)).toBe(0x0000);
    expect(floatToHalfBits(-1e-30)).toBe(0x8000);
    expect(floatToHalfBits(1.4e-45)).toBe(0x0000); // a float32 subnormal
    expect(floatToHalfBits(Infinity)).toBe(0x7c00);
    expect(halfBitsToFloat(floatToHalfBits(NaN))).toBeNaN();
  });

  it('matches the brute-force nearest-half oracle on 100,000 random float32 values', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        expect(floatToHalfBits(x)).toBe(oracleHalfBits(x));
      }),
      { numRuns: 50_000 },
    );
    // Values in the half range, where the interesting rounding happens.
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -70000, max: 70000 }), (x) => {
        expect(floatToHalfBits(x)).toBe(oracleHalfBits(x));
      }),
      { numRuns: 50_000 },
    );
  });
});

describe('bfloat16 decode', () => {
  it('decodes known bit patterns as the high half of a float32', () => {
    // 0x3F80 = 1, 0xC040 = -3, 0x7F80 = +Inf, 0x0001 = 2^-133 (the smallest bfloat16 subnormal), 0x4049 = 3.140625
    const bytes = new Uint8Array([0x80, 0x3f, 0x40, 0xc0, 0x80, 0x7f, 0x01, 0x00, 0x49, 0x40]);
    const out = new Float32Array(5);
    decodeBF16(bytes, out);
    expect(Array.from(out)).toEqual([1, -3, Infinity, 2 ** -133, 3.140625]);
  });
});
