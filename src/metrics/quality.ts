// A sample-quality figure per data kind: lower is better for the `primary` figure.
// 2D toy data: sliced Wasserstein-2 distance to fresh data points; images: FID and friends (metrics/mnist*).
import type { DataSpec } from '../model/config';
import { isToyDataset, toyDataset, type ToyDatasetName } from '../data/toy2d';
import { slicedWasserstein2d } from './swd2d';

export interface QualityEvaluator {
  /** The headline figure's key in the result, e.g. 'swd' or 'fid'. */
  readonly primary: string;
  evaluate(samples: Float32Array): Promise<Record<string, number>>;
}

/** The reference is n fresh points of the same toy set from a seed no training run uses. */
export const TOY_REFERENCE_SEED = 0x7e57;

/**
 * What a perfect model would score against the reference at n points: the distance of `draws` fresh draws of
 * the data itself (seeds 1, 2, …), lowest and highest. Sampling noise alone keeps every model above it.
 */
export function toySwdFloor(name: ToyDatasetName, n: number, draws = 4): { lo: number; hi: number } {
  const reference = toyDataset(name, n, TOY_REFERENCE_SEED);
  const d = Array.from({ length: draws }, (_, k) => slicedWasserstein2d(toyDataset(name, n, k + 1), reference));
  return { lo: Math.min(...d), hi: Math.max(...d) };
}

export function toyQuality(data: DataSpec): QualityEvaluator {
  if (data.kind !== 'toy2d' || !isToyDataset(data.name)) throw new Error(`no 2D reference data for '${data.kind === 'toy2d' ? data.name : data.kind}'`);
  const name = data.name;
  return {
    primary: 'swd',
    evaluate: async (samples) => ({ swd: slicedWasserstein2d(samples, toyDataset(name, samples.length / 2, TOY_REFERENCE_SEED)) }),
  };
}
