// Backend choice without a GPU: named backends start, a WebGPU request without an adapter falls back to
// wasm and says why, and tfjs's "install tfjs-node" banner stays quiet.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { backendInfo, getWebGPUBackend, initBackend } from '../../src/tensor/backend';

// Dawn that finds no adapter, as on a machine with neither a GPU nor SwiftShader configured.
vi.mock('webgpu', () => ({ create: () => ({ requestAdapter: async () => null }), globals: {} }));

const warn = vi.spyOn(console, 'warn');
afterAll(() => warn.mockRestore());

describe('initBackend without a WebGPU adapter', () => {
  it('starts cpu on request, without the tfjs-node banner', async () => {
    const info = await initBackend('cpu');
    expect(info).toEqual({ name: 'cpu', adapter: null });
    expect(tf.getBackend()).toBe('cpu');
    const t = tf.tensor([1, 2, 3]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    t.dispose();
    expect(warn.mock.calls.flat().join(' ')).not.toMatch(/tfjs-node/);
  });

  it('starts wasm on request; asking again returns the running backend', async () => {
    const info = await initBackend('wasm');
    expect(info).toEqual({ name: 'wasm', adapter: null, threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('auto')).toBe(info);
    expect(backendInfo()).toBe(info);
    expect(getWebGPUBackend()).toBeNull();
  });

  it('falls back from webgpu to wasm and reports why', async () => {
    await initBackend('cpu');
    const info = await initBackend('webgpu');
    expect(info.name).toBe('wasm');
    expect(info.adapter).toBeNull();
    expect(info.fallbackReason).toMatch(/^webgpu: no adapter/);
    expect(tf.getBackend()).toBe('wasm');
  });
});
