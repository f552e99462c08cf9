// Runs the fuzz properties in a worker thread so the test can kill it if a case ever hangs (a synchronous
// infinite loop cannot be interrupted from inside its own thread). Posts {progress} after each batch and
// {done, stats} or {error} at the end.
import fc from 'fast-check';
import { parentPort, workerData } from 'node:worker_threads';
import { CheckpointLoadError, readCheckpoint, writeCheckpoint } from '../../../src/io/checkpoint';
import { expectedParamShapes } from '../../../src/io/paramLayout';
import { parseSafetensors, SafetensorsError } from '../../../src/io/safetensors';
import type { ModelConfig } from '../../../src/model/config';
import { baseFileArb, fileBytes, mutate, mutationArb, assemble } from './mutations';

export interface FuzzTask { task: 'safetensors' | 'valid' | 'checkpoint'; runs: number; seed: number; batch: number }
export interface FuzzStats { runs: number; rejected: number; accepted: number; maxMs: number; maxGrowth: number; codes: Record<string, number> }

/** Slower than this for one file of a few kB (~0.1 ms when idle) means something is quadratic or worse; wall time, so loose enough for a busy machine. */
const PER_CASE_MS = 2000;
/** Allowed ArrayBuffer growth beyond 2x the file (F16 → F32 decoding doubles it): bookkeeping only. */
const SLACK_BYTES = 64 * 1024;

const stats: FuzzStats = { runs: 0, rejected: 0, accepted: 0, maxMs: 0, maxGrowth: 0, codes: {} };

