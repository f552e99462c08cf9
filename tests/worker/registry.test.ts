// The worker's registry refuses a student whose lineage names a loaded teacher it does not fit, before any
// network is built (issue 5: compatibility checks before GPU work).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE } from '../../src/core/schedule';
import { type Checkpoint, contentHash } from '../../src/io/checkpoint';
import { CompatibilityError } from '../../src/io/compat';
import type { ModelConfig } from '../../src/model/config';
import { adoptAsShipped, checkAgainstLoadedTeacher, loadedSame, register, studentsMisfitting, unregister } from '../../src/worker/registry';

const config: ModelConfig = { network: { arch: 'mlp', hidden: 4, blocks: 1, embedDim: 4 }, data: { kind: 'toy2d', name: 'moons' }, parameterization: 'v', schedule: DEFAULT_SCHEDULE, conditioning: 't' };

/** A checkpoint with the given config and constant weights of the shapes an MLP of that config has. */
function checkpoint(role: 'teacher' | 'student', value: number, extra: Partial<Checkpoint> = {}): Checkpoint {
  const h = 4;
  const shapes: [string, number[]][] = [['in.weight', [2, h]], ['in.bias', [h]], ['temb.0.weight', [4, h]], ['temb.0.bias', [h]], ['temb.1.weight', [h, h]], ['temb.1.bias', [h]],
    ['blocks.0.fc1.weight', [h, h]], ['blocks.0.fc1.bias', [h]], ['blocks.0.temb.weight', [h, h]], ['blocks.0.temb.bias', [h]], ['blocks.0.fc2.weight', [h, h]], ['blocks.0.fc2.bias', [h]], ['out.weight', [h, 2]], ['out.bias', [2]]];
  const weights = new Map(shapes.map(([n, s]) => [n, { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)).fill(value) }]));
  return { config, role, steps: null, lineage: null, weights, hash: contentHash(weights), ...extra };
}

