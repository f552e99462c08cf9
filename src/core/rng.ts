// Seeded random numbers for everything that must be reproducible: the initial noise z₁ of a sampler
// (same seed → same z₁ for any step count and any model, which is what makes side-by-side grids honest),
// toy data sets and training draws. Bits come from xoroshiro128+ (pure-rand); normals by Box–Muller.
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';

/** The largest seed the CLI and the playground take: one range, so a seed means the same noise in both. */
export const MAX_SEED = 2 ** 31 - 1;

export class Rng {
  private readonly gen: RandomGenerator;
  private spare: number | null = null;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = (this.gen.unsafeNext() >>> 0) >>> 5; // 27 bits
    const lo = (this.gen.unsafeNext() >>> 0) >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.uniform();
    while (u <= Number.MIN_VALUE) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** k distinct indices from [0, n), in draw order: the first k of a partial Fisher–Yates shuffle. */
  choose(n: number, k: number): Uint32Array {
    const pool = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
    }
    return pool.slice(0, k);
  }

  normals(count: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal();
    return out;
  }
}

/**
 * The sampler's starting noise: `count` samples of `dim` values each, row-major.
 * Sample k is the same for every batch size ≥ k + 1 (draws are sequential), so a 16-sample grid
 * is the first 16 samples of a 64-sample run with the same seed.
 */
export function initialNoise(seed: number, count: number, dim: number): Float32Array {
  return new Rng(seed).normals(count * dim);
}

/**
 * The seed of sample k's own stream of fresh noise for η > 0 sampler steps: a hash (murmur3's finaliser) of
 * (seed, k). Sample k then draws the same noise in any batch, and never z₁'s stream (`new Rng(seed)`),
 * which would make the first step's "fresh" noise the starting noise itself.
 */
export function sampleNoiseSeed(seed: number, k: number): number {
  let h = (seed ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
