// The continuous-time variance-preserving process of Salimans & Ho (2022), in float64.
// Notation: λ = logSNR(t) = log(α²/σ²), α² = sigmoid(λ), σ² = sigmoid(-λ), so α² + σ² = 1.
// z_t = α_t·x + σ_t·ε, t ∈ [0, 1], t = 0 is data and t = 1 is (almost) pure noise.

/** The cosine schedule in logSNR form, truncated to [logSnrMin, logSnrMax]. */
export interface ScheduleConfig {
  kind: 'cosine';
  /** λ at t = 1. -20 (the paper's choice) leaves α₁ ≈ 4.5e-5: z₁ is noise up to a 4.5e-5 share of x. */
  logSnrMin: number;
  /** λ at t = 0. 20 leaves σ₀ ≈ 4.5e-5, not 0: samplers return x̂ at t = 0 (and distillation targets it there, src/distill/target.ts). */
  logSnrMax: number;
}

export const DEFAULT_SCHEDULE: ScheduleConfig = { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 };

/** What the network predicts: the paper's default is v = α·ε - σ·x (Section 4). */
export type Parameterization = 'v' | 'x' | 'eps';

/**
 * Loss weighting of ‖x - x̂‖²: `snr_trunc` is max(SNR, 1) (the paper's "truncated SNR" weighting),
 * `snr+1` is SNR + 1, which for any parameterization equals ‖v - v̂‖².
 */
export type LossWeighting = 'snr_trunc' | 'snr+1';

function cosineCoefficients(cfg: ScheduleConfig): { a: number; b: number } {
  // logsnr(t) = -2·log(tan(a·t + b)) with b = atan(exp(-λmax/2)), a = atan(exp(-λmin/2)) - b.
  const b = Math.atan(Math.exp(-cfg.logSnrMax / 2));
  const a = Math.atan(Math.exp(-cfg.logSnrMin / 2)) - b;
  return { a, b };
}

/** λ(t) of the cosine schedule; logSnr(0) = λmax, logSnr(1) = λmin. */
export function logSnr(t: number, cfg: ScheduleConfig = DEFAULT_SCHEDULE): number {
  const { a, b } = cosineCoefficients(cfg);
  return -2 * Math.log(Math.tan(a * t + b));
}

/** Inverse of logSnr: the t at which the schedule reaches λ. */
export function timeAtLogSnr(lambda: number, cfg: ScheduleConfig = DEFAULT_SCHEDULE): number {
  const { a, b } = cosineCoefficients(cfg);
  return (Math.atan(Math.exp(-lambda / 2)) - b) / a;
}

/** Numerically stable logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** α = sqrt(sigmoid(λ)), σ = sqrt(sigmoid(-λ)). */
export function alphaSigmaFromLogSnr(lambda: number): { alpha: number; sigma: number } {
  return { alpha: Math.sqrt(sigmoid(lambda)), sigma: Math.sqrt(sigmoid(-lambda)) };
}

export interface TimePoint {
  t: number;
  logSnr: number;
  alpha: number;
  sigma: number;
}

/** Everything the tensor code needs about one time t, as plain float64 numbers. */
export function timePoint(t: number, cfg: ScheduleConfig = DEFAULT_SCHEDULE): TimePoint {
  const lambda = logSnr(t, cfg);
  return { t, logSnr: lambda, ...alphaSigmaFromLogSnr(lambda) };
}

/** The loss weight w(λ) applied to ‖x - x̂‖² (mean over dimensions). */
export function lossWeight(lambda: number, weighting: LossWeighting): number {
  const snr = Math.exp(lambda);
  return weighting === 'snr_trunc' ? Math.max(snr, 1) : snr + 1;
}

/** The DDIM grid t_i = i/N, from t = 1 down to t = 0: N + 1 points. */
export function ddimTimes(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  return Array.from({ length: steps + 1 }, (_, k) => (steps - k) / steps);
}
