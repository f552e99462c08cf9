// Checkpoints: metadata validation, weight checks, the content hash (against an independent node:crypto
// implementation and a value computed with Python's hashlib), and a file laid out the way Python's
// safetensors.torch.save_file writes one.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointLoadError, contentHash, readCheckpoint, writeCheckpoint, type Checkpoint, type Lineage } from '../../src/io/checkpoint';
import { expectedParamShapes } from '../../src/io/paramLayout';
import { SafetensorsError, serializeSafetensors, type NamedTensor } from '../../src/io/safetensors';
import type { ModelConfig } from '../../src/model/config';
import { oneLineError } from './oneLineError';

const config: ModelConfig = {
  network: { arch: 'mlp', hidden: 4, blocks: 1, embedDim: 4 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
  conditioning: 't',
};

/** Weights for `config`; every value a multiple of 1/64 in [-2, 2], so exactly representable in F16. */
function weightsFor(c: ModelConfig, seed = 1): Map<string, NamedTensor> {
  let s = seed;
  return new Map([...expectedParamShapes(c)].map(([name, shape]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      s = (s * 48271) % 2147483647;
      data[i] = ((s % 257) - 128) / 64;
    }
    return [name, { shape, data }];
  }));
}

const lineage: Lineage = { teacherHash: 'ab'.repeat(32), teacherSteps: 16, stage: 2, iterations: 5000, finalLoss: 0.0123 };
const teacher = (): Omit<Checkpoint, 'hash'> => ({ config, role: 'teacher', steps: null, lineage: null, weights: weightsFor(config) });
const student = (): Omit<Checkpoint, 'hash'> => ({ config, role: 'student', steps: 8, lineage, weights: weightsFor(config, 2), notes: 'stage 2 of moons' });

/** The hash as the README (Checkpoint format) defines it, written again with node:crypto and Buffer. */
function referenceHash(weights: ReadonlyMap<string, NamedTensor>): string {
  const h = createHash('sha256');
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    h.update(b);
  };
  const names = [...weights.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const t = weights.get(name)!;
    u64(Buffer.byteLength(name));
    h.update(Buffer.from(name));
    u64(t.shape.length);
    t.shape.forEach(u64);
    const values = Buffer.alloc(4 * t.data.length);
    t.data.forEach((v, i) => values.writeFloatLE(v, 4 * i));
    h.update(values);
  }
  return h.digest('hex');
}

/** Metadata of a valid student, to break one field at a time. */
function studentMetadata(): Record<string, string> {
  return {
    format: 'halfstep',
    format_version: '1',
    config: JSON.stringify(config),
    role: 'student',
    steps: '8',
    lineage: JSON.stringify(lineage),
  };
}

const readError = (bytes: Uint8Array): CheckpointLoadError => oneLineError(() => readCheckpoint(bytes), CheckpointLoadError);

