// The DDIM update of ddimStep.ts (ddimStepPlain) fused into one elementwise WGSL program:
//   x̂ = xz·z_t + xo·out                                   (prediction, core/ddimCoefficients.ts)
//   ε̂ = ez·z_t + eo·out,   or with clip: x̂ ← clamp(x̂, -1, 1), ε̂ = (z_t - α_t·x̂)/σ_t
//   z_s = α_s·x̂ + epsWeight·ε̂ (+ noiseStd·noise)          (Song et al. 2021, eq. 12)
// tfjs-webgpu binds exactly one output buffer per program, so the step is one program in two flavours
// that share this code and differ only in what they store: `zS` or `xHat`. Splitting a packed [2, ...]
// output instead would cost two more (copying) dispatches. All coefficients are uniforms: one compiled
// pipeline per flavour serves every step of every sampler.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { DdimStepCoefficients } from '../core/ddimCoefficients';
import { FlatOutputProgram } from './flatOutputProgram';

export type DdimStepTarget = 'zS' | 'xHat';

/** The uniform block, in the order of DdimStepProgram.uniforms. */
export interface DdimStepUniforms {
  xz: number;
  xo: number;
  ez: number;
  eo: number;
  alphaT: number;
  sigmaT: number;
  alphaS: number;
  epsWeight: number;
  noiseStd: number;
}

export class DdimStepProgram extends FlatOutputProgram {
  readonly variableNames: string[];
  readonly uniforms = 'xz : f32, xo : f32, ez : f32, eo : f32, alphaT : f32, sigmaT : f32, alphaS : f32, epsWeight : f32, noiseStd : f32,';

  /** Inputs z, netOut (and noise) flattened to [size]; output [size]. */
  constructor(size: number, private readonly target: DdimStepTarget, private readonly clip: boolean, private readonly withNoise: boolean) {
    super(size, `halfstepDdimStep_${target}_${clip ? 'clip' : 'noclip'}_${withNoise ? 'noise' : 'det'}`);
    this.variableNames = withNoise ? ['z', 'netOut', 'noise'] : ['z', 'netOut'];
  }

  static uniformData(u: DdimStepUniforms): { type: string; data: number[] }[] {
    return [u.xz, u.xo, u.ez, u.eo, u.alphaT, u.sigmaT, u.alphaS, u.epsWeight, u.noiseStd].map((v) => ({ type: 'float32', data: [v] }));
  }

  getUserCode(): string {
    const epsHat = this.clip
      ? `xHat = clamp(xHat, -1.0, 1.0);
          let epsHat = (zt - uniforms.alphaT * xHat) / uniforms.sigmaT;`
      : 'let epsHat = uniforms.ez * zt + uniforms.eo * o;';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let zt = z[index];
          let o = netOut[index];
          var xHat = uniforms.xz * zt + uniforms.xo * o;
          ${epsHat}
          var zS = uniforms.alphaS * xHat + uniforms.epsWeight * epsHat;
          ${this.withNoise ? 'zS += uniforms.noiseStd * noise[index];' : ''}
          setOutputAtIndex(index, ${this.target});
        }
      }
    `;
  }
}

export const DDIM_STEP_KERNEL = 'HalfstepDdimStep';

type DdimStepAttrs = DdimStepUniforms & { clip: boolean };

function kernelFunc({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const a = attrs as unknown as DdimStepAttrs;
  const { z, netOut, noise } = inputs as { z: tf.TensorInfo; netOut: tf.TensorInfo; noise?: tf.TensorInfo };
  const size = tf.util.sizeFromShape(z.shape);
  const flat = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: t.dataId, shape: [size], dtype: t.dtype }); // [size]
  const flatInputs = noise ? [flat(z), flat(netOut), flat(noise)] : [flat(z), flat(netOut)];
  const uniforms = DdimStepProgram.uniformData(a);
  return (['zS', 'xHat'] as const).map((target) => {
    const out = gpu.runWebGPUProgram(new DdimStepProgram(size, target, a.clip, !!noise), flatInputs, 'float32', uniforms); // [size]
    return { dataId: out.dataId, shape: z.shape, dtype: 'float32' }; // z's shape
  });
}

if (!tf.getKernel(DDIM_STEP_KERNEL, 'webgpu')) {
  tf.registerKernel({ kernelName: DDIM_STEP_KERNEL, backendName: 'webgpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** ddimStepPlain's arithmetic on the webgpu backend: [z_s, x̂], each shaped like z. */
export function ddimStepWebGPU(z: tf.Tensor, netOut: tf.Tensor, c: DdimStepCoefficients, clip: boolean, noise?: tf.Tensor): { zS: tf.Tensor; xHat: tf.Tensor } {
  if (c.noiseStd > 0 && !noise) throw new Error('ddimStep: noise is required when noiseStd > 0');
  const inputs: tf.NamedTensorMap = c.noiseStd > 0 && noise ? { z, netOut, noise } : { z, netOut };
  const { xz, xo, ez, eo, alphaT, sigmaT, alphaS, epsWeight, noiseStd } = c;
  const attrs: DdimStepAttrs = { xz, xo, ez, eo, alphaT, sigmaT, alphaS, epsWeight, noiseStd, clip };
  const [zS, xHat] = tf.engine().runKernel(DDIM_STEP_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { zS, xHat };
}
