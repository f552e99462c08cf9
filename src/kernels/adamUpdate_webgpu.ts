// One optimizer step for one parameter tensor in one dispatch: clip-scale·g → Adam moments → parameter
// (→ EMA), as the Trainer's plain path computes it with ~15 tfjs ops (Kingma & Ba 2015, Algorithm 1, with
// tfjs's bias correction: m̂ = m/(1 - β₁ᵗ), v̂ = v/(1 - β₂ᵗ), θ ← θ - lr·m̂/(√v̂ + ε)):
//   s = min(1, clip / max(‖g‖, 1e-12))                    (global-norm clipping)
//   m ← β₁·m + (1 - β₁)·(s·g),   v ← β₂·v + (1 - β₂)·(s·g)²
//   θ ← θ - lr·m̂/(√v̂ + ε),        ema ← d·ema + (1 - d)·θ
// On the GPU a training step of the MNIST UNet is bound by per-dispatch CPU cost (~2,500 tfjs launches,
// most of them from the optimizer side), so this is a dispatch count cut, not a FLOP one.
//
// tfjs programs write one new output buffer; this step updates up to four existing ones in place. So it is
// not a tfjs kernel: it records its own dispatches into tfjs-webgpu's open command encoder and compute pass
// (the internals named in TfjsCommandStream), so they run in order with the tfjs ops around them.
// In-place writes are safe only on buffers one tensor owns: `ownedBuffer` copies first where tfjs shares
// the buffer (clone, assign, variable(x) share data), and drops any CPU copy a readback left behind.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { copyOnGPU } from '../tensor/replay';

/**
 * tfjs-webgpu 4.22's command stream, private in its typings: the encoder and pass its programs record
 * into, the dispatch count that triggers a submit (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE), and the ids whose
 * buffers must outlive the pending submit.
 */
interface TfjsCommandStream {
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
}

function stream(gpu: WebGPUBackend): TfjsCommandStream {
  const s = gpu as unknown as TfjsCommandStream;
  if (typeof s.dispatchCountInPass !== 'number' || !(s.commandQueueOwnedIds instanceof WeakSet)) {
    throw new Error('tfjs-backend-webgpu internals changed (expected 4.22): the fused optimizer cannot record its dispatches');
  }
  return s;
}

/** The GPU buffer behind `t`, uploaded if its data was on the CPU, kept alive until the pending submit. */
export function tensorBuffer(gpu: WebGPUBackend, t: tf.TensorInfo): GPUBuffer {
  gpu.uploadToGPU(t.dataId);
  const r = gpu.tensorMap.get(t.dataId).resource;
  if (!(r instanceof GPUBuffer)) throw new Error('fused optimizer: tensor data is not a GPU buffer');
  stream(gpu).commandQueueOwnedIds.add(t.dataId);
  return r;
}

/**
 * The buffer of variable `v`, safe to write in place: copied (GPU to GPU) into a fresh buffer first when
 * another tensor shares it, and with any cached CPU values dropped, since the write makes them stale.
 */
export function ownedBuffer(gpu: WebGPUBackend, v: tf.Variable): GPUBuffer {
  if (v.dtype !== 'float32') throw new Error(`fused optimizer: ${v.name} is ${v.dtype}, not float32`);
  if (gpu.refCount(v.dataId) > 1) {
    const copy = copyOnGPU(v);
    v.assign(copy);
    copy.dispose();
  }
  const buffer = tensorBuffer(gpu, v);
  gpu.tensorMap.get(v.dataId).values = null as unknown as tf.backend_util.BackendValues;
  return buffer;
}

/** Records one dispatch into tfjs's open compute pass (opening one if needed); no submit. */
export function recordDispatch(gpu: WebGPUBackend, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, workgroups: number): void {
  const s = stream(gpu);
  gpu.ensureCommandEncoderReady();
  s.computePassEncoder ??= s.commandEncoder!.beginComputePass({ label: 'halfstep fused optimizer' });
  s.computePassEncoder.setPipeline(pipeline);
  s.computePassEncoder.setBindGroup(0, bindGroup);
  // Past the per-dimension limit (65,535 on most devices) the grid folds into two dimensions.
  const max = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups <= max) s.computePassEncoder.dispatchWorkgroups(workgroups);
  else s.computePassEncoder.dispatchWorkgroups(max, Math.ceil(workgroups / max));
  s.dispatchCountInPass++;
}

/**
 * Submits when tfjs would have (its deferred-submit batch is full). Called only after a whole group of our
 * dispatches: a submit releases the uniform buffers recorded so far, which later dispatches may still use.
 */
export function submitIfDue(gpu: WebGPUBackend): void {
  if (stream(gpu).dispatchCountInPass >= tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')) {
    gpu.endComputePassEncoder();
    gpu.submitQueue();
  }
}

/** The per-step scalars, the same for every tensor of a step; in the order of the WGSL struct `Step`. */
export interface AdamStep {
  /** -lr, the step's learning rate. */
  negLr: number;
  beta1: number;
  beta2: number;
  /** 1 - β₁ᵗ and 1 - β₂ᵗ in float32, as tfjs's accumulated-β variables give them. */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  epsilon: number;
  clipNorm: number;
  /** EMA decay d of this step (unused without an EMA). */
  emaDecay: number;
}

export class AdamUpdateProgram {
  readonly label: string;
  constructor(readonly withEma: boolean) {
    this.label = `halfstep adamUpdate ${withEma ? 'ema' : 'noema'}`;
  }