describe('contentHash', () => {
  it('matches SHA-256 values computed with Python hashlib', () => {
    // hashlib.sha256(pack('<Q',1) + b'a' + pack('<Q',1) + pack('<Q',1) + pack('<f',1.0)).hexdigest()
    expect(contentHash(new Map([['a', { shape: [1], data: new Float32Array([1]) }]]))).toBe('d84d13ab7e5c3aefbab46a0226822b8120b5e49e3259fc84fca8e2315c88e66a');
    // names sorted by code point (a, b, é), a scalar, a zero-size tensor
    const w = new Map<string, NamedTensor>([
      ['b', { shape: [2, 1], data: new Float32Array([0.5, -2]) }],
      ['é', { shape: [0], data: new Float32Array(0) }],
      ['a', { shape: [], data: new Float32Array([3]) }],
    ]);
    expect(contentHash(w)).toBe('25be92d4e833cd83d95aacc8a354d5b7f239f3006e489c52831d21077f869b41');
  });

  it('agrees with an independent implementation on real-sized weights, ignores map order, sees one changed value', () => {
    const w = weightsFor({ ...config, network: { arch: 'mlp', hidden: 64, blocks: 3, embedDim: 16 } });
    expect(contentHash(w)).toBe(referenceHash(w));
    expect(contentHash(new Map([...w].reverse()))).toBe(contentHash(w));
    const changed = new Map([...w].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    changed.get('out.bias')!.data[1] += 2 ** -20;
    expect(contentHash(changed)).not.toBe(contentHash(w));
    const reshaped = new Map([['a', { shape: [2, 3], data: new Float32Array(6) }]]);
    expect(contentHash(reshaped)).not.toBe(contentHash(new Map([['a', { shape: [3, 2], data: new Float32Array(6) }]])));
  });
});

describe('writeCheckpoint / readCheckpoint', () => {
  it('round-trips a teacher in F32 exactly', () => {
    const t = teacher();
    const c = readCheckpoint(writeCheckpoint(t));
    expect(c.config).toEqual(config);
    expect(c.role).toBe('teacher');
    expect(c.steps).toBeNull();
    expect(c.lineage).toBeNull();
    expect(c.notes).toBeUndefined();
    expect([...c.weights.keys()]).toEqual([...t.weights.keys()]);
    for (const [name, w] of t.weights) {
      expect(c.weights.get(name)!.shape).toEqual(w.shape);
      expect(c.weights.get(name)!.data).toEqual(w.data);
    }
    expect(c.hash).toBe(referenceHash(t.weights));
  });

  it('round-trips a student in F16; the hash does not depend on the dtype on disk', () => {
    const s = student();
    const bytes16 = writeCheckpoint(s, 'F16');
    const bytes32 = writeCheckpoint(s, 'F32');
    expect(bytes16.length).toBeLessThan(bytes32.length);
    const c16 = readCheckpoint(bytes16);
    const c32 = readCheckpoint(bytes32);
    expect(c16.steps).toBe(8);
    expect(c16.lineage).toEqual(lineage);
    expect(c16.notes).toBe('stage 2 of moons');
    expect(c16.weights.get('in.weight')!.data).toEqual(s.weights.get('in.weight')!.data);
    expect(c16.hash).toBe(c32.hash);
    expect(c16.hash).toBe(referenceHash(s.weights));
  });

  it('ignores metadata keys it does not know', () => {
    const bytes = serializeSafetensors(weightsFor(config), { ...studentMetadata(), framework: 'pt', author: 'someone' });
    expect(readCheckpoint(bytes).steps).toBe(8);
  });

  it('accepts steps and lineage written as "null" for a teacher', () => {
    const bytes = serializeSafetensors(weightsFor(config), { format: 'halfstep', format_version: '1', config: JSON.stringify(config), role: 'teacher', steps: 'null', lineage: 'null' });
    const c = readCheckpoint(bytes);
    expect(c.steps).toBeNull();
    expect(c.lineage).toBeNull();
  });

  it('reads a file laid out as Python safetensors.torch.save_file writes it (sorted names, json.dumps spacing)', () => {
    // Hand-assembled: __metadata__ first, tensors sorted by name, F32 little-endian, header padded with spaces.
    const shapes = expectedParamShapes(config);
    const names = [...shapes.keys()].sort();
    const pyConfig = '{"network": {"arch": "mlp", "hidden": 4, "blocks": 1, "embedDim": 4}, "data": {"kind": "toy2d", "name": "moons"}, "parameterization": "v", "schedule": {"kind": "cosine", "logSnrMin": -20.0, "logSnrMax": 20.0}, "conditioning": "t"}';
    const pyLineage = `{"teacherHash": "${'cd'.repeat(32)}", "teacherSteps": 4, "stage": 1, "iterations": 1000, "finalLoss": 0.25}`;
    const metadata = { format: 'halfstep', format_version: '1', config: pyConfig, role: 'student', steps: '2', lineage: pyLineage };
    let offset = 0;
    const entries = names.map((name) => {
      const shape = shapes.get(name)!;
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      const entry = `"${name}":{"dtype":"F32","shape":[${shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`;
      offset += bytes;
      return entry;
    });
    let header = `{"__metadata__":${JSON.stringify(metadata)},${entries.join(',')}}`;
    header += ' '.repeat((8 - (header.length % 8)) % 8);
    const file = new Uint8Array(8 + header.length + offset);
    const dv = new DataView(file.buffer);
    dv.setBigUint64(0, BigInt(header.length), true);
    file.set(new TextEncoder().encode(header), 8);
    for (let i = 0; i < offset / 4; i++) dv.setFloat32(8 + header.length + 4 * i, i / 8, true);

    const c = readCheckpoint(file);
    expect(c.steps).toBe(2);
    expect(c.lineage).toEqual({ teacherHash: 'cd'.repeat(32), teacherSteps: 4, stage: 1, iterations: 1000, finalLoss: 0.25 });
    expect(c.config).toEqual(config);
    // blocks.0.fc1.bias sorts first: values 0, 1/8, 2/8, 3/8
    expect(Array.from(c.weights.get('blocks.0.fc1.bias')!.data)).toEqual([0, 0.125, 0.25, 0.375]);
  });
});

describe('readCheckpoint refuses bad metadata, each with its reason', () => {
  const withMeta = (edit: (m: Record<string, string>) => void) => {
    const m = studentMetadata();
    edit(m);
    return serializeSafetensors(weightsFor(config), m);
  };
  const cases: [string, (m: Record<string, string>) => void, string][] = [
    ['no metadata at all', (m) => { for (const k of Object.keys(m)) delete m[k]; }, "not a Halfstep checkpoint: metadata has no 'format' key, expected 'halfstep'"],
    ['another format', (m) => { m.format = 'pt'; }, "not a Halfstep checkpoint: metadata format is 'pt', expected 'halfstep'"],
    ['the classifier given as a model', (m) => { m.format = 'halfstep-classifier'; }, "Halfstep's MNIST classifier (the FID features), not a model checkpoint (metadata format is 'halfstep-classifier')"],
    ['a resume state given as a model', (m) => { m.format = 'halfstep-train-state'; }, "a training run's resume state (the teacher is the .safetensors file beside it), not a model checkpoint (metadata format is 'halfstep-train-state')"],
    ['newer format version', (m) => { m.format_version = '2'; }, "checkpoint format_version '2', this Halfstep reads version 1"],
    ['missing format version', (m) => { delete m.format_version; }, 'checkpoint format_version is missing, this Halfstep reads version 1'],
    ['config not JSON', (m) => { m.config = '{network:'; }, 'metadata config: is not valid JSON'],
    ['config missing', (m) => { delete m.config; }, 'metadata config: Invalid input: expected string, received undefined'],
    ['config out of range', (m) => { m.config = JSON.stringify({ ...config, network: { ...config.network, hidden: 0 } }); }, 'metadata config.network.hidden: Too small: expected number to be >=1'],
    ['config with an unknown field', (m) => { m.config = JSON.stringify({ ...config, extra: 1 }); }, 'metadata config: Unrecognized key: "extra"'],
    ['a schedule with no span of logSNR', (m) => { m.config = JSON.stringify({ ...config, schedule: { kind: 'cosine', logSnrMin: 0, logSnrMax: 0 } }); }, 'metadata config: schedule logSnrMin must be below logSnrMax, got 0 and 0'],
    ['unknown parameterization', (m) => { m.config = JSON.stringify({ ...config, parameterization: 'score' }); }, 'metadata config.parameterization: Invalid option: expected one of "v"|"x"|"eps"'],
    ['unknown role', (m) => { m.role = 'teacher-ish'; }, 'metadata role: Invalid option: expected one of "teacher"|"student"'],
    ['steps not a power of two', (m) => { m.steps = '6'; m.lineage = JSON.stringify({ ...lineage, teacherSteps: 12 }); }, 'metadata steps: must be a power of two'],
    ['steps zero', (m) => { m.steps = '0'; }, 'metadata steps: Too small: expected number to be >=1'],
    ['steps negative', (m) => { m.steps = '-4'; }, 'metadata steps: Too small: expected number to be >=1'],
    ['steps fractional', (m) => { m.steps = '2.5'; }, 'metadata steps: Invalid input: expected int, received number'],
    ['steps not a number', (m) => { m.steps = 'eight'; }, 'metadata steps: is not valid JSON'],
    ['steps huge', (m) => { m.steps = String(2 ** 40); }, 'metadata steps: Too big: expected number to be <=1048576'],
    ['student without steps', (m) => { delete m.steps; }, 'metadata steps: a student needs its sampling step count'],
    ['student without lineage', (m) => { delete m.lineage; }, 'metadata lineage: a student needs its lineage'],
    ['teacher with steps', (m) => { m.role = 'teacher'; delete m.lineage; }, 'metadata steps: a teacher has no distilled step count, got 8'],
    ['teacher with lineage', (m) => { m.role = 'teacher'; delete m.steps; }, 'metadata lineage: a teacher has no lineage'],
    ['teacherSteps not twice steps', (m) => { m.lineage = JSON.stringify({ ...lineage, teacherSteps: 32 }); }, 'metadata lineage.teacherSteps: is 32, but an 8-step student halves a 16-step teacher'],
    ['lineage not JSON', (m) => { m.lineage = '{teacherHash'; }, 'metadata lineage: is not valid JSON'],
    ['finalLoss NaN (JSON null)', (m) => { m.lineage = JSON.stringify({ ...lineage, finalLoss: NaN }); }, 'metadata lineage.finalLoss: must be a finite number'],
    ['finalLoss a string', (m) => { m.lineage = JSON.stringify({ ...lineage, finalLoss: '0.1' }); }, 'metadata lineage.finalLoss: must be a finite number'],
    ['finalLoss overflowing to Infinity', (m) => { m.lineage = JSON.stringify(lineage).replace('0.0123', '1e999'); }, 'metadata lineage.finalLoss: must be a finite number'],
    ['teacherHash not hex', (m) => { m.lineage = JSON.stringify({ ...lineage, teacherHash: 'xyz' }); }, 'metadata lineage.teacherHash: must be 64 lowercase hex digits (a SHA-256)'],
    ['stage zero', (m) => { m.lineage = JSON.stringify({ ...lineage, stage: 0 }); }, 'metadata lineage.stage: Too small: expected number to be >=1'],
    ['negative iterations', (m) => { m.lineage = JSON.stringify({ ...lineage, iterations: -1 }); }, 'metadata lineage.iterations: Too small: expected number to be >=0'],
    ['lineage with an unknown field', (m) => { m.lineage = JSON.stringify({ ...lineage, parent: 'x' }); }, 'metadata lineage: Unrecognized key: "parent"'],
  ];
  for (const [name, edit, message] of cases) {
    it(name, () => {
      const e = readError(withMeta(edit));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.code).toBe('metadata');
      expect(e.message).toBe(message);
    });
  }
});

