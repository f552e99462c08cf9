// Training data and quality evaluators for the data a ModelConfig names: the 2D toy sets and MNIST.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arrayBatchSource, type BatchSource } from '../data/batchSource';
import { EpochSampler, gatherImages } from '../data/mnist';
import { loadMnist } from '../data/mnistNode';
import { TOY_DATASETS, type ToyDatasetName, isToyDataset, toyDataset } from '../data/toy2d';
import type { DataSpec } from '../model/config';
import { quote } from '../io/safetensors';
import { loadClassifier, parseReferenceStats, mnistQuality } from '../metrics/mnistReference';
import { type QualityEvaluator, toyQuality } from '../metrics/quality';
import * as tf from '@tensorflow/tfjs';
import { readBytes } from './checkpointFile';
import { CliError } from './cliError';

/**
 * A shipped model file: beside the sources (npx halfstep), else under the working directory (a bundled CLI).
 * As an output (`asOutput`), beside the sources whenever its folder is there, the file itself or not: a
 * regenerated classifier goes where the shipped one was, from any working directory.
 */
function shipped(path: string, asOutput = false): string {
  const besideSources = fileURLToPath(new URL(`../../${path}`, import.meta.url));
  return existsSync(asOutput ? dirname(besideSources) : besideSources) ? besideSources : resolve(path);
}

/** The shipped classifier and test-set statistics that define FID for MNIST (see README, MNIST). */
export const MNIST_CLASSIFIER = shipped('models/mnist/classifier.safetensors');
export const MNIST_REFERENCE = shipped('models/mnist/reference-stats.safetensors');
/** Where train-classifier and mnist-ref write by default: the shipped files' places. */
export const MNIST_CLASSIFIER_OUT = shipped('models/mnist/classifier.safetensors', true);
export const MNIST_REFERENCE_OUT = shipped('models/mnist/reference-stats.safetensors', true);
/** The shipped MNIST teacher: the default model of `eval`, `sample` and `distill`. */
export const MNIST_TEACHER = shipped('models/mnist/teacher.safetensors');

/**
 * Before any work: the data a checkpoint's config names must be data this CLI has, to train on and to measure
 * against (a hand-edited or foreign config can name any).
 */
export function checkKnownData(data: DataSpec): void {
  if (data.kind === 'toy2d' && !isToyDataset(data.name)) throw new CliError(`the checkpoint's 2D data set ${quote(data.name)} is not one Halfstep has (${TOY_DATASETS.join(', ')})`);
  if (data.kind === 'image' && data.name !== 'mnist') throw new CliError(`the checkpoint's image data ${quote(data.name)} is not one Halfstep has (MNIST only)`);
}

export function trainingData(data: DataSpec, seed: number): BatchSource {
  checkKnownData(data);
  if (data.kind === 'toy2d') return arrayBatchSource(toyDataset(data.name as ToyDatasetName, 20_000, seed), [2]);
  const train = loadMnist('train');
  // Shuffled epochs, seeded: each image once per epoch.
  const sampler = new EpochSampler(train.count, seed);
  return (batchSize) => tf.tensor(gatherImages(train, sampler.next(batchSize)), [batchSize, 28, 28, 1]);
}

/** Before any work: FID and KID compare feature covariances, which one image does not have. */
export function checkQualityCount(data: DataSpec, n: number): void {
  if (data.kind === 'image' && n < 2) throw new CliError(`--n ${n}: FID and KID need at least 2 images (they compare feature covariances)`);
}

export async function qualityFor(data: DataSpec): Promise<QualityEvaluator> {
  if (data.kind === 'toy2d') return toyQuality(data);
  const classifier = loadClassifier(await readBytes(MNIST_CLASSIFIER));
  const reference = parseReferenceStats(await readBytes(MNIST_REFERENCE));
  return mnistQuality(classifier, reference);
}
