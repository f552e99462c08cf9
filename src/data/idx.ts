// The IDX format of the MNIST files (LeCun et al.): 2 zero bytes, a type code, the number of dimensions,
// that many big-endian uint32 sizes, then the values big-endian in row-major order. Input is bytes, never fs.
import { sizeOf } from '../core/shape';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export interface IdxArray {
  type: IdxType;
  shape: number[];
  /** The values in row-major order. uint8 data is a view into the input bytes (no copy). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Bytes that are not a well-formed IDX file. The message names the problem in one line. */
export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxError';
  }
}

const TYPES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new IdxError(`not an IDX file: ${bytes.length} bytes, the header alone needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it is gzip-compressed: gunzip it first)' : '';
    throw new IdxError(`not an IDX file: the first two bytes are ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00${gzip}`);
  }
  const kind = TYPES[bytes[2]];
  if (!kind) throw new IdxError(`not an IDX file: unknown type code ${hex(bytes[2])} (expected one of ${Object.keys(TYPES).map((k) => hex(Number(k))).join(', ')})`);
  const rank = bytes[3];
  if (rank === 0) throw new IdxError('IDX file declares 0 dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new IdxError(`IDX file truncated: ${rank} dimensions need a ${headerBytes}-byte header, the file has ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = sizeOf(shape);
  const dataBytes = count * kind.bytes;
  if (!Number.isSafeInteger(dataBytes) || bytes.length !== headerBytes + dataBytes) {
    const verb = bytes.length < headerBytes + dataBytes ? 'truncated' : 'has trailing bytes';
    throw new IdxError(`IDX file ${verb}: shape [${shape.join(', ')}] of ${kind.type} needs ${headerBytes} + ${dataBytes} bytes, the file has ${bytes.length}`);
  }
  return { type: kind.type, shape, data: readValues(view, headerBytes, count, kind.type, bytes) };
}

function readValues(view: DataView, offset: number, count: number, type: IdxType, bytes: Uint8Array): IdxArray['data'] {
  switch (type) {
    case 'uint8':
      return bytes.subarray(offset, offset + count);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count).slice();
    case 'int16':
      return Int16Array.from({ length: count }, (_, i) => view.getInt16(offset + 2 * i, false));
    case 'int32':
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(offset + 4 * i, false));
    case 'float32':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(offset + 4 * i, false));
    case 'float64':
      return Float64Array.from({ length: count }, (_, i) => view.getFloat64(offset + 8 * i, false));
  }
}

/** Writes a uint8 IDX file (the type of MNIST's images and labels), e.g. a subset for the browser. */
export function encodeIdxUint8(shape: readonly number[], data: Uint8Array): Uint8Array {
  const count = sizeOf(shape);
  if (data.length !== count) throw new IdxError(`shape [${shape.join(', ')}] needs ${count} values, got ${data.length}`);
  if (shape.length < 1 || shape.length > 255) throw new IdxError(`IDX files have 1 to 255 dimensions, got ${shape.length}`);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((n, i) => view.setUint32(4 + 4 * i, n, false));
  out.set(data, header);
  return out;
}
