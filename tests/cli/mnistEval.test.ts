// `halfstep eval` on MNIST: the metric's floor on real images, and the shipped models' figures.
import { describe, expect, it } from 'vitest';
import { cli } from './cli';

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

describe('the shipped MNIST models', () => {
  // The acceptance command, on the backend it picks by itself (wasm on a machine without a GPU), and the
  // paper's effect on the shipped files: the 4-step student far better than the teacher's own 4-step DDIM, from
  // the same noise. Each figure is 500 samples of 4 network evaluations (~15 s on wasm).
  it('evaluates student-4 at 4 steps on 500 samples, clearly better than the teacher\'s own 4-step DDIM', async () => {
    const student = JSON.parse((await cli('eval', '--ckpt', 'models/mnist/student-4.safetensors', '--steps', '4', '--n', '500', '--json')).stdout);
    expect(student).toMatchObject({ role: 'student', steps: 4, n: 500 });
    for (const k of ['fid', 'kid', 'confident', 'classEntropy']) expect(Number.isFinite(student[k])).toBe(true);
    // Without --ckpt, eval takes the shipped teacher.
    const teacher = JSON.parse((await cli('eval', '--steps', '4', '--n', '500', '--json')).stdout);
    expect(teacher).toMatchObject({ role: 'teacher', steps: 4 });
    expect(teacher.ckpt).toMatch(/models\/mnist\/teacher\.safetensors$/);
    // README table: 163 against 70. FID on 500 samples moves by a few units between noise seeds; the
    // teacher's own 4-step DDIM being 25% worse is far outside that, and is the paper's effect.
    expect(teacher.fid).toBeGreaterThan(1.25 * student.fid);
    // Digits, not blobs: most of the student's samples are confidently one class, and all classes appear.
    expect(student.confident).toBeGreaterThan(0.5);
    expect(student.classEntropy).toBeGreaterThan(2);
  }, 180_000);
});
