// NumPy .npy writer (format 1.0): magic, version, little-endian u16 header length, a Python-dict header
// padded with spaces to a multiple of 64 bytes and ending in '\n', then the raw little-endian float32 data.
export function encodeNpyFloat32(data: Float32Array, shape: number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const preamble = 10; // 6 magic + 2 version + 2 length
  header += ' '.repeat((64 - ((preamble + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(preamble + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), preamble);
  const body = new DataView(out.buffer, preamble + header.length);
  for (let i = 0; i < data.length; i++) body.setFloat32(4 * i, data[i], true);
  return out;
}
