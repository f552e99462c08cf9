// MNIST sample quality: the classifier's files, the reference statistics of the MNIST test set, and the
// evaluator that turns generated samples into FID, KID and the classifier figures. Bytes in, bytes out.
//   models/mnist/classifier.safetensors       the classifier's weights; metadata format, arch, test accuracy
//   models/mnist/reference-stats.safetensors  F32: mean [d], cov [d, d] of the test set's features and a
//                                             sample of the features [k, d] for KID; metadata: the hash of
//                                             the classifier that made them, so stale statistics are refused
import * as tf from '@tensorflow/tfjs';
import { contentHash } from '../io/checkpoint';
import { type NamedTensor, parseSafetensors, serializeSafetensors } from '../io/safetensors';
import { CLASSIFIER_ARCH, CLASSIFIER_CLASSES, CLASSIFIER_FEATURES, type Classifier, createClassifier } from '../model/classifier';
import { type ClassifierStats, classifierStats } from './classifierStats';
import { type GaussianStats, featureStats, frechetDistance } from './fid';
import { kernelInceptionDistance } from './kid';
import type { QualityEvaluator } from './quality';

export const CLASSIFIER_FORMAT = 'halfstep-classifier';
export const REFERENCE_FORMAT = 'halfstep-reference-stats';

/** A classifier or reference-statistics file that cannot be used; the message is one line. */
export class ReferenceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceFileError';
  }
}

export interface ClassifierInfo {
  /** Share of the 10,000 MNIST test images classified correctly. */
  testAccuracy: number;
  iterations: number;
  seed: number;
}

/** The classifier's weights read back from the device, in parameter order. */
export async function classifierWeights(c: Classifier): Promise<Map<string, NamedTensor>> {
  const out = new Map<string, NamedTensor>();
  for (const [name, v] of c.params) out.set(name, { shape: [...v.shape], data: new Float32Array(await v.data()) });
  return out;
}

export function serializeClassifier(weights: ReadonlyMap<string, NamedTensor>, info: ClassifierInfo, dtype: 'F32' | 'F16'): Uint8Array {
  const metadata = {
    format: CLASSIFIER_FORMAT,
    arch: CLASSIFIER_ARCH,
    data: 'mnist',
    test_accuracy: String(info.testAccuracy),
    iterations: String(info.iterations),
    seed: String(info.seed),
  };
  return serializeSafetensors(weights, metadata, dtype);
}

export interface LoadedClassifier {
  classifier: Classifier;
  /** contentHash of the weights (as float32), independent of the file's dtype. */
  hash: string;
  testAccuracy: number | null;
}

