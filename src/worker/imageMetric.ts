// The image quality figure: KID of generated digits against the MNIST test set, in the feature space of the
// shipped classifier (models/mnist/classifier.safetensors and the reference statistics it made). KID rather
// than FID because it is unbiased for the 16 to 64 images a column or a round measures; FID needs thousands.
import { kernelInceptionDistance } from '../metrics/kid';
import { classifierOutputs, loadClassifier, mnistQuality, parseReferenceStats, type LoadedClassifier, type ReferenceStats } from '../metrics/mnistReference';
import type { DataSpec } from '../model/config';

/** In the units `halfstep eval` prints; the scale is the README's "What the numbers mean" (scripts/metricScale.ts). */
export const IMAGE_METRIC = 'kernel distance (KID) between these images and the MNIST test set in a small digit classifier\'s features: real digits ≈ 0, blurred digits ≈ 22, pure noise ≈ 65';

let loaded: { classifier: LoadedClassifier; reference: ReferenceStats } | null = null;

/** Throws a one-line error for files that do not fit together (mnistQuality checks the classifier hash). */
export function setImageMetric(classifierBytes: Uint8Array, referenceBytes: Uint8Array): void {
  const classifier = loadClassifier(classifierBytes);
  const reference = parseReferenceStats(referenceBytes);
  try {
    mnistQuality(classifier, reference);
  } catch (e) {
    classifier.classifier.dispose();
    throw e;
  }
  loaded?.classifier.classifier.dispose();
  loaded = { classifier, reference };
}

export function hasImageMetric(data: DataSpec): boolean {
  return loaded !== null && data.kind === 'image' && data.name === 'mnist';
}

/** KID of images [n, 28, 28, 1] in [-1, 1]; null when no classifier is loaded or the data is not MNIST. */
export async function imageQualityOf(data: DataSpec, images: Float32Array): Promise<number | null> {
  if (!loaded || !hasImageMetric(data) || images.length < 2 * 784) return null;
  const { features } = await classifierOutputs(loaded.classifier.classifier, images);
  const dim = loaded.reference.stats.dim;
  return kernelInceptionDistance(features, loaded.reference.features, dim, { seed: 0 }).mean;
}
