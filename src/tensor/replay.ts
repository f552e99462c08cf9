// Record once, replay many times: a function of fixed-shape tensors (a network's forward pass, a whole training
// step) is run once eagerly on tfjs-webgpu while every GPU dispatch encoded into a compute pass is recorded
// (pipeline, bind group, workgroup counts), whoever encodes it: tfjs's kernels or our programs that encode
// their own. Later calls with inputs of the same shapes copy the inputs into the recorded input buffers and
// re-encode the same dispatches into one compute pass. No tfjs kernel runs on a replay: the ~100-400 µs of
// JavaScript that tfjs spends per kernel (shape checks, uniform packing, a new bind group, buffer pooling;
// measured in gpu/results/) becomes three encoder calls per dispatch. The GPU work is the same dispatches
// in the same order, so a replay's output is the eager output (bit for bit in the tests; eagerly tfjs may run a
// tiny op on CPU-resident data in JavaScript, which a recording runs on the GPU).
//
// What makes a recording valid, and how it stays valid:
// - Buffers the recorded dispatches write (intermediates) or read as constants (uniforms, tensors uploaded
//   during the recording) are owned by the replay from the moment tfjs releases them during the recording,
//   and go back to tfjs's pool only on dispose(). Intermediates may share a buffer, as tfjs's pool shares
//   them, because a replay runs the dispatches in the recorded order; uniforms and uploads never do.
// - Tensors that may be reassigned between calls (a network's variables, an optimizer's moments) are watched,
//   and every tensor the recording read but did not make must still hold the same buffer. A reassigned or
//   disposed one makes `valid()` false and the caller records again (ReplayCache does). Watched tensors that
//   the recording writes in place must also be their buffer's only tensor (a kept clone would change too).
// - A readback, a copy between buffers, a buffer clear or a CPU write into a storage buffer while recording
//   makes the function unrecordable (a replay would not repeat it).
// - A function that cannot be recorded runs to the end eagerly (it may have side effects, like an optimizer
//   step) and the caller keeps running it eagerly. CPU forwarding of small ops is off while recording, so no
//   op runs on the CPU once and is baked in.
// Relies on tfjs-backend-webgpu 4.x internals (recordAndSubmit, bufferManager, commandEncoder); when they
// are missing, `replaySupported()` says so and callers run eagerly. tests/tensor/replay.test.ts pins them.
import * as tf from '@tensorflow/tfjs';
import { Toggle } from '../core/toggle';
import { getWebGPUBackend } from './backend';

/** What the replay reads of tfjs-backend-webgpu's backend object (public in JS, private in its typings). */
interface TensorData {
  resource: GPUBuffer | GPUTexture | null;
  refCount: number;
  /** A CPU copy tfjs keeps after a readback. */
  values: unknown;
}
interface Program {
  pipeline: GPUComputePipeline | Promise<GPUComputePipeline>;
  dispatch: [number, number, number];
}
interface BufferManager {
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
}
interface Internals {
  device: GPUDevice;
  tensorMap: { get(id: object): TensorData | undefined; has(id: object): boolean };
  bufferManager: BufferManager;
  commandEncoder: GPUCommandEncoder | null;
  activeTimers: unknown[] | null | undefined;
  recordAndSubmit(program: Program, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms?: unknown): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  readToGPU(dataId: object): unknown;
  /** Tensor data the pending submit uses: disposing it waits for the submit. */
  commandQueueOwnedIds: WeakSet<object>;
  write(values: unknown, shape: number[], dtype: tf.DataType): object;
}

const REQUIRED = ['write', 'recordAndSubmit', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'uploadToGPU', 'makeTensorInfo', 'readSync', 'read', 'readToGPU'] as const;

/** tfjs-webgpu's internals this module (and gpuPacer) works through, or null where they are missing. */
export function internals(): Internals | null {
  const b = getWebGPUBackend() as unknown as Partial<Internals> | null;
  if (!b || !b.device || !b.tensorMap || !b.bufferManager) return null;
  return REQUIRED.every((k) => typeof b[k] === 'function') ? (b as Internals) : null;
}

