// Valid safetensors files, assembled by hand (not by the writer under test), and the ways to break them:
// byte flips, truncations, splices, a rewritten header length, and edits to the header's JSON that keep
// the file otherwise well-formed, so the reader's deeper checks get exercised, not just the first one.
import fc from 'fast-check';

export interface BaseFile {
  header: Record<string, unknown>;
  buffer: Uint8Array;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

const nameArb = fc.oneof(
  fc.constantFrom('in.weight', 'in.bias', 'out.weight', 'blocks.0.fc1.weight', 'w', ''),
  fc.string({ maxLength: 10, unit: 'grapheme' }),
).filter((n) => n !== '__metadata__');

const tensorArb = fc.record({
  name: nameArb,
  dtype: fc.constantFrom('F32', 'F16', 'BF16'),
  shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
});

/** A valid file: tensors laid out back to back in a random order, random bytes as data. */
export const baseFileArb: fc.Arbitrary<BaseFile> = fc
  .record({
    tensors: fc.uniqueArray(tensorArb, { selector: (t) => t.name, maxLength: 5 }),
    metadata: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 24 }), { maxKeys: 4 }), { nil: undefined }),
    seed: fc.integer(),
  })
  .map(({ tensors, metadata, seed }) => {
    const header: Record<string, unknown> = {};
    if (metadata) header.__metadata__ = metadata;
    let offset = 0;
    for (const t of tensors) {
      const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
      // defineProperty: fast-check generates names like '__proto__', which plain assignment would not make a key.
      Object.defineProperty(header, t.name, { value: { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] }, enumerable: true, writable: true, configurable: true });
      offset += bytes;
    }
    const buffer = new Uint8Array(offset);
    let s = seed >>> 0;
    for (let i = 0; i < offset; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      buffer[i] = s >>> 24;
    }
    return { header, buffer };
  });

export function assemble(headerText: string, buffer: Uint8Array, pad = 0): Uint8Array {
  const h = new TextEncoder().encode(headerText + ' '.repeat(pad));
  const out = new Uint8Array(8 + h.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}

export function fileBytes(f: BaseFile): Uint8Array {
  return assemble(JSON.stringify(f.header), f.buffer, 0);
}

/** Values a hostile or buggy writer might put anywhere in the header. */
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, 0, 1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308, -0, null, true, '', 'F32', 'F16', 'BF16', 'I64', 'F64', 'BOOL', 'U8', [], {}, [0], [0, 0], [0, 2 ** 53], [2 ** 40, 2 ** 40], [1e12], '__metadata__'),
  fc.integer({ min: -10, max: 1_000_000_000 }),
  fc.array(fc.integer({ min: -2, max: 2 ** 33 }), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** An edit to the parsed header, applied before re-encoding it with a correct length. */
const headerEditArb = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), tensor: fc.nat(), field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), value: nastyValue }),
  fc.record({ kind: fc.constant('element' as const), tensor: fc.nat(), field: fc.constantFrom('shape', 'data_offsets'), index: fc.nat(3), value: nastyValue }),
  fc.record({ kind: fc.constant('deleteField' as const), tensor: fc.nat(), field: fc.constantFrom('dtype', 'shape', 'data_offsets') }),
  fc.record({ kind: fc.constant('entry' as const), tensor: fc.nat(), value: nastyValue }),
  fc.record({ kind: fc.constant('deleteTensor' as const), tensor: fc.nat() }),
  fc.record({ kind: fc.constant('addTensor' as const), name: fc.string({ maxLength: 6 }), value: fc.oneof(nastyValue, fc.record({ dtype: nastyValue, shape: nastyValue, data_offsets: nastyValue })) }),
  fc.record({ kind: fc.constant('metadata' as const), value: nastyValue }),
  fc.record({ kind: fc.constant('metadataEntry' as const), key: fc.string({ maxLength: 6 }), value: nastyValue }),
  // Claims of a huge tensor with offsets that agree with the claim: must fail on the buffer, never allocate.
  fc.record({ kind: fc.constant('hugeClaim' as const), tensor: fc.nat(), elements: fc.integer({ min: 2 ** 20, max: 2 ** 50 }) }),
);
type HeaderEdit = typeof headerEditArb extends fc.Arbitrary<infer T> ? T : never;

