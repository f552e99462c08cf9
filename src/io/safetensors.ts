// The safetensors container (https://github.com/huggingface/safetensors), read and written from bytes:
//   [u64 little-endian N][N bytes of UTF-8 JSON header][byte buffer]
// header = {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
// with offsets relative to the byte buffer. The reader is as strict as the reference Rust implementation
// (safetensors/src/tensor.rs, `Metadata::validate`): it checks every length and offset against the file
// before it allocates anything, so a hostile file costs at most about its own size in memory (and, beyond the
// reference, it counts a header's JSON values before parsing it: a 100 MB header of a million empty tensors, or
// of millions of empty arrays, would cost gigabytes as parsed JSON).
import { SafetensorsError, type SafetensorsErrorCode } from './errors';
import { decodeBF16, decodeF16, encodeF16 } from './half';

export { SafetensorsError } from './errors';

export type DType = 'F32' | 'F16' | 'BF16';
export interface NamedTensor { shape: number[]; data: Float32Array }
export interface SafetensorsFile { tensors: Map<string, NamedTensor & { dtype: DType }>; metadata: Record<string, string> }

/** The reference implementation's cap (MAX_HEADER_SIZE): no real header comes near it, a hostile one could. */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Our cap on a header's JSON values, counted as its '{', '[' and ',' bytes (every value but the first opens a
 * container or follows a comma; those inside strings only make the count larger). A Halfstep checkpoint has a
 * few thousand, a large model's header tens of thousands.
 */
export const MAX_HEADER_VALUES = 1_000_000;

const DTYPE_BYTES: Record<DType, number> = { F32: 4, F16: 2, BF16: 2 };
/** The other dtypes the format defines: a file using them is valid safetensors that Halfstep cannot use. */
const OTHER_DTYPES = new Set(['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'I16', 'U16', 'I32', 'U32', 'F64', 'I64', 'U64', 'C64']);
const METADATA_KEY = '__metadata__';

function fail(code: SafetensorsErrorCode, message: string): never {
  throw new SafetensorsError(code, message);
}

interface Entry { name: string; dtype: DType; shape: number[]; elements: number; begin: number; end: number }

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) fail('too_small', `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true); // a u64 may exceed 2^53: compare as BigInt before narrowing
  if (declared > BigInt(MAX_HEADER_BYTES)) fail('header_too_large', `header length ${declared} exceeds the 100 MB limit`);
  const headerBytes = Number(declared);
  if (8 + headerBytes > bytes.length) fail('header_length', `header length ${declared} runs past the end of the ${bytes.length}-byte file`);
  if (headerBytes === 0) fail('header_json', 'header is empty (length 0), expected a JSON object');
  let values = 1;
  for (let i = 8; i < 8 + headerBytes; i++) {
    const b = bytes[i];
    if (b === 0x7b || b === 0x5b || b === 0x2c) values++; // { [ ,
  }
  if (values > MAX_HEADER_VALUES) fail('header_too_large', `header holds about ${values} JSON values, over the ${MAX_HEADER_VALUES.toLocaleString('en')} a header may have`);

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    fail('header_utf8', 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail('header_json', `header is not valid JSON (${clip(e instanceof Error ? e.message : String(e), 100)})`);
  }
  if (!isObject(header)) fail('header_not_object', `header is ${describe(header)}, not a JSON object`);
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) fail('duplicate_key', `header has the key ${quote(duplicate)} more than once`);

  const root = header as Record<string, unknown>;
  const metadata = readMetadata(root[METADATA_KEY]);
  const entries = Object.keys(root).filter((k) => k !== METADATA_KEY).map((name) => readEntry(name, root[name]));

  // Tensors must tile the buffer in offset order: no gaps, no overlaps, nothing left over.
  const bufferStart = 8 + headerBytes;
  const bufferBytes = bytes.length - bufferStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    const where = `tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}]`;
    if (e.end < e.begin) fail('offsets', `${where} end before they begin`);
    if (e.begin !== expected) fail('offsets', `${where} start at byte ${e.begin}, expected ${expected} (tensors must follow each other with no gap or overlap)`);
    if (e.end > bufferBytes) fail('offsets', `${where} run past the end of the ${bufferBytes}-byte data buffer`);
    const needed = e.elements * DTYPE_BYTES[e.dtype]; // elements ≤ 2^53 / 4 was checked, so this is exact
    if (e.end - e.begin !== needed) fail('size_mismatch', `${where} cover ${e.end - e.begin} bytes, ${e.dtype} [${e.shape.join(', ')}] needs ${needed}`);
    expected = e.end;
  }
  if (expected !== bufferBytes) fail('incomplete_buffer', `tensors cover ${expected} of the ${bufferBytes} bytes after the header (${bufferBytes - expected} bytes unaccounted for)`);

  // Only now, with every size proven to fit inside the file, allocate: at most 2x the buffer (F16 → F32).
  const tensors = new Map<string, NamedTensor & { dtype: DType }>();
  for (const e of entries) {
    const src = bytes.subarray(bufferStart + e.begin, bufferStart + e.end);
    const data = new Float32Array(e.elements);
    if (e.dtype === 'F32') {
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < data.length; i++) data[i] = dv.getFloat32(4 * i, true);
    } else if (e.dtype === 'F16') {
      decodeF16(src, data);
    } else {
      decodeBF16(src, data);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function readMetadata(value: unknown): Record<string, string> {
  // The Rust reader models it as Option<HashMap<String, String>>: absent or null both mean "none".
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail('metadata', `${METADATA_KEY} is ${describe(value)}, not an object of strings`);
  const entries = Object.entries(value);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') fail('metadata', `${METADATA_KEY} entry ${quote(k)} is ${describe(v)}, not a string`);
  }
  return Object.fromEntries(entries) as Record<string, string>; // fromEntries keeps a key named __proto__ as data
}

function readEntry(name: string, info: unknown): Entry {
  const where = `tensor ${quote(name)}`;
  if (!isObject(info)) fail('tensor_info', `${where}: entry is ${describe(info)}, not an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;

  if (dtype === undefined) fail('tensor_info', `${where}: missing dtype`);
  if (typeof dtype !== 'string') fail('tensor_info', `${where}: dtype is ${describe(dtype)}, not a string`);
  if (!Object.hasOwn(DTYPE_BYTES, dtype)) {
    const kind = OTHER_DTYPES.has(dtype) ? 'unsupported' : 'unknown';
    fail('unsupported_dtype', `${where}: ${kind} dtype ${quote(dtype)} (Halfstep reads F32, F16 and BF16)`);
  }

  if (shape === undefined) fail('tensor_info', `${where}: missing shape`);
  if (!Array.isArray(shape)) fail('shape', `${where}: shape is ${describe(shape)}, not an array of non-negative integers`);
  const dims: number[] = [];
  let elements = 1;
  for (const dim of shape as unknown[]) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) fail('shape', `${where}: shape ${clip(JSON.stringify(shape), 60)} has ${clip(JSON.stringify(dim), 30)}, not a non-negative integer`);
    // Checked multiplication: keep elements·4 (the largest dtype) an exact integer below 2^53.
    if (dim > 0 && elements > Number.MAX_SAFE_INTEGER / 4 / dim) fail('overflow', `${where}: shape ${clip(JSON.stringify(shape), 60)} has more than 2^51 elements`);
    elements *= dim;
    dims.push(dim);
  }

  if (offsets === undefined) fail('tensor_info', `${where}: missing data_offsets`);
  if (!Array.isArray(offsets) || offsets.length !== 2) fail('offsets', `${where}: data_offsets is ${clip(JSON.stringify(offsets) ?? '', 60)}, expected two integers [begin, end]`);
  const [begin, end] = (offsets as unknown[]).map((o) => {
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0) fail('offsets', `${where}: data_offsets ${clip(JSON.stringify(offsets), 60)} are not two non-negative integers`);
    if (!Number.isSafeInteger(o)) fail('overflow', `${where}: data_offsets ${clip(JSON.stringify(offsets), 60)} exceed 2^53`);
    return o;
  });
  return { name, dtype: dtype as DType, shape: dims, elements, begin, end };
}

