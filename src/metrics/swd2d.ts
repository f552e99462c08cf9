// Sliced Wasserstein-2 distance between two 2D sample sets of equal size:
//   SW₂(P, Q)² = E_θ [ W₂(θ·P, θ·Q)² ],  θ uniform on the unit circle,
// where the 1D W₂² between two n-point sets is the mean squared difference of their sorted projections.
// Deterministic: the directions are evenly spaced angles, so no seed is involved.

export const SWD_DIRECTIONS = 128;

export function slicedWasserstein2d(a: Float32Array, b: Float32Array, directions = SWD_DIRECTIONS): number {
  const n = a.length / 2;
  if (!Number.isInteger(n) || a.length !== b.length || n === 0) throw new RangeError('slicedWasserstein2d needs two non-empty [n, 2] sets of equal size');
  const pa = new Float64Array(n);
  const pb = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < directions; k++) {
    // Angles in [0, π): θ and -θ give the same 1D distance.
    const angle = (Math.PI * (k + 0.5)) / directions;
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    for (let i = 0; i < n; i++) {
      pa[i] = c * a[2 * i] + s * a[2 * i + 1];
      pb[i] = c * b[2 * i] + s * b[2 * i + 1];
    }
    pa.sort();
    pb.sort();
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (pa[i] - pb[i]) ** 2;
    total += sq / n;
  }
  return Math.sqrt(total / directions);
}
