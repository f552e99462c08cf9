// GroupNorm, optionally followed by SiLU, as five WGSL programs: five dispatches per layer and training step
// where the tfjs ops of groupNormPlain + SiLU issue 34 (13 forward: the statistics, rsqrt, the affine, the sigmoid;
// 21 backward; tests/kernels/groupNorm.test.ts counts both). On a GPU a UNet training step is bound by dispatch count (README, Performance), and the
// UNet has two of these per residual block.
//
// For a group (b, g) of n = H·W·C/G values, μ, r = (σ² + ε)^-½, x̂ = (x - μ)·r, a = γ·x̂ + β and y = SiLU(a):
//   forward   stats  (one workgroup per group)      μ, r                               → [B·G, 2]
//             apply  (one thread per value)        y = a·sigmoid(a)   (or y = a)       → x's shape
//             or, when no gradient is being recorded (sampling), both in one program, fused (one workgroup
//             per group: the statistics, then the group's outputs), since nothing needs the statistics later
//   backward  da = dy·s·(1 + a·(1 - s)), s = sigmoid(a)   (da = dy without SiLU), recomputed from x and the stats
//             dx     (one workgroup per group)     r·(γ·da - mean(γ·da) - x̂·mean(γ·da·x̂))
//             dγ, dβ (one workgroup per channel)   Σ_{b, h, w} da·x̂  and  Σ_{b, h, w} da
// tfjs-webgpu binds one output per program, so dγ and dβ are one program in two flavours (as ddimStep_webgpu).
// The reductions are tree sums in workgroup memory; WGSL has no float atomics. exp's argument is clamped to
// ±80 (WGSL leaves an overflowing exp undefined; SiLU and its derivative are flat out there).
// dγ and dβ use one workgroup per channel: few workgroups for a large GPU (32-64 at MNIST sizes), chosen for the
// dispatch count, which is what a training step pays for on a GPU; splitting rows would need a second pass.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { backendInfo } from '../tensor/backend';
import { FlatOutputProgram } from './flatOutputProgram';

/** GroupNorm's ε, as in PyTorch's nn.GroupNorm (and groupNormPlain). */
export const GN_EPS = 1e-5;

/**
 * Threads per workgroup of the reducing programs: a power of two. On a GPU 256 (a group of 28×28×4 values
 * is ~12 per thread); on SwiftShader (a CPU, where workgroup barriers are costly) 64.
 */
export function reduceWorkgroup(adapterArchitecture: string | undefined): number {
  return workgroupOverride ?? (adapterArchitecture === 'swiftshader' ? 64 : 256);
}

let workgroupOverride: number | undefined;

/**
 * Forces the reducing programs' workgroup size (a power of two), or restores the adapter's choice with
 * undefined: so that the tests on SwiftShader also run the 256-thread programs a GPU gets.
 */
export function setGroupNormWorkgroup(size: number | undefined): void {
  if (size !== undefined && !(Number.isInteger(Math.log2(size)) && size >= 2 && size <= 256)) throw new Error(`workgroup size must be a power of two in [2, 256], got ${size}`);
  workgroupOverride = size;
}

/** WGSL: SiLU(a) = a·sigmoid(a), exp's argument clamped (see the top of this file). */
const SILU_OF_A = 'a / (1.0 + exp(-clamp(a, -80.0, 80.0)))';

/** The layout every program shares: x is [B, H·W, C] with C = G·cg; group (b, g) holds channels g·cg … g·cg + cg - 1. */
const LAYOUT_UNIFORMS = 'hw : i32, channels : i32, groups : i32, cg : i32,';

/** WGSL: the tree sum of one value per thread, returned to every thread (call from uniform control flow). */
function reduceSnippet(wg: number): string {
  return `
    var<workgroup> partial : array<f32, ${wg}>;
    fn workgroupSum(v : f32) -> f32 {
      let lane = localId.x;
      partial[lane] = v;
      workgroupBarrier();
      for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
        if (lane < s) { partial[lane] = partial[lane] + partial[lane + s]; }
        workgroupBarrier();
      }
      let total = partial[0];
      workgroupBarrier();
      return total;
    }
    // Index in x of the j-th value of group (b, g), whose first value is at \`base\`.
    fn groupIndex(base : i32, j : i32) -> i32 {
      let p = j / uniforms.cg;
      return base + p * uniforms.channels + (j - p * uniforms.cg);
    }
  `;
}

/**
 * WGSL: μ and r = (σ² + ε)^-½ of the group starting at \`base\` (n values), returned to every thread. Two passes
 * (the mean first, then squared deviations): no cancellation for large offsets. Needs reduceSnippet, x, eps.
 */
