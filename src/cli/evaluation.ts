// Sampling and measuring a checkpoint, shared by `distill`, `eval` and `sample`.
import { tuningTimeMs } from '../kernels/autotune';
import { sampleShape } from '../model/config';
import type { Network } from '../model/network';
import { networkDenoiser } from '../samplers/denoiser';
import { generateSamples } from '../samplers/generate';

export interface SampleRun {
  samples: Float32Array;
  shape: number[];
  msPerImage: number;
}

export interface SampleRequest {
  steps: number;
  count: number;
  seed: number;
  /** η of generalized DDIM (default 0, deterministic). */
  eta?: number;
  onBatch?: (done: number, total: number) => void;
}

export async function sampleNetwork(net: Network, { steps, count, seed, eta = 0, onBatch }: SampleRequest): Promise<SampleRun> {
  const shape = sampleShape(net.config.data);
  const started = performance.now();
  const tuning = tuningTimeMs();
  // Images live in [-1, 1]: clip x̂ there at every step, as the paper's samplers do.
  const denoiser = networkDenoiser(net);
  try {
    const samples = await generateSamples(denoiser, { seed, count, shape, steps, eta, clip: net.config.data.kind === 'image', onBatch });
    const broken = samples.reduce((n, v) => n + (Number.isFinite(v) ? 0 : 1), 0);
    if (broken > 0) process.stderr.write(`warning: ${broken} of ${samples.length} sampled values are NaN or infinite: this model's outputs overflow (weights from a diverged run?)\n`);
    // Time spent choosing kernels between batches (kernel tuning, on a GPU) is not sampling time.
    return { samples, shape, msPerImage: (performance.now() - started - (tuningTimeMs() - tuning)) / count };
  } finally {
    denoiser.dispose();
  }
}