const replaying = new Toggle(true);

/** Switches recording and replaying off (`f` runs eagerly) or on for one run, then restores the switch. */
export function withReplay<T>(on: boolean, f: () => T): T {
  return replaying.with(on, f);
}

/** Null when a function can be recorded and replayed here; otherwise why not (another backend, an unknown tfjs). */
export function replaySupported(): string | null {
  if (tf.getBackend() !== 'webgpu') return `replay needs the webgpu backend (${tf.getBackend()} runs)`;
  return internals() ? null : 'this tfjs-backend-webgpu lacks the internals the replay records through';
}

const READS_BACK = 'the function reads the GPU back';

/** The tensors a recording must see unchanged (listed after the recorded run), and whether it writes them in place. */
export interface Watch {
  tensors?: () => readonly tf.Tensor[];
  writes?: boolean;
}

/**
 * Replaces obj[name] with `fn` (which may call the method it replaces, read before patching) and returns the
 * undo, which also removes the own property where the method came from the prototype.
 */
function patch<T extends object>(obj: T, name: string, fn: unknown): () => void {
  const o = obj as Record<string, unknown>;
  const own = Object.prototype.hasOwnProperty.call(o, name);
  const was = o[name];
  o[name] = fn;
  return () => {
    if (own) o[name] = was;
    else delete o[name];
  };
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  x: number;
  y: number;
  z: number;
}

const MAPPED_USAGE = GPUBufferUsageFlags().MAP_READ | GPUBufferUsageFlags().MAP_WRITE;

function GPUBufferUsageFlags(): { MAP_READ: number; MAP_WRITE: number; UNIFORM: number } {
  // The constants of the WebGPU spec; read from the global where one exists (browser, Dawn), so a missing
  // global in a CPU-only process does not fail at import.
  const g = (globalThis as { GPUBufferUsage?: { MAP_READ: number; MAP_WRITE: number; UNIFORM: number } }).GPUBufferUsage;
  return g ?? { MAP_READ: 0x1, MAP_WRITE: 0x2, UNIFORM: 0x40 };
}

function bytesOf(t: tf.TensorInfo): number {
  return 4 * tf.util.sizeFromShape(t.shape);
}

function bufferOf(b: Internals, t: tf.TensorInfo): GPUBuffer {
  const r = b.tensorMap.get(t.dataId)?.resource;
  if (!(r instanceof GPUBuffer)) throw new Error('replay: a tensor is not held in a GPU buffer');
  return r;
}

/** What a recorded function returns: one tensor or a list of them. */
export type Outputs = tf.Tensor | tf.Tensor[];

const asList = (out: Outputs): tf.Tensor[] => (Array.isArray(out) ? out : [out]);

/** A recorded function of fixed input shapes. Owns GPU buffers and tensors: dispose() it. */
export class Replay<T extends Outputs = tf.Tensor> {
  private disposed = false;

  private constructor(
    private readonly backend: Internals,
    private readonly inputs: tf.Tensor[],
    /** fn's outputs as recorded (copied out after each run), those of them fn made, and whether fn returned a list. */
    private readonly outputs: tf.Tensor[],
    private readonly madeOutputs: tf.Tensor[],
    private readonly listed: boolean,
    private readonly dispatches: Dispatch[],
    /** Tensors read but not made by the recording, with the buffer each had then. */
    private readonly external: { dataId: object; buffer: GPUBuffer }[],
    /** Buffers tfjs released while recording; the recorded dispatches still use them. */
    private readonly owned: GPUBuffer[],
    /** Tensors (a network's variables) that must still hold the data they held when recorded. */
    private readonly watched: { tensor: tf.Tensor; dataId: object }[],
    /** The recording writes the watched tensors in place: each must be their buffer's only tensor. */
    private readonly writesWatched: boolean,
  ) {}