  /**
   * Binding order: the step's scalars, ‖g‖ [1], g, θ, m, v (, ema), each flat. The scalars come from a
   * storage buffer (a tensor), not a uniform, so that a recorded training step (src/tensor/replay.ts) takes
   * each step's learning rate and bias corrections as an input instead of replaying the first step's.
   */
  shaderCode(): string {
    return `
      struct Step {
        negLr : f32, beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32,
        oneMinusAccBeta1 : f32, oneMinusAccBeta2 : f32, epsilon : f32, clipNorm : f32,
        emaDecay : f32, emaOneMinusDecay : f32,
      }
      override workgroupSize : u32 = 64u;
      @group(0) @binding(0) var<storage, read> u : Step;
      @group(0) @binding(1) var<storage, read> norm : array<f32>;
      @group(0) @binding(2) var<storage, read> grad : array<f32>;
      @group(0) @binding(3) var<storage, read_write> theta : array<f32>;
      @group(0) @binding(4) var<storage, read_write> m : array<f32>;
      @group(0) @binding(5) var<storage, read_write> v : array<f32>;
      ${this.withEma ? '@group(0) @binding(6) var<storage, read_write> ema : array<f32>;' : ''}

      @compute @workgroup_size(workgroupSize)
      fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
        let i = gid.x + gid.y * groups.x * workgroupSize;
        if (i >= arrayLength(&theta)) {
          return;
        }
        let scale = min(1.0, u.clipNorm / max(norm[0], 1e-12));
        let g = grad[i] * scale;
        let mNew = m[i] * u.beta1 + g * u.oneMinusBeta1;
        let vNew = v[i] * u.beta2 + (g * g) * u.oneMinusBeta2;
        m[i] = mNew;
        v[i] = vNew;
        let mHat = mNew / u.oneMinusAccBeta1;
        let vHat = vNew / u.oneMinusAccBeta2;
        let t = (mHat / (sqrt(vHat) + u.epsilon)) * u.negLr + theta[i];
        theta[i] = t;
        ${this.withEma ? 'ema[i] = ema[i] * u.emaDecay + t * u.emaOneMinusDecay;' : ''}
      }
    `;
  }

  /** The struct `Step` as float32 values. The (1 - β) and (1 - d) factors in float64 first, as the tfjs ops receive them. */
  static stepValues(u: AdamStep): Float32Array {
    return Float32Array.from([u.negLr, u.beta1, 1 - u.beta1, u.beta2, 1 - u.beta2, u.oneMinusAccBeta1, u.oneMinusAccBeta2, u.epsilon, u.clipNorm, u.emaDecay, 1 - u.emaDecay]);
  }
}

/**
 * Compiled pipelines of one program family, one per device and variant key, built on first use. Our
 * programs that record their own dispatches (not tfjs kernels, so outside tfjs's pipeline cache) use it.
 */
export function pipelineCache<K>(workgroupSize: number, program: (key: K) => { label: string; shaderCode(): string }): (device: GPUDevice, key: K) => GPUComputePipeline {
  const pipelines = new WeakMap<GPUDevice, Map<K, GPUComputePipeline>>();
  return (device, key) => {
    let cache = pipelines.get(device);
    if (!cache) pipelines.set(device, (cache = new Map()));
    let p = cache.get(key);
    if (!p) {
      const prog = program(key);
      const module = device.createShaderModule({ code: prog.shaderCode(), label: prog.label });
      p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main', constants: { workgroupSize } }, label: prog.label });
      cache.set(key, p);
    }
    return p;
  };
}

const WORKGROUP_SIZE = 64;
const pipelineFor = pipelineCache(WORKGROUP_SIZE, (withEma: boolean) => new AdamUpdateProgram(withEma));

export interface AdamUpdateTensors {
  params: tf.Variable[];
  grads: tf.Tensor[];
  m: tf.Variable[];
  v: tf.Variable[];
  /** EMA shadows, one per parameter, or null. */
  ema: tf.Variable[] | null;
  /** Global gradient norm before clipping, [] or [1]. */
  norm: tf.Tensor;
}

/** A step's scalars as the tensor adamUpdateWebGPU reads them from. */
export function adamStepTensor(u: AdamStep): tf.Tensor1D {
  return tf.tensor1d(AdamUpdateProgram.stepValues(u));
}

/** Updates params, m, v (and ema) in place: one dispatch per parameter tensor. `step` from adamStepTensor. */
export function adamUpdateWebGPU(gpu: WebGPUBackend, t: AdamUpdateTensors, step: tf.Tensor): void {
  const device = gpu.device;
  const withEma = t.ema !== null;
  const pipeline = pipelineFor(device, withEma);
  const layout = pipeline.getBindGroupLayout(0);
  const scalars = { buffer: tensorBuffer(gpu, step) };
  const norm = tensorBuffer(gpu, t.norm);
  t.params.forEach((theta, i) => {
    if (theta.size === 0) return;
    const g = t.grads[i];
    if (!g || g.size !== theta.size) throw new Error(`fused optimizer: no gradient of ${theta.size} values for ${theta.name}`);
    const buffers = [tensorBuffer(gpu, g), ownedBuffer(gpu, theta), ownedBuffer(gpu, t.m[i]), ownedBuffer(gpu, t.v[i])];
    if (t.ema) buffers.push(ownedBuffer(gpu, t.ema[i]));
    const bindGroup = device.createBindGroup({
      label: `halfstep adamUpdate ${theta.name}`,
      layout,
      entries: [scalars, { buffer: norm }, ...buffers.map((buffer) => ({ buffer }))].map((resource, binding) => ({ binding, resource })),
    });
    recordDispatch(gpu, pipeline, bindGroup, Math.ceil(theta.size / WORKGROUP_SIZE));
  });
  submitIfDue(gpu);
}