describe('readCheckpoint refuses weights no network could use', () => {
  const withWeights = (edit: (w: Map<string, NamedTensor>) => void) => {
    const w = weightsFor(config);
    edit(w);
    return serializeSafetensors(w, studentMetadata());
  };
  const cases: [string, (w: Map<string, NamedTensor>) => void, string][] = [
    ['no tensors', (w) => w.clear(), 'checkpoint has no tensors'],
    ['a NaN weight', (w) => { w.get('blocks.0.fc2.weight')!.data[5] = NaN; }, "tensor 'blocks.0.fc2.weight' has a non-finite value (NaN) at index 5"],
    ['an infinite weight', (w) => { w.get('out.bias')!.data[1] = -Infinity; }, "tensor 'out.bias' has a non-finite value (-Infinity) at index 1"],
    ['a missing tensor', (w) => w.delete('temb.1.bias'), "checkpoint has no tensor 'temb.1.bias', which the mlp config needs"],
    ['an extra tensor', (w) => w.set('blocks.1.fc1.weight', { shape: [4, 4], data: new Float32Array(16) }), "checkpoint has a tensor 'blocks.1.fc1.weight' that the mlp config does not use"],
    ['a transposed weight (PyTorch layout)', (w) => w.set('in.weight', { shape: [4, 2], data: new Float32Array(8) }), "tensor 'in.weight' has shape [4, 2], the mlp config needs [2, 4]"],
    ['a flattened weight', (w) => w.set('temb.0.weight', { shape: [16], data: new Float32Array(16) }), "tensor 'temb.0.weight' has shape [16], the mlp config needs [4, 4]"],
  ];
  for (const [name, edit, message] of cases) {
    it(name, () => {
      const e = readError(withWeights(edit));
      expect(e.code).toBe('weights');
      expect(e.message).toBe(message);
    });
  }

  it('a NaN stored as F16 (0x7E00) is caught after decoding', () => {
    const w = weightsFor(config);
    const bytes = serializeSafetensors(w, studentMetadata(), 'F16');
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    bytes[headerEnd] = 0x00; // first value of the first tensor (in.weight): 0x7E00 little-endian
    bytes[headerEnd + 1] = 0x7e;
    expect(readError(bytes).message).toBe("tensor 'in.weight' has a non-finite value (NaN) at index 0");
  });

  it('container errors are SafetensorsError, also a CheckpointLoadError', () => {
    const e = readError(new Uint8Array([1, 2, 3]));
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e.code).toBe('too_small');
  });
});

