// The global gradient norm ‖g‖ = √(Σ_tensors Σ_i g_i²) for global-norm clipping, in ⌈n/7⌉ + 2 dispatches
// instead of 3 tfjs ops per parameter tensor (square, sum, add): each dispatch of this program sums the
// squares of up to seven gradient tensors in one workgroup and writes the total into its own window of a
// partial-sums tensor (zeros in the rest of the window); tf.sum and tf.sqrt of that tensor finish it.
// Seven gradients and the output fill the eight storage buffers per stage every WebGPU device offers.
// Windows, not one slot per dispatch, because storage bindings start at multiples of the device's
// minStorageBufferOffsetAlignment (256 bytes on most devices).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { pipelineCache, recordDispatch, submitIfDue, tensorBuffer } from './adamUpdate_webgpu';

/** Gradient tensors per dispatch: 7 read + 1 written storage buffers. */
export const GRAD_NORM_GROUP = 7;

export class GradNormPartialProgram {
  readonly label: string;
  constructor(readonly inputs: number) {
    this.label = `halfstep gradNormPartial ${inputs}`;
  }

  /** Binding 0: this dispatch's window of the partial sums; bindings 1..inputs: flat gradients. */
  shaderCode(): string {
    const ids = Array.from({ length: this.inputs }, (_, k) => k);
    return `
      override workgroupSize : u32 = 256u;
      var<workgroup> acc : array<f32, workgroupSize>;
      @group(0) @binding(0) var<storage, read_write> partial : array<f32>;
      ${ids.map((k) => `@group(0) @binding(${k + 1}) var<storage, read> g${k} : array<f32>;`).join('\n      ')}

      @compute @workgroup_size(workgroupSize)
      fn main(@builtin(local_invocation_index) lid : u32) {
        var s = 0.0;
        ${ids.map((k) => `for (var i = lid; i < arrayLength(&g${k}); i += workgroupSize) { let x = g${k}[i]; s += x * x; }`).join('\n        ')}
        acc[lid] = s;
        // Tree reduction; workgroupSize is a power of two.
        for (var stride = workgroupSize / 2u; stride > 0u; stride /= 2u) {
          workgroupBarrier();
          if (lid < stride) {
            acc[lid] += acc[lid + stride];
          }
        }
        for (var j = lid; j < arrayLength(&partial); j += workgroupSize) {
          if (j == 0u) {
            partial[0] = acc[0];
          } else {
            partial[j] = 0.0;
          }
        }
      }
    `;
  }
}

const WORKGROUP_SIZE = 256;
const pipelineFor = pipelineCache(WORKGROUP_SIZE, (inputs: number) => new GradNormPartialProgram(inputs));

/** ‖g‖ over all of `grads` (float32, any shapes), as a scalar tensor on the webgpu backend. */
export function globalNormWebGPU(gpu: WebGPUBackend, grads: tf.Tensor[]): tf.Scalar {
  const device = gpu.device;
  // Empty tensors add nothing, and a binding cannot be empty.
  const nonEmpty = grads.filter((g) => g.size > 0);
  if (nonEmpty.length === 0) return tf.scalar(0);
  const windowBytes = device.limits.minStorageBufferOffsetAlignment;
  const groups = Math.ceil(nonEmpty.length / GRAD_NORM_GROUP);
  const info = gpu.makeTensorInfo([groups * (windowBytes / 4)], 'float32'); // [groups·window]
  const partials = tensorBuffer(gpu, info);
  for (let k = 0; k < groups; k++) {
    const members = nonEmpty.slice(k * GRAD_NORM_GROUP, (k + 1) * GRAD_NORM_GROUP);
    for (const g of members) if (g.dtype !== 'float32') throw new Error(`gradient norm: a ${g.dtype} gradient`);
    const pipeline = pipelineFor(device, members.length);
    const bindGroup = device.createBindGroup({
      label: `halfstep gradNormPartial group ${k}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: partials, offset: k * windowBytes, size: windowBytes } },
        ...members.map((g, j) => ({ binding: j + 1, resource: { buffer: tensorBuffer(gpu, g) } })),
      ],
    });
    recordDispatch(gpu, pipeline, bindGroup, 1);
  }
  submitIfDue(gpu);
  const partialSums = tf.engine().makeTensorFromTensorInfo(info);
  const norm = tf.sqrt(tf.sum(partialSums)) as tf.Scalar;
  partialSums.dispose();
  return norm;
}
