// The forward pass of an NHWC conv2d as an implicit matrix product, with the bias added in the same program:
//   Y[b, oy, ox, co] = bias[co] + Σ_{kh, kw, ci} X[b, oy·s + kh - p_top, ox·s + kw - p_left, ci] · W[kh, kw, ci, co]
// i.e. C[m, n] = Σ_k A[m, k]·B[k, n] with m = (b, oy, ox), n = co, k = (kh, kw, ci); taps outside X are zero.
// Stock tfjs-webgpu runs this as a workgroup-tiled matrix product (Conv2DMMProgram) that works out the
// (b, y, x, kh, kw, ci) of every element it stages with integer divisions, and barriers around each tile; in
// the H100 runs it reached 0.8–1.9 TFLOP/s on the UNet's 28×28 convolutions, slower than our filter gradient
// of the same size (README, Performance).
// Here each invocation owns a register tile of 4 pixels of one output row × 4 output channels (four
// accumulators of vec4): per tap (kh, kw) and 4 input channels, 4 vec4 loads of X and 4 of W feed 64
// multiply-adds, and the tap's bounds are checked once per tap, not per element. Threads are ordered co
// fastest, so the threads of a warp that share pixels read the same X (one broadcast load) and those that
// share channels read the same W row; W (at most a few hundred kB) stays in cache. No workgroup memory
// and no barriers (the choice our filter gradient made, measured in the README).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { InvocationProgram } from './invocationProgram';

/** Output pixels per invocation (unrolled in the WGSL below). */
const PIXELS = 4;

export class Conv2dProgram extends InvocationProgram {
  readonly variableNames: string[];
  readonly uniforms =
    'invocations : i32, inH : i32, inW : i32, inC4 : i32, groups : i32, outH : i32, outW : i32, outC4 : i32, filterH : i32, filterW : i32, strides : vec2<i32>, pads : vec2<i32>,';

  /** Output: Y [B, H', W', co]. `ciWidth`, `coWidth`: 4 where the channel count is a multiple of 4, else 1. */
  constructor(invocations: number, outputShape: number[], private readonly ciWidth: 1 | 4, coWidth: 1 | 4, private readonly bias: boolean) {
    super(invocations, outputShape, bias ? [ciWidth, coWidth, coWidth] : [ciWidth, coWidth], coWidth, `halfstepConv2d_${ciWidth}_${coWidth}_${bias}`);
    this.variableNames = bias ? ['x', 'w', 'bias'] : ['x', 'w'];
  }

  getUserCode(): string {
    const px = Array.from({ length: PIXELS }, (_, j) => j);
    const lanes = this.ciWidth === 1 ? [''] : ['.x', '.y', '.z', '.w'];
    const acc = this.outputComponent === 1 ? 'f32' : 'vec4<f32>';
    const init = this.bias ? 'bias[co4]' : `${acc}(0.0)`;
    const xType = this.ciWidth === 1 ? 'f32' : 'vec4<f32>';
    return `
      fn main(g : i32) {
        if (g >= uniforms.invocations) { return; }
        // Loop-invariant values in registers: SwiftShader's JIT does not hoist uniform loads.
        let inH = uniforms.inH;
        let inW = uniforms.inW;
        let inC4 = uniforms.inC4;
        let outC4 = uniforms.outC4;
        let filterW = uniforms.filterW;
        let sy = uniforms.strides.x;
        let sx = uniforms.strides.y;
        // g = ((b · H' + oy) · groups + q) · co/4 + co4; pixels ox = 4q + j.
        let co4 = g % outC4;
        var r = g / outC4;
        let q = r % uniforms.groups;
        r = r / uniforms.groups;
        let oy = r % uniforms.outH;
        let b = r / uniforms.outH;
        let ox0 = q * ${PIXELS};
        ${px.map((j) => `var acc${j} = ${init};`).join('\n        ')}
        // Row k of the filter matrix is (kh, kw, ci), ci = ci4·width + lane: one W row is outC4 vectors.
        let wRow = outC4;
        let wTap = inC4 * ${this.ciWidth} * wRow;
        for (var kh = 0; kh < uniforms.filterH; kh++) {
          let iy = oy * sy + kh - uniforms.pads.x;
          if (iy < 0 || iy >= inH) { continue; }
          let rowBase = (b * inH + iy) * inW;
          for (var kw = 0; kw < filterW; kw++) {
            // Pixel j reads input column (ox0 + j)·s + kw - p_left; outside X it reads zero (column 0 is read and
            // replaced, not multiplied by 0, so an Inf or NaN there cannot leak into the padding).
            ${px.map((j) => `let ix${j} = (ox0 + ${j}) * sx + kw - uniforms.pads.y;
            let in${j} = ix${j} >= 0 && ix${j} < inW;
            var xi${j} = (rowBase + select(0, ix${j}, in${j})) * inC4;`).join('\n            ')}
            var wi = (kh * filterW + kw) * wTap + co4;
            for (var ci4 = 0; ci4 < inC4; ci4++) {
              ${lanes.map((_, i) => `let w${i} = w[wi + ${i} * wRow];`).join('\n              ')}
              ${px.map((j) => `let x${j} = select(${xType}(0.0), x[xi${j}], in${j});
              acc${j} += ${lanes.map((l, i) => `x${j}${l} * w${i}`).join(' + ')};
              xi${j} += 1;`).join('\n              ')}
              wi += ${this.ciWidth} * wRow;
            }
          }
        }
        let outBase = (b * uniforms.outH + oy) * uniforms.outW;
        ${px.map((j) => `if (ox0 + ${j} < uniforms.outW) { result[(outBase + ox0 + ${j}) * outC4 + co4] = acc${j}; }`).join('\n        ')}
      }
    `;
  }
}

export const CONV2D_KERNEL = 'HalfstepConv2D';

interface ConvAttrs {
  strides: [number, number];
  pad: 'same' | 'valid' | number;
}

function kernelFunc({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo };
  const { strides, pad } = attrs as unknown as ConvAttrs;
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad);
  const [kh, kw, ci, co] = filterShape;
  const ciWidth = ci % 4 === 0 ? 4 : 1;
  const coWidth = co % 4 === 0 ? 4 : 1;
  const groups = Math.ceil(info.outWidth / PIXELS);
  const invocations = info.batchSize * info.outHeight * groups * (co / coWidth);
  const uniforms = [
    ...[invocations, info.inHeight, info.inWidth, ci / ciWidth, groups, info.outHeight, info.outWidth, co / coWidth, kh, kw].map((v) => ({ type: 'int32', data: [v] })),
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
  ];
  const program = new Conv2dProgram(invocations, info.outShape, ciWidth, coWidth, bias !== undefined);
  return gpu.runWebGPUProgram(program, bias ? [x, filter, bias] : [x, filter], 'float32', uniforms); // [B, H', W', co]
}

if (!tf.getKernel(CONV2D_KERNEL, 'webgpu')) {
  tf.registerKernel({ kernelName: CONV2D_KERNEL, backendName: 'webgpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** conv2d(x, filter) (+ bias) for x: [B, H, W, ci], filter [kh, kw, ci, co] on the webgpu backend; not differentiable by itself. */
export function conv2dWebGPU(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: 'same' | 'valid' | number, bias?: tf.Tensor1D): tf.Tensor4D {
  const attrs: ConvAttrs = { strides: [stride, stride], pad };
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf.engine().runKernel(CONV2D_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