function check<T>(bytes: Uint8Array, read: (b: Uint8Array) => T, errorClass: new (...a: never[]) => Error): T | undefined {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: T | undefined;
  try {
    result = read(bytes);
  } catch (e) {
    if (!(e instanceof errorClass)) throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}, expected ${errorClass.name}`);
    const { message, code } = e as Error & { code: unknown };
    if (!message || /[\r\n]/.test(message)) throw new Error(`message is not one non-empty line: ${JSON.stringify(message)}`);
    if (typeof code !== 'string') throw new Error(`error has no string code: ${message}`);
    stats.codes[code] = (stats.codes[code] ?? 0) + 1;
  }
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().arrayBuffers - before;
  stats.runs++;
  if (result === undefined) stats.rejected++;
  else stats.accepted++;
  stats.maxMs = Math.max(stats.maxMs, ms);
  stats.maxGrowth = Math.max(stats.maxGrowth, grown / Math.max(1, bytes.length));
  if (ms > PER_CASE_MS) throw new Error(`took ${ms.toFixed(0)} ms on a ${bytes.length}-byte file`);
  if (grown > 2 * bytes.length + SLACK_BYTES) throw new Error(`allocated ${grown} bytes for a ${bytes.length}-byte file`);
  return result;
}

const config = (hidden: number, blocks: number): ModelConfig => ({
  network: { arch: 'mlp', hidden, blocks, embedDim: 4 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
  conditioning: 't',
});

/** A few small valid checkpoints (a teacher and a student, F32 and F16) to break. */
function baseCheckpoints(): Uint8Array[] {
  const make = (c: ModelConfig) => new Map([...expectedParamShapes(c)].map(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return [name, { shape, data: Float32Array.from({ length: n }, (_, j) => Math.sin(i * 7 + j) / 4) }];
  }));
  const lineage = { teacherHash: 'ab'.repeat(32), teacherSteps: 8, stage: 1, iterations: 100, finalLoss: 0.05 };
  return [
    writeCheckpoint({ config: config(2, 1), role: 'teacher', steps: null, lineage: null, weights: make(config(2, 1)) }),
    writeCheckpoint({ config: config(3, 1), role: 'student', steps: 4, lineage, weights: make(config(3, 1)), notes: 'fuzz' }, 'F16'),
  ];
}

const metadataKeys = ['format', 'format_version', 'config', 'role', 'steps', 'lineage', 'notes'] as const;
/** Rewrites one metadata string of a valid checkpoint: the checkpoint layer's own checks are the target. */
const metadataEditArb = fc.record({
  which: fc.nat(),
  key: fc.constantFrom(...metadataKeys),
  value: fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.json({ maxDepth: 3 }),
    fc.constantFrom('null', '0', '3', '8', '1024', '2097152', '-4', '4.0', '1e400', 'NaN', '{}', '[]', 'teacher', 'student', '2', 'halfstep'),
    fc.record({ at: fc.nat(), cut: fc.nat(8), insert: fc.string({ maxLength: 4 }) }),
  ),
  drop: fc.boolean(),
});

function run(t: FuzzTask): void {
  parentPort!.postMessage({ progress: 0 }); // booted: from here on the stall watchdog applies
  // Warm-up: the F16 decode table (256 kB) is built once, on first use; keep it out of the measurements.
  parseSafetensors(assemble('{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}', new Uint8Array(2)));
  // The meter itself must see an allocation the size of the ones we guard against.
  const before = process.memoryUsage().arrayBuffers;
  const probe = new Float32Array(1 << 20);
  if (process.memoryUsage().arrayBuffers - before < probe.byteLength) throw new Error('memoryUsage().arrayBuffers does not see allocations');

  const bases = t.task === 'checkpoint' ? baseCheckpoints() : [];
  const batches = Math.ceil(t.runs / t.batch);
  for (let b = 0; b < batches; b++) {
    const params = { numRuns: Math.min(t.batch, t.runs - b * t.batch), seed: t.seed + b };
    if (t.task === 'safetensors') fc.assert(mutatedFileProperty, params);
    else if (t.task === 'valid') fc.assert(validFileProperty, params);
    else fc.assert(checkpointProperty(bases), params);
    parentPort!.postMessage({ progress: stats.runs });
  }
}

const mutatedFileProperty = fc.property(baseFileArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (base, muts) => {
  check(mutate(base, muts), parseSafetensors, SafetensorsError);
});

/**
 * Value i of a little-endian tensor, decoded here from the formats' definitions, apart from src/io/half.ts:
 * BF16 is the top half of an F32's bits; F16 is (−1)^s · 2^(e−15) · (1 + m/1024), subnormal 2^−24 · m at
 * e = 0, ±Inf or NaN at e = 31.
 */
function expectedValue(dv: DataView, dtype: string, i: number): number {
  if (dtype === 'F32') return dv.getFloat32(4 * i, true);
  const bits = dv.getUint16(2 * i, true);
  if (dtype === 'BF16') {
    const widened = new DataView(new ArrayBuffer(4));
    widened.setUint32(0, bits << 16);
    return widened.getFloat32(0);
  }
  if (dtype !== 'F16') throw new Error(`no reference decoder for ${dtype}`);
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (e === 0 ? m * 2 ** -24 : 2 ** (e - 15) * (1 + m / 1024));
}

const validFileProperty = fc.property(baseFileArb, (base) => {
  const file = check(fileBytes(base), parseSafetensors, SafetensorsError);
  if (!file) throw new Error('a valid file was rejected');
  const names = Object.keys(base.header).filter((k) => k !== '__metadata__');
  if (file.tensors.size !== names.length) throw new Error('tensor count differs');
  for (const name of names) {
    const info = base.header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const got = file.tensors.get(name);
    if (!got || got.dtype !== info.dtype || got.shape.join() !== info.shape.join()) throw new Error(`tensor ${JSON.stringify(name)} differs`);
    const dv = new DataView(base.buffer.buffer, base.buffer.byteOffset + info.data_offsets[0]);
    got.data.forEach((x, i) => {
      const want = expectedValue(dv, info.dtype, i);
      if (!(Object.is(x, want) || (Number.isNaN(x) && Number.isNaN(want)))) throw new Error(`value ${i} of ${name} differs`);
    });
  }
});

const checkpointProperty = (bases: Uint8Array[]) => fc.property(fc.nat(), fc.oneof(
  fc.record({ bytes: fc.array(mutationArb, { minLength: 1, maxLength: 2 }) }),
  fc.record({ meta: fc.array(metadataEditArb, { minLength: 1, maxLength: 2 }) }),
), (which, m) => {
  const original = bases[which % bases.length];
  check('bytes' in m ? mutateBytes(original, m.bytes) : editMetadata(original, m.meta), readCheckpoint, CheckpointLoadError);
});

/** Byte-level mutations of a checkpoint file, reusing the container mutations on its header and buffer. */
function mutateBytes(original: Uint8Array, muts: Parameters<typeof mutate>[1]): Uint8Array {
  const n = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(original.subarray(8, 8 + n))) as Record<string, unknown>;
  return mutate({ header, buffer: original.subarray(8 + n) }, muts);
}

function editMetadata(original: Uint8Array, edits: (typeof metadataEditArb extends fc.Arbitrary<infer T> ? T : never)[]): Uint8Array {
  const n = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(original.subarray(8, 8 + n))) as Record<string, unknown>;
  const meta = header.__metadata__ as Record<string, string>;
  for (const e of edits) {
    if (e.drop) {
      delete meta[e.key];
    } else if (typeof e.value === 'string') {
      meta[e.key] = e.value;
    } else {
      const s = meta[e.key] ?? '';
      const at = e.value.at % (s.length + 1);
      meta[e.key] = s.slice(0, at) + e.value.insert + s.slice(at + e.value.cut);
    }
  }
  return assemble(JSON.stringify(header), original.subarray(8 + n));
}

try {
  run(workerData as FuzzTask);
  parentPort!.postMessage({ done: true, stats });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e), stats });
}
