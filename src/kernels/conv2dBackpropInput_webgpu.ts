// The input gradient of an NHWC conv2d:
//   dX[b, iy, ix, ci] = Σ_{kh, kw, co} dY[b, oy, ox, co] · W[kh, kw, ci, co],  oy·s = iy + p_top - kh,
//                                                                          ox·s = ix + p_left - kw
// (terms where oy or ox is fractional or outside dY are zero). Each invocation owns a register tile of
// 4 ci × 4 pixels of one row: per (kh, kw) tap and 4 channels co, 4 vec4 loads of W and 4 of dY feed 64
// multiply-adds (stock tfjs-webgpu's direct kernel: 4 ci × 2 pixels). The 4 pixels are s columns apart
// (ix = p + s·(4q + j)), so that with stride s they share which taps are valid and read 4 neighbouring
// pixels of dY: no work on the zero terms of a strided convolution.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { InvocationProgram } from './invocationProgram';

/** Pixels per invocation (unrolled in the WGSL below). */
const PIXELS = 4;

export class Conv2dBackpropInputProgram extends InvocationProgram {
  readonly variableNames = ['dy', 'w'];
  readonly uniforms =
    'invocations : i32, inH : i32, inW : i32, inC4 : i32, groups : i32, outH : i32, outW : i32, outC4 : i32, filterH : i32, filterW : i32, strides : vec2<i32>, pads : vec2<i32>,';

  /** Output: dX [B, H, W, ci]. `ciWidth`, `coWidth`: 4 where the channel count is a multiple of 4, else 1. */
  constructor(invocations: number, inputShape: number[], private readonly ciWidth: 1 | 4, private readonly coWidth: 1 | 4) {
    super(invocations, inputShape, [coWidth, coWidth], ciWidth, `halfstepConv2dBackpropInput_${ciWidth}_${coWidth}`);
  }

  getUserCode(): string {
    const ciLanes = Array.from({ length: this.ciWidth }, (_, i) => i);
    const px = Array.from({ length: PIXELS }, (_, j) => j);
    const acc = this.ciWidth === 1 ? 'f32' : 'vec4<f32>';
    const dotCo = this.coWidth === 1 ? '(a * b)' : 'dot(a, b)';
    const dType = this.coWidth === 1 ? 'f32' : 'vec4<f32>';
    const sum = (j: number) => (this.ciWidth === 1 ? `dotCo(d${j}, w0)` : `vec4<f32>(${ciLanes.map((i) => `dotCo(d${j}, w${i})`).join(', ')})`);
    return `
      fn dotCo(a : ${this.coWidth === 1 ? 'f32' : 'vec4<f32>'}, b : ${this.coWidth === 1 ? 'f32' : 'vec4<f32>'}) -> f32 { return ${dotCo}; }

      fn main(g : i32) {
        if (g >= uniforms.invocations) { return; }
        // g = (((b · H + iy) · s + p) · groups + q) · ci/4 + ci4; pixels ix = p + s·(4q + j).
        let sy = uniforms.strides.x;
        let sx = uniforms.strides.y;
        let ci4 = g % uniforms.inC4;
        var r = g / uniforms.inC4;
        let q = r % uniforms.groups;
        r = r / uniforms.groups;
        let p = r % sx;
        r = r / sx;
        let iy = r % uniforms.inH;
        let b = r / uniforms.inH;
        let ix0 = p + sx * ${PIXELS} * q;
        ${px.map((j) => `var acc${j} = ${acc}(0.0);`).join('\n        ')}
        for (var kh = 0; kh < uniforms.filterH; kh++) {
          let ty = iy + uniforms.pads.x - kh;
          let oy = ty / sy;
          if (ty < 0 || oy * sy != ty || oy >= uniforms.outH) { continue; }
          for (var kw = 0; kw < uniforms.filterW; kw++) {
            let tx = ix0 + uniforms.pads.y - kw;
            let ox0 = tx / sx;
            if (ox0 * sx != tx) { continue; }
            let rowBase = (b * uniforms.outH + oy) * uniforms.outW;
            // Pixel j reads dY column ox0 + j; outside dY it reads zero (column 0 is read and replaced, not
            // multiplied by 0, so an Inf or NaN there cannot leak in).
            ${px.map((j) => `let in${j} = ox0 + ${j} >= 0 && ox0 + ${j} < uniforms.outW;
            let d${j}Base = (rowBase + select(0, ox0 + ${j}, in${j})) * uniforms.outC4;`).join('\n            ')}
            let wBase = ((kh * uniforms.filterW + kw) * uniforms.inC4 * ${this.ciWidth} + ci4 * ${this.ciWidth}) * uniforms.outC4;
            for (var co4 = 0; co4 < uniforms.outC4; co4++) {
              ${ciLanes.map((i) => `let w${i} = w[wBase + ${i} * uniforms.outC4 + co4];`).join('\n              ')}
              ${px.map((j) => `let d${j} = select(${dType}(0.0), dy[d${j}Base + co4], in${j});
              acc${j} += ${sum(j)};`).join('\n              ')}
            }
          }
        }
        let outBase = (b * uniforms.inH + iy) * uniforms.inW;
        ${px.map((j) => `if (ix0 + ${j} * sx < uniforms.inW) { result[(outBase + ix0 + ${j} * sx) * uniforms.inC4 + ci4] = acc${j}; }`).join('\n        ')}
      }
    `;
  }
}

export const CONV2D_BACKPROP_INPUT_KERNEL = 'HalfstepConv2dBackpropInput';

interface InputAttrs {
  inputShape: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
}

function kernelFunc({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, strides, pad } = attrs as unknown as InputAttrs;
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad);
  const [kh, kw, ci, co] = filterShape;
  const ciWidth = ci % 4 === 0 ? 4 : 1;
  const coWidth = co % 4 === 0 ? 4 : 1;
  // Groups of PIXELS columns per phase p of the stride (the widest phase has ceil(W/s) columns).
  const groups = Math.ceil(Math.ceil(info.inWidth / info.strideWidth) / PIXELS);
  const invocations = info.batchSize * info.inHeight * info.strideWidth * groups * (ci / ciWidth);
  const uniforms = [
    ...[invocations, info.inHeight, info.inWidth, ci / ciWidth, groups, info.outHeight, info.outWidth, co / coWidth, kh, kw].map((v) => ({ type: 'int32', data: [v] })),
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
  ];
  return gpu.runWebGPUProgram(new Conv2dBackpropInputProgram(invocations, inputShape, ciWidth, coWidth), [dy, filter], 'float32', uniforms); // [B, H, W, ci]
}

if (!tf.getKernel(CONV2D_BACKPROP_INPUT_KERNEL, 'webgpu')) {
  tf.registerKernel({ kernelName: CONV2D_BACKPROP_INPUT_KERNEL, backendName: 'webgpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** dX for dy: [B, H', W', co] and filter [kh, kw, ci, co] on the webgpu backend; returns inputShape [B, H, W, ci]. */
export function conv2dBackpropInputWebGPU(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], stride: number, pad: 'same' | 'valid' | number): tf.Tensor4D {
  const attrs: InputAttrs = { inputShape, strides: [stride, stride], pad };
  return tf.engine().runKernel(CONV2D_BACKPROP_INPUT_KERNEL, { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
