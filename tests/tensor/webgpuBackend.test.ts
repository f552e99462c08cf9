// The WebGPU backend through Dawn (SwiftShader without a GPU): adapter reported, backend handed to kernels,
// device loss announced to subscribers.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type DeviceLostEvent, getWebGPUBackend, onDeviceLost } from '../../src/tensor/backend';
import { setupWebGPU } from '../kernels/webgpuSetup';

const gpu = await setupWebGPU();

describe.skipIf(!gpu)('initBackend on webgpu', () => {
  it('reports the adapter and runs tensors on it', async () => {
    expect(gpu?.name).toBe('webgpu');
    expect(gpu?.adapter?.vendor).toMatch(/\S/);
    expect(typeof gpu?.adapter?.architecture).toBe('string');
    expect(tf.getBackend()).toBe('webgpu');
    const sum = tf.add(tf.tensor([1, 2]), tf.tensor([3, 4]));
    expect(Array.from(await sum.data())).toEqual([4, 6]);
    sum.dispose();
    expect(getWebGPUBackend()?.device).toBeDefined();
  });

  // Last: it destroys the device.
  it('announces device loss to onDeviceLost subscribers, and unsubscribes', async () => {
    const seen: DeviceLostEvent[] = [];
    const dropped: DeviceLostEvent[] = [];
    const lost = new Promise<void>((resolve) => onDeviceLost((e) => { seen.push(e); resolve(); }));
    onDeviceLost((e) => dropped.push(e))();
    getWebGPUBackend()?.device.destroy();
    await lost;
    expect(seen).toHaveLength(1);
    expect(seen[0].reason).toBe('destroyed');
    expect(dropped).toHaveLength(0);
  });
});
