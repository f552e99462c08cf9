// Starts tfjs on WebGPU for the kernel tests: SwiftShader through Dawn in Node when the machine has no GPU.
// In CI (CI=true) a missing adapter fails the run; elsewhere the WebGPU tests skip, saying why.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { type BackendInfo, initBackend } from '../../src/tensor/backend';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const inCI = (): boolean => !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** The webgpu backend's info, or null (tests skip) when there is no adapter outside CI. */
export async function setupWebGPU(): Promise<BackendInfo | null> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const info = await initBackend('webgpu');
  if (info.name === 'webgpu') return info;
  const why = `no WebGPU adapter (${info.fallbackReason ?? 'unknown reason'}); install chromium (SwiftShader) and libvulkan1: bash tests/setup/ensure-system-deps.sh`;
  if (inCI()) throw new Error(`the WebGPU kernel tests must run in CI: ${why}`);
  console.warn(`\n*** SKIPPING WebGPU kernel tests: ${why} ***\n`);
  return null;
}

/** What a WebGPU test says when it skips (`ctx.skip(NO_WEBGPU)`): setupWebGPU printed the reason; in CI it throws instead. */
export const NO_WEBGPU = 'no WebGPU adapter: setupWebGPU printed why (outside CI only)';

/** Runs `fn` on another backend (the cpu reference), reads its tensor back, and returns to the previous one. */
export async function on(backend: 'cpu' | 'wasm' | 'webgpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not start ${backend}`);
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(list);
    return data;
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}

/** max |a - b| ≤ atol + rtol·max |b|: float32 parity, scaled to the size of the values compared. */
export function expectClose(actual: Float32Array, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  expect(Number.isFinite(maxDiff)).toBe(true);
  expect(maxDiff).toBeLessThanOrEqual(atol + rtol * scale);
}
