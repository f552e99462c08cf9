// DDIM (Song et al. 2021) on the grid t_i = i/N, from z₁ to x̂₀, η = 0 deterministic or η > 0 stochastic
// (η = 1 is ancestral sampling). The sampler takes the denoiser as an argument and reports through one
// callback; nothing inside the loop reads the GPU back.
import * as tf from '@tensorflow/tfjs';
import { ddimStepCoefficients } from '../core/ddimCoefficients';
import { yieldToEventLoop } from '../core/eventLoop';
import { Rng, initialNoise, sampleNoiseSeed } from '../core/rng';
import { ddimTimes, timePoint } from '../core/schedule';
import { sizeOf } from '../core/shape';
import { ddimStep } from '../kernels/ddimStep';
import type { Denoiser } from './denoiser';

export interface StepEvent {
  /** 0-based index of the step just taken; the last one is steps - 1. */
  step: number;
  steps: number;
  /** The time the step started from, and the one it reached. */
  t: number;
  s: number;
  /** The prediction x̂ made at t. Borrowed: valid only during the callback (clone or read it there). */
  xHat: tf.Tensor;
}

export interface SampleOptions {
  steps: number;
  /** η of generalized DDIM: 0 (default) is deterministic. */
  eta?: number;
  /** Clip x̂ to [-1, 1] at every step (for image data in [-1, 1]). */
  clip?: boolean;
  /** Seed for the fresh noise of η > 0 steps: row r draws from its own stream, sampleNoiseSeed(noiseSeed, firstSample + r). */
  noiseSeed?: number;
  /** The batch's first row as a sample index of a larger run (generateSamples), so a sample's noise does not depend on the batch split. */
  firstSample?: number;
  onStep?: (e: StepEvent) => void;
  signal?: AbortSignal;
  /** sampleDdimAsync awaits it between steps: a paused job holds its sampler there (it resolves on resume or cancel). */
  gate?: () => Promise<void>;
}

/**
 * The sampler as a generator that pauses after every step, so that the same loop can run straight through
 * (sampleDdim) or give the event loop a turn between steps (sampleDdimAsync). Returns x̂ at t = 0.
 */
function* ddimLoop(denoiser: Denoiser, z1: tf.Tensor, opts: SampleOptions): Generator<void, tf.Tensor, void> {
  const { steps, eta = 0, clip = false } = opts;
  const times = ddimTimes(steps);
  const rows = z1.shape[0] ?? 1;
  const noiseRngs = eta > 0 ? Array.from({ length: rows }, (_, r) => new Rng(sampleNoiseSeed(opts.noiseSeed ?? 0x5eed, (opts.firstSample ?? 0) + r))) : null;
  let z = tf.clone(z1);
  try {
    for (let i = 0; i < steps; i++) {
      opts.signal?.throwIfAborted();
      const at = timePoint(times[i], denoiser.schedule);
      const as = timePoint(times[i + 1], denoiser.schedule);
      const last = i === steps - 1;
      const c = ddimStepCoefficients(denoiser.parameterization, at, as, last ? 0 : eta);
      const { zS, xHat } = tf.tidy(() => {
        const out = denoiser.output(z, at.t);
        const noise = c.noiseStd > 0 && noiseRngs ? tf.tensor(freshNoise(noiseRngs, z.size / rows), z.shape) : undefined;
        return ddimStep(z, out, c, clip, noise);
      });
      opts.onStep?.({ step: i, steps, t: at.t, s: as.t, xHat });
      z.dispose();
      // The last step returns x̂ itself.
      z = last ? xHat : zS;
      (last ? zS : xHat).dispose();
      if (!last) yield;
    }
  } catch (e) {
    z.dispose();
    throw e;
  }
  return z;
}

/** One step's fresh noise, [rows, dim] row-major: row r from its own stream. */
function freshNoise(rngs: readonly Rng[], dim: number): Float32Array {
  const out = new Float32Array(rngs.length * dim);
  rngs.forEach((rng, r) => out.set(rng.normals(dim), r * dim));
  return out;
}

/**
 * Runs the sampler from z₁ and returns x̂ at t = 0 (a new tensor the caller owns); z₁ is not disposed.
 * The last step returns x̂ itself rather than α₀·x̂ + σ₀·ε̂.
 */
export function sampleDdim(denoiser: Denoiser, z1: tf.Tensor, opts: SampleOptions): tf.Tensor {
  const loop = ddimLoop(denoiser, z1, opts);
  let r = loop.next();
  while (!r.done) r = loop.next();
  return r.value;
}

/**
 * sampleDdim that lets the event loop run between steps: a worker hears its cancel message mid-column, and
 * a progress bar can redraw. Still no readback inside the loop.
 */
export async function sampleDdimAsync(denoiser: Denoiser, z1: tf.Tensor, opts: SampleOptions): Promise<tf.Tensor> {
  const loop = ddimLoop(denoiser, z1, opts);
  let r = loop.next();
  while (!r.done) {
    await yieldToEventLoop();
    await opts.gate?.();
    r = loop.next();
  }
  return r.value;
}

/** z₁ for `count` samples of the given shape from a seed: same seed, same z₁, whatever model or step count. */
export function seededNoise(seed: number, count: number, shape: number[]): tf.Tensor {
  const dim = sizeOf(shape);
  return tf.tensor(initialNoise(seed, count, dim), [count, ...shape]);
}
