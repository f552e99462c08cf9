// A Halfstep checkpoint: one safetensors file holding a network's weights, the ModelConfig that rebuilds it,
// and where it came from. Everything but the weights lives in the safetensors `__metadata__` as strings:
//   format="halfstep", format_version="1", config=<ModelConfig JSON>, role="teacher"|"student",
//   steps=<sampling steps a student was distilled for> (students only),
//   lineage=<JSON {teacherHash, teacherSteps, stage, iterations, finalLoss}> (students only), notes=<free text>.
// The README section "Checkpoint format" is the spec for people writing these files from PyTorch.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { sizeOf } from '../core/shape';
import { modelConfigSchema, type ModelConfig } from '../model/config';
import type { Network } from '../model/network';
import { CheckpointError, type CheckpointErrorCode } from './errors';
import { firstF16Overflow } from './half';
import { expectedParamShapes } from './paramLayout';
import { parseSafetensors, quote, serializeSafetensors, type NamedTensor, type SafetensorsFile } from './safetensors';
import { article } from '../core/words';

export { CheckpointError, CheckpointLoadError } from './errors';

export const FORMAT = 'halfstep';
export const FORMAT_VERSION = '1';

export interface Lineage {
  /** contentHash of the direct teacher's weights (the original teacher, or the student this one halved). */
  teacherHash: string;
  /** Sampling steps of that teacher: always twice this student's steps. */
  teacherSteps: number;
  /** 1 for a student of the original teacher, k+1 for a student of a stage-k student. */
  stage: number;
  /** Optimizer steps spent on this halving. */
  iterations: number;
  /** Distillation loss at the end of the run. */
  finalLoss: number;
}

export interface Checkpoint {
  config: ModelConfig;
  role: 'teacher' | 'student';
  /** The sampling steps a student was distilled for; null for a teacher (it samples at any step count). */
  steps: number | null;
  lineage: Lineage | null;
  weights: Map<string, NamedTensor>;
  /** contentHash(weights): what a student's lineage.teacherHash points at. */
  hash: string;
  notes?: string;
}

function fail(code: CheckpointErrorCode, message: string): never {
  throw new CheckpointError(code, message);
}

/** 2^20 steps is far beyond any DDIM grid anyone samples with; the cap keeps 2·steps an exact small integer. */
/** The most sampling steps a checkpoint may name (a student's, or its teacher's in the lineage). */
export const MAX_STEPS = 2 ** 20;
const stepsSchema = z.number().int().min(1).max(MAX_STEPS).refine((n) => (n & (n - 1)) === 0, 'must be a power of two');

export const lineageSchema = z.object({
  teacherHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a SHA-256)'),
  teacherSteps: stepsSchema,
  stage: z.number().int().min(1).max(64),
  iterations: z.number().int().min(0),
  finalLoss: z.number({ error: 'must be a finite number' }),
}).strict();

/** A metadata string holding JSON, parsed and then checked against `schema`. */
const jsonOf = <T extends z.ZodType>(schema: T) => z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
    return z.NEVER;
  }
}).pipe(schema);

/** Unknown keys are allowed (and ignored) so other tools can annotate a file; the known ones are checked. */
export const checkpointMetadataSchema = z.object({
  format: z.literal(FORMAT),
  format_version: z.literal(FORMAT_VERSION),
  config: jsonOf(modelConfigSchema),
  role: z.enum(['teacher', 'student']),
  /** JSON too: "8" for a student; absent or "null" for a teacher. */
  steps: jsonOf(stepsSchema.nullable()).optional(),
  lineage: jsonOf(lineageSchema.nullable()).optional(),
  notes: z.string().optional(),
}).superRefine((m, ctx) => {
  const steps = m.steps ?? null;
  const lineage = m.lineage ?? null;
  if (m.role === 'teacher') {
    if (steps !== null) ctx.addIssue({ code: 'custom', path: ['steps'], message: `a teacher has no distilled step count, got ${steps}` });
    if (lineage !== null) ctx.addIssue({ code: 'custom', path: ['lineage'], message: 'a teacher has no lineage' });
    return;
  }
  if (steps === null) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a student needs its sampling step count' });
  if (lineage === null) ctx.addIssue({ code: 'custom', path: ['lineage'], message: 'a student needs its lineage' });
  if (steps !== null && lineage !== null && lineage.teacherSteps !== 2 * steps) {
    ctx.addIssue({ code: 'custom', path: ['lineage', 'teacherSteps'], message: `is ${lineage.teacherSteps}, but ${article(steps)} ${steps}-step student halves ${article(2 * steps)} ${2 * steps}-step teacher` });
  }
});