function statsSnippet(wg: number): string {
  return `
    fn groupStats(base : i32, n : i32) -> vec2<f32> {
      var s = 0.0;
      for (var j = i32(localId.x); j < n; j += ${wg}) { s += x[groupIndex(base, j)]; }
      let mean = workgroupSum(s) / f32(n);
      var q = 0.0;
      for (var j = i32(localId.x); j < n; j += ${wg}) {
        let d = x[groupIndex(base, j)] - mean;
        q += d * d;
      }
      return vec2<f32>(mean, inverseSqrt(workgroupSum(q) / f32(n) + uniforms.eps));
    }
  `;
}

/** WGSL: da from dy at one value, given x̂ and the channel's γ, β (a = γ·x̂ + β). */
function daSnippet(silu: boolean): string {
  return silu
    ? `fn gradA(dyv : f32, xh : f32, gam : f32, bet : f32) -> f32 {
        let a = gam * xh + bet;
        let s = 1.0 / (1.0 + exp(-clamp(a, -80.0, 80.0)));
        return dyv * s * (1.0 + a * (1.0 - s));
      }`
    : 'fn gradA(dyv : f32, xh : f32, gam : f32, bet : f32) -> f32 { return dyv; }';
}

/** WGSL: the group this workgroup handles, (b, g), its first value's index and its size. */
const GROUP_PROLOGUE = `
        let grp = i32(workgroupId.x);
        let b = grp / uniforms.groups;
        let g = grp - b * uniforms.groups;
        let base = b * uniforms.hw * uniforms.channels + g * uniforms.cg;
        let n = uniforms.hw * uniforms.cg;`;

/**
 * WGSL, inside GROUP_PROLOGUE's scope: `body` once for each of this thread's share of the group's values,
 * with `i` the value's flat index and `c` its channel.
 */
function forGroupValues(wg: number, body: string): string {
  return `for (var j = i32(localId.x); j < n; j += ${wg}) {
          let i = groupIndex(base, j);
          let c = g * uniforms.cg + j % uniforms.cg;${body}
        }`;
}

/** A program dispatched as one workgroup of `wg` threads per item: per group (B·G) or per channel (C). */
abstract class WorkgroupPerItemProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  abstract readonly uniforms: string;
  readonly workgroupSize: [number, number, number];
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(outputShape: number[], items: number, protected readonly wg: number, shaderKey: string) {
    this.workgroupSize = [wg, 1, 1];
    this.outputShape = outputShape;
    this.dispatch = [items, 1, 1];
    this.shaderKey = `${shaderKey}_${wg}`;
  }

  abstract getUserCode(): string;
}

/** μ and r of every group: output [B·G, 2]; dispatched as one workgroup per group. */
export class GroupNormStatsProgram extends WorkgroupPerItemProgram {
  readonly variableNames = ['x'];
  readonly uniforms = `${LAYOUT_UNIFORMS} eps : f32,`;

  constructor(groupCount: number, wg: number) {
    super([groupCount, 2], groupCount, wg, 'halfstepGroupNormStats');
  }

  getUserCode(): string {
    return `
      ${reduceSnippet(this.wg)}
      ${statsSnippet(this.wg)}
      fn main(index : i32) {
        ${GROUP_PROLOGUE}
        let st = groupStats(base, n);
        if (localId.x == 0u) {
          result[2 * grp] = st.x;
          result[2 * grp + 1] = st.y;
        }
      }
    `;
  }
}

/** y = SiLU(γ·x̂ + β) (or without SiLU), one thread per value: output [size]. */
export class GroupNormApplyProgram extends FlatOutputProgram {
  readonly variableNames = ['x', 'stats', 'gamma', 'beta'];
  readonly uniforms = LAYOUT_UNIFORMS;

