// `--kernel-tuning` end to end: `halfstep sample` on WebGPU (SwiftShader through Dawn, as in the kernel tests)
// with tuning on says that it tunes and what it chose, and draws the samples that tuning off draws (the second
// batch runs whichever kernels were chosen after the first: float32 rounding apart, the same numbers).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { npyValues } from './cli';

const run = promisify(execFile);
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const haveIcd = existsSync(ICD);
if (!haveIcd && process.env.CI) throw new Error(`${ICD} is missing: bash tests/setup/ensure-system-deps.sh installs it`);
if (!haveIcd) console.warn(`\n*** SKIPPING the --kernel-tuning CLI test: no SwiftShader driver at ${ICD} ***\n`);

const gpuCli = (...args: string[]) =>
  run(process.execPath, ['bin/halfstep.mjs', ...args], { env: { ...process.env, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', CI: '1' } });

describe.skipIf(!haveIcd)('halfstep --kernel-tuning', () => {
  it('on: says so, reports what it timed, and samples what off samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halfstep-tuning-'));
    // Two batches of 256: the first runs ours and queues its shapes, the second runs the tuned choices.
    const common = ['sample', '--ckpt', 'models/toy/moons/student-2.safetensors', '--n', '512', '--seed', '4', '--backend', 'webgpu'];
    const on = await gpuCli(...common, '--out', join(dir, 'on.npy'), '--kernel-tuning', 'on');
    const off = await gpuCli(...common, '--out', join(dir, 'off.npy'), '--kernel-tuning', 'off');
    expect(on.stderr).toMatch(/backend: webgpu \(google swiftshader\), kernel tuning on/);
    expect(on.stderr).toMatch(/kernel tuning: timed \d+ shapes? in \d+\.\d s; (ours kept at every one|tfjs's kernel faster at \d+: dense )/);
    expect(off.stderr).toMatch(/kernel tuning off/);
    expect(off.stderr).not.toMatch(/kernel tuning: timed/);
    const [a, b] = [npyValues(join(dir, 'on.npy')), npyValues(join(dir, 'off.npy'))];
    expect(a.length).toBe(1024);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
  }, 180_000);
});