/** The first zod issue as one line: `metadata config.network.hidden: Too big: ...`. */
function metadataProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.map(String).join('.');
  return `metadata ${path ? `${path}: ` : ''}${issue.message}`;
}

/** The other files Halfstep writes, named when one is given where a model checkpoint belongs. */
const OTHER_HALFSTEP_FILES: Record<string, string> = {
  'halfstep-classifier': "Halfstep's MNIST classifier (the FID features)",
  'halfstep-reference-stats': "Halfstep's MNIST reference statistics (for FID and KID)",
  'halfstep-train-state': "a training run's resume state (the teacher is the .safetensors file beside it)",
};

function readMetadata(metadata: Record<string, string>): Omit<Checkpoint, 'weights' | 'hash'> {
  // The commonest wrong files get a message of their own: a plain safetensors file, Halfstep's other files, a
  // newer format.
  if (metadata.format !== FORMAT) {
    const got = metadata.format === undefined ? "has no 'format' key" : `format is ${quote(metadata.format)}`;
    const what = OTHER_HALFSTEP_FILES[metadata.format ?? ''];
    fail('metadata', what ? `${what}, not a model checkpoint (metadata ${got})` : `not a Halfstep checkpoint: metadata ${got}, expected '${FORMAT}'`);
  }
  if (metadata.format_version !== FORMAT_VERSION) {
    fail('metadata', `checkpoint format_version ${metadata.format_version === undefined ? 'is missing' : quote(metadata.format_version)}, this Halfstep reads version ${FORMAT_VERSION}`);
  }
  const parsed = checkpointMetadataSchema.safeParse(metadata);
  if (!parsed.success) fail('metadata', metadataProblem(parsed.error));
  const m = parsed.data;
  return {
    config: m.config,
    role: m.role,
    steps: m.steps ?? null,
    lineage: m.lineage ?? null,
    ...(m.notes !== undefined ? { notes: m.notes } : {}),
  };
}

/** Weights that no network could use are refused by name: empty, non-finite, or not what the config's layout needs. */
function checkWeights(config: ModelConfig, weights: ReadonlyMap<string, NamedTensor>): void {
  if (weights.size === 0) fail('weights', 'checkpoint has no tensors');
  for (const [name, t] of weights) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) fail('weights', `tensor ${quote(name)} has a non-finite value (${t.data[i]}) at index ${i}`);
    }
  }
  const expected = expectedParamShapes(config);
  const arch = config.network.arch;
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) fail('weights', `checkpoint has no tensor ${quote(name)}, which the ${arch} config needs`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail('weights', `tensor ${quote(name)} has shape [${t.shape.join(', ')}], the ${arch} config needs [${shape.join(', ')}]`);
    }
  }
  for (const name of weights.keys()) {
    if (!expected.has(name)) fail('weights', `checkpoint has a tensor ${quote(name)} that the ${arch} config does not use`);
  }
}

/** A parsed safetensors file → a checkpoint. Throws CheckpointError (one line) when it is not a valid one. */
export function checkpointFromSafetensors(file: SafetensorsFile): Checkpoint {
  const fields = readMetadata(file.metadata);
  const weights = new Map<string, NamedTensor>();
  for (const [name, t] of file.tensors) weights.set(name, { shape: t.shape, data: t.data });
  checkWeights(fields.config, weights);
  return { ...fields, weights, hash: contentHash(weights) };
}

