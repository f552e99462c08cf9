import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFIER_FEATURES, createClassifier } from '../../src/model/classifier';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createClassifier', () => {
  it('maps [B, 28, 28, 1] to 128 non-negative features and 10 logits, with stable parameter names', () => {
    const c = createClassifier(0);
    expect([...c.params.keys()]).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'conv3.weight', 'conv3.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    // conv1 9·1·16+16 = 160, conv2 9·16·32+32 = 4,640, conv3 9·32·64+64 = 18,496, fc1 3136·128+128 = 401,536,
    // fc2 128·10+10 = 1,290: 426,122.
    expect([...c.params.values()].reduce((n, v) => n + v.size, 0)).toBe(426122);
    const x = tf.randomUniform([3, 28, 28, 1], -1, 1, 'float32', 1) as tf.Tensor4D;
    const { features, logits } = c.apply(x);
    expect(features.shape).toEqual([3, CLASSIFIER_FEATURES]);
    expect(logits.shape).toEqual([3, 10]);
    expect(tf.min(features).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(() => c.apply(tf.zeros([1, 32, 32, 1]) as tf.Tensor4D)).toThrow(/\[B, 28, 28, 1\]/);
    c.dispose();
  });

  it('uses dropout only when training, seeded', () => {
    const c = createClassifier(0);
    const x = tf.randomUniform([2, 28, 28, 1], -1, 1, 'float32', 2) as tf.Tensor4D;
    const logits = (opts?: { training?: boolean; seed?: number }) => Array.from(c.apply(x, opts).logits.dataSync());
    expect(logits()).toEqual(logits());
    expect(logits({ training: true, seed: 3 })).toEqual(logits({ training: true, seed: 3 }));
    expect(logits({ training: true, seed: 3 })).not.toEqual(logits());
    c.dispose();
  });
});
