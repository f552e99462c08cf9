// The safetensors container: files assembled byte by byte here (never by the writer under test), exact
// writer output, round trips, and every malformed input the reader must refuse with its own message.
import { describe, expect, it } from 'vitest';
import { parseSafetensors, SafetensorsError, serializeSafetensors, type NamedTensor } from '../../src/io/safetensors';
import { oneLineError } from './oneLineError';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** [u64le header length][header bytes][buffer]: the layout of the spec, assembled without the code under test. */
function assemble(header: string | Uint8Array, buffer: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const h = typeof header === 'string' ? utf8(header) : header;
  const out = new Uint8Array(8 + h.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}

function u16le(...values: number[]): Uint8Array {
  const out = new Uint8Array(2 * values.length);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint16(2 * i, v, true));
  return out;
}

function f32le(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const rejects = (bytes: Uint8Array): SafetensorsError => oneLineError(() => parseSafetensors(bytes), SafetensorsError);

describe('parseSafetensors on a hand-built file', () => {
  it('decodes F16, BF16 and F32 tensors to the values their bit patterns mean', () => {
    const header = JSON.stringify({
      __metadata__: { note: 'hand built', format: 'test' },
      h: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [12, 18] },
      f: { dtype: 'F32', shape: [], data_offsets: [18, 22] },
    });
    const buffer = concat(
      // 1, -2, 65504 (largest half), 2^-24 (smallest subnormal), -0, 0x3555 = 0.333251953125
      u16le(0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x3555),
      // 1, -3, 0.5 (0x3F00)
      u16le(0x3f80, 0xc040, 0x3f00),
      new Uint8Array([0x00, 0x00, 0xc0, 0x3f]), // 0x3FC00000 = 1.5
    );
    const file = parseSafetensors(assemble(header, buffer));
    expect(file.metadata).toEqual({ note: 'hand built', format: 'test' });
    expect([...file.tensors.keys()]).toEqual(['h', 'b', 'f']);
    const h = file.tensors.get('h')!;
    expect(h.dtype).toBe('F16');
    expect(h.shape).toEqual([2, 3]);
    expect(Array.from(h.data)).toEqual([1, -2, 65504, 5.960464477539063e-8, -0, 0.333251953125]);
    expect(Object.is(h.data[4], -0)).toBe(true);
    const b = file.tensors.get('b')!;
    expect(b.dtype).toBe('BF16');
    expect(Array.from(b.data)).toEqual([1, -3, 0.5]);
    const f = file.tensors.get('f')!;
    expect(f.shape).toEqual([]);
    expect(Array.from(f.data)).toEqual([1.5]);
  });

  it('orders tensors by offset whatever the key order, accepts padding, null metadata, zero-size tensors and extra fields', () => {
    const header = `{"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":null,`
      + `"empty":{"dtype":"F16","shape":[0,5],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8],"extra":1}}    `;
    const file = parseSafetensors(assemble(header, f32le(7, 8)));
    expect([...file.tensors.keys()]).toEqual(['z', 'empty', 'a']);
    expect(file.tensors.get('empty')!.data.length).toBe(0);
    expect(Array.from(file.tensors.get('a')!.data)).toEqual([8]);
    expect(file.metadata).toEqual({});
  });

  it('reads a file with no tensors', () => {
    const file = parseSafetensors(assemble('{}      '));
    expect(file.tensors.size).toBe(0);
  });

  it('does not alias the input bytes', () => {
    const bytes = assemble('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32le(3));
    const file = parseSafetensors(bytes);
    bytes.fill(0, bytes.length - 4);
    expect(file.tensors.get('a')!.data[0]).toBe(3);
  });

  it('reads from a Uint8Array that is a view at an odd offset into a larger buffer', () => {
    const inner = assemble('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32le(1.25, -4));
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(Array.from(parseSafetensors(outer.subarray(3)).tensors.get('a')!.data)).toEqual([1.25, -4]);
  });
});

describe('serializeSafetensors', () => {
  it('writes exactly the reference layout: compact JSON header, space padding to 8 bytes, little-endian F32', () => {
    const tensors = new Map<string, NamedTensor>([['attn.0', { shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]]);
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'; // 64 bytes: no padding
    expect(header.length).toBe(64);
    const expected = concat(new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0]), utf8(header), f32le(0, 1, 2, 3, 4, 5));
    expect(Array.from(serializeSafetensors(tensors, {}))).toEqual(Array.from(expected));
  });

  it('pads the header with spaces and puts __metadata__ first', () => {
    const tensors = new Map<string, NamedTensor>([['w', { shape: [2], data: new Float32Array([1, -2]) }]]);
    const json = '{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 79 bytes
    const padded = `${json} `; // → 80
    const expected = concat(new Uint8Array([80, 0, 0, 0, 0, 0, 0, 0]), utf8(padded), new Uint8Array([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]));
    expect(Array.from(serializeSafetensors(tensors, { k: 'v' }))).toEqual(Array.from(expected));
  });

  it('writes F16 bit patterns by hand: 1, -2, 65504, 2^-24, and 1/3 rounded to nearest', () => {
    const tensors = new Map<string, NamedTensor>([['h', { shape: [5], data: new Float32Array([1, -2, 65504, 2 ** -24, 1 / 3]) }]]);
    const json = '{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]}}'; // 55 bytes → 56
    const expected = concat(new Uint8Array([56, 0, 0, 0, 0, 0, 0, 0]), utf8(`${json} `), u16le(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555));
    expect(Array.from(serializeSafetensors(tensors, {}, 'F16'))).toEqual(Array.from(expected));
  });

  it('writes an empty file as {} and six spaces', () => {
    expect(Array.from(serializeSafetensors(new Map(), {}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
  });

  it('round-trips F32 exactly and F16 within half precision', () => {
    const n = 4096;
    const data = new Float32Array(n);
    let seed = 12345;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const u = seed / 2 ** 32;
      data[i] = Math.fround((u - 0.5) * 2 ** ((i % 36) - 20)); // magnitudes from 2^-21 (subnormal in F16) to 2^15
    }
    const inRange = data;
    const tensors = new Map<string, NamedTensor>([
      ['a', { shape: [64, 64], data: inRange }],
      ['b.c', { shape: [3], data: new Float32Array([0, -0, 1e-8]) }],
    ]);
    const f32 = parseSafetensors(serializeSafetensors(tensors, { x: 'y' }));
    expect(f32.metadata).toEqual({ x: 'y' });
    expect(f32.tensors.get('a')!.data).toEqual(inRange);
    expect(f32.tensors.get('a')!.shape).toEqual([64, 64]);
    expect(f32.tensors.get('a')!.dtype).toBe('F32');

    const f16 = parseSafetensors(serializeSafetensors(tensors, {}, 'F16'));
    const back = f16.tensors.get('a')!.data;
    expect(f16.tensors.get('a')!.dtype).toBe('F16');
    const violations: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = inRange[i];
      // Relative error ≤ 2^-11 for normal halves (|x| ≥ 2^-14); absolute ≤ 2^-25 (half an ulp) in the subnormal range.
      const bound = Math.abs(x) >= 2 ** -14 ? Math.abs(x) * 2 ** -11 : 2 ** -25;
      if (!(Math.abs(back[i] - x) <= bound)) violations.push(i);
    }
    expect(violations).toEqual([]);
    expect(back.some((x, i) => x !== inRange[i])).toBe(true); // F16 really did round something
    expect(Array.from(f16.tensors.get('b.c')!.data)).toEqual([0, -0, 0]); // 1e-8 < 2^-25 rounds to zero
  });

  it('refuses inconsistent input', () => {
    expect(() => serializeSafetensors(new Map([['a', { shape: [2, 2], data: new Float32Array(3) }]]), {})).toThrow("tensor 'a': shape [2, 2] has 4 elements, data has 3");
    expect(() => serializeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]), {})).toThrow('a tensor cannot be named __metadata__');
    expect(() => serializeSafetensors(new Map([['a', { shape: [-1], data: new Float32Array(1) }]]), {})).toThrow(SafetensorsError);
    expect(() => serializeSafetensors(new Map(), { k: 3 as unknown as string })).toThrow("metadata 'k' is a number, not a string");
    expect(() => serializeSafetensors(new Map(), {}, 'BF16' as 'F16')).toThrow("cannot write dtype 'BF16'");
  });
});

