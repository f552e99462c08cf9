// The CLI's wasm backend on several threads in Node (src/tensor/nodeWasmThreads.ts): its default count, what
// it says, the same weights at any count, and a process that still exits when done.
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fileDigest } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'halfstep-threads-'));
// A small UNet on MNIST: convolutions, matrix products and GroupNorm, forward and backward.
const train = (out: string, ...extra: string[]) =>
  cli('train', '--data', 'mnist', '--channels', '8,16,16', '--dropout', '0', '--batch', '8', '--iters', '3', '--backend', 'wasm', '--out', out, ...extra);

describe('halfstep on wasm threads', () => {
  it('takes half the logical cores by default (at least 2, at most 8), and trains to the same bytes on 1, 2 or that many', async () => {
    const cores = availableParallelism();
    const expected = cores < 2 ? 1 : Math.min(8, Math.max(2, Math.floor(cores / 2)));
    const [byDefault, one, two] = ['default', 'one', 'two'].map((name) => join(dir, `${name}.safetensors`));
    // execFile resolves only once the process has exited: the pool's waiting threads do not keep it alive.
    const run = await train(byDefault);
    expect(run.stderr).toMatch(expected > 1 ? new RegExp(`^backend: wasm \\(${expected} threads\\)$`, 'm') : /^backend: wasm$/m);
    expect(run.stderr).not.toMatch(/note:/);
    expect((await train(one, '--threads', '1')).stderr).toMatch(/^backend: wasm$/m);
    expect(JSON.parse((await train(two, '--threads', '2', '--json')).stdout)).toMatchObject({ backend: 'wasm', threads: 2 });
    // Threads split the work of each operation, never one sum: the results are the same to the bit.
    expect(fileDigest(byDefault)).toBe(fileDigest(one));
    expect(fileDigest(two)).toBe(fileDigest(one));
  }, 180_000);

  it('refuses more threads than tfjs-backend-wasm has', async () => {
    const error = await train(join(dir, 'nine.safetensors'), '--threads', '9').then(() => null, (e: { code: number; stderr: string }) => e);
    expect(error?.code).toBe(2);
    expect(error?.stderr).toMatch(/--threads <n>.*at most 8: tfjs-backend-wasm starts a pool of 8 threads/);
  });

  it('says --threads does nothing on another backend', async () => {
    const { stderr } = await cli('train', '--data', 'moons', '--iters', '2', '--hidden', '8', '--blocks', '1', '--backend', 'cpu', '--threads', '2', '--out', join(dir, 'moons.safetensors'));
    expect(stderr).toMatch(/^note: --threads applies to wasm only; cpu runs as it is$/m);
  });
});
