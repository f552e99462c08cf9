// Sampling for the page: a network and a step count in, plain arrays out. The sampler runs without readbacks;
// what the page sees is read back once per call (the samples, and x̂ of sample 0 at the steps asked for).
import * as tf from '@tensorflow/tfjs';
import { timePoint } from '../core/schedule';
import { isToyDataset } from '../data/toy2d';
import { toyQuality, toySwdFloor } from '../metrics/quality';
import { sampleShape, type DataSpec } from '../model/config';
import type { Network } from '../model/network';
import { sampleDdimAsync, seededNoise } from '../samplers/ddim';
import { networkDenoiser } from '../samplers/denoiser';
import { gpuPacer } from '../tensor/gpuPacer';

export interface SampleRun {
  /** [count, ...sampleShape] */
  samples: Float32Array;
  /** [frameSteps.length, ...sampleShape]: x̂ of sample 0 at each of `SampleArgs.frameSteps` (empty without). */
  trajectory: Float32Array;
  ms: number;
  /** Network evaluations answered by replaying the recorded forward pass (webgpu), of `times.length`. */
  replayed: number;
}

export interface SampleArgs {
  seed: number;
  /** η of generalized DDIM (default 0): its fresh noise comes from per-sample streams of `seed`. */
  eta?: number;
  count: number;
  steps: number;
  signal?: AbortSignal;
  /** Keep x̂ of sample 0 at these (0-based, ascending) steps: one slice each, read back together at the end. */
  frameSteps?: number[];
  onStep?: (step: number, steps: number) => void;
  /** A job's pause gate, awaited between steps. */
  gate?: () => Promise<void>;
}

/** DDIM from the seeded z₁; image models clip x̂ to the data range [-1, 1]. */
export async function sampleNetwork(net: Network, args: SampleArgs): Promise<SampleRun> {
  const shape = sampleShape(net.config.data);
  const z1 = seededNoise(args.seed, args.count, shape); // [count, ...shape]
  const frames: tf.Tensor[] = [];
  const keep = new Set(args.frameSteps ?? []);
  const start = performance.now();
  let x: tf.Tensor | null = null;
  const denoiser = networkDenoiser(net);
  // Progress counts the steps the GPU has finished, not the steps queued: see gpuPacer.
  const pacer = gpuPacer();
  let reported = 0;
  const report = (done: number) => {
    for (; reported < Math.min(done, args.steps); reported++) args.onStep?.(reported, args.steps);
  };
  try {
    x = await sampleDdimAsync(denoiser, z1, {
      steps: args.steps,
      eta: args.eta,
      noiseSeed: args.seed,
      clip: net.config.data.kind === 'image',
      signal: args.signal,
      gate: async () => {
        report(await pacer.step());
        await args.gate?.();
      },
      onStep: (e) => {
        if (keep.has(e.step)) frames.push(tf.slice(e.xHat, 0, 1)); // [1, ...shape]
      },
    });
    await pacer.step(); // the sampler's last step has no gate after it
    report(await pacer.drain());
    const samples = (await x.data()) as Float32Array;
    const ms = performance.now() - start;
    let trajectory: Float32Array = new Float32Array(0);
    if (frames.length) {
      const stacked = tf.concat(frames); // [frames, ...shape]
      trajectory = (await stacked.data()) as Float32Array;
      stacked.dispose();
    }
    return { samples, trajectory, ms, replayed: denoiser.stats.replays };
  } finally {
    denoiser.dispose();
    z1.dispose();
    x?.dispose();
    for (const f of frames) f.dispose();
  }
}

/**
 * The paths z_t of a deterministic DDIM run for 2D points, [count, steps + 1, 2] row-major, from z₁ to x̂₀.
 * Only x̂ is reported per step; z_s follows from it (DDIM, η = 0): ε̂ = (z_t − α_t·x̂)/σ_t, z_s = α_s·x̂ + σ_s·ε̂.
 */
export async function trajectories2d(net: Network, seed: number, count: number, steps: number, signal?: AbortSignal): Promise<Float32Array> {
  const z1 = seededNoise(seed, count, [2]); // [count, 2]
  const xHats: tf.Tensor[] = [];
  const times: number[] = [];
  let x: tf.Tensor | null = null;
  const denoiser = networkDenoiser(net);
  try {
    x = await sampleDdimAsync(denoiser, z1, { steps, signal, onStep: (e) => { xHats.push(tf.clone(e.xHat)); times.push(e.t, e.s); } });
    const z = (await z1.data()) as Float32Array;
    const predicted = await Promise.all(xHats.map((t) => t.data() as Promise<Float32Array>));
    const stride = (steps + 1) * 2;
    const out = new Float32Array(count * stride);
    const cur = Float64Array.from(z);
    for (let p = 0; p < count; p++) out.set([cur[2 * p], cur[2 * p + 1]], p * stride);
    for (let k = 0; k < steps; k++) {
      const at = timePoint(times[2 * k], net.config.schedule);
      const as = timePoint(times[2 * k + 1], net.config.schedule);
      const xh = predicted[k];
      for (let i = 0; i < cur.length; i++) {
        const last = k === steps - 1;
        cur[i] = last ? xh[i] : as.alpha * xh[i] + as.sigma * ((cur[i] - at.alpha * xh[i]) / at.sigma);
      }
      for (let p = 0; p < count; p++) out.set([cur[2 * p], cur[2 * p + 1]], p * stride + 2 * (k + 1));
    }
    return out;
  } finally {
    denoiser.dispose();
    z1.dispose();
    x?.dispose();
    for (const t of xHats) t.dispose();
  }
}

export const TOY_METRIC = 'sliced Wasserstein distance to the data';

const floorTexts = new Map<string, string>();

/**
 * TOY_METRIC with its floor at n points: what fresh draws of the data itself score (toySwdFloor, 8 draws,
 * ~20 ms, once per set and n). Sampling noise alone keeps any model above it.
 */
export function toyMetric(data: DataSpec, n: number): string {
  if (data.kind !== 'toy2d' || !isToyDataset(data.name) || n < 2) return TOY_METRIC;
  const key = `${data.name}:${n}`;
  let text = floorTexts.get(key);
  if (!text) {
    const f = toySwdFloor(data.name, n, 8);
    text = `${TOY_METRIC} (${n.toLocaleString('en')} points). Fresh draws of the data itself score ${f.lo.toFixed(3)}–${f.hi.toFixed(3)}: in that range a model is as close as ${n.toLocaleString('en')} points can show`;
    floorTexts.set(key, text);
  }
  return text;
}

/** A 2D model's quality figure: SW₂ between its samples and as many fresh points of its toy set (lower is better). */
export async function toyQualityOf(data: DataSpec, points: Float32Array): Promise<number | null> {
  if (data.kind !== 'toy2d' || !isToyDataset(data.name) || points.length < 4) return null;
  const { swd } = await toyQuality(data).evaluate(points);
  return swd;
}

/** Root-mean-square distance between two equal-size batches: how far a sampler lands from a reference run on the same noise. */
export function rmsDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / a.length);
}