  /**
   * Runs `fn` on `inputs` eagerly while recording it. Returns the replay and fn's output (new tensors the
   * caller owns), or, when fn cannot be recorded, the reason, with fn's output when fn ran (it runs to the
   * end even when something in it cannot be recorded: fn may have side effects, like an optimizer step).
   * Throws what fn throws.
   */
  static record<T extends Outputs>(fn: (inputs: tf.Tensor[]) => T, inputs: tf.Tensor[], watch: Watch = {}): { replay: Replay<T>; output: T } | { reason: string; output?: T } {
    const unsupported = replaySupported();
    if (unsupported) return { reason: unsupported };
    if (tf.engine().isTapeOn()) return { reason: 'a gradient tape is recording' };
    const b = internals()!;
    if (b.activeTimers != null) return { reason: 'tf.time is timing kernels' };
    if (tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY')) return { reason: 'tfjs is compiling pipelines only' };
    if (inputs.some((x) => x.dtype !== 'float32' && x.dtype !== 'int32')) return { reason: 'inputs must be float32 or int32' };

    // The replay's own input tensors, filled from the caller's.
    const own = inputs.map((x) => {
      const info = b.makeTensorInfo(x.shape, x.dtype);
      b.uploadToGPU(info.dataId);
      return tf.keep(tf.engine().makeTensorFromTensorInfo(info));
    });
    try {
      copyInto(b, inputs, own.map((t) => bufferOf(b, t)));
    } catch (e) {
      for (const t of own) t.dispose();
      throw e;
    }

    const dispatches: Dispatch[] = [];
    const created = new Set<object>(); // tensor data made while recording: dispatch outputs and constants
    const read = new Map<object, GPUBuffer>(); // tensor data the dispatches read, with its buffer
    const pinned = new Set<GPUBuffer>(); // uniforms and uploads: their contents were written once, while recording
    const pool = new Map<string, GPUBuffer[]>(); // intermediates released while recording, reusable within it
    const held: GPUBuffer[] = [];
    const usage = GPUBufferUsageFlags();
    const key = (size: number, u: number) => `${size}_${u}`;

    const m = b.bufferManager;
    const acquire = m.acquireBuffer;
    const release = m.releaseBuffer;
    const recordAndSubmit = b.recordAndSubmit;
    const write = b.write;
    const passProto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
    const encoderProto = (globalThis as unknown as { GPUCommandEncoder: { prototype: GPUCommandEncoder } }).GPUCommandEncoder.prototype;
    const { setPipeline, setBindGroup, dispatchWorkgroups } = passProto;
    const { copyBufferToBuffer, clearBuffer } = encoderProto;
    const { dispatchWorkgroupsIndirect } = passProto;
    const queue = b.device.queue;
    const writeBuffer = queue.writeBuffer;
    // The state of the pass being encoded: every dispatch is recorded with the pipeline and bind group it ran
    // with, whoever encodes it (tfjs's kernels, or our programs that encode their own, like the optimizer's).
    let pipeline: GPUComputePipeline | null = null;
    let bindGroup: GPUBindGroup | null = null;
    // What makes the recording unusable, if anything; fn still runs to the end, eagerly as ever.
    let refusal: string | null = null;
    const refuse = (why: string) => {
      refusal ??= why;
    };
    const reads = { readSync: b.readSync, readToGPU: b.readToGPU, read: b.read };
    const restore = [
      patch(m, 'acquireBuffer', function (size: number, u: number, mapped = false, reuse = true) {
        if ((u & usage.UNIFORM) !== 0 || mapped || !reuse) {
          const buf = acquire.call(m, size, u, mapped, reuse);
          if ((u & MAPPED_USAGE) === 0) pinned.add(buf);
          return buf;
        }
        const free = pool.get(key(size, u));
        return free && free.length > 0 ? free.pop()! : acquire.call(m, size, u, mapped, reuse);
      }),
      patch(m, 'releaseBuffer', function (buf: GPUBuffer, reuse = true) {
        if ((buf.usage & MAPPED_USAGE) !== 0) return release.call(m, buf, reuse); // staging: no dispatch uses it
        if (pinned.has(buf)) {
          held.push(buf);
          return;
        }
        const k = key(buf.size, buf.usage);
        if (!pool.has(k)) pool.set(k, []);
        pool.get(k)!.push(buf);
      }),
      patch(passProto, 'setPipeline', function (this: GPUComputePassEncoder, p: GPUComputePipeline) {
        pipeline = p;
        setPipeline.call(this, p);
      }),
      patch(passProto, 'setBindGroup', function (this: GPUComputePassEncoder, index: number, group: GPUBindGroup, ...rest: unknown[]) {
        if (index !== 0 || rest.length > 0) refuse('a kernel binds more than one group');
        bindGroup = group;
        (setBindGroup as (i: number, g: GPUBindGroup) => void).call(this, index, group);
      }),
      patch(passProto, 'dispatchWorkgroups', function (this: GPUComputePassEncoder, x: number, y = 1, z = 1) {
        if (!pipeline || !bindGroup) refuse('a dispatch without a pipeline and bind group');
        else dispatches.push({ pipeline, bindGroup, x, y, z });
        dispatchWorkgroups.call(this, x, y, z);
      }),
      patch(encoderProto, 'copyBufferToBuffer', function (this: GPUCommandEncoder, src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number) {
        // An upload (from a mapped staging buffer) fills a constant once, which the replay keeps; any other
        // copy would have to be replayed in order between the dispatches, which the replay does not do.
        if ((src.usage & usage.MAP_WRITE) === 0) refuse('the function copies between GPU buffers');
        copyBufferToBuffer.call(this, src, srcOffset, dst, dstOffset, size);
      }),
      // What a replay would not repeat: refused, so the function stays eager rather than replayed without it.
      patch(encoderProto, 'clearBuffer', function (this: GPUCommandEncoder, ...args: unknown[]) {
        refuse('the function clears a GPU buffer');
        return (clearBuffer as (...a: unknown[]) => void).apply(this, args);
      }),
      patch(passProto, 'dispatchWorkgroupsIndirect', function (this: GPUComputePassEncoder, ...args: unknown[]) {
        refuse('the function dispatches indirectly');
        return (dispatchWorkgroupsIndirect as (...a: unknown[]) => void).apply(this, args);
      }),
      patch(queue, 'writeBuffer', function (this: GPUQueue, buffer: GPUBuffer, ...rest: unknown[]) {
        // tfjs writes uniforms this way (pinned, written once: fine); anything else would change per call.
        if ((buffer.usage & usage.UNIFORM) === 0) refuse('the function writes a GPU buffer from the CPU');
        return (writeBuffer as (...a: unknown[]) => void).call(queue, buffer, ...rest);
      }),
      patch(b, 'recordAndSubmit', function (program: Program, output: tf.TensorInfo, inputs2: tf.TensorInfo[], uniforms?: unknown) {
        recordAndSubmit.call(b, program, output, inputs2, uniforms);
        for (const t of inputs2) {
          if (read.has(t.dataId)) continue;
          const r = b.tensorMap.get(t.dataId)?.resource;
          if (r instanceof GPUBuffer) read.set(t.dataId, r);
          else refuse('a kernel reads a texture');
        }
        created.add(output.dataId);
      }),
      patch(b, 'write', function (values: unknown, shape: number[], dtype: tf.DataType) {
        const id = write.call(b, values, shape, dtype);
        created.add(id);
        return id;
      }),
      patch(b, 'readSync', (id: object) => (refuse(READS_BACK), reads.readSync.call(b, id))),
      patch(b, 'readToGPU', (id: object) => (refuse(READS_BACK), reads.readToGPU.call(b, id))),
      patch(b, 'read', (id: object) => (refuse(READS_BACK), reads.read.call(b, id))),
    ];
    const cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);

