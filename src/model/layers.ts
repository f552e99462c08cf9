// Building blocks shared by the MLP and the UNet: parameter creation with seeded init, dense layers,
// the sinusoidal time embedding. Pure functions of (params, inputs); call them inside tf.tidy.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';
import { sizeOf } from '../core/shape';
import { columnSum } from '../kernels/columnSum';
import { denseForward, denseGrads } from '../kernels/dense';

/** Collects named variables in creation order, initialised from one seeded generator. */
export class ParamBuilder {
  readonly params = new Map<string, tf.Variable>();
  private readonly rng: Rng;

  constructor(seed: number, private readonly preset?: ReadonlyMap<string, Float32Array>) {
    this.rng = new Rng(seed);
  }

  private add(name: string, shape: number[], init: () => Float32Array): tf.Variable {
    if (this.params.has(name)) throw new Error(`duplicate parameter ${name}`);
    const size = sizeOf(shape);
    const given = this.preset?.get(name);
    if (this.preset && !given) throw new Error(`checkpoint has no tensor '${name}'`);
    if (given && given.length !== size) throw new Error(`tensor '${name}' has ${given.length} values, the network needs ${size} (shape [${shape.join(', ')}])`);
    // tfjs variable names are global: two networks (teacher and student) share our names, so let tfjs name them.
    const initial = tf.tensor(given ?? init(), shape, 'float32');
    const v = tf.variable(initial, true); // tf.variable copies: the initial tensor is ours to free
    initial.dispose();
    this.params.set(name, v);
    return v;
  }

  /** He-normal init scaled by `gain`, for layers followed by SiLU. fanIn is the product of all but the last axis. */
  weight(name: string, shape: number[], gain = 1): tf.Variable {
    const fanIn = sizeOf(shape.slice(0, -1));
    const std = gain * Math.sqrt(2 / fanIn);
    return this.add(name, shape, () => {
      const out = new Float32Array(sizeOf(shape));
      for (let i = 0; i < out.length; i++) out[i] = this.rng.normal() * std;
      return out;
    });
  }

  constant(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, shape, () => new Float32Array(sizeOf(shape)).fill(value));
  }
}

export function disposeParams(params: ReadonlyMap<string, tf.Variable>): void {
  for (const v of params.values()) v.dispose();
}

// The forward pass and the matrix gradients are kernels/dense.ts's (our conv programs on webgpu, tfjs's
// products elsewhere); the bias gradient is Σ over the batch.
const denseOp = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: denseForward(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D; // [B, out]
      return [...denseGrads(xs, ws, g), columnSum(g)]; // dx: [B, in], dW: [in, out], db: [out]
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** y = x·W + b over the last axis. x: [B, in], W: [in, out], b: [out]. */
export function dense(x: tf.Tensor2D, w: tf.Variable, b: tf.Variable): tf.Tensor2D {
  return denseOp(x, w, b) as tf.Tensor2D;
}

/**
 * Sinusoidal embedding of continuous time (Vaswani et al. 2017, as in DDPM), t scaled by 1000 so the
 * frequencies resolve the 1/1024 spacing of the finest DDIM grid. t: [B] → [B, dim].
 */
export function timeEmbedding(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = tf.mul(tf.reshape(tf.mul(t, 1000), [-1, 1]), tf.tensor2d(freqs, [1, half])); // [B, half]
  return tf.concat([tf.sin(args), tf.cos(args)], 1) as tf.Tensor2D; // [B, dim]
}

export const silu = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));