/**
 * JSON.parse keeps the last of two equal keys silently; the reference reader rejects the file. Scans the
 * (already valid) JSON text once, iteratively, and returns the first key repeated within one object.
 */
function findDuplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = []; // one Set of keys per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string; // decodes escapes: "a" and "\u0061" collide
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return null;
}

/**
 * Writes tensors as F32 or F16 (round to nearest even; values beyond ±65504 become ±Infinity, so callers that
 * care check the range first). Tensors are laid out in the map's order; the header is padded with spaces to a
 * multiple of 8 bytes, as the reference writer does, so the buffer is aligned for any dtype.
 */
export function serializeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string>, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  if (dtype !== 'F32' && dtype !== 'F16') fail('invalid_input', `cannot write dtype ${quote(String(dtype))}: Halfstep writes F32 or F16`);
  const size = DTYPE_BYTES[dtype];
  const parts: string[] = [];
  const metaKeys = Object.keys(metadata);
  if (metaKeys.length > 0) {
    for (const k of metaKeys) if (typeof metadata[k] !== 'string') fail('invalid_input', `metadata ${quote(k)} is ${describe(metadata[k])}, not a string`);
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) fail('invalid_input', `a tensor cannot be named ${METADATA_KEY}`);
    let elements = 1;
    for (const dim of t.shape) {
      if (!Number.isSafeInteger(dim) || dim < 0) fail('invalid_input', `tensor ${quote(name)}: shape [${t.shape.join(', ')}] is not a list of non-negative integers`);
      elements *= dim;
    }
    if (elements !== t.data.length) fail('invalid_input', `tensor ${quote(name)}: shape [${t.shape.join(', ')}] has ${elements} elements, data has ${t.data.length}`);
    const end = offset + elements * size;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);

  let at = 8 + headerBytes;
  for (const t of tensors.values()) {
    if (dtype === 'F32') {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    } else {
      encodeF16(t.data, out.subarray(at, at + 2 * t.data.length));
    }
    at += t.data.length * size;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'missing';
  return `a ${typeof v}`;
}

/** A name for a one-line message: escaped (no raw newlines or control characters) and at most ~60 characters. */
export function quote(name: string): string {
  return `'${clip(JSON.stringify(name).slice(1, -1), 60)}'`;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