    let out: T | null = null;
    let failure: unknown = null;
    try {
      out = tf.tidy(() => fn(own));
      // Flush so that every buffer released during the recording (uniforms, pending disposals) is released now,
      // while the hooks still route it to the replay.
      submitEncoded(b);
    } catch (e) {
      failure = e;
    } finally {
      for (const undo of restore) undo();
      tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
    }
    const owned = [...held, ...[...pool.values()].flat()];
    if (failure || !out || refusal) {
      for (const t of own) t.dispose();
      for (const buf of owned) release.call(m, buf);
      if (failure || !out) throw failure;
      return { reason: refusal!, output: out };
    }
    const outputs = asList(out).map((t) => tf.keep(t));
    // An output fn did not make (an input or a weight passed through) is not the replay's to free.
    const made = outputs.filter((t) => created.has(t.dataId));
    // Checked before each replay: what the recording read and did not make (weights), and what it made that
    // still lives outside it (a constant a model caches on first use); not what it made and freed (now owned).
    const external = [...read].filter(([id]) => !created.has(id) || b.tensorMap.has(id)).map(([dataId, buffer]) => ({ dataId, buffer }));
    // Listed after fn ran: fn may have made some of them (an optimizer's first moments).
    const watched = (watch.tensors?.() ?? []).map((tensor) => ({ tensor, dataId: tensor.dataId }));
    const replay = new Replay<T>(b, own, outputs, made, Array.isArray(out), dispatches, external, owned, watched, !!watch.writes);
    if (!replay.valid()) {
      const output = replay.copyOut();
      replay.dispose();
      return { reason: 'a tensor the function read was freed while it ran', output };
    }
    return { replay, output: replay.copyOut() };
  }

