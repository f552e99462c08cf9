// `halfstep eval` on MNIST: the metric's floor on real images, and the shipped models' figures.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ['bin/halfstep.mjs', ...args], { env: { ...process.env, CI: '1' } });

describe('halfstep eval on MNIST', () => {
  it('--real measures training images against the test set: low FID, confident and balanced classes', async () => {
    const r = JSON.parse((await cli('eval', '--real', '--n', '300', '--seed', '4', '--backend', 'wasm', '--json')).stdout);
    expect(r).toMatchObject({ real: 'mnist-train', n: 300, seed: 4 });
    // Real digits under a 99% classifier: nearly all confident, all ten classes (entropy near ln 10 = 2.30).
    expect(r.confident).toBeGreaterThan(0.95);
    expect(r.classEntropy).toBeGreaterThan(2.2);
    // FID of 300 real images against 10,000 others is only the small-sample bias (~10 here); samples of an
    // untrained network score in the hundreds.
    expect(r.fid).toBeGreaterThan(0);
    expect(r.fid).toBeLessThan(25);
    const bad = await cli('eval', '--real', '--ckpt', 'x.safetensors').catch((e) => e);
    expect(bad.stderr).toMatch(/leave out --ckpt/);
  }, 60_000);
});
