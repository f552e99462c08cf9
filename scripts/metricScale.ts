// The README's "what the numbers mean" table: the MNIST quality figures (FID, KID, confident share, class
// entropy; the shipped classifier and test-set statistics, as `halfstep eval` measures) for images of known
// quality, so a model's FID can be read against them:
//   MNIST training images at 500, 2,000 and 10,000 (the floor at each n: FID is biased upward at small n),
//   the same 2,000 blurred (each 2×2 block replaced by its mean), and 2,000 images of Gaussian noise
//   (N(0, 1) per pixel, clipped to the data's [-1, 1]).
// The real rows draw as `halfstep eval --real --n N --seed 1` does (the same images, the same figures).
//   npx tsx scripts/metricScale.ts [--backend wasm|cpu]
import { Rng } from '../src/core/rng';
import { gatherImages, MNIST_SIZE } from '../src/data/mnist';
import { loadMnist } from '../src/data/mnistNode';
import { qualityFor } from '../src/cli/datasets';
import { initBackend, quietNodeBanner } from '../src/tensor/backend';

const SEED = 1;
const backend = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1] : 'wasm';
if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend ${backend}: wasm or cpu`);

/** Each 2×2 block of each 28×28 image replaced by its mean: the images at half resolution, shown at full size. */
function blur2x2(images: Float32Array): Float32Array {
  const out = new Float32Array(images.length);
  const px = MNIST_SIZE * MNIST_SIZE;
  for (let base = 0; base < images.length; base += px) {
    for (let y = 0; y < MNIST_SIZE; y += 2) {
      for (let x = 0; x < MNIST_SIZE; x += 2) {
        const at = [base + y * MNIST_SIZE + x, base + y * MNIST_SIZE + x + 1, base + (y + 1) * MNIST_SIZE + x, base + (y + 1) * MNIST_SIZE + x + 1];
        const mean = at.reduce((s, i) => s + images[i], 0) / 4;
        for (const i of at) out[i] = mean;
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  quietNodeBanner();
  await initBackend(backend as 'wasm' | 'cpu');
  const quality = await qualityFor({ kind: 'image', height: MNIST_SIZE, width: MNIST_SIZE, channels: 1, name: 'mnist' });
  const train = loadMnist('train');
  const real = (n: number) => gatherImages(train, new Rng(SEED).choose(train.count, n));
  const noise = new Rng(SEED).normals(2000 * MNIST_SIZE * MNIST_SIZE).map((v) => Math.max(-1, Math.min(1, v)));
  const rows: [string, () => Float32Array][] = [
    ['MNIST train, 500', () => real(500)],
    ['MNIST train, 2,000', () => real(2000)],
    ['MNIST train, 10,000', () => real(10_000)],
    ['MNIST train, 2,000, 2×2-blurred', () => blur2x2(real(2000))],
    ['Gaussian noise, 2,000', () => noise],
  ];
  console.log('| images | FID | KID (± std) | confident | class entropy |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [label, images] of rows) {
    const f = await quality.evaluate(images());
    console.log(`| ${label} | ${f.fid.toPrecision(3)} | ${f.kid.toFixed(2)} ± ${f.kidStd.toFixed(2)} | ${(100 * f.confident).toFixed(1)}% | ${f.classEntropy.toFixed(3)} |`);
  }
}

void main();
