// The filter gradient of an NHWC conv2d, written as the matrix product it is (implicit GEMM):
//   dW[kh, kw, ci, co] = Σ_{b, y, x} X[b, y·s + kh - p_top, x·s + kw - p_left, ci] · dY[b, y, x, co]
// i.e. C[m, n] = Σ_k A[m, k]·B[k, n] with m = (kh, kw, ci), n = co, k = (b, y, x); M·N is small (a filter)
// and K = B·H'·W' large. Stock tfjs-webgpu gives each of the M·N weights one thread that loops over all of
// K, reading two scalars per multiply-add: a GPU is left mostly idle, and this is the slowest kernel of a
// training step.
// Here each invocation owns a register tile of 4 ci × 4 co (four vec4 accumulators, one vec4 load of X
// and one of dY per 16 multiply-adds) and one slice of K: split-K over rows (b, y) of dY, so that even a
// 3×3×32×32 filter keeps a large GPU busy. Neighbouring invocations share X and dY rows through the cache.
// The parts are summed by a second program (splitKSum_webgpu.ts), because WGSL has no float atomics.
// Staging tiles in workgroup memory was measured too (README, Performance): several times slower on
// SwiftShader, where workgroup barriers are costly, and not needed for reuse at these tile sizes.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { InvocationProgram } from './invocationProgram';
import { backendInfo } from '../tensor/backend';
import { SplitKSumProgram } from './splitKSum_webgpu';

/** WGSL type of a vector of `width` floats. */
const vecType = (width: number): string => (width === 1 ? 'f32' : `vec${width}<f32>`);

export class Conv2dBackpropFilterProgram extends InvocationProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms =
    'invocations : i32, perSplit : i32, rows : i32, rowsPerSplit : i32, dimM : i32, inH : i32, inW : i32, inC4 : i32, outH : i32, outW : i32, outC4 : i32, filterW : i32, strides : vec2<i32>, pads : vec2<i32>,';

  /**
   * Output: partial sums [splits, M, N] (M = kh·kw·ci, N = co). `ciWidth`, `coWidth`: 4 where the channel
   * count is a multiple of 4 (vector loads), else 1.
   */
  constructor(invocations: number, m: number, n: number, splits: number, private readonly ciWidth: 1 | 4, coWidth: 1 | 4) {
    super(invocations, [splits, m, n], [ciWidth, coWidth], coWidth, `halfstepConv2dBackpropFilter_${ciWidth}_${coWidth}`);
  }

  getUserCode(): string {
    const lanes = this.ciWidth === 1 ? ['xv'] : ['xv.x', 'xv.y', 'xv.z', 'xv.w'];
    const acc = vecType(this.outputComponent);
    return `
      fn main(g : i32) {
        if (g >= uniforms.invocations) { return; }
        // g = ((split · kh·kw + khw) · ci/4 + ci4) · co/4 + co4: neighbouring invocations, neighbouring co.
        let split = g / uniforms.perSplit;
        let r = g - split * uniforms.perSplit;
        let co4 = r % uniforms.outC4;
        let r2 = r / uniforms.outC4;
        let ci4 = r2 % uniforms.inC4;
        let khw = r2 / uniforms.inC4;
        let kw = khw % uniforms.filterW;
        let kh = khw / uniforms.filterW;
        // Columns x of dY whose input column x·s + kw - p_left lies inside X: [xLo, xHi).
        let s = uniforms.strides.y;
        let xLo = max(0, (uniforms.pads.y - kw + s - 1) / s);
        let xHi = min(uniforms.outW, (uniforms.inW - 1 + uniforms.pads.y - kw) / s + 1);
        ${lanes.map((_, j) => `var acc${j} = ${acc}(0.0);`).join('\n        ')}
        // Loop-invariant strides in registers: SwiftShader's JIT does not hoist uniform loads.
        let xStep = s * uniforms.inC4;
        let dStep = uniforms.outC4;
        let inH = uniforms.inH;
        let rowEnd = min((split + 1) * uniforms.rowsPerSplit, uniforms.rows);
        for (var row = split * uniforms.rowsPerSplit; row < rowEnd; row++) {
          let b = row / uniforms.outH;
          let y = row - b * uniforms.outH;
          let iy = y * uniforms.strides.x + kh - uniforms.pads.x;
          if (iy < 0 || iy >= inH) { continue; }
          var xi = ((b * inH + iy) * uniforms.inW + xLo * s + kw - uniforms.pads.y) * uniforms.inC4 + ci4;
          var di = (row * uniforms.outW + xLo) * dStep + co4;
          for (var xo = xLo; xo < xHi; xo++) {
            let xv = x[xi];
            let dv = dy[di];
            ${lanes.map((l, j) => `acc${j} += ${l} * dv;`).join('\n            ')}
            xi += xStep;
            di += dStep;
          }
        }
        // Row m of the filter matrix is (kh, kw, ci): ci = ci4·width + j.
        let m0 = khw * uniforms.inC4 * ${this.ciWidth} + ci4 * ${this.ciWidth};
        ${lanes.map((_, j) => `result[(split * uniforms.dimM + m0 + ${j}) * uniforms.outC4 + co4] = acc${j};`).join('\n        ')}
      }
    `;
  }
}

