import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { loadMnist } from '../../src/data/mnistNode';
import { serializeSafetensors } from '../../src/io/safetensors';
import { createClassifier } from '../../src/model/classifier';
import { featureStats } from '../../src/metrics/fid';
import {
  ReferenceFileError, classifierOutputs, classifierWeights, evaluateMnistSamples, loadClassifier, mnistQuality,
  parseReferenceStats, serializeClassifier, serializeReferenceStats,
} from '../../src/metrics/mnistReference';
import { oneLineError } from '../io/oneLineError';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const info = { testAccuracy: 0.99, iterations: 10, seed: 0 };

describe('classifier files', () => {
  it('round-trip the weights (F32 exactly; F16 to half precision, which changes the hash)', async () => {
    const c = createClassifier(1);
    const weights = await classifierWeights(c);
    const loaded = loadClassifier(serializeClassifier(weights, info, 'F32'));
    expect(loaded.testAccuracy).toBe(0.99);
    expect(loaded.classifier.params.get('fc1.weight')!.dataSync()).toEqual(weights.get('fc1.weight')!.data);
    const half = loadClassifier(serializeClassifier(weights, info, 'F16'));
    const w = weights.get('conv2.weight')!.data;
    const h = half.classifier.params.get('conv2.weight')!.dataSync();
    for (let i = 0; i < w.length; i += 97) expect(Math.abs(h[i] - w[i])).toBeLessThanOrEqual(Math.abs(w[i]) * 1e-3 + 1e-7);
    expect(half.hash).not.toBe(loaded.hash);
    [c, loaded.classifier, half.classifier].forEach((x) => x.dispose());
  });

  it('refuses other files with one-line errors', async () => {
    const c = createClassifier(1);
    const weights = await classifierWeights(c);
    c.dispose();
    const refusal = (bytes: Uint8Array) => oneLineError(() => loadClassifier(bytes), ReferenceFileError);
    expect(refusal(serializeSafetensors(weights, { format: 'halfstep' })).message).toMatch(/not a Halfstep classifier/);
    expect(refusal(serializeSafetensors(weights, { format: 'halfstep-classifier', arch: 'resnet' })).message).toMatch(/arch 'resnet'/);
    weights.delete('fc2.bias');
    expect(refusal(serializeClassifier(weights, info, 'F32')).message).toMatch(/fc2\.bias/);
  });
});

describe('reference statistics', () => {
  it('round-trip through safetensors', () => {
    const rng = new Rng(2);
    const features = Float32Array.from({ length: 50 * 128 }, () => Math.max(0, rng.normal()));
    const stats = featureStats(features, 128);
    const back = parseReferenceStats(serializeReferenceStats({ stats, features: features.subarray(0, 20 * 128), classifierHash: 'abc', source: 'mnist-test' }));
    expect(back.stats.dim).toBe(128);
    expect(back.stats.count).toBe(50);
    expect(back.features.length).toBe(20 * 128);
    expect(back.classifierHash).toBe('abc');
    for (let i = 0; i < 128 * 128; i += 331) expect(back.stats.cov[i]).toBeCloseTo(stats.cov[i], 5);
    expect(() => parseReferenceStats(serializeSafetensors(new Map(), { format: 'x' }))).toThrow(/not a Halfstep reference/);
  });

  it('evaluates images: FID ≈ 0 against the statistics of the same images; mismatched classifiers are refused', async () => {
    const c = createClassifier(3);
    const weights = await classifierWeights(c);
    c.dispose();
    const loaded = loadClassifier(serializeClassifier(weights, info, 'F32'));
    const test = loadMnist('test', 64);
    const { features, probs } = await classifierOutputs(loaded.classifier, test.images, 32);
    expect(features.length).toBe(64 * 128);
    expect(probs.length).toBe(64 * 10);
    for (let i = 0; i < 64; i++) expect(probs.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const ref = { stats: featureStats(features, 128), features, classifierHash: loaded.hash, source: 'test' };
    const q = await evaluateMnistSamples(loaded.classifier, ref, test.images);
    expect(q.fid).toBeLessThan(1e-3);
    expect(q.confident >= 0 && q.confident <= 1).toBe(true); // a share (the untrained classifier makes no value meaningful)
    const evaluator = mnistQuality(loaded, ref);
    expect(evaluator.primary).toBe('fid');
    const noise = Float32Array.from({ length: 64 * 784 }, (_, i) => Math.sin(i));
    const bad = await evaluator.evaluate(noise);
    expect(bad.fid).toBeGreaterThan(q.fid);
    expect(() => mnistQuality(loaded, { ...ref, classifierHash: 'f00' })).toThrow(/not by this one/);
    loaded.classifier.dispose();
  });
});