/** Throws ReferenceFileError, or SafetensorsError for bytes that are no safetensors file; both one line. */
export function loadClassifier(bytes: Uint8Array): LoadedClassifier {
  const file = parseSafetensors(bytes);
  if (file.metadata.format !== CLASSIFIER_FORMAT) throw new ReferenceFileError(`not a Halfstep classifier file (format '${file.metadata.format ?? 'missing'}', expected '${CLASSIFIER_FORMAT}')`);
  if (file.metadata.arch !== CLASSIFIER_ARCH) throw new ReferenceFileError(`classifier arch '${file.metadata.arch}' is not the supported '${CLASSIFIER_ARCH}'`);
  const weights = new Map<string, NamedTensor>([...file.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
  let classifier: Classifier;
  try {
    classifier = createClassifier(0, new Map([...weights].map(([k, t]) => [k, t.data])));
  } catch (e) {
    throw new ReferenceFileError(`classifier weights do not fit the ${CLASSIFIER_ARCH} network: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (classifier.params.size !== weights.size) {
    classifier.dispose();
    throw new ReferenceFileError(`classifier file has ${weights.size} tensors, the ${CLASSIFIER_ARCH} network has ${classifier.params.size}`);
  }
  const accuracy = Number(file.metadata.test_accuracy);
  return { classifier, hash: contentHash(weights), testAccuracy: Number.isFinite(accuracy) ? accuracy : null };
}

export interface ReferenceStats {
  /** Gaussian statistics of the reference features (for FID). */
  stats: GaussianStats;
  /** A sample of the reference features, [k, dim] row-major (for KID). */
  features: Float32Array;
  /** contentHash of the classifier that computed them. */
  classifierHash: string;
  /** What the features came from, e.g. 'mnist-test'. */
  source: string;
}

export function serializeReferenceStats(ref: ReferenceStats): Uint8Array {
  const d = ref.stats.dim;
  const tensors = new Map<string, NamedTensor>([
    ['mean', { shape: [d], data: Float32Array.from(ref.stats.mean) }],
    ['cov', { shape: [d, d], data: Float32Array.from(ref.stats.cov) }],
    ['features', { shape: [ref.features.length / d, d], data: ref.features }],
  ]);
  const metadata = { format: REFERENCE_FORMAT, classifier_hash: ref.classifierHash, source: ref.source, count: String(ref.stats.count) };
  return serializeSafetensors(tensors, metadata, 'F32');
}

export function parseReferenceStats(bytes: Uint8Array): ReferenceStats {
  const file = parseSafetensors(bytes);
  if (file.metadata.format !== REFERENCE_FORMAT) throw new ReferenceFileError(`not a Halfstep reference-statistics file (format '${file.metadata.format ?? 'missing'}', expected '${REFERENCE_FORMAT}')`);
  const get = (name: string) => {
    const t = file.tensors.get(name);
    if (!t) throw new ReferenceFileError(`reference statistics lack the tensor '${name}'`);
    return t;
  };
  const mean = get('mean');
  const cov = get('cov');
  const features = get('features');
  const d = mean.shape[0];
  if (mean.shape.length !== 1 || cov.shape.join() !== `${d},${d}` || features.shape.length !== 2 || features.shape[1] !== d) {
    throw new ReferenceFileError(`reference statistics have inconsistent shapes: mean [${mean.shape}], cov [${cov.shape}], features [${features.shape}]`);
  }
  const count = Number(file.metadata.count);
  return {
    stats: { dim: d, mean: Float64Array.from(mean.data), cov: Float64Array.from(cov.data), count: Number.isFinite(count) ? count : 0 },
    features: features.data,
    classifierHash: file.metadata.classifier_hash ?? '',
    source: file.metadata.source ?? '',
  };
}

export interface ClassifierOutputs {
  count: number;
  /** [count, 128] */
  features: Float32Array;
  /** [count, 10], softmax of the logits. */
  probs: Float32Array;
}

/**
 * Runs the classifier over images [count, 28, 28, 1] in [-1, 1] (clipped there first: a sampler may overshoot
 * slightly, and a real image cannot), in batches, reading back once per batch.
 */
export async function classifierOutputs(c: Classifier, images: Float32Array, batch = 500): Promise<ClassifierOutputs> {
  const count = images.length / 784;
  if (!Number.isInteger(count)) throw new RangeError(`images must be whole 28×28 images, got ${images.length} values`);
  const features = new Float32Array(count * CLASSIFIER_FEATURES);
  const probs = new Float32Array(count * CLASSIFIER_CLASSES);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const [f, p] = tf.tidy(() => {
      const x = tf.clipByValue(tf.tensor4d(images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1]), -1, 1) as tf.Tensor4D;
      const out = c.apply(x);
      return [out.features, tf.softmax(out.logits)];
    });
    features.set(await f.data(), start * CLASSIFIER_FEATURES);
    probs.set(await p.data(), start * CLASSIFIER_CLASSES);
    tf.dispose([f, p]);
  }
  return { count, features, probs };
}

export interface MnistQuality extends ClassifierStats {
  fid: number;
  kid: number;
  kidStd: number;
}

/** FID and KID against the reference, and the classifier figures, of generated images [n, 28, 28, 1]. */
export async function evaluateMnistSamples(c: Classifier, ref: ReferenceStats, images: Float32Array, kidSeed = 0): Promise<MnistQuality> {
  const { features, probs } = await classifierOutputs(c, images);
  const stats = featureStats(features, ref.stats.dim);
  const kid = kernelInceptionDistance(features, ref.features, ref.stats.dim, { seed: kidSeed });
  return { fid: frechetDistance(stats, ref.stats), kid: kid.mean, kidStd: kid.std, ...classifierStats(probs, CLASSIFIER_CLASSES) };
}

/**
 * The image counterpart of toyQuality: FID is the headline (lower is better). Refuses statistics that a
 * different classifier computed, since FID numbers from two feature spaces cannot be compared.
 */
export function mnistQuality(loaded: LoadedClassifier, ref: ReferenceStats): QualityEvaluator {
  if (ref.classifierHash && ref.classifierHash !== loaded.hash) {
    throw new ReferenceFileError(`the reference statistics were computed by classifier ${ref.classifierHash.slice(0, 12)}…, not by this one (${loaded.hash.slice(0, 12)}…)`);
  }
  return {
    primary: 'fid',
    evaluate: async (samples) => {
      const q = await evaluateMnistSamples(loaded.classifier, ref, samples);
      return { fid: q.fid, kid: q.kid, kidStd: q.kidStd, confident: q.confident, classEntropy: q.classEntropy };
    },
  };
}
