import { describe, expect, it } from 'vitest';
import { IdxError, encodeIdxUint8, parseIdx } from '../../src/data/idx';
import { readMnistFiles } from '../../src/data/mnistNode';

/** A big-endian IDX file built byte by byte, independently of encodeIdxUint8. */
function handBuilt(typeCode: number, shape: number[], payload: number[]): Uint8Array {
  const header = [0, 0, typeCode, shape.length];
  for (const n of shape) header.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  return Uint8Array.from([...header, ...payload]);
}

describe('parseIdx', () => {
  it('reads a hand-built uint8 file', () => {
    const f = handBuilt(0x08, [2, 3], [1, 2, 3, 250, 251, 255]);
    const a = parseIdx(f);
    expect(a.type).toBe('uint8');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 250, 251, 255]);
  });

  it('reads big-endian int16, int32, float32 and float64, and int8 with its sign', () => {
    expect(Array.from(parseIdx(handBuilt(0x0b, [2], [0x01, 0x02, 0xff, 0xfe])).data)).toEqual([258, -2]);
    expect(Array.from(parseIdx(handBuilt(0x0c, [1], [0x00, 0x01, 0x00, 0x00])).data)).toEqual([65536]);
    expect(Array.from(parseIdx(handBuilt(0x0d, [1], [0x3f, 0xc0, 0x00, 0x00])).data)).toEqual([1.5]);
    expect(Array.from(parseIdx(handBuilt(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0])).data)).toEqual([-2.5]);
    expect(Array.from(parseIdx(handBuilt(0x09, [2], [0x7f, 0x80])).data)).toEqual([127, -128]);
  });

  it('reads a file that sits at an odd offset inside a bigger buffer', () => {
    const f = handBuilt(0x0c, [2], [0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff]);
    const big = new Uint8Array(f.length + 3);
    big.set(f, 3);
    expect(Array.from(parseIdx(big.subarray(3)).data)).toEqual([7, -1]);
  });

  it('says what is wrong with a bad file', () => {
    expect(() => parseIdx(new Uint8Array(2))).toThrow(IdxError);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/);
    expect(() => parseIdx(Uint8Array.from([0, 1, 8, 1]))).toThrow(/first two bytes/);
    expect(() => parseIdx(handBuilt(0x07, [1], [0]))).toThrow(/unknown type code 0x07/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1]))).toThrow(/12-byte header/);
    expect(() => parseIdx(handBuilt(0x08, [2, 2], [1, 2, 3]))).toThrow(/truncated.*\[2, 2\]/);
    expect(() => parseIdx(handBuilt(0x08, [1], [1, 2]))).toThrow(/trailing bytes/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 0]))).toThrow(/0 dimensions/);
  });

  it('round-trips encodeIdxUint8', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    const f = encodeIdxUint8([2, 3, 4], data);
    expect(f).toEqual(handBuilt(0x08, [2, 3, 4], Array.from(data)));
    expect(() => encodeIdxUint8([5], data)).toThrow(/needs 5 values/);
  });

  it('reads the real MNIST headers: 60000×28×28 images, 60000 labels', () => {
    const { images, labels } = readMnistFiles('train');
    const im = parseIdx(images);
    expect(im.type).toBe('uint8');
    expect(im.shape).toEqual([60000, 28, 28]);
    const lb = parseIdx(labels);
    expect(lb.shape).toEqual([60000]);
    // The first training digits are 5, 0, 4, 1, 9 (LeCun's published order).
    expect(Array.from(lb.data.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
  });
});