describe('parseSafetensors refuses malformed files, each with its own message', () => {
  const tensor = (name: string, dtype: string, shape: unknown, offsets: unknown) => `${JSON.stringify(name)}:{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;
  const one = (dtype: string, shape: unknown, offsets: unknown, buffer: Uint8Array) => assemble(`{${tensor('w', dtype, shape, offsets)}}`, buffer);

  const cases: { name: string; bytes: Uint8Array; code: string; message: string | RegExp }[] = [
    { name: 'empty file', bytes: new Uint8Array(0), code: 'too_small', message: 'file is 0 bytes, too short for the 8-byte header length' },
    { name: '7 bytes', bytes: new Uint8Array(7), code: 'too_small', message: 'file is 7 bytes, too short for the 8-byte header length' },
    { name: 'header length over 100 MB', bytes: assemble('{}', undefined, 9999999999n), code: 'header_too_large', message: 'header length 9999999999 exceeds the 100 MB limit' },
    { name: 'header length 2^64-1', bytes: assemble('{}', undefined, 2n ** 64n - 1n), code: 'header_too_large', message: 'header length 18446744073709551615 exceeds the 100 MB limit' },
    { name: 'header length 100,000,001', bytes: assemble('{}', undefined, 100_000_001n), code: 'header_too_large', message: 'header length 100000001 exceeds the 100 MB limit' },
    { name: 'header length past the end', bytes: assemble('{}', undefined, 100n), code: 'header_length', message: 'header length 100 runs past the end of the 10-byte file' },
    // 500,001 empty tensors (an object each, and a comma between): 1,000,003 values counted, ~5 MB of header.
    { name: 'more JSON values than any model header has', bytes: assemble(`{${Array.from({ length: 500_001 }, (_, i) => `"t${i}":{}`).join(',')}}`), code: 'header_too_large', message: 'header holds about 1000003 JSON values, over the 1,000,000 a header may have' },
    // The same with arrays: 1,000,000 empty arrays in one entry.
    { name: 'a million empty arrays', bytes: assemble(`{"a":[${new Array(1_000_000).fill('[]').join(',')}]}`), code: 'header_too_large', message: 'header holds about 2000002 JSON values, over the 1,000,000 a header may have' },
    { name: 'header length 0', bytes: assemble(''), code: 'header_json', message: 'header is empty (length 0), expected a JSON object' },
    { name: 'invalid UTF-8', bytes: assemble(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), code: 'header_utf8', message: 'header is not valid UTF-8' },
    { name: 'overlong UTF-8 encoding', bytes: assemble(new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])), code: 'header_utf8', message: 'header is not valid UTF-8' },
    { name: 'truncated JSON', bytes: assemble('{"w":'), code: 'header_json', message: /^header is not valid JSON \(/ },
    { name: 'header is an array', bytes: assemble('[]'), code: 'header_not_object', message: 'header is an array, not a JSON object' },
    { name: 'header is null', bytes: assemble('null'), code: 'header_not_object', message: 'header is null, not a JSON object' },
    { name: 'header is a number', bytes: assemble('42'), code: 'header_not_object', message: 'header is a number, not a JSON object' },
    { name: 'duplicate tensor name', bytes: assemble(`{${tensor('w', 'F32', [1], [0, 4])},${tensor('w', 'F32', [1], [4, 8])}}`, f32le(1, 2)), code: 'duplicate_key', message: "header has the key 'w' more than once" },
    { name: 'duplicate name spelled with an escape', bytes: assemble(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32le(1, 2)), code: 'duplicate_key', message: "header has the key 'w' more than once" },
    { name: 'duplicate metadata key', bytes: assemble('{"__metadata__":{"a":"1","a":"2"}}'), code: 'duplicate_key', message: "header has the key 'a' more than once" },
    { name: 'duplicate field inside an entry', bytes: assemble('{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', f32le(1)), code: 'duplicate_key', message: "header has the key 'dtype' more than once" },
    { name: 'two __metadata__', bytes: assemble('{"__metadata__":{},"__metadata__":{}}'), code: 'duplicate_key', message: "header has the key '__metadata__' more than once" },
    { name: '__metadata__ an array', bytes: assemble('{"__metadata__":["a"]}'), code: 'metadata', message: '__metadata__ is an array, not an object of strings' },
    { name: '__metadata__ value a number', bytes: assemble('{"__metadata__":{"steps":4}}'), code: 'metadata', message: "__metadata__ entry 'steps' is a number, not a string" },
    { name: 'entry not an object', bytes: assemble('{"w":"F32"}'), code: 'tensor_info', message: "tensor 'w': entry is a string, not an object with dtype, shape and data_offsets" },
    { name: 'missing dtype', bytes: assemble('{"w":{"shape":[1],"data_offsets":[0,4]}}', f32le(1)), code: 'tensor_info', message: "tensor 'w': missing dtype" },
    { name: 'dtype not a string', bytes: one(32 as unknown as string, [1], [0, 4], f32le(1)), code: 'tensor_info', message: "tensor 'w': dtype is a number, not a string" },
    { name: 'I64 dtype', bytes: one('I64', [1], [0, 8], new Uint8Array(8)), code: 'unsupported_dtype', message: "tensor 'w': unsupported dtype 'I64' (Halfstep reads F32, F16 and BF16)" },
    { name: 'F64 dtype', bytes: one('F64', [1], [0, 8], new Uint8Array(8)), code: 'unsupported_dtype', message: "tensor 'w': unsupported dtype 'F64' (Halfstep reads F32, F16 and BF16)" },
    { name: 'unknown dtype', bytes: one('float32', [1], [0, 4], f32le(1)), code: 'unsupported_dtype', message: "tensor 'w': unknown dtype 'float32' (Halfstep reads F32, F16 and BF16)" },
    { name: 'dtype from the prototype', bytes: one('toString', [1], [0, 4], f32le(1)), code: 'unsupported_dtype', message: "tensor 'w': unknown dtype 'toString' (Halfstep reads F32, F16 and BF16)" },
    { name: 'missing shape', bytes: assemble('{"w":{"dtype":"F32","data_offsets":[0,4]}}', f32le(1)), code: 'tensor_info', message: "tensor 'w': missing shape" },
    { name: 'shape not an array', bytes: one('F32', 4, [0, 16], new Uint8Array(16)), code: 'shape', message: "tensor 'w': shape is a number, not an array of non-negative integers" },
    { name: 'negative dimension', bytes: one('F32', [2, -1], [0, 8], new Uint8Array(8)), code: 'shape', message: "tensor 'w': shape [2,-1] has -1, not a non-negative integer" },
    { name: 'fractional dimension', bytes: one('F32', [1.5], [0, 4], f32le(1)), code: 'shape', message: "tensor 'w': shape [1.5] has 1.5, not a non-negative integer" },
    { name: 'string dimension', bytes: one('F32', ['2'], [0, 8], new Uint8Array(8)), code: 'shape', message: "tensor 'w': shape [\"2\"] has \"2\", not a non-negative integer" },
    { name: 'element count overflow', bytes: one('F32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 4], f32le(1)), code: 'overflow', message: "tensor 'w': shape [1073741824,1073741824,1073741824] has more than 2^51 elements" },
    { name: 'missing data_offsets', bytes: assemble('{"w":{"dtype":"F32","shape":[1]}}', f32le(1)), code: 'tensor_info', message: "tensor 'w': missing data_offsets" },
    { name: 'three data_offsets', bytes: one('F32', [1], [0, 4, 8], f32le(1)), code: 'offsets', message: "tensor 'w': data_offsets is [0,4,8], expected two integers [begin, end]" },
    { name: 'negative offset', bytes: one('F32', [1], [-4, 0], f32le(1)), code: 'offsets', message: "tensor 'w': data_offsets [-4,0] are not two non-negative integers" },
    { name: 'fractional offset', bytes: one('F32', [1], [0, 4.5], f32le(1)), code: 'offsets', message: "tensor 'w': data_offsets [0,4.5] are not two non-negative integers" },
    { name: 'offset past 2^53', bytes: one('F32', [1], [0, 18446744073709551615], f32le(1)), code: 'overflow', message: "tensor 'w': data_offsets [0,18446744073709552000] exceed 2^53" },
    { name: 'offsets reversed', bytes: one('F32', [1], [4, 0], f32le(1)), code: 'offsets', message: "tensor 'w': data_offsets [4, 0] end before they begin" },
    { name: 'first tensor not at 0', bytes: one('F32', [1], [4, 8], f32le(1, 2)), code: 'offsets', message: "tensor 'w': data_offsets [4, 8] start at byte 4, expected 0 (tensors must follow each other with no gap or overlap)" },
    { name: 'gap between tensors', bytes: assemble(`{${tensor('a', 'F32', [1], [0, 4])},${tensor('b', 'F32', [1], [8, 12])}}`, f32le(1, 2, 3)), code: 'offsets', message: "tensor 'b': data_offsets [8, 12] start at byte 8, expected 4 (tensors must follow each other with no gap or overlap)" },
    { name: 'overlapping tensors', bytes: assemble(`{${tensor('a', 'F32', [2], [0, 8])},${tensor('b', 'F32', [2], [4, 12])}}`, f32le(1, 2, 3)), code: 'offsets', message: "tensor 'b': data_offsets [4, 12] start at byte 4, expected 8 (tensors must follow each other with no gap or overlap)" },
    { name: 'offsets past the buffer', bytes: one('F32', [4], [0, 16], f32le(1, 2)), code: 'offsets', message: "tensor 'w': data_offsets [0, 16] run past the end of the 8-byte data buffer" },
    { name: 'huge shape behind huge offsets (must not allocate)', bytes: one('F32', [1e12], [0, 4e12], f32le(1)), code: 'offsets', message: "tensor 'w': data_offsets [0, 4000000000000] run past the end of the 4-byte data buffer" },
    { name: 'offsets disagree with shape', bytes: assemble(`{${tensor('in.weight', 'F32', [2, 3], [0, 12])}}`, new Uint8Array(12)), code: 'size_mismatch', message: "tensor 'in.weight': data_offsets [0, 12] cover 12 bytes, F32 [2, 3] needs 24" },
    { name: 'F16 size mismatch', bytes: one('F16', [3], [0, 4], new Uint8Array(4)), code: 'size_mismatch', message: "tensor 'w': data_offsets [0, 4] cover 4 bytes, F16 [3] needs 6" },
    { name: 'bytes left after the last tensor', bytes: one('F32', [1], [0, 4], f32le(1, 2)), code: 'incomplete_buffer', message: 'tensors cover 4 of the 8 bytes after the header (4 bytes unaccounted for)' },
    { name: 'trailing bytes and no tensors', bytes: assemble('{}', new Uint8Array(3)), code: 'incomplete_buffer', message: 'tensors cover 0 of the 3 bytes after the header (3 bytes unaccounted for)' },
    { name: 'control characters in a name are escaped', bytes: assemble(`{${tensor('a\nb', 'I8', [1], [0, 1])}}`, new Uint8Array(1)), code: 'unsupported_dtype', message: "tensor 'a\\nb': unsupported dtype 'I8' (Halfstep reads F32, F16 and BF16)" },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const e = rejects(c.bytes);
      expect(e.code).toBe(c.code);
      if (typeof c.message === 'string') expect(e.message).toBe(c.message);
      else expect(e.message).toMatch(c.message);
    });
  }

  it('clips a huge tensor name in the message', () => {
    const name = 'n'.repeat(10_000);
    const e = rejects(assemble(`{${tensor(name, 'I8', [1], [0, 1])}}`, new Uint8Array(1)));
    expect(e.message.length).toBeLessThan(200);
  });

  it('survives deeply nested JSON without a stack overflow', () => {
    const deep = `{"w":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const e = rejects(assemble(deep));
    expect(e.code).toBe('tensor_info');
  });
});
