// Scalar coefficients of one deterministic DDIM step (Song et al. 2021, eq. 12 with η = 0), in float64.
// With x̂ and ε̂ the model's predictions at z_t:  z_s = α_s·x̂ + σ_s·ε̂.
// For a network output `out` this is linear in (z_t, out), z_s = cZ·z_t + cOut·out, with
//   v:   x̂ = α_t·z_t - σ_t·v̂,  ε̂ = σ_t·z_t + α_t·v̂
//   x:   x̂ = out,              ε̂ = (z_t - α_t·x̂)/σ_t
//   eps: ε̂ = out,              x̂ = (z_t - σ_t·ε̂)/α_t
// Kernels take these coefficients so that no TypeScript copy of the parameterization algebra is needed on the GPU.
import type { Parameterization, TimePoint } from './schedule';

/** x̂ = xz·z + xo·out and ε̂ = ez·z + eo·out at time t. */
export interface PredictionCoefficients {
  xz: number;
  xo: number;
  ez: number;
  eo: number;
}

export function predictionCoefficients(p: Parameterization, at: TimePoint): PredictionCoefficients {
  const { alpha, sigma } = at;
  switch (p) {
    case 'v':
      return { xz: alpha, xo: -sigma, ez: sigma, eo: alpha };
    case 'x':
      return { xz: 0, xo: 1, ez: 1 / sigma, eo: -alpha / sigma };
    case 'eps':
      return { xz: 1 / alpha, xo: -sigma / alpha, ez: 0, eo: 1 };
  }
}

/**
 * One generalized DDIM step from t to s < t (Song et al. 2021, eq. 12):
 *   z_s = α_s·x̂ + sqrt(σ_s² - σ_η²)·ε̂ + σ_η·noise,
 *   σ_η = η·sqrt(σ_s²/σ_t²)·sqrt(1 - α_t²/α_s²)   (ᾱ of the DDIM paper is our α²).
 * η = 0 is deterministic DDIM; η = 1 is ancestral sampling from q(z_s | z_t, x = x̂).
 */
export interface DdimStepCoefficients extends PredictionCoefficients {
  alphaT: number;
  sigmaT: number;
  alphaS: number;
  /** sqrt(σ_s² - σ_η²), the weight of ε̂. */
  epsWeight: number;
  /** σ_η, the weight of fresh noise (0 for η = 0). */
  noiseStd: number;
}

export function ddimStepCoefficients(p: Parameterization, at: TimePoint, as: TimePoint, eta = 0): DdimStepCoefficients {
  const ratio = (as.sigma * as.sigma) / (at.sigma * at.sigma);
  const inner = 1 - (at.alpha * at.alpha) / (as.alpha * as.alpha);
  const noiseStd = eta === 0 ? 0 : eta * Math.sqrt(Math.max(ratio * inner, 0));
  return {
    ...predictionCoefficients(p, at),
    alphaT: at.alpha,
    sigmaT: at.sigma,
    alphaS: as.alpha,
    epsWeight: Math.sqrt(Math.max(as.sigma * as.sigma - noiseStd * noiseStd, 0)),
    noiseStd,
  };
}
