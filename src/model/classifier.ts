// The MNIST classifier whose penultimate activations define FID and KID for MNIST samples (as Inception-v3's
// pool features do for ImageNet-scale images). Small enough to train to ≥99% test accuracy on a CPU in minutes:
//   conv1 3×3, 1→16,  ReLU, max-pool 2×2                   [B, 14, 14, 16]
//   conv2 3×3, 16→32, ReLU, max-pool 2×2                   [B, 7, 7, 32]
//   conv3 3×3, 32→64, ReLU                                 [B, 7, 7, 64]
//   fc1   3136→128, ReLU               = the features     [B, 128]
//   fc2   128→10                       = the logits       [B, 10]
// Input: images in [-1, 1] (the diffusion data range), NHWC [B, 28, 28, 1].
// Parameter names: conv{1,2,3}.{weight,bias} ([3, 3, in, out], [out]), fc{1,2}.{weight,bias} ([in, out], [out]).
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../kernels/conv2d';
import { ParamBuilder, dense, disposeParams } from './layers';

/** The name saved with the weights: a file whose `arch` differs is a different network and is refused. */
export const CLASSIFIER_ARCH = 'mnist-convnet-v1';
export const CLASSIFIER_FEATURES = 128;
export const CLASSIFIER_CLASSES = 10;

export interface ClassifierOutput {
  /** [B, 128], the FID/KID features. */
  features: tf.Tensor2D;
  /** [B, 10], unnormalised log-probabilities. */
  logits: tf.Tensor2D;
}

export interface Classifier {
  /** Owned by the classifier: `dispose()` frees them. Insertion order is the file's tensor order. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** x: [B, 28, 28, 1] in [-1, 1]. `training` turns on dropout before fc2 (seeded by `seed`). */
  apply(x: tf.Tensor4D, opts?: { training?: boolean; seed?: number }): ClassifierOutput;
  dispose(): void;
}

/** Dropout rate on the features while training: a regulariser that costs nothing at evaluation. */
const FEATURE_DROPOUT = 0.25;

export function createClassifier(seed: number, weights?: ReadonlyMap<string, Float32Array>): Classifier {
  const p = new ParamBuilder(seed, weights);
  const conv = (name: string, ci: number, co: number) => ({ w: p.weight(`${name}.weight`, [3, 3, ci, co]), b: p.constant(`${name}.bias`, [co], 0) });
  const conv1 = conv('conv1', 1, 16);
  const conv2 = conv('conv2', 16, 32);
  const conv3 = conv('conv3', 32, 64);
  const fc1 = { w: p.weight('fc1.weight', [7 * 7 * 64, CLASSIFIER_FEATURES]), b: p.constant('fc1.bias', [CLASSIFIER_FEATURES], 0) };
  // Glorot-like small init for the logits layer (no ReLU after it).
  const fc2 = { w: p.weight('fc2.weight', [CLASSIFIER_FEATURES, CLASSIFIER_CLASSES], Math.SQRT1_2), b: p.constant('fc2.bias', [CLASSIFIER_CLASSES], 0) };
  const params = p.params;

  return {
    params,
    apply(x, opts = {}) {
      if (x.rank !== 4 || x.shape[1] !== 28 || x.shape[2] !== 28 || x.shape[3] !== 1) {
        throw new Error(`the MNIST classifier expects [B, 28, 28, 1], got [${x.shape.join(', ')}]`);
      }
      return tf.tidy(() => {
        const convRelu = (h: tf.Tensor4D, c: typeof conv1) => tf.relu(conv2d(h, c.w as tf.Tensor4D, 1, 1, c.b as tf.Tensor1D)) as tf.Tensor4D;
        const pool = (h: tf.Tensor4D) => tf.maxPool(h, 2, 2, 'valid');
        let h = pool(convRelu(x, conv1)); // [B, 14, 14, 16]
        h = pool(convRelu(h, conv2)); // [B, 7, 7, 32]
        h = convRelu(h, conv3); // [B, 7, 7, 64]
        const features = tf.relu(dense(tf.reshape(h, [-1, 7 * 7 * 64]), fc1.w, fc1.b)) as tf.Tensor2D; // [B, 128]
        const dropped = opts.training ? (tf.dropout(features, FEATURE_DROPOUT, undefined, opts.seed) as tf.Tensor2D) : features;
        return { features, logits: dense(dropped, fc2.w, fc2.b) }; // logits: [B, 10]
      });
    },
    dispose: () => disposeParams(params),
  };
}