  constructor(size: number, private readonly silu: boolean) {
    super(size, `halfstepGroupNormApply_${silu ? 'silu' : 'id'}`);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels;
          let grp = (index / (uniforms.hw * uniforms.channels)) * uniforms.groups + c / uniforms.cg;
          let a = (x[index] - stats[2 * grp]) * stats[2 * grp + 1] * gamma[c] + beta[c];
          setOutputAtIndex(index, ${this.silu ? SILU_OF_A : 'a'});
        }
      }
    `;
  }
}

/** Statistics and output of every group in one program, for forwards without a gradient: output [size]. */
export class GroupNormFusedProgram extends WorkgroupPerItemProgram {
  readonly variableNames = ['x', 'gamma', 'beta'];
  readonly uniforms = `${LAYOUT_UNIFORMS} eps : f32,`;

  constructor(size: number, groupCount: number, wg: number, private readonly silu: boolean) {
    super([size], groupCount, wg, `halfstepGroupNormFused_${silu ? 'silu' : 'id'}`);
  }

  getUserCode(): string {
    return `
      ${reduceSnippet(this.wg)}
      ${statsSnippet(this.wg)}
      fn main(index : i32) {
        ${GROUP_PROLOGUE}
        let st = groupStats(base, n);
        ${forGroupValues(this.wg, `
          let a = (x[i] - st.x) * st.y * gamma[c] + beta[c];
          result[i] = ${this.silu ? SILU_OF_A : 'a'};`)}
      }
    `;
  }
}

/** dx, one workgroup per group: output [size]. */
export class GroupNormGradXProgram extends WorkgroupPerItemProgram {
  readonly variableNames = ['x', 'stats', 'gamma', 'beta', 'dy'];
  readonly uniforms = LAYOUT_UNIFORMS;

  constructor(size: number, groupCount: number, wg: number, private readonly silu: boolean) {
    super([size], groupCount, wg, `halfstepGroupNormGradX_${silu ? 'silu' : 'id'}`);
  }

  getUserCode(): string {
    return `
      ${reduceSnippet(this.wg)}
      ${daSnippet(this.silu)}
      fn main(index : i32) {
        ${GROUP_PROLOGUE}
        let mean = stats[2 * grp];
        let r = stats[2 * grp + 1];
        var s1 = 0.0;
        var s2 = 0.0;
        ${forGroupValues(this.wg, `
          let xh = (x[i] - mean) * r;
          let gy = gamma[c] * gradA(dy[i], xh, gamma[c], beta[c]);
          s1 += gy;
          s2 += gy * xh;`)}
        let m1 = workgroupSum(s1) / f32(n);
        let m2 = workgroupSum(s2) / f32(n);
        ${forGroupValues(this.wg, `
          let xh = (x[i] - mean) * r;
          let gy = gamma[c] * gradA(dy[i], xh, gamma[c], beta[c]);
          result[i] = r * (gy - m1 - xh * m2);`)}
      }
    `;
  }
}

export type GroupNormParamGrad = 'gamma' | 'beta';

/** dγ or dβ, one workgroup per channel, summing over every (b, h, w): output [C]. */
export class GroupNormGradParamProgram extends WorkgroupPerItemProgram {
  readonly variableNames = ['x', 'stats', 'gamma', 'beta', 'dy'];
  readonly uniforms = `${LAYOUT_UNIFORMS} rows : i32,`;

  constructor(channels: number, wg: number, private readonly silu: boolean, private readonly which: GroupNormParamGrad) {
    super([channels], channels, wg, `halfstepGroupNormGradParam_${silu ? 'silu' : 'id'}_${which}`);
  }

  getUserCode(): string {
    return `
      ${reduceSnippet(this.wg)}
      ${daSnippet(this.silu)}
      fn main(index : i32) {
        let c = i32(workgroupId.x);
        let g = c / uniforms.cg;
        let gam = gamma[c];
        let bet = beta[c];
        var acc = 0.0;
        for (var row = i32(localId.x); row < uniforms.rows; row += ${this.wg}) {
          let grp = (row / uniforms.hw) * uniforms.groups + g;
          let i = row * uniforms.channels + c;
          let xh = (x[i] - stats[2 * grp]) * stats[2 * grp + 1];
          let da = gradA(dy[i], xh, gam, bet);
          acc += ${this.which === 'gamma' ? 'da * xh' : 'da'};
        }
        let total = workgroupSum(acc);
        if (localId.x == 0u) { result[c] = total; }
      }
    `;
  }
}

export const GROUP_NORM_FORWARD_KERNEL = 'HalfstepGroupNormForward';
export const GROUP_NORM_GRAD_KERNEL = 'HalfstepGroupNormGrad';

interface GroupNormAttrs {
  groups: number;
  silu: boolean;
  /** Forward: 'stats' and 'apply', or 'fused' without a gradient; gradient: 'x', 'gamma' or 'beta'. */
  part: 'stats' | 'apply' | 'fused' | 'x' | GroupNormParamGrad;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function layout(x: tf.TensorInfo, groups: number): { b: number; hw: number; c: number; uniforms: { type: string; data: number[] }[] } {
  const [b, h, w, c] = x.shape;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  return { b, hw: h * w, c, uniforms: [int(h * w), int(c), int(groups), int(c / groups)] };
}

const wgSize = (): number => reduceWorkgroup(backendInfo()?.adapter?.architecture);

function forwardKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { groups, silu, part } = attrs as unknown as GroupNormAttrs;
  const { x } = inputs as { x: tf.TensorInfo };
  const { b, uniforms } = layout(x, groups);
  const eps = { type: 'float32', data: [GN_EPS] };
  if (part === 'stats') return gpu.runWebGPUProgram(new GroupNormStatsProgram(b * groups, wgSize()), [x], 'float32', [...uniforms, eps]); // [B·G, 2]
  const { stats, gamma, beta } = inputs as { stats: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const size = tf.util.sizeFromShape(x.shape);
  if (part === 'fused') {
    const out = gpu.runWebGPUProgram(new GroupNormFusedProgram(size, b * groups, wgSize(), silu), [x, gamma, beta], 'float32', [...uniforms, eps]); // [size]
    return { dataId: out.dataId, shape: x.shape, dtype: 'float32' };
  }
  const out = gpu.runWebGPUProgram(new GroupNormApplyProgram(size, silu), [x, stats, gamma, beta], 'float32', uniforms); // [size]
  return { dataId: out.dataId, shape: x.shape, dtype: 'float32' }; // x's shape
}

function gradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { groups, silu, part } = attrs as unknown as GroupNormAttrs;
  const { x, stats, gamma, beta, dy } = inputs as Record<'x' | 'stats' | 'gamma' | 'beta' | 'dy', tf.TensorInfo>;
  const { b, hw, c, uniforms } = layout(x, groups);
  const all = [x, stats, gamma, beta, dy];
  if (part === 'x') {
    const size = tf.util.sizeFromShape(x.shape);
    const out = gpu.runWebGPUProgram(new GroupNormGradXProgram(size, b * groups, wgSize(), silu), all, 'float32', uniforms); // [size]
    return { dataId: out.dataId, shape: x.shape, dtype: 'float32' };
  }
  const which = part as GroupNormParamGrad;
  return gpu.runWebGPUProgram(new GroupNormGradParamProgram(c, wgSize(), silu, which), all, 'float32', [...uniforms, { type: 'int32', data: [b * hw] }]); // [C]
}

for (const [kernelName, kernelFunc] of [[GROUP_NORM_FORWARD_KERNEL, forwardKernel], [GROUP_NORM_GRAD_KERNEL, gradKernel]] as const) {
  if (!tf.getKernel(kernelName, 'webgpu')) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** Most workgroups one dispatch dimension takes (WebGPU's default limit, and SwiftShader's and NVIDIA's). */
const MAX_WORKGROUPS = 65535;

/** Whether the programs take this shape: B·G groups and C channels each fit one dispatch dimension. */
export function groupNormWebGPUFits(shape: readonly number[], groups: number): boolean {
  return shape.length === 4 && shape[0] * groups <= MAX_WORKGROUPS && shape[3] <= MAX_WORKGROUPS;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: GroupNormAttrs): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

/**
 * GroupNorm (+ SiLU) of x: [B, H, W, C] with weight γ and bias β: [C] on the webgpu backend, differentiable
 * in all three. groupNormPlain's arithmetic (then SiLU when `silu`), in 2 dispatches forward and 3 backward
 * while a gradient is being recorded, else in 1.
 */
export function groupNormWebGPU(x: tf.Tensor4D, groups: number, weight: tf.Tensor1D, bias: tf.Tensor1D, silu: boolean): tf.Tensor4D {
  if (!tf.engine().isTapeOn()) return run(GROUP_NORM_FORWARD_KERNEL, { x, gamma: weight, beta: bias }, { groups, silu, part: 'fused' }) as tf.Tensor4D;
  type GradientFunc = Parameters<typeof tf.customGrad<tf.Tensor4D>>[0];
  const op = tf.customGrad<tf.Tensor4D>(((xIn: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const stats = run(GROUP_NORM_FORWARD_KERNEL, { x: xIn }, { groups, silu, part: 'stats' }); // [B·G, 2]
    save([xIn, stats, gamma, beta]);
    return {
      value: run(GROUP_NORM_FORWARD_KERNEL, { x: xIn, stats, gamma, beta }, { groups, silu, part: 'apply' }) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, [xs, st, g, bt]: tf.Tensor[]) => {
        const inputs = { x: xs, stats: st, gamma: g, beta: bt, dy };
        return (['x', 'gamma', 'beta'] as const).map((part) => run(GROUP_NORM_GRAD_KERNEL, inputs, { groups, silu, part }));
      },
    };
  }) as unknown as GradientFunc);
  return op(x, weight, bias);
}