/** Throws SafetensorsError or CheckpointError, both CheckpointLoadError, each with a one-line message. */
export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  return checkpointFromSafetensors(parseSafetensors(bytes));
}

/**
 * The checkpoint's bytes. Refuses (CheckpointError) anything readCheckpoint would refuse, so every file
 * Halfstep writes can be read back. F16 halves the file; values beyond ±65504 cannot be stored and throw.
 */
export function writeCheckpoint(c: Omit<Checkpoint, 'hash'>, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const metadata: Record<string, string> = {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    config: JSON.stringify(c.config),
    role: c.role,
  };
  if (c.steps !== null) metadata.steps = String(c.steps);
  if (c.lineage !== null) metadata.lineage = JSON.stringify(c.lineage);
  if (c.notes !== undefined) metadata.notes = c.notes;
  const parsed = checkpointMetadataSchema.safeParse(metadata);
  if (!parsed.success) fail('invalid_input', `cannot write checkpoint: ${metadataProblem(parsed.error)}`);

  for (const [name, t] of c.weights) {
    const n = sizeOf(t.shape);
    if (n !== t.data.length) fail('invalid_input', `cannot write checkpoint: tensor ${quote(name)} has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
  }
  checkWeights(c.config, c.weights);
  if (dtype === 'F16') {
    for (const [name, t] of c.weights) {
      const i = firstF16Overflow(t.data);
      if (i >= 0) fail('invalid_input', `cannot write checkpoint as F16: tensor ${quote(name)} has ${t.data[i]} at index ${i}, beyond F16's ±65504; write F32`);
    }
  }
  return serializeSafetensors(c.weights, metadata, dtype);
}

/**
 * SHA-256 (hex) of the weights as float32 values, independent of the file's dtype and tensor order:
 * for each tensor, names sorted by code point (Python's sorted()):
 *   u64le(len(utf8(name))) ‖ utf8(name) ‖ u64le(rank) ‖ u64le(dim)… ‖ float32le values (row-major).
 */
export function contentHash(weights: ReadonlyMap<string, NamedTensor>): string {
  const encoder = new TextEncoder();
  const named = [...weights].map(([name, t]) => ({ key: encoder.encode(name), t }));
  named.sort((a, b) => compareBytes(a.key, b.key)); // UTF-8 byte order = code point order
  const h = sha256.create();
  const u64 = new DataView(new ArrayBuffer(8));
  const putU64 = (n: number) => {
    u64.setBigUint64(0, BigInt(n), true);
    h.update(new Uint8Array(u64.buffer));
  };
  const chunk = new DataView(new ArrayBuffer(1 << 16));
  for (const { key, t } of named) {
    putU64(key.length);
    h.update(key);
    putU64(t.shape.length);
    for (const d of t.shape) putU64(d);
    // Through a DataView so the bytes are little-endian on any host.
    for (let start = 0; start < t.data.length; start += chunk.byteLength / 4) {
      const end = Math.min(t.data.length, start + chunk.byteLength / 4);
      for (let i = start; i < end; i++) chunk.setFloat32(4 * (i - start), t.data[i], true);
      h.update(new Uint8Array(chunk.buffer, 0, 4 * (end - start)));
    }
  }
  return bytesToHex(h.digest());
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Reads a network's variables back into plain arrays, in its parameter order (the checkpoint's tensor order). */
export async function weightsFromNetwork(net: Network): Promise<Map<string, NamedTensor>> {
  const weights = new Map<string, NamedTensor>();
  for (const [name, v] of net.params) {
    const values = await v.data();
    weights.set(name, { shape: [...v.shape], data: new Float32Array(values as Float32Array) });
  }
  return weights;
}
