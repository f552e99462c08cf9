// Compatibility checks that run before any GPU work: is this student really distilled from this teacher,
// and do two configs describe the same network and diffusion process? Each problem is one line; the
// throwing forms raise one CompatibilityError listing them all.
import type { DataSpec, ModelConfig } from '../model/config';
import type { Checkpoint } from './checkpoint';
import { CompatibilityError } from './errors';
import { article } from '../core/words';

export { CompatibilityError } from './errors';

type Labels = readonly [string, string];

/**
 * Why configs `a` and `b` cannot share weights or a sampler, one line each; empty when they match.
 * Dropout is left out on purpose: it changes training, not the weights' layout or what the network computes at sampling time.
 */
export function checkConfigsMatch(a: ModelConfig, b: ModelConfig, labels: Labels = ['student', 'teacher']): string[] {
  const [la, lb] = labels;
  const reasons: string[] = [];
  const differs = (what: string, x: string, y: string) => {
    if (x !== y) reasons.push(`${what} differs: ${la} ${x}, ${lb} ${y}`);
  };

  if (a.network.arch !== b.network.arch) {
    differs('architecture', a.network.arch, b.network.arch);
  } else {
    const na = a.network as Record<string, unknown>;
    const nb = b.network as Record<string, unknown>;
    for (const key of new Set([...Object.keys(na), ...Object.keys(nb)])) {
      if (key === 'arch' || key === 'dropout') continue;
      differs(`network ${key}`, show(na[key]), show(nb[key]));
    }
  }

  if (a.data.kind !== b.data.kind) {
    differs('data', describeData(a.data), describeData(b.data));
  } else {
    if (a.data.kind === 'image' && b.data.kind === 'image') differs('image size', imageSize(a.data), imageSize(b.data));
    differs('dataset', `'${a.data.name}'`, `'${b.data.name}'`);
  }
  differs('parameterization', `'${a.parameterization}'`, `'${b.parameterization}'`);
  differs('schedule', describeSchedule(a), describeSchedule(b));
  differs('conditioning', `'${a.conditioning}'`, `'${b.conditioning}'`);
  return reasons;
}

/** Throws CompatibilityError when checkConfigsMatch finds a difference. */
export function assertConfigsMatch(a: ModelConfig, b: ModelConfig, labels: Labels = ['student', 'teacher']): void {
  const reasons = checkConfigsMatch(a, b, labels);
  if (reasons.length > 0) throw new CompatibilityError(reasons);
}

/**
 * Why `student` is not a distilled student of `teacher`; empty when it is. The chain is
 * teacher → student-N/2 → student-N/4 …, and a student's lineage names its direct teacher, which is either
 * the original teacher (stage 1) or the stage-k student it halved (stage k+1, teacherSteps = that student's steps).
 */
export function studentOfTeacherProblems(student: Checkpoint, teacher: Checkpoint): string[] {
  const reasons: string[] = [];
  const lineage = student.lineage;
  if (student.role !== 'student' || !lineage) {
    reasons.push(`the checkpoint given as the student is a teacher (role '${student.role}'), not a distilled student`);
  } else {
    if (lineage.teacherHash !== teacher.hash) {
      reasons.push(`student was distilled from weights ${short(lineage.teacherHash)}, this teacher's weights are ${short(teacher.hash)}`);
    }
    if (teacher.role === 'student' && teacher.steps !== lineage.teacherSteps) {
      reasons.push(`student's lineage says its teacher sampled with ${lineage.teacherSteps} steps, this teacher is ${article(teacher.steps!)} ${teacher.steps}-step student`);
    }
    const stage = teacher.role === 'teacher' ? 1 : (teacher.lineage?.stage ?? 0) + 1;
    if (lineage.stage !== stage) reasons.push(`student's lineage says stage ${lineage.stage}, a student of this teacher is stage ${stage}`);
  }
  reasons.push(...checkConfigsMatch(student.config, teacher.config));
  return reasons;
}

/** Throws CompatibilityError listing every reason `student` is not a student of `teacher`. */
export function checkStudentOfTeacher(student: Checkpoint, teacher: Checkpoint): void {
  const reasons = studentOfTeacherProblems(student, teacher);
  if (reasons.length > 0) throw new CompatibilityError(reasons);
}

/** Checks a whole chain [teacher, student-N/2, student-N/4, …], each link against the one before it. */
export function checkDistillationChain(chain: readonly Checkpoint[]): void {
  if (chain.length > 0 && chain[0].role !== 'teacher') throw new CompatibilityError([`a chain starts at a teacher, the first checkpoint is ${article(chain[0].steps!)} ${chain[0].steps}-step student`]);
  for (let i = 1; i < chain.length; i++) {
    const reasons = studentOfTeacherProblems(chain[i], chain[i - 1]);
    if (reasons.length > 0) throw new CompatibilityError(reasons.map((r) => `link ${i}: ${r}`));
  }
}

function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

function imageSize(d: Extract<DataSpec, { kind: 'image' }>): string {
  return `${d.height}x${d.width}x${d.channels}`;
}

function describeData(d: DataSpec): string {
  return d.kind === 'image' ? `image ${imageSize(d)} '${d.name}'` : `toy2d '${d.name}'`;
}

function describeSchedule(c: ModelConfig): string {
  return `${c.schedule.kind} logSNR [${c.schedule.logSnrMin}, ${c.schedule.logSnrMax}]`;
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
