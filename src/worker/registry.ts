// The worker's loaded models: each checkpoint (plain arrays, the source of truth) and, built on first use,
// its network (GPU variables, owned here and disposed on unload or when the device is lost).
import { sampleShape } from '../model/config';
import { buildNetwork } from '../model/build';
import { parameterCount, type Network } from '../model/network';
import { writeCheckpoint, type Checkpoint } from '../io/checkpoint';
import { checkStudentOfTeacher, studentOfTeacherProblems } from '../io/compat';
import type { ModelInfo, ModelSource } from './protocol';

interface Entry {
  info: ModelInfo;
  checkpoint: Checkpoint;
  /** The file as loaded (dropped or shipped), or as written (trained here): what a download returns. */
  bytes: Uint8Array;
  net: Network | null;
}

const entries = new Map<string, Entry>();
let counter = 0;

export interface Registered {
  info: ModelInfo;
  checkpoint: Checkpoint;
}

/** Adds a checkpoint. `net`, when given, is a live network with exactly these weights; the registry takes it over. */
export function register(checkpoint: Checkpoint, opts: { name: string; source: ModelSource; shippedKey?: string; bytes?: Uint8Array; net?: Network }): Registered {
  counter += 1;
  const id = `m${counter}`;
  const bytes = opts.bytes ?? writeCheckpoint(checkpoint);
  const { config } = checkpoint;
  let params = 0;
  for (const t of checkpoint.weights.values()) params += t.data.length;
  const info: ModelInfo = {
    id,
    name: opts.name,
    source: opts.source,
    shippedKey: opts.shippedKey,
    role: checkpoint.role,
    steps: checkpoint.steps,
    lineage: checkpoint.lineage,
    hash: checkpoint.hash,
    dataKind: config.data.kind,
    dataName: config.data.name,
    sampleShape: sampleShape(config.data),
    arch: config.network.arch,
    parameterCount: opts.net ? parameterCount(opts.net) : params,
    fileBytes: bytes.byteLength,
  };
  entries.set(id, { info, checkpoint, bytes, net: opts.net ?? null });
  return { info, checkpoint };
}

/** The loaded checkpoints with these weights: several when files share weights but not metadata. */
function loadedWithHash(hash: string): Checkpoint[] {
  return [...entries.values()].filter((e) => e.checkpoint.hash === hash).map((e) => e.checkpoint);
}

/** Whether `student` is a student of one of `teachers` (files holding the weights its lineage names). */
function fitsOneOf(student: Checkpoint, teachers: Checkpoint[]): boolean {
  return teachers.some((t) => t !== student && studentOfTeacherProblems(student, t).length === 0);
}

/**
 * Before a student is listed: if the teacher its lineage names is loaded, the two must agree (stage, step
 * counts, the same network and diffusion process). The lineage names weights (a content hash); where several
 * loaded files hold them (e.g. a student relabelled as a teacher), fitting one is enough. Throws
 * CompatibilityError with every reason against the first, on one line.
 */
export function checkAgainstLoadedTeacher(checkpoint: Checkpoint): void {
  const hash = checkpoint.lineage?.teacherHash;
  const teachers = hash ? loadedWithHash(hash) : [];
  if (teachers.length === 0 || fitsOneOf(checkpoint, teachers)) return;
  checkStudentOfTeacher(checkpoint, teachers[0]);
}

/**
 * The loaded students whose lineage names `teacher` (a checkpoint just loaded) but fit neither it nor another
 * loaded file with the same weights, each with the reasons against `teacher`: the check of
 * checkAgainstLoadedTeacher, for students that were loaded before their teacher.
 */
export function studentsMisfitting(teacher: Checkpoint): { info: ModelInfo; error: unknown }[] {
  const out: { info: ModelInfo; error: unknown }[] = [];
  const others = loadedWithHash(teacher.hash).filter((c) => c !== teacher);
  for (const e of entries.values()) {
    if (e.checkpoint.role !== 'student' || e.checkpoint.lineage?.teacherHash !== teacher.hash || e.checkpoint === teacher) continue;
    if (fitsOneOf(e.checkpoint, others)) continue;
    try {
      checkStudentOfTeacher(e.checkpoint, teacher);
    } catch (error) {
      out.push({ info: e.info, error });
    }
  }
  return out;
}

/**
 * The model already loaded that this checkpoint repeats, if any: the same weights (content hash) and the same
 * role, step count and teacher. (The hash covers the weights only; a file with the same weights but other
 * metadata is a different checkpoint. Its config is not compared: links and menus name a model that is not
 * shipped by its hash, so two models of one hash and role would be one name for two things.)
 */
export function loadedSame(c: Checkpoint): ModelInfo | undefined {
  for (const e of entries.values()) {
    const o = e.checkpoint;
    if (o.hash === c.hash && o.role === c.role && o.steps === c.steps && o.lineage?.teacherHash === c.lineage?.teacherHash) return e.info;
  }
  return undefined;
}

/**
 * A shipped file whose bytes were already loaded from a drop: the one entry becomes the shipped model (its
 * shipped name is what links and the default columns use), instead of a second copy under another name.
 */
export function adoptAsShipped(id: string, name: string, shippedKey: string): ModelInfo {
  const e = entry(id);
  e.info = { ...e.info, name, source: 'shipped', shippedKey };
  return e.info;
}

function entry(id: string): Entry {
  const e = entries.get(id);
  if (!e) throw new Error(`model ${id} is not loaded`);
  return e;
}

export function modelInfo(id: string): ModelInfo {
  return entry(id).info;
}

export function checkpointOf(id: string): Checkpoint {
  return entry(id).checkpoint;
}

export function fileOf(id: string): { name: string; bytes: Uint8Array } {
  const e = entry(id);
  const stem = e.info.shippedKey ? e.info.shippedKey.replace(/\//g, '-') : e.info.name.replace(/\.safetensors$/, '');
  return { name: `${stem}.safetensors`, bytes: e.bytes };
}

/** The model's network, built from its checkpoint on first use. */
export function networkOf(id: string): Network {
  const e = entry(id);
  if (!e.net) {
    const weights = new Map<string, Float32Array>();
    for (const [name, t] of e.checkpoint.weights) weights.set(name, t.data);
    e.net = buildNetwork(e.checkpoint.config, 0, weights);
  }
  return e.net;
}

export function unregister(id: string): void {
  const e = entries.get(id);
  if (!e) return;
  e.net?.dispose();
  entries.delete(id);
}

/** Networks of models taken off the list while a job may still be running them: disposed by disposeRetired(). */
const retired: Network[] = [];

/** Takes a model off the list now; its network, which a running job may hold, waits for disposeRetired(). */
export function retire(id: string): void {
  const e = entries.get(id);
  if (!e) return;
  if (e.net) retired.push(e.net);
  entries.delete(id);
}

/** Disposes the networks of retired models: call when no job is running. */
export function disposeRetired(): void {
  for (const net of retired.splice(0)) {
    try {
      net.dispose();
    } catch {
      // Its buffers died with a lost device: nothing left to free.
    }
  }
}

/**
 * After a lost device the variables' buffers are gone: release the networks (their tfjs bookkeeping) and
 * rebuild them from the checkpoints on next use. Returns how many models are loaded.
 */
export function forgetNetworks(): number {
  for (const e of entries.values()) {
    try {
      e.net?.dispose();
    } catch {
      // A dead backend may refuse to release its buffers; they died with the device anyway.
    }
    e.net = null;
  }
  return entries.size;
}
