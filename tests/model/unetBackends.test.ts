// The UNet teacher trains a few steps on MNIST-shaped random data on every backend (cpu, wasm, and WebGPU on
// SwiftShader through Dawn), through the same Trainer and loss as `halfstep train --data mnist`, and the
// backends agree on every step's loss (same seeds, same data, an output layer that is not zero, so each loss
// goes through the whole network and the updates before it); and one gradient of every parameter on
// WebGPU with our WGSL programs (GroupNorm + SiLU, conv gradients, fused biases) against the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { DEFAULT_SCHEDULE } from '../../src/core/schedule';
import { buildNetwork } from '../../src/model/build';
import type { ModelConfig, UnetConfig } from '../../src/model/config';
import type { Network } from '../../src/model/network';
import { initBackend } from '../../src/tensor/backend';
import { trainTeacher } from '../../src/train/teacher';
import { NO_WEBGPU, setupWebGPU } from '../kernels/webgpuSetup';

const CONFIG: ModelConfig = {
  network: { arch: 'unet', channels: [4, 8, 8], resBlocks: 1, attention: true, groups: 4, embedDim: 16, dropout: 0.1 },
  data: { kind: 'image', height: 28, width: 28, channels: 1, name: 'mnist' },
  parameterization: 'v',
  schedule: DEFAULT_SCHEDULE,
  conditioning: 't',
};

/** Fixed random "images" in [-1, 1]: the shape of MNIST, not its content. */
const images = (() => {
  const rng = new Rng(3);
  return Float32Array.from({ length: 8 * 784 }, () => 2 * rng.uniform() - 1);
})();

/** The output convolution starts at zero (unet.ts): give it seeded random weights, so the output depends on the whole network. */
function wakeOutput(net: Network, rng: Rng): void {
  const out = net.params.get('out.weight')!;
  const values = tf.tensor(rng.normals(out.size).map((v) => 0.1 * v), out.shape);
  out.assign(values);
  values.dispose();
}

async function trainOnCurrentBackend(): Promise<{ losses: number[]; moved: number; leaked: number }> {
  const before = tf.memory().numTensors;
  const net = buildNetwork(CONFIG, 5);
  wakeOutput(net, new Rng(9));
  const initial = await net.params.get('in.weight')!.data();
  const data = (b: number) => tf.tensor(images.subarray(0, b * 784).slice(), [b, 28, 28, 1]);
  const { trainer, result } = await trainTeacher(net, { iterations: 4, learningRate: 1e-3, batchSize: 2, data, seed: 1, reportEvery: 1, emaDecay: 0.9 });
  const after = await net.params.get('in.weight')!.data();
  trainer.dispose();
  net.dispose();
  expect(result.stopped).toBe('done');
  expect(result.reports).toHaveLength(4);
  return {
    losses: result.reports.map((r) => r.loss),
    moved: Math.max(...after.map((v, i) => Math.abs(v - initial[i]))),
    leaked: tf.memory().numTensors - before,
  };
}

describe('the UNet teacher trains on every backend', () => {
  const runs: Record<string, Awaited<ReturnType<typeof trainOnCurrentBackend>>> = {};
  for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
    it(`on ${backend}`, async (ctx) => {
      if (backend === 'webgpu') {
        if (!(await setupWebGPU())) ctx.skip(NO_WEBGPU);
      } else {
        expect((await initBackend(backend)).name).toBe(backend);
      }
      const r = await trainOnCurrentBackend();
      runs[backend] = r;
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(r.moved).toBeGreaterThan(0);
      expect(r.leaked).toBe(0);
    }, 240_000);
  }
  // cpu and wasm run the same float32 arithmetic in nearly the same order; WebGPU sums convolutions and
  // GroupNorm statistics in other orders (our WGSL programs), and Adam's first steps amplify the sign of tiny
  // gradients, so it gets a looser bound.
  it('with the same loss at every step everywhere (same seeds, same data)', () => {
    const cpu = runs.cpu.losses;
    expect(cpu).toHaveLength(4);
    for (const [backend, tolerance] of [['wasm', 1e-5], ['webgpu', 1e-4]] as const) {
      if (!runs[backend]) {
        console.warn(`*** the ${backend} losses were not compared: its training test did not run ***`);
        continue;
      }
      runs[backend].losses.forEach((l, i) => expect(Math.abs(l - cpu[i]), `${backend}, step ${i}`).toBeLessThan(tolerance * Math.abs(cpu[i])));
    }
    // The losses differ from step to step (each is a new batch of t and noise), so agreeing is not agreeing on a constant.
    expect(new Set(cpu).size).toBe(4);
  });
});

/** Loss and every parameter's gradient of one v-loss-shaped step, with a non-zero output layer. */
async function gradientsOn(backend: 'cpu' | 'webgpu'): Promise<Map<string, Float32Array>> {
  expect((await initBackend(backend)).name).toBe(backend);
  const before = tf.memory().numTensors;
  const net = buildNetwork({ ...CONFIG, network: { ...(CONFIG.network as UnetConfig), dropout: 0 } }, 5);
  const rng = new Rng(9);
  wakeOutput(net, rng);
  const z = tf.tensor(images.subarray(0, 2 * 784).slice(), [2, 28, 28, 1]);
  const t = tf.tensor1d([0.3, 0.8]);
  const target = tf.tensor(rng.normals(2 * 784), [2, 28, 28, 1]);
  const names = [...net.params.keys()];
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(net.apply(z, t), target)) as tf.Scalar, [...net.params.values()]);
  const result = new Map<string, Float32Array>();
  const byId = new Map([...net.params].map(([name, v]) => [v.name, name]));
  for (const [id, g] of Object.entries(grads)) result.set(byId.get(id)!, (await g.data()) as Float32Array);
  tf.dispose([z, t, target, value, ...Object.values(grads)]);
  net.dispose();
  expect(tf.memory().numTensors).toBe(before);
  expect([...result.keys()].sort()).toEqual(names.sort());
  return result;
}

describe('one UNet gradient', () => {
  it('of every parameter on WebGPU with our WGSL programs equals the cpu backend\'s', async (ctx) => {
    if (!(await setupWebGPU())) ctx.skip(NO_WEBGPU);
    const gpu = await gradientsOn('webgpu');
    const cpu = await gradientsOn('cpu');
    for (const [name, want] of cpu) {
      const got = gpu.get(name)!;
      const scale = Math.max(...want.map(Math.abs));
      const diff = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
      expect.soft(scale, `${name} has a non-zero gradient`).toBeGreaterThan(0);
      expect.soft(diff, name).toBeLessThanOrEqual(1e-3 * scale + 1e-6);
    }
  }, 240_000);
});
