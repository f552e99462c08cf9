// Option parsers shared by the subcommands: bad values are one-line errors, not NaN runs.
import { InvalidArgumentError, Option } from 'commander';
import type { LossWeighting } from '../core/schedule';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** A rate in [0, 1). */
export function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a number in [0, 1)');
  return n;
}

/** η of generalized DDIM, in [0, 1]: 0 is deterministic DDIM, 1 adds the ancestral sampler's noise. */
export function eta(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number in [0, 1]');
  return n;
}

export function powerOfTwo(value: string): number {
  const n = positiveInt(value);
  if ((n & (n - 1)) !== 0) throw new InvalidArgumentError('must be a power of two (1, 2, 4, …)');
  return n;
}

export function stepList(value: string): number[] {
  return value.split(',').map((v) => powerOfTwo(v.trim()));
}

export function intList(value: string): number[] {
  return value.split(',').map((v) => positiveInt(v.trim()));
}

/** The x-space loss weighting of teacher training and of distillation (Salimans & Ho 2022, section 4). */
export function weightingOption(): Option {
  return new Option('--weighting <w>', 'loss weighting of the x-space error: snr_trunc = max(SNR, 1), snr+1 = SNR + 1 (for a v-model, its plain v-error)')
    .choices(['snr_trunc', 'snr+1'] satisfies LossWeighting[])
    .default('snr_trunc');
}
