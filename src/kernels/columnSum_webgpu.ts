// The bias gradient of a conv or dense layer: Σ over every axis but the last, db[c] = Σ_r dY[r, c] for dY seen
// as [R, C]. tfjs's Sum over leading axes first transposes the whole of dY (so that the reduced axis is
// innermost), then reduces it in a second program: two dispatches and a copy of dY. Here each invocation sums
// one slice of the rows for 4 channels (a vec4), neighbouring invocations reading neighbouring channels of the
// same row, and a second program adds the slices (splitKSum_webgpu.ts, as for the filter gradient).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { invocationTarget, splitPlan } from './conv2dBackpropFilter_webgpu';
import { InvocationProgram } from './invocationProgram';
import { SplitKSumProgram } from './splitKSum_webgpu';
import { backendInfo } from '../tensor/backend';

export class ColumnSumProgram extends InvocationProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'invocations : i32, rows : i32, rowsPerSplit : i32, cols4 : i32,';

  /** Output: partial sums [splits, C]. `width`: 4 where C is a multiple of 4, else 1. */
  constructor(invocations: number, splits: number, cols: number, width: 1 | 4) {
    super(invocations, [splits, cols], [width], width, `halfstepColumnSum_${width}`);
  }

  getUserCode(): string {
    const type = this.outputComponent === 1 ? 'f32' : 'vec4<f32>';
    return `
      fn main(g : i32) {
        if (g >= uniforms.invocations) { return; }
        let cols4 = uniforms.cols4;
        let c4 = g % cols4;
        let split = g / cols4;
        let rowEnd = min((split + 1) * uniforms.rowsPerSplit, uniforms.rows);
        var acc = ${type}(0.0);
        var i = split * uniforms.rowsPerSplit * cols4 + c4;
        for (var row = split * uniforms.rowsPerSplit; row < rowEnd; row++) {
          acc += x[i];
          i += cols4;
        }
        result[g] = acc;
      }
    `;
  }
}

export const COLUMN_SUM_KERNEL = 'HalfstepColumnSum';

function kernelFunc({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const cols = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / cols;
  const width = cols % 4 === 0 ? 4 : 1;
  const perSplit = cols / width;
  // Each slice's thread adds rowsPerSplit rows, then each channel's thread adds the slices: about √rows each,
  // where the filter gradient's plan (made for filters, with many values per slice) would give a bias of a
  // few channels thousands of slices and one thread per channel a long chain of them.
  const target = Math.min(invocationTarget(backendInfo()?.adapter?.architecture), perSplit * Math.ceil(Math.sqrt(rows)));
  const { splits, rowsPerSplit } = splitPlan(perSplit, rows, target);
  const uniforms = [perSplit * splits, rows, rowsPerSplit, perSplit].map((v) => ({ type: 'int32', data: [v] }));
  const program = new ColumnSumProgram(perSplit * splits, splits, cols, width);
  const partial = gpu.runWebGPUProgram(program, [x], 'float32', uniforms); // [splits, C]
  if (splits === 1) return { dataId: partial.dataId, shape: [cols], dtype: 'float32' };
  const sum = gpu.runWebGPUProgram(new SplitKSumProgram(cols), [partial], 'float32', [{ type: 'int32', data: [splits] }]); // [C]
  gpu.disposeData(partial.dataId);
  return sum;
}

if (!tf.getKernel(COLUMN_SUM_KERNEL, 'webgpu')) {
  tf.registerKernel({ kernelName: COLUMN_SUM_KERNEL, backendName: 'webgpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** Σ of x over every axis but the last, on the webgpu backend: [C]. */
export function columnSumWebGPU(x: tf.Tensor): tf.Tensor1D {
  return tf.engine().runKernel(COLUMN_SUM_KERNEL, { x }) as tf.Tensor1D;
}