/**
 * How many invocations to aim for. On a GPU: enough to fill a large one several times over (an H100 holds
 * ~270k resident threads), so K is cut into up to that many row slices. On SwiftShader (a CPU: a few
 * cores × 4 SIMD lanes) more invocations only add per-invocation setup and partial sums to add up:
 * measured 3x faster at batch 1 with the small target (README, Performance).
 */
export function invocationTarget(adapterArchitecture: string | undefined): number {
  return adapterArchitecture === 'swiftshader' ? 1 << 11 : 1 << 17;
}

/** Row slices of K = (b, y): at most `target / perSplit` of them, at least one row each. */
export function splitPlan(perSplit: number, rows: number, target = invocationTarget(undefined)): { splits: number; rowsPerSplit: number } {
  const wanted = Math.min(rows, Math.max(1, Math.ceil(target / perSplit)));
  const rowsPerSplit = Math.ceil(rows / wanted);
  return { splits: Math.ceil(rows / rowsPerSplit), rowsPerSplit };
}

export const CONV2D_BACKPROP_FILTER_KERNEL = 'HalfstepConv2dBackpropFilter';

interface FilterAttrs {
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
}

function kernelFunc({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, strides, pad } = attrs as unknown as FilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad);
  const [kh, kw, ci, co] = filterShape;
  const ciWidth = ci % 4 === 0 ? 4 : 1;
  const coWidth = co % 4 === 0 ? 4 : 1;
  const m = kh * kw * ci;
  const perSplit = kh * kw * (ci / ciWidth) * (co / coWidth);
  const rows = info.batchSize * info.outHeight;
  const { splits, rowsPerSplit } = splitPlan(perSplit, rows, invocationTarget(backendInfo()?.adapter?.architecture));
  const uniforms = [
    ...[perSplit * splits, perSplit, rows, rowsPerSplit, m, info.inHeight, info.inWidth, ci / ciWidth, info.outHeight, info.outWidth, co / coWidth, kw].map((v) => ({ type: 'int32', data: [v] })),
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
  ];
  const program = new Conv2dBackpropFilterProgram(perSplit * splits, m, co, splits, ciWidth, coWidth);
  const partial = gpu.runWebGPUProgram(program, [x, dy], 'float32', uniforms); // [splits, M, N]
  if (splits === 1) return { dataId: partial.dataId, shape: filterShape, dtype: 'float32' }; // [1, M, N] is [kh, kw, ci, co]
  const sum = gpu.runWebGPUProgram(new SplitKSumProgram(m * co), [partial], 'float32', [{ type: 'int32', data: [splits] }]); // [M·N]
  gpu.disposeData(partial.dataId);
  return { dataId: sum.dataId, shape: filterShape, dtype: 'float32' }; // [kh, kw, ci, co]
}

if (!tf.getKernel(CONV2D_BACKPROP_FILTER_KERNEL, 'webgpu')) {
  tf.registerKernel({ kernelName: CONV2D_BACKPROP_FILTER_KERNEL, backendName: 'webgpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** dW for x: [B, H, W, ci] and dy: [B, H', W', co] on the webgpu backend; returns [kh, kw, ci, co]. */
export function conv2dBackpropFilterWebGPU(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, pad: 'same' | 'valid' | number): tf.Tensor4D {
  const attrs: FilterAttrs = { filterShape, strides: [stride, stride], pad };
  return tf.engine().runKernel(CONV2D_BACKPROP_FILTER_KERNEL, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
