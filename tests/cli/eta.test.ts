// `--eta` of `sample` and `eval`: stochastic DDIM from the CLI, reproducible from its seed, still a sampler of
// the data (the shipped moons teacher), and refused outside [0, 1].
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, npyValues } from './cli';

const TEACHER = 'models/toy/moons/teacher.safetensors';

describe('halfstep --eta', () => {
  it('samples reproducibly from the seed, and not what η = 0 samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halfstep-eta-'));
    const sample = (name: string, eta: string) => cli('sample', '--ckpt', TEACHER, '--steps', '8', '--n', '64', '--eta', eta, '--backend', 'cpu', '--out', join(dir, name));
    const { stdout } = await sample('a.npy', '1');
    expect(stdout).toContain('η = 1');
    await sample('b.npy', '1');
    await sample('c.npy', '0');
    const [a, b, c] = ['a.npy', 'b.npy', 'c.npy'].map((f) => Array.from(npyValues(join(dir, f))));
    expect(a).toHaveLength(128);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  // Sliced Wasserstein distance of 512 samples to the data: the deterministic sampler scores about 0.1 at
  // 32 steps and random points in the data's box about 1; the ancestral one lands near the deterministic one.
  it('eval --eta 1 still samples the data', async () => {
    const { stdout } = await cli('eval', '--ckpt', TEACHER, '--steps', '32', '--n', '512', '--eta', '1', '--backend', 'cpu', '--json');
    const report = JSON.parse(stdout) as { eta: number; swd: number };
    expect(report.eta).toBe(1);
    expect(report.swd).toBeLessThan(0.25);
  });

  it('refuses η outside [0, 1], and with --real', async () => {
    await expect(cli('sample', '--ckpt', TEACHER, '--eta', '1.5', '--out', '/tmp/never.npy')).rejects.toMatchObject({ stderr: expect.stringContaining('must be a number in [0, 1]') });
    await expect(cli('eval', '--real', '--eta', '1')).rejects.toMatchObject({ stderr: expect.stringContaining('leave out --ckpt, --steps and --eta') });
  });
});
