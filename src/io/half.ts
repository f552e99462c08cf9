// IEEE 754 binary16 (F16) and bfloat16 (BF16) <-> float32, bit-exact, without Float16Array (Node 20 lacks it).
// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; bfloat16: the top 16 bits of a float32.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let f16Table: Float32Array | null = null;

/** The float value of one binary16 bit pattern (exact: every half is a float32). */
export function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals: mant · 2^-24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25); // (1 + mant/1024) · 2^(exp-15)
}

/** Decoding through a 65,536-entry table (256 kB, built on first use) is ~10x faster than bit twiddling. */
function table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = halfBitsToFloat(h);
  }
  return f16Table;
}

/**
 * The binary16 bit pattern nearest to a float32 value, ties to even (IEEE's default rounding); values past
 * the largest half (65504, plus half an ulp) become ±Infinity, tiny ones become subnormals or ±0. NaN stays NaN.
 */
export function floatToHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00; // NaN (kept quiet) or ±Inf
  const e = exp - 127 + 15; // the binary16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m · 2^(exp-150) with the implicit bit; in units of 2^-24 that is m >> (14 - e).
    if (e < -10) return sign; // below 2^-25: rounds to zero (2^-25 itself ties to the even 0, handled below)
    const m = mant | 0x800000;
    const shift = 14 - e; // 14..24
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++; // may carry into the smallest normal: still correct
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is right, up to Infinity
  return sign | h;
}

/** Little-endian binary16 bytes → float32 values. `src` holds exactly 2·n bytes. */
export function decodeF16(src: Uint8Array, out: Float32Array): void {
  const t = table();
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = t[src[j] | (src[j + 1] << 8)];
}

/** Little-endian bfloat16 bytes → float32 values: each is the high half of a float32. */
export function decodeBF16(src: Uint8Array, out: Float32Array): void {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) outBits[i] = ((src[j] | (src[j + 1] << 8)) << 16) >>> 0;
}

/** float32 values → little-endian binary16 bytes into `dst` (2·n bytes). */
export function encodeF16(values: Float32Array, dst: Uint8Array): void {
  for (let i = 0, j = 0; i < values.length; i++, j += 2) {
    const h = floatToHalfBits(values[i]);
    dst[j] = h & 0xff;
    dst[j + 1] = h >>> 8;
  }
}

/** The index of the first finite value that F16 cannot hold (it would round to ±Infinity), or -1. */
export function firstF16Overflow(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]) && (floatToHalfBits(values[i]) & 0x7fff) === 0x7c00) return i;
  }
  return -1;
}
