// The CLI's wasm backend on several threads in Node (src/tensor/nodeWasmThreads.ts): by default it takes every
// core, says how many it runs on, gives the same weights as one thread, and the process still exits when done.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'halfstep-threads-'));
const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
// A small UNet on MNIST: convolutions, matrix products, GroupNorm and attention, forward and backward.
const train = (out: string, ...extra: string[]) =>
  cli('train', '--data', 'mnist', '--channels', '8,16,16', '--dropout', '0', '--batch', '8', '--iters', '3', '--backend', 'wasm', '--out', out, ...extra);

describe('halfstep on wasm threads', () => {
  it('runs on every core by default (at most 8), and trains to the same bytes as on one thread', async () => {
    const cores = Math.min(8, availableParallelism());
    const [many, one] = [join(dir, 'many.safetensors'), join(dir, 'one.safetensors')];
    // execFile resolves only once the process has exited: the pool's waiting threads do not keep it alive.
    const byDefault = await train(many);
    expect(byDefault.stderr).toMatch(cores > 1 ? new RegExp(`^backend: wasm \\(${cores} threads\\)$`, 'm') : /^backend: wasm$/m);
    const single = await train(one, '--threads', '1');
    expect(single.stderr).toMatch(/^backend: wasm$/m);
    // Threads split the work of each operation, never one sum: the results are the same to the bit.
    expect(digest(many)).toBe(digest(one));
  }, 120_000);

  it('reports the thread count in --json, and asks for two even on one core', async () => {
    const { stdout } = await train(join(dir, 'two.safetensors'), '--threads', '2', '--json');
    expect(JSON.parse(stdout)).toMatchObject({ backend: 'wasm', threads: 2 });
  }, 120_000);

  it('refuses more threads than tfjs-backend-wasm has', async () => {
    const error = await train(join(dir, 'nine.safetensors'), '--threads', '9').then(() => null, (e: { code: number; stderr: string }) => e);
    expect(error?.code).toBe(2);
    expect(error?.stderr).toMatch(/--threads <n>.*at most 8: tfjs-backend-wasm starts a pool of 8 threads/);
  });
});
