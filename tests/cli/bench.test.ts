// `halfstep bench --json` prints the JSON the README documents (issue 3): here on wasm, the fast CPU backend, with
// the shipped MNIST teacher's UNet (--model). The WebGPU-only fields (stock comparison, dispatch counts, the
// Trainer variants) come from `npm run bench` on SwiftShader, which takes minutes: README, Performance.
import { describe, expect, it } from 'vitest';
import { cli } from './cli';

describe('halfstep bench', () => {
  it('--quick --model times the shipped teacher\'s UNet and prints forward, training, sampler and kernel figures', async () => {
    const r = JSON.parse((await cli('bench', '--quick', '--backend', 'wasm', '--model', 'models/mnist/teacher.safetensors', '--json')).stdout);
    expect(r).toMatchObject({ backend: 'wasm', adapter: null, quick: true, image: [28, 28, 1] });
    // The teacher's architecture (README, MNIST), not the bench's own 8/16/16 UNet with attention.
    expect(r.unetConfig).toMatchObject({ arch: 'unet', channels: [16, 32, 32], attention: false, groups: 8 });
    // By the count written out in tests/model/unet.test.ts, at channels 16/32/32 (T = 64) without attention:
    // embedding MLP 8,320, in 160, down 8,064 + 25,856, middle 2 · 20,704, up 41,312 + 13,232, out 32 + 145.
    expect(r.unet.parameters).toBe(138_529);
    for (const field of ['forward_ms_per_image', 'train_step_ms']) {
      expect(Object.keys(r.unet[field]).sort()).toEqual(['1', '2']);
      for (const ms of Object.values(r.unet[field])) expect(ms).toBeGreaterThan(0);
    }
    expect(Object.keys(r.sampler_ms_per_image).sort()).toEqual(['1', '4']);
    // Four steps of the sampler cost more than one.
    expect(r.sampler_ms_per_image['4']).toBeGreaterThan(r.sampler_ms_per_image['1']);
    // Kernel tuning is for webgpu: on wasm it reports itself off, with nothing chosen.
    expect(r.kernel_tuning).toEqual({ mode: 'auto', active: false, ms: 0, choices: [], passes: [] });
    expect(r.kernels.length).toBeGreaterThanOrEqual(8);
    for (const k of r.kernels) {
      expect(Object.keys(k)).toEqual(expect.arrayContaining(['name', 'ours_ms', 'stock_ms', 'speedup']));
      expect(k.ours_ms).toBeGreaterThan(0);
      // wasm has no Conv2DBackpropFilter kernel: no stock figure, no ratio.
      if (k.name.startsWith('conv2dBackpropFilter')) expect([k.stock_ms, k.speedup]).toEqual([null, null]);
      else expect(k.speedup).toBeCloseTo(k.stock_ms / k.ours_ms, 2);
    }
  }, 120_000);

  it('--model refuses a checkpoint that is not a UNet on 28×28×1 images, with status 2', async () => {
    const bad = await cli('bench', '--quick', '--backend', 'wasm', '--model', 'models/toy/gaussians8/teacher.safetensors').catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/teacher\.safetensors: the bench times a UNet on 28x28x1 images; this checkpoint is a mlp on toy2d data/);
  }, 60_000);
});
