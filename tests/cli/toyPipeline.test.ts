// The CLI end to end on a toy set, as a user runs it: train → distill → inspect → sample → eval.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'halfstep-cli-'));

describe('halfstep CLI on two moons', () => {
  it('prints help for every subcommand', async () => {
    const { stdout } = await cli('--help');
    const subcommands = ['train', 'distill', 'sample', 'eval', 'inspect'];
    for (const c of subcommands) expect(stdout).toContain(c);
    const helps = await Promise.all(subcommands.map((c) => cli(c, '--help')));
    helps.forEach((h, i) => expect(h.stdout).toMatch(new RegExp(`^Usage: halfstep ${subcommands[i]} `)));
  });

  it('trains, distils 4 → 1 with lineage, samples .npy and evaluates', async () => {
    const teacher = join(dir, 'teacher.safetensors');
    const train = JSON.parse((await cli('train', '--data', 'moons', '--iters', '150', '--hidden', '32', '--blocks', '1', '--seed', '3', '--out', teacher, '--backend', 'wasm', '--json')).stdout);
    expect(train.iterations).toBe(150);
    expect(Number.isFinite(train.finalLoss)).toBe(true);

    const out = join(dir, 'students');
    const lines = (await cli('distill', '--teacher', teacher, '--from', '4', '--to', '1', '--iters', '40', '--n', '200', '--out-dir', out, '--backend', 'wasm', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l: { type: string }) => l.type)).toEqual(['teacher', 'stage', 'stage', 'summary']);
    const report = lines.at(-1);
    expect(report.stages.map((s: { steps: number }) => s.steps)).toEqual([2, 1]);
    for (const s of report.stages) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.student.swd).toBeGreaterThan(0);
      expect(s.teacherDdim.swd).toBeGreaterThan(0);
    }
    expect(existsSync(join(out, 'student-2.safetensors')) && existsSync(join(out, 'student-1.safetensors'))).toBe(true);

    // --no-teacher-eval leaves out the teacher's figure at --from (the costly one) and nothing else.
    const again = (await cli('distill', '--teacher', join(out, 'student-2.safetensors'), '--from', '2', '--to', '1', '--iters', '5', '--n', '50', '--no-teacher-eval', '--out-dir', join(dir, 'again'), '--backend', 'wasm', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(again.map((l: { type: string }) => l.type)).toEqual(['stage', 'summary']);
    expect(again.at(-1).teacherAtFrom).toBeNull();
    expect(again[0].student.swd).toBeGreaterThan(0);
    // A chain continued from student-2 (stage 1) numbers its student stage 2, as the compatibility check expects.
    expect(again[0].stage).toBe(2);
    await cli('inspect', join(dir, 'again', 'student-1.safetensors'), '--teacher', join(out, 'student-2.safetensors'));

    // Lineage: student-2 names the teacher's hash, student-1 names student-2's.
    const inspect = async (f: string) => JSON.parse((await cli('inspect', f, '--json')).stdout);
    const [t, s2, s1] = [await inspect(teacher), await inspect(join(out, 'student-2.safetensors')), await inspect(join(out, 'student-1.safetensors'))];
    expect(t.role).toBe('teacher');
    expect(t.steps).toBeNull();
    expect(s2).toMatchObject({ role: 'student', steps: 2, lineage: { teacherHash: t.hash, teacherSteps: 4, stage: 1, iterations: 40 } });
    expect(s1).toMatchObject({ role: 'student', steps: 1, lineage: { teacherHash: s2.hash, teacherSteps: 2, stage: 2 } });
    expect(s1.parameters).toBe(t.parameters);
    // A student checked against its own teacher passes; against the teacher two stages up, status 2 with the reasons.
    expect(JSON.parse((await cli('inspect', join(out, 'student-1.safetensors'), '--teacher', join(out, 'student-2.safetensors'), '--json')).stdout).studentOf).toContain('student-2');
    const wrong = await cli('inspect', join(out, 'student-1.safetensors'), '--teacher', teacher).catch((err) => err);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/is not a student of .*teacher\.safetensors: student was distilled from weights .*; .*stage 2, a student of this teacher is stage 1/);

    // .npy: parse the header by hand (magic, version 1.0, header length, dict) and the float32 payload.
    const npy = join(dir, 's.npy');
    await cli('sample', '--ckpt', join(out, 'student-1.safetensors'), '--n', '7', '--seed', '9', '--out', npy, '--backend', 'wasm');
    const bytes = readFileSync(npy);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLen = bytes.readUInt16LE(8);
    expect((10 + headerLen) % 64).toBe(0);
    const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(7, 2\), \} *\n$/);
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.length));
    expect(values.length).toBe(14);
    expect(values.every(Number.isFinite)).toBe(true);

    const ev = JSON.parse((await cli('eval', '--ckpt', join(out, 'student-1.safetensors'), '--n', '100', '--json', '--backend', 'wasm')).stdout);
    expect(ev).toMatchObject({ role: 'student', steps: 1, n: 100 });
    expect(ev.swd).toBeGreaterThan(0);
  });

  it('refuses a teacher without --steps and bad options with one error line', async () => {
    const teacher = join(dir, 'teacher.safetensors');
    const e = await cli('sample', '--ckpt', teacher, '--out', join(dir, 'x.npy')).catch((err) => err);
    expect(e.code).toBe(2); // wrong input: 2; a run that failed: 1
    expect(e.stderr.trim()).toMatch(/^error: .*teacher: say how many sampling steps with --steps$/);
    const bad = await cli('distill', '--teacher', teacher, '--from', '6', '--to', '1', '--out-dir', dir).catch((err) => err);
    expect(bad.code).toBe(2); // a usage error (Commander's): 2 as well
    expect(bad.stderr.split('\n').filter((l: string) => l.startsWith('error:'))).toEqual([expect.stringContaining('must be a power of two')]);
  });
});