  /**
   * False once a watched tensor (a weight) was reassigned or disposed, a tensor the recording read was freed,
   * or the backend changed. (A weight's old data can outlive its variable's assign, in a clone say, so the
   * variables themselves are watched, not only the data the dispatches read.)
   */
  valid(): boolean {
    if (this.disposed || (getWebGPUBackend() as unknown) !== this.backend) return false;
    if (this.watched.some((w) => w.tensor.isDisposed || w.tensor.dataId !== w.dataId)) return false;
    // An in-place write into a buffer another tensor shares (a clone, a snapshot kept by a caller) would
    // change that tensor too; eagerly the optimizer copies first, a replay cannot.
    if (this.writesWatched && this.watched.some((w) => this.backend.tensorMap.get(w.dataId)?.refCount !== 1)) return false;
    const map = this.backend.tensorMap;
    return this.external.every((e) => map.has(e.dataId) && map.get(e.dataId)?.resource === e.buffer);
  }

  /**
   * The recorded function on new inputs of the recorded shapes: new tensors the caller owns, as fn returned
   * them, or null when the recording is no longer valid() (then nothing ran).
   */
  run(inputs: tf.Tensor[]): T | null {
    if (!this.valid()) return null;
    if (inputs.length !== this.inputs.length || inputs.some((x, i) => !tf.util.arraysEqual(x.shape, this.inputs[i].shape) || x.dtype !== this.inputs[i].dtype)) {
      throw new Error('replay: inputs differ from the recorded shapes');
    }
    const b = this.backend;
    // A run may write watched tensors in place (an optimizer's weights and moments): a CPU copy that a
    // readback left would go stale, so drop it, as tfjs does when a kernel writes a new buffer.
    for (const w of this.watched) {
      const d = b.tensorMap.get(w.dataId);
      if (d?.resource) d.values = null;
    }
    copyInto(b, inputs, this.inputs.map((t) => bufferOf(b, t)));
    const pass = b.commandEncoder!.beginComputePass();
    for (const d of this.dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.x, d.y, d.z);
    }
    pass.end();
    return this.copyOut();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.inputs) t.dispose();
    for (const t of this.madeOutputs) t.dispose();
    const b = internals();
    // After a backend change the buffers went with the old device.
    if (b === this.backend) for (const buf of this.owned) b.bufferManager.releaseBuffer(buf);
  }

  /** The output buffers copied into new tensors, and the queue submitted (one submit per run). */
  private copyOut(): T {
    const out = this.outputs.map((t) => copyToNew(this.backend, t));
    this.backend.submitQueue();
    return (this.listed ? out : out[0]) as T;
  }
}

/** Submits what tfjs has encoded, as tfjs itself does: its open compute pass ended first (a command buffer
 * finished with a pass open is invalid, and its work silently dropped). */
export function submitEncoded(b: Internals): void {
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
}