describe('writeCheckpoint refuses what readCheckpoint would refuse', () => {
  it('a non-finite final loss', () => {
    expect(() => writeCheckpoint({ ...student(), lineage: { ...lineage, finalLoss: NaN } })).toThrow('cannot write checkpoint: metadata lineage.finalLoss: must be a finite number');
  });
  it('a teacher with steps', () => {
    expect(() => writeCheckpoint({ ...teacher(), steps: 4 })).toThrow('cannot write checkpoint: metadata steps: a teacher has no distilled step count, got 4');
  });
  it('a student without lineage', () => {
    expect(() => writeCheckpoint({ ...student(), lineage: null })).toThrow('cannot write checkpoint: metadata lineage: a student needs its lineage');
  });
  it('an invalid config', () => {
    expect(() => writeCheckpoint({ ...teacher(), config: { ...config, parameterization: 'score' as 'v' } })).toThrow(/^cannot write checkpoint: metadata config.parameterization/);
  });
  it('a NaN weight', () => {
    const t = teacher();
    t.weights.get('in.bias')!.data[0] = NaN;
    expect(() => writeCheckpoint(t)).toThrow("tensor 'in.bias' has a non-finite value (NaN) at index 0");
  });
  it('data that does not fill its shape', () => {
    const t = teacher();
    t.weights.set('in.bias', { shape: [4], data: new Float32Array(3) });
    expect(() => writeCheckpoint(t)).toThrow("cannot write checkpoint: tensor 'in.bias' has shape [4] but 3 values");
  });
  it('values beyond F16 range when writing F16', () => {
    const t = teacher();
    t.weights.get('out.weight')!.data[3] = 70000;
    expect(() => writeCheckpoint(t, 'F16')).toThrow("cannot write checkpoint as F16: tensor 'out.weight' has 70000 at index 3, beyond F16's ±65504; write F32");
    expect(readCheckpoint(writeCheckpoint(t, 'F32')).weights.get('out.weight')!.data[3]).toBe(70000);
  });
});
