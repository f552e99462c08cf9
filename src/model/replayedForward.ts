// A network's inference forward pass, recorded once per batch shape on WebGPU and replayed after
// (src/tensor/replay.ts): what samplers call hundreds of times with the same shapes (a distillation round
// records its whole batch, the frozen teacher's passes inside it, in src/distill/round.ts). Elsewhere (cpu, wasm, a gradient tape, dropout on) it is the network's own apply.
// Where kernel tuning chose tfjs's kernel at some ops, the pass at each batch shape is also timed whole, with
// those choices and with ours at every op, and runs the faster (autotune.ts, `registerPassCheck`).
import * as tf from '@tensorflow/tfjs';
import { type PassCheck, type PassChoice, choiceEpoch, decidePass, oursOnly, registerPassCheck, stockChosen, timePass, tunePendingKernels, tuningActive, withOursOnly } from '../kernels/autotune';
import { kernelVariant } from '../kernels/customKernels';
import { ReplayCache } from '../tensor/replay';
import type { ApplyOptions, Network } from './network';

export interface ReplayedForward extends Pick<Network, 'config' | 'apply'> {
  /** Recordings made, replays run and eager calls, for tests and the benchmark. */
  readonly stats: ReplayCache['stats'];
  /** Frees the recordings (GPU buffers); the network itself stays the caller's. */
  dispose(): void;
}

/**
 * Pass checks made in this process, by architecture, batch shape and choice epoch: the faster side depends on
 * the network's shape and the kernels chosen, not on its weights, so a new sampler of the same network shape
 * (every job makes one) does not time it again.
 */
const passImpl = new Map<string, PassChoice['impl']>();
const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;
const passKey = (arch: string, shape: readonly number[]) => `${arch}|${shapeText(shape)}#${choiceEpoch()}`;

/** Sets the pass choice of a network shape at a batch shape by hand (tests, the bench), at the current choices. */
export function forcePassChoice(net: Network, shape: readonly number[], impl: PassChoice['impl']): void {
  passImpl.set(passKey(JSON.stringify(net.config), shape), impl);
}

/** The pass choice of a network shape at a batch shape, at the current choices; undefined where none was made. */
export function passChoiceOf(net: Network, shape: readonly number[]): PassChoice['impl'] | undefined {
  return passImpl.get(passKey(JSON.stringify(net.config), shape));
}

/**
 * The pass checks of `net`'s forward pass at these input shapes ([B, ...sample]), now, where one is due: for a
 * caller whose sampler is gone by its tuning pause (the playground's warm-up draw, the bench's warm-up). Call
 * it where a readback is allowed, after tunePendingKernels() has tuned the ops.
 */
export async function checkForwardPasses(net: Network, zShapes: readonly (readonly number[])[]): Promise<void> {
  if (!tuningActive() || !stockChosen()) return;
  const { forward, check } = withPassCheck(net, zShapes);
  try {
    await tunePendingKernels({ passes: [check] }); // this network's passes only, not every live sampler's
  } finally {
    forward.dispose();
  }
}

export function replayedForward(net: Network): ReplayedForward {
  return withPassCheck(net, []).forward;
}

/** `expected`: input shapes ([B, ...sample]) to check before the pass has run at them (checkForwardPasses). */
function withPassCheck(net: Network, expected: readonly (readonly number[])[]): { forward: ReplayedForward; check: PassCheck } {
  // Our kernels and tfjs's stock ones record different dispatches: a switch flipped between calls records anew,
  // and so does a pass run with ours at every op.
  const cache = new ReplayCache(([z, t]) => net.apply(z, t as tf.Tensor1D), {
    variant: () => `${kernelVariant()}${oursOnly() ? '|ours-only' : ''}`,
    watch: { tensors: () => [...net.params.values()] },
  });
  const arch = JSON.stringify(net.config);
  // The z shapes this forward pass ran at while tuning was on, for its pass check (t is one per example).
  const shapes = new Map<string, readonly number[]>(expected.map((z) => [shapeText(z), [...z]]));
  const check: PassCheck = async () => {
    const made: PassChoice[] = [];
    for (const z of shapes.values()) {
      const key = passKey(arch, z);
      if (passImpl.has(key)) continue;
      const pass = `forward ${shapeText(z)}`;
      const inputs: tf.Tensor[] = [];
      let choice: PassChoice;
      try {
        inputs.push(tf.randomNormal([...z], 0, 1, 'float32', 1), tf.fill([z[0]], 0.5));
        const ms = await timePass(([zz, tt]) => net.apply(zz, tt as tf.Tensor1D), inputs);
        choice = { pass, impl: decidePass(ms.tuned_ms, ms.ours_ms), ...ms };
        passImpl.set(key, choice.impl);
      } catch (e) {
        // Reported, not kept: a failure belongs to this network and moment (a lost device, memory), and the
        // next pause tries again; meanwhile the tuned choices run.
        choice = { pass, impl: 'tuned', tuned_ms: Number.NaN, ours_ms: Number.NaN, error: e instanceof Error ? e.message : String(e) };
      } finally {
        tf.dispose(inputs);
      }
      made.push(choice);
    }
    return made;
  };
  const unregister = registerPassCheck(check);
  const forward: ReplayedForward = {
    config: net.config,
    stats: cache.stats,
    apply: (z: tf.Tensor, t: tf.Tensor1D, opts?: ApplyOptions) => {
      if (opts?.training) return net.apply(z, t, opts);
      const shape = shapeText(z.shape);
      if (tuningActive() && !shapes.has(shape)) shapes.set(shape, [...z.shape]);
      return passImpl.get(passKey(arch, z.shape)) === 'ours' ? withOursOnly(() => cache.call([z, t])) : cache.call([z, t]);
    },
    dispose: () => {
      unregister();
      cache.dispose();
    },
  };
  return { forward, check };
}
