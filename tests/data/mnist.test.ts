import { describe, expect, it } from 'vitest';
import { encodeIdxUint8 } from '../../src/data/idx';
import { EpochSampler, gatherImages, mnistFromIdx, pixelsToSigned, signedToPixels } from '../../src/data/mnist';
import { loadMnist } from '../../src/data/mnistNode';

describe('mnistFromIdx', () => {
  it('maps pixels to [-1, 1] and keeps labels', () => {
    const pixels = new Uint8Array(2 * 784);
    pixels[0] = 255;
    pixels[784] = 51;
    const s = mnistFromIdx(encodeIdxUint8([2, 28, 28], pixels), encodeIdxUint8([2], Uint8Array.from([3, 9])));
    expect(s.count).toBe(2);
    expect(s.images.length).toBe(2 * 784);
    expect(s.images[0]).toBe(1);
    expect(s.images[1]).toBe(-1);
    expect(s.images[784]).toBeCloseTo(51 / 127.5 - 1, 6);
    expect(Array.from(s.labels)).toEqual([3, 9]);
  });

  it('rejects files that are not MNIST', () => {
    const im = encodeIdxUint8([2, 28, 28], new Uint8Array(2 * 784));
    expect(() => mnistFromIdx(encodeIdxUint8([2, 4, 4], new Uint8Array(32)), encodeIdxUint8([2], new Uint8Array(2)))).toThrow(/\[N, 28, 28\]/);
    expect(() => mnistFromIdx(im, encodeIdxUint8([3], new Uint8Array(3)))).toThrow(/2 images, 3 labels/);
    expect(() => mnistFromIdx(im, encodeIdxUint8([2], Uint8Array.from([1, 10])))).toThrow(/label 1 is 10/);
  });

  it('inverts the pixel mapping', () => {
    const p = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(signedToPixels(pixelsToSigned(p))).toEqual(p);
  });

  it('loads the real test split (first 100)', () => {
    const s = loadMnist('test', 100);
    expect(s.count).toBe(100);
    expect(s.images.length).toBe(100 * 784);
    expect(Math.min(...s.images)).toBe(-1);
    expect(Math.max(...s.images)).toBe(1);
    // The first test digits are 7, 2, 1, 0, 4.
    expect(Array.from(s.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(gatherImages(s, [1, 0]).subarray(784)).toEqual(s.images.subarray(0, 784));
  });
});

describe('EpochSampler', () => {
  it('visits every index once per epoch, reproducibly per seed', () => {
    const a = new EpochSampler(10, 1);
    const epoch = [...a.next(4), ...a.next(6)];
    expect([...epoch].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const second = Array.from(a.next(10));
    expect([...second].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(second).not.toEqual(epoch);
    const b = new EpochSampler(10, 1);
    expect(Array.from(b.next(10))).toEqual(epoch);
  });
});
