// Fréchet distance between two Gaussians fitted to feature vectors (FID, Heusel et al. 2017):
//   d² = ‖μ₁ - μ₂‖² + tr Σ₁ + tr Σ₂ - 2·tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}
// The last term equals tr (Σ₁Σ₂)^{1/2}, but in this form only symmetric PSD matrices are decomposed
// (ml-matrix's symmetric eigendecomposition), so no complex eigenvalues or scipy-style sqrtm fix-ups arise.
// Plain float64 arrays; no tensors.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface GaussianStats {
  dim: number;
  /** [dim] */
  mean: Float64Array;
  /** [dim, dim] row-major, symmetric. */
  cov: Float64Array;
  /** Number of samples the statistics came from (informational). */
  count: number;
}

/** Mean and unbiased (n - 1) covariance of `features`, [n, dim] row-major, accumulated in float64. */
export function featureStats(features: ArrayLike<number>, dim: number): GaussianStats {
  const n = features.length / dim;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`featureStats needs at least 2 rows of ${dim} values, got ${features.length} values`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = features[i * dim + j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ra = row[a];
      if (ra === 0) continue; // ReLU features are often exactly 0
      for (let b = a; b < dim; b++) cov[a * dim + b] += ra * row[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { dim, mean, cov, count: n };
}

function symmetricMatrix(values: Float64Array, dim: number): Matrix {
  const m = new Matrix(dim, dim);
  // Average with the transpose so rounding never leaves the matrix asymmetric.
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) m.set(a, b, 0.5 * (values[a * dim + b] + values[b * dim + a]));
  return m;
}

/** Eigenvalues (clamped at 0: a covariance is PSD, negatives are rounding) and eigenvectors of a symmetric matrix. */
function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: evd.realEigenvalues.map((v) => Math.max(v, 0)), vectors: evd.eigenvectorMatrix };
}

/** The PSD square root V·diag(√λ)·Vᵀ of a symmetric PSD matrix. */
function sqrtPsd(m: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(m);
  const scaled = vectors.clone();
  for (let j = 0; j < values.length; j++) {
    const s = Math.sqrt(values[j]);
    for (let i = 0; i < scaled.rows; i++) scaled.set(i, j, scaled.get(i, j) * s);
  }
  return scaled.mmul(vectors.transpose());
}

/** The squared Fréchet distance d² between N(μ₁, Σ₁) and N(μ₂, Σ₂): what papers report as FID. */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistance: dimensions differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  let traces = 0;
  for (let j = 0; j < d; j++) traces += a.cov[j * d + j] + b.cov[j * d + j];
  const s1 = sqrtPsd(symmetricMatrix(a.cov, d));
  const inner = s1.mmul(symmetricMatrix(b.cov, d)).mmul(s1); // Σ₁^{1/2} Σ₂ Σ₁^{1/2}, symmetric PSD
  const innerSym = new Float64Array(inner.to1DArray());
  const crossTrace = symmetricEigen(symmetricMatrix(innerSym, d)).values.reduce((s, v) => s + Math.sqrt(v), 0);
  // Clamped: the true value is ≥ 0, rounding can leave -1e-12 for identical statistics.
  return Math.max(0, meanTerm + traces - 2 * crossTrace);
}