function applyHeaderEdit(header: Record<string, unknown>, e: HeaderEdit): Record<string, unknown> {
  const h = structuredClone(header);
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const pick = (i: number) => (names.length ? names[i % names.length] : undefined);
  switch (e.kind) {
    case 'field': case 'element': case 'deleteField': case 'hugeClaim': {
      const name = pick(e.tensor);
      const entry = name === undefined ? undefined : h[name];
      if (!entry || typeof entry !== 'object') return h;
      const info = entry as Record<string, unknown>;
      if (e.kind === 'field') info[e.field] = e.value;
      else if (e.kind === 'deleteField') delete info[e.field];
      else if (e.kind === 'element' && Array.isArray(info[e.field])) (info[e.field] as unknown[])[e.index] = e.value;
      else if (e.kind === 'hugeClaim') {
        const begin = Array.isArray(info.data_offsets) ? Number(info.data_offsets[0]) : 0;
        info.shape = [e.elements];
        info.data_offsets = [begin, begin + 4 * e.elements];
        info.dtype = 'F32';
      }
      return h;
    }
    case 'entry': { const name = pick(e.tensor); if (name !== undefined) h[name] = e.value; return h; }
    case 'deleteTensor': { const name = pick(e.tensor); if (name !== undefined) delete h[name]; return h; }
    case 'addTensor': h[e.name] = e.value; return h;
    case 'metadata': h.__metadata__ = e.value; return h;
    case 'metadataEntry': {
      const m = h.__metadata__;
      if (m && typeof m === 'object' && !Array.isArray(m)) (m as Record<string, unknown>)[e.key] = e.value;
      else h.__metadata__ = { [e.key]: e.value };
      return h;
    }
  }
}

/** One way to break a file's bytes. */
export const mutationArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flipHeader' as const), pos: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('jsonChar' as const), pos: fc.nat(), char: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '0', '9', '-', '.', 'e', ' ', 'n', '\u00e9') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pos: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('headerLength' as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 200n }), fc.constantFrom(100_000_000n, 100_000_001n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('headerLengthDelta' as const), delta: fc.integer({ min: -9, max: 9 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('editHeader' as const), edit: headerEditArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicateKey' as const), tensor: fc.nat(), escape: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('randomHeader' as const), json: fc.json({ maxDepth: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 64 }) }) },
);
export type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies mutations in order; edits that need the header work on `base`, the rest on the current bytes. */
export function mutate(base: BaseFile, mutations: Mutation[]): Uint8Array {
  let bytes = fileBytes(base);
  for (const m of mutations) {
    const headerLength = bytes.length >= 8 ? Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) : 0;
    switch (m.kind) {
      case 'flip':
        if (bytes.length) bytes[m.pos % bytes.length] ^= m.mask;
        break;
      case 'flipHeader': case 'jsonChar': {
        const span = Math.min(headerLength, bytes.length - 8);
        if (span <= 0) break;
        const at = 8 + (m.pos % span);
        if (m.kind === 'flipHeader') {
          bytes[at] ^= m.mask;
        } else {
          const char = new TextEncoder().encode(m.char);
          bytes = splice(bytes, at, 1, char);
          growHeader(bytes, char.length - 1);
        }
        break;
      }
      case 'truncate':
        bytes = bytes.slice(0, m.length % (bytes.length + 1));
        break;
      case 'append':
        bytes = splice(bytes, bytes.length, 0, m.bytes);
        break;
      case 'insert':
        bytes = splice(bytes, m.pos % (bytes.length + 1), 0, m.bytes);
        break;
      case 'delete':
        bytes = splice(bytes, m.pos % (bytes.length + 1), m.length, new Uint8Array(0));
        break;
      case 'headerLength':
        if (bytes.length >= 8) new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(0, m.value, true);
        break;
      case 'headerLengthDelta':
        if (bytes.length >= 8) new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(0, BigInt(Math.max(0, headerLength + m.delta)), true);
        break;
      case 'editHeader':
        base = { header: applyHeaderEdit(base.header, m.edit), buffer: base.buffer };
        bytes = fileBytes(base);
        break;
      case 'duplicateKey': {
        const names = Object.keys(base.header);
        if (!names.length) break;
        const name = names[m.tensor % names.length];
        // The same key again, optionally spelled with a \u escape so only a decoding duplicate check sees it.
        const key = m.escape && name.length ? `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(name.slice(1)).slice(1)}` : JSON.stringify(name);
        const text = JSON.stringify(base.header);
        bytes = assemble(`{${key}:${JSON.stringify(base.header[name])},${text.slice(1)}`, base.buffer);
        break;
      }
      case 'randomHeader':
        bytes = assemble(m.json, base.buffer);
        break;
      case 'garbage':
        bytes = m.bytes.slice();
        break;
    }
  }
  return bytes;
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - Math.min(remove, bytes.length - at) + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** Keeps the declared header length in step with a header that grew by `delta` bytes. */
function growHeader(bytes: Uint8Array, delta: number): void {
  if (delta === 0 || bytes.length < 8) return;
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  dv.setBigUint64(0, dv.getBigUint64(0, true) + BigInt(delta), true);
}