/**
 * Encodes copies of `from` (uploaded first if they live on the CPU) into `to`, on tfjs's command encoder, in
 * order with the work around them; the sources are kept alive until the pending submit, as tfjs keeps a
 * kernel's inputs.
 */
function copyInto(b: Internals, from: tf.TensorInfo[], to: GPUBuffer[]): void {
  for (const x of from) b.uploadToGPU(x.dataId);
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  from.forEach((x, i) => {
    b.commandQueueOwnedIds.add(x.dataId);
    b.commandEncoder!.copyBufferToBuffer(bufferOf(b, x), 0, to[i], 0, bytesOf(x));
  });
}

/** A new tensor with its own buffer holding `t`'s values: one encoded copy, no dispatch, no submit. */
function copyToNew(b: Internals, t: tf.TensorInfo): tf.Tensor {
  const info = b.makeTensorInfo(t.shape, t.dtype);
  b.uploadToGPU(info.dataId);
  copyInto(b, [t], [bufferOf(b, info)]);
  b.commandQueueOwnedIds.add(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * A copy of float32 `t` in a buffer of its own, encoded on tfjs-webgpu's command encoder in order with the
 * work around it. How the Trainer snapshots weights that the fused update writes in place (a clone would
 * share their buffer), and how that update unshares a buffer before writing it.
 */
export function copyOnGPU(t: tf.Tensor): tf.Tensor {
  if (t.dtype !== 'float32') throw new Error(`copyOnGPU: ${t.dtype}, not float32`);
  const b = internals();
  if (!b) throw new Error(`copyOnGPU: ${replaySupported()}`);
  return copyToNew(b, t);
}

/**
 * Replays of one function, one per input signature (shapes and dtypes, plus the caller's `variant`), recorded
 * on first use and again when a recording went stale; eager where recording is impossible. At most
 * `maxRecordings` are kept (a sampler's full batches and its last, smaller one). dispose() frees them all.
 */
export class ReplayCache<T extends Outputs = tf.Tensor> {
  private readonly recordings = new Map<string, Replay<T>>();
  private refused: string | null = null;
  /** Recordings made, and runs answered from one (the first, recorded call counts as a recording only). */
  readonly stats = { recordings: 0, replays: 0, eager: 0 };

  constructor(
    private readonly fn: (inputs: tf.Tensor[]) => T,
    private readonly opts: {
      maxRecordings?: number;
      /** Part of the signature beside the input shapes (e.g. which kernels are switched on). */
      variant?: () => string;
      /** Tensors the function reads that may be reassigned between calls (a network's variables), and writes. */
      watch?: Watch;
    } = {},
  ) {}

  call(inputs: tf.Tensor[]): T {
    if (!replaying.enabled || this.refused || replaySupported() || tf.engine().isTapeOn()) {
      this.stats.eager++;
      return this.fn(inputs);
    }
    const key = `${this.opts.variant?.() ?? ''}|${inputs.map((x) => `${x.dtype}[${x.shape.join(',')}]`).join(';')}`;
    const known = this.recordings.get(key);
    const replayed = known?.run(inputs);
    if (known && replayed) {
      this.recordings.delete(key); // re-insert: most recently used last
      this.recordings.set(key, known);
      this.stats.replays++;
      return replayed;
    }
    if (known) {
      known.dispose();
      this.recordings.delete(key);
    }
    const r = Replay.record(this.fn, inputs, this.opts.watch);
    if ('reason' in r) {
      this.stats.eager++;
      if (!r.output) return this.fn(inputs); // a passing reason (a timer, a tape): try again next call
      this.refused = r.reason; // the function itself cannot be recorded: it stays eager
      return r.output;
    }
    this.stats.recordings++;
    this.recordings.set(key, r.replay);
    const max = this.opts.maxRecordings ?? 2;
    for (const [k, old] of this.recordings) {
      if (this.recordings.size <= max) break;
      old.dispose();
      this.recordings.delete(k);
    }
    return r.output;
  }

  dispose(): void {
    for (const r of this.recordings.values()) r.dispose();
    this.recordings.clear();
  }
}