describe('worker registry', () => {
  const teacher = checkpoint('teacher', 0.5);
  const { info } = register(teacher, { name: 'teacher.safetensors', source: 'dropped' });

  it('accepts a student that fits its loaded teacher', () => {
    const student = checkpoint('student', 0.25, { steps: 4, lineage: { teacherHash: teacher.hash, teacherSteps: 8, stage: 1, iterations: 10, finalLoss: 0.1 } });
    expect(() => checkAgainstLoadedTeacher(student)).not.toThrow();
  });

  it('refuses one whose lineage says another stage, or another diffusion process, with the reasons', () => {
    const wrongStage = checkpoint('student', 0.25, { steps: 4, lineage: { teacherHash: teacher.hash, teacherSteps: 8, stage: 2, iterations: 10, finalLoss: 0.1 } });
    expect(() => checkAgainstLoadedTeacher(wrongStage)).toThrow(CompatibilityError);
    expect(() => checkAgainstLoadedTeacher(wrongStage)).toThrow(/stage 2, a student of this teacher is stage 1/);
    const otherParam = { ...checkpoint('student', 0.25, { steps: 4, lineage: { teacherHash: teacher.hash, teacherSteps: 8, stage: 1, iterations: 10, finalLoss: 0.1 } }), config: { ...config, parameterization: 'eps' as const } };
    expect(() => checkAgainstLoadedTeacher(otherParam)).toThrow(/parameterization differs: student 'eps', teacher 'v'/);
  });

  it('names the students loaded before their teacher that do not fit it, with the reasons', () => {
    const later = checkpoint('teacher', 0.6);
    const lineage = (stage: number) => ({ teacherHash: later.hash, teacherSteps: 8, stage, iterations: 10, finalLoss: 0.1 });
    const fits = register(checkpoint('student', 0.3, { steps: 4, lineage: lineage(1) }), { name: 'fits.safetensors', source: 'dropped' });
    const misfit = register(checkpoint('student', 0.35, { steps: 4, lineage: lineage(3) }), { name: 'misfit.safetensors', source: 'dropped' });
    const found = studentsMisfitting(later);
    expect(found.map((f) => f.info.name)).toEqual(['misfit.safetensors']);
    expect(String(found[0].error)).toMatch(/stage 3, a student of this teacher is stage 1/);
    expect(studentsMisfitting(checkpoint('teacher', 0.65))).toEqual([]); // names no one
    unregister(fits.info.id);
    unregister(misfit.info.id);
  });

  it('keeps a student that fits one of the loaded files holding its teacher\'s weights (a student relabelled as a teacher)', () => {
    const root = checkpoint('teacher', 0.1);
    const s8 = checkpoint('student', 0.2, { steps: 8, lineage: { teacherHash: root.hash, teacherSteps: 16, stage: 1, iterations: 10, finalLoss: 0.1 } });
    const s4 = checkpoint('student', 0.3, { steps: 4, lineage: { teacherHash: s8.hash, teacherSteps: 8, stage: 2, iterations: 10, finalLoss: 0.1 } });
    // The same weights as s8, written as an original teacher: its students would be stage 1.
    const relabelled: Checkpoint = { ...s8, role: 'teacher', steps: null, lineage: null };
    const a = register(s4, { name: 'student-4.safetensors', source: 'shipped' });
    // Alone, the relabelled file is the only teacher s4's lineage can mean: s4 does not fit it (the control).
    expect(studentsMisfitting(relabelled).map((f) => f.info.name)).toEqual(['student-4.safetensors']);
    const b = register(s8, { name: 'student-8.safetensors', source: 'shipped' });
    const c = register(relabelled, { name: 'student-8-as-teacher.safetensors', source: 'dropped' });
    expect(studentsMisfitting(relabelled)).toEqual([]);
    expect(() => checkAgainstLoadedTeacher(s4)).not.toThrow();
    // A student that fits neither is still refused, with the reasons against the first of them.
    const s4Stage5 = { ...s4, lineage: { ...s4.lineage!, stage: 5 } };
    expect(() => checkAgainstLoadedTeacher(s4Stage5)).toThrow(/stage 5, a student of this teacher is stage 2/);
    for (const r of [a, b, c]) unregister(r.info.id);
    // The relabelled file first: a student dropped now fits the later-loaded s8, and is listed.
    const first = register(relabelled, { name: 'student-8-as-teacher.safetensors', source: 'dropped' });
    expect(() => checkAgainstLoadedTeacher(s4)).toThrow(/a student of this teacher is stage 1/); // the control: s8 not loaded yet
    const then = register(s8, { name: 'student-8.safetensors', source: 'shipped' });
    expect(() => checkAgainstLoadedTeacher(s4)).not.toThrow();
    for (const r of [first, then]) unregister(r.info.id);
  });

  it('has nothing to check when the named teacher is not loaded', () => {
    unregister(info.id);
    const orphan = checkpoint('student', 0.25, { steps: 4, lineage: { teacherHash: teacher.hash, teacherSteps: 8, stage: 2, iterations: 10, finalLoss: 0.1 } });
    expect(() => checkAgainstLoadedTeacher(orphan)).not.toThrow();
  });
});

describe('the same checkpoint loaded twice', () => {
  it('is found by weights, role, steps and teacher; a shipped copy of a dropped one takes its shipped name', () => {
    const t = checkpoint('teacher', 0.75);
    const { info } = register(t, { name: 'mine.safetensors', source: 'dropped' });
    expect(loadedSame(checkpoint('teacher', 0.75))?.id).toBe(info.id);
    // Same weights, other metadata: another checkpoint.
    expect(loadedSame(checkpoint('student', 0.75, { steps: 4, lineage: { teacherHash: t.hash, teacherSteps: 8, stage: 1, iterations: 1, finalLoss: 0 } }))).toBeUndefined();
    expect(loadedSame(checkpoint('teacher', 0.7))).toBeUndefined();
    const adopted = adoptAsShipped(info.id, 'toy/moons/teacher.safetensors', 'toy/moons/teacher');
    expect(adopted).toMatchObject({ id: info.id, source: 'shipped', shippedKey: 'toy/moons/teacher', name: 'toy/moons/teacher.safetensors' });
    expect(loadedSame(t)).toEqual(adopted);
    unregister(info.id);
    expect(loadedSame(t)).toBeUndefined();
  });
});
