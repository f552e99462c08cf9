// Compatibility checks between checkpoints: the chain teacher → student-N/2 → student-N/4, and configs.
import { describe, expect, it } from 'vitest';
import { contentHash, type Checkpoint } from '../../src/io/checkpoint';
import { assertConfigsMatch, checkConfigsMatch, checkDistillationChain, checkStudentOfTeacher, CompatibilityError, studentOfTeacherProblems } from '../../src/io/compat';
import type { MlpConfig, ModelConfig, UnetConfig } from '../../src/model/config';
import type { NamedTensor } from '../../src/io/safetensors';

const mlpNet: MlpConfig = { arch: 'mlp', hidden: 8, blocks: 2, embedDim: 4 };
const unetNet: UnetConfig = { arch: 'unet', channels: [32, 64, 64], resBlocks: 1, attention: false, groups: 8, embedDim: 32, dropout: 0.1 };
const toy: ModelConfig = {
  network: mlpNet,
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
  conditioning: 't',
};
const mnist: ModelConfig = {
  network: unetNet,
  data: { kind: 'image', height: 28, width: 28, channels: 1, name: 'mnist' },
  parameterization: 'v',
  schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
  conditioning: 't',
};

function checkpoint(c: Omit<Checkpoint, 'hash' | 'weights'>, seed: number): Checkpoint {
  const weights = new Map<string, NamedTensor>([['w', { shape: [2], data: new Float32Array([seed, -seed]) }]]);
  return { ...c, weights, hash: contentHash(weights) };
}

const teacher = checkpoint({ config: toy, role: 'teacher', steps: null, lineage: null }, 1);
const student4 = checkpoint({ config: toy, role: 'student', steps: 4, lineage: { teacherHash: teacher.hash, teacherSteps: 8, stage: 1, iterations: 100, finalLoss: 0.1 } }, 2);
const student2 = checkpoint({ config: toy, role: 'student', steps: 2, lineage: { teacherHash: student4.hash, teacherSteps: 4, stage: 2, iterations: 100, finalLoss: 0.2 } }, 3);

function problems(fn: () => void): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CompatibilityError);
    expect((e as Error).message).not.toMatch(/\n/);
    return [...(e as CompatibilityError).reasons];
  }
  return [];
}

describe('checkStudentOfTeacher', () => {
  it('accepts a stage-1 student of its teacher and a stage-2 student of that student', () => {
    expect(() => checkStudentOfTeacher(student4, teacher)).not.toThrow();
    expect(() => checkStudentOfTeacher(student2, student4)).not.toThrow();
    expect(() => checkDistillationChain([teacher, student4, student2])).not.toThrow();
  });

  it('rejects a student whose lineage names other weights', () => {
    const otherTeacher = checkpoint({ config: toy, role: 'teacher', steps: null, lineage: null }, 9);
    expect(problems(() => checkStudentOfTeacher(student4, otherTeacher))).toEqual([
      `student was distilled from weights ${teacher.hash.slice(0, 12)}…, this teacher's weights are ${otherTeacher.hash.slice(0, 12)}…`,
    ]);
  });

  it('rejects skipping a link: a stage-2 student checked against the original teacher', () => {
    expect(problems(() => checkStudentOfTeacher(student2, teacher))).toEqual([
      `student was distilled from weights ${student4.hash.slice(0, 12)}…, this teacher's weights are ${teacher.hash.slice(0, 12)}…`,
      "student's lineage says stage 2, a student of this teacher is stage 1",
    ]);
  });

  it('rejects a teacher given as the student', () => {
    expect(problems(() => checkStudentOfTeacher(teacher, teacher))).toEqual(["the checkpoint given as the student is a teacher (role 'teacher'), not a distilled student"]);
  });

  it('rejects a step count that does not halve the student-teacher', () => {
    const wrong = checkpoint({ config: toy, role: 'student', steps: 4, lineage: { teacherHash: student4.hash, teacherSteps: 8, stage: 2, iterations: 1, finalLoss: 0 } }, 4);
    expect(problems(() => checkStudentOfTeacher(wrong, student4))).toEqual(["student's lineage says its teacher sampled with 8 steps, this teacher is a 4-step student"]);
  });

  it('rejects a student whose config differs from its teacher, with every reason', () => {
    const eps = checkpoint({ ...student4, config: { ...toy, parameterization: 'eps' } }, 2);
    expect(problems(() => checkStudentOfTeacher(eps, teacher))).toEqual(["parameterization differs: student 'eps', teacher 'v'"]);
    const wider = checkpoint({ ...student4, config: { ...toy, network: { ...mlpNet, hidden: 16 }, schedule: { ...toy.schedule, logSnrMin: -10 } } }, 2);
    const reasons = problems(() => checkStudentOfTeacher(wider, teacher));
    expect(reasons).toEqual(['network hidden differs: student 16, teacher 8', 'schedule differs: student cosine logSNR [-10, 20], teacher cosine logSNR [-20, 20]']);
    expect(studentOfTeacherProblems(wider, teacher)).toEqual(reasons);
  });

  it('names the failing link of a chain', () => {
    const stranger = checkpoint({ ...student2, lineage: { ...student2.lineage!, teacherHash: 'ff'.repeat(32) } }, 3);
    const reasons = problems(() => checkDistillationChain([teacher, student4, stranger]));
    expect(reasons).toEqual([`link 2: student was distilled from weights ffffffffffff…, this teacher's weights are ${student4.hash.slice(0, 12)}…`]);
    expect(problems(() => checkDistillationChain([student4, student2]))).toEqual(['a chain starts at a teacher, the first checkpoint is a 4-step student']);
  });
});

describe('checkConfigsMatch', () => {
  it('finds no difference between equal configs, nor in dropout (a training setting)', () => {
    expect(checkConfigsMatch(toy, structuredClone(toy))).toEqual([]);
    expect(checkConfigsMatch(mnist, { ...mnist, network: { ...unetNet, dropout: 0 } })).toEqual([]);
  });

  it('reports image size, channel and architecture differences in one line each', () => {
    const cifar: ModelConfig = { ...mnist, data: { kind: 'image', height: 32, width: 32, channels: 3, name: 'cifar10' } };
    expect(checkConfigsMatch(mnist, cifar)).toEqual([
      'image size differs: student 28x28x1, teacher 32x32x3',
      "dataset differs: student 'mnist', teacher 'cifar10'",
    ]);
    const attn: ModelConfig = { ...mnist, network: { ...unetNet, channels: [32, 64, 128], attention: true } };
    expect(checkConfigsMatch(attn, mnist, ['a', 'b'])).toEqual([
      'network channels differs: a [32, 64, 128], b [32, 64, 64]',
      'network attention differs: a true, b false',
    ]);
    expect(checkConfigsMatch(toy, mnist)).toEqual([
      'architecture differs: student mlp, teacher unet',
      "data differs: student toy2d 'moons', teacher image 28x28x1 'mnist'",
    ]);
  });

  it('assertConfigsMatch throws one CompatibilityError with all reasons on one line', () => {
    const other: ModelConfig = { ...toy, parameterization: 'x', data: { kind: 'toy2d', name: 'spirals' } };
    expect(() => assertConfigsMatch(toy, other)).toThrow("dataset differs: student 'moons', teacher 'spirals'; parameterization differs: student 'v', teacher 'x'");
  });
});
