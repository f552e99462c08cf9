// Option parsers shared by the subcommands: bad values are one-line errors, not NaN runs.
import { InvalidArgumentError, Option } from 'commander';
import { MAX_SEED } from '../core/rng';
import type { LossWeighting } from '../core/schedule';
import { MAX_STEPS } from '../io/checkpoint';

/** A whole number in [lo, hi], written as digits (not 1e3, not 0x10). */
function wholeNumber(lo: number, hi: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < lo || n > hi) throw new InvalidArgumentError(`must be a whole number from ${lo} to ${hi}`);
    return n;
  };
}

/** A count with no limit of its own (iterations, batch size, widths), written as digits as every count is. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number, written in digits');
  return n;
}

/**
 * The most samples `sample`, `eval` and `distill` draw at once: they are held in memory together
 * (100,000 MNIST images are 314 MB of float32; FID papers use 50,000).
 */
export const MAX_SAMPLE_COUNT = 100_000;

/** A sample count in [1, MAX_SAMPLE_COUNT]. */
export const sampleCount = wholeNumber(1, MAX_SAMPLE_COUNT);

/** A grid's samples per row and its pixel scale: a PNG of up to 256 columns of 28·16 pixels. */
export const gridColumns = wholeNumber(1, 256);
export const gridScale = wholeNumber(1, 16);

/** A seed in [0, 2³¹ − 1] (src/core/rng.ts): larger ones would wrap onto smaller ones inside the generators. */
export const seed = wholeNumber(0, MAX_SEED);

/** The most sampling steps a command takes: the checkpoint format's own limit on a student's steps. */
export const MAX_SAMPLING_STEPS = MAX_STEPS;

/** A sampling step count in [1, 2²⁰]. */
export const stepCount = wholeNumber(1, MAX_SAMPLING_STEPS);

/** UNet channels at the three resolutions: three whole numbers, each a multiple of the 8 GroupNorm groups. */
export function unetChannels(value: string): number[] {
  const parts = value.split(',').map((v) => v.trim());
  const n = parts.map(Number);
  if (parts.length !== 3 || parts.some((v) => !/^\d+$/.test(v)) || n.some((c) => c < 8 || c > 1024 || c % 8 !== 0)) {
    throw new InvalidArgumentError('must be three multiples of 8 up to 1024, for 28, 14 and 7 pixels (e.g. 32,64,64)');
  }
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

/** A step count of a chain: a power of two up to 2²⁰, the checkpoint format's limit. */
export function powerOfTwo(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_SAMPLING_STEPS || (n & (n - 1)) !== 0) throw new InvalidArgumentError(`must be a power of two (1, 2, 4, …) up to ${MAX_SAMPLING_STEPS}`);
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
