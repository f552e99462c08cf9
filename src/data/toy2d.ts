// The 2D toy sets of the classroom mode, seeded, each scaled to lie roughly in [-2, 2]².
import { Rng } from '../core/rng';

export const TOY_DATASETS = ['moons', 'swissroll', 'gaussians8', 'checkerboard'] as const;
export type ToyDatasetName = (typeof TOY_DATASETS)[number];

export function isToyDataset(name: string): name is ToyDatasetName {
  return (TOY_DATASETS as readonly string[]).includes(name);
}

function point(rng: Rng, name: ToyDatasetName): [number, number] {
  switch (name) {
    case 'moons': {
      // Two interleaved half circles (as scikit-learn's make_moons), centred and scaled ×1.5.
      const theta = Math.PI * rng.uniform();
      const upper = rng.uniform() < 0.5;
      const x = upper ? Math.cos(theta) : 1 - Math.cos(theta);
      const y = upper ? Math.sin(theta) : 0.5 - Math.sin(theta);
      return [1.5 * (x - 0.5) + 0.05 * rng.normal(), 1.5 * (y - 0.25) + 0.05 * rng.normal()];
    }
    case 'swissroll': {
      // (t·cos t, t·sin t) for t ∈ [1.5π, 4.5π], scaled by 1/7.
      const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
      return [(t * Math.cos(t)) / 7 + 0.03 * rng.normal(), (t * Math.sin(t)) / 7 + 0.03 * rng.normal()];
    }
    case 'gaussians8': {
      // Eight Gaussians (std 0.1) on the circle of radius 1.6.
      const k = rng.int(8);
      const a = (2 * Math.PI * k) / 8;
      return [1.6 * Math.cos(a) + 0.1 * rng.normal(), 1.6 * Math.sin(a) + 0.1 * rng.normal()];
    }
    case 'checkerboard': {
      // The 4×4 checkerboard on [-2, 2]² (as in FFJORD's toy data): uniform on the dark squares.
      const x = 4 * rng.uniform() - 2;
      const y = rng.uniform() - 2 * rng.int(2) + (Math.floor(x) % 2 === 0 ? 0 : 1);
      return [x, y];
    }
  }
}

/** The grey backdrop the 2D plots draw behind samples and paths: 1,000 points of the set, always the same. */
export function toyBackdrop(name: ToyDatasetName): Float32Array {
  return toyDataset(name, 1000, 1);
}

/** n points of a toy set, row-major [n, 2]. */
export function toyDataset(name: ToyDatasetName, n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [x, y] = point(rng, name);
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  return out;
}
