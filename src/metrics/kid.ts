// Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of the squared MMD between two
// feature sets with the cubic polynomial kernel k(x, y) = (x·y/d + 1)³, averaged over random subsets.
//   MMD²_u = 1/(m(m-1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(n(n-1)) Σ_{i≠j} k(yᵢ, yⱼ) - 2/(mn) Σ_{i,j} k(xᵢ, yⱼ)
// Unbiased, so it can come out slightly negative for sets from the same distribution. Plain float64, no tensors.
import { Rng } from '../core/rng';

/** k(x, y) = (x·y/d + 1)³ between row i of a and row j of b, both [·, d] row-major. */
function polyKernel(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let dot = 0;
  const oa = i * d;
  const ob = j * d;
  for (let k = 0; k < d; k++) dot += a[oa + k] * b[ob + k];
  return (dot / d + 1) ** 3;
}

/** Kernel matrix K[i, j] = k(aᵢ, bⱼ), [rows(a), rows(b)] row-major; `symmetric` (a = b) computes one triangle. */
function kernelMatrix(a: ArrayLike<number>, b: ArrayLike<number>, d: number, symmetric = false): Float64Array {
  const m = a.length / d;
  const n = b.length / d;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = symmetric ? i : 0; j < n; j++) {
      const v = polyKernel(a, i, b, j, d);
      out[i * n + j] = v;
      if (symmetric) out[j * n + i] = v;
    }
  }
  return out;
}

/** MMD²_u from the kernel matrices restricted to the index sets ix (of x) and iy (of y). */
function mmd2FromKernels(kxx: Float64Array, kyy: Float64Array, kxy: Float64Array, m: number, n: number, ix: ArrayLike<number>, iy: ArrayLike<number>): number {
  let sxx = 0;
  for (let a = 0; a < ix.length; a++) for (let b = 0; b < ix.length; b++) if (a !== b) sxx += kxx[ix[a] * m + ix[b]];
  let syy = 0;
  for (let a = 0; a < iy.length; a++) for (let b = 0; b < iy.length; b++) if (a !== b) syy += kyy[iy[a] * n + iy[b]];
  let sxy = 0;
  for (let a = 0; a < ix.length; a++) for (let b = 0; b < iy.length; b++) sxy += kxy[ix[a] * n + iy[b]];
  const p = ix.length;
  const q = iy.length;
  return sxx / (p * (p - 1)) + syy / (q * (q - 1)) - (2 * sxy) / (p * q);
}

/** Rows `idx` of a [·, d] matrix, contiguous. */
function gatherRows(a: ArrayLike<number>, idx: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) for (let k = 0; k < d; k++) out[r * d + k] = a[idx[r] * d + k];
  return out;
}

const range = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/** MMD²_u between all of x [m, d] and all of y [n, d] (m, n ≥ 2). */
export function polynomialMmd2(x: ArrayLike<number>, y: ArrayLike<number>, d: number): number {
  const m = x.length / d;
  const n = y.length / d;
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 2 || n < 2) throw new RangeError(`polynomialMmd2 needs at least 2 rows of ${d} values in each set`);
  return mmd2FromKernels(kernelMatrix(x, x, d, true), kernelMatrix(y, y, d, true), kernelMatrix(x, y, d), m, n, range(m), range(n));
}

export interface KidOptions {
  /** Number of random subset pairs averaged (Bińkowski et al. use 100 of size 1000 for 50k samples). */
  subsets?: number;
  /** Rows per subset, capped at the smaller set's size. */
  subsetSize?: number;
  seed?: number;
}

export interface KidResult {
  /** Mean of MMD²_u over the subsets: the KID. */
  mean: number;
  /** Standard deviation over the subsets (0 when there is one). */
  std: number;
  subsets: number;
  subsetSize: number;
  /** MMD²_u of each subset pair, in draw order. */
  values: number[];
}

/** KID between feature sets x [m, d] and y [n, d]: subsets drawn without replacement, seeded. */
export function kernelInceptionDistance(x: ArrayLike<number>, y: ArrayLike<number>, d: number, opts: KidOptions = {}): KidResult {
  const m = x.length / d;
  const n = y.length / d;
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 2 || n < 2) throw new RangeError(`KID needs at least 2 rows of ${d} values in each set`);
  const subsets = opts.subsets ?? 10;
  const size = Math.min(opts.subsetSize ?? 1000, m, n);
  const rng = new Rng(opts.seed ?? 0);
  const draws = Array.from({ length: subsets }, () => ({ ix: rng.choose(m, size), iy: rng.choose(n, size) }));
  let values: number[];
  // Kernel values for all pairs once, when that is cheaper than the subsets' own pairs (small sets, many subsets).
  if ((m * m + n * n) / 2 + m * n <= subsets * 2 * size * size) {
    const kxx = kernelMatrix(x, x, d, true);
    const kyy = kernelMatrix(y, y, d, true);
    const kxy = kernelMatrix(x, y, d);
    values = draws.map(({ ix, iy }) => mmd2FromKernels(kxx, kyy, kxy, m, n, ix, iy));
  } else {
    values = draws.map(({ ix, iy }) => polynomialMmd2(gatherRows(x, ix, d), gatherRows(y, iy, d), d));
  }
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std, subsets, subsetSize: size, values };
}
