// The README's MNIST table from the JSON that scripts/train_mnist_cpu.sh leaves in its run folder:
//   train.jsonl   `halfstep train --json` (one line per run; a resumed run adds one)
//   eval.jsonl    `halfstep eval --json`, the teacher's DDIM at its starting count, 64 and 16 steps
//   distill.jsonl `halfstep distill --json`, one line per stage (students at 8, 4, 2, 1 beside the teacher's DDIM)
//   students.jsonl `halfstep eval --json` of the students, where they came from another chain than distill.jsonl's
//                 (the shipped chain, distilled on a GPU: README, MNIST); their rows then come from here
// Usage: npx tsx scripts/mnistTable.ts RUN_DIR (the shipped models' run: docs/mnist-run)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Figures = { fid: number; kid: number; confident: number; classEntropy: number; msPerImage: number };
const dir = process.argv[2] ?? 'runs/mnist';
interface TrainLine { iterations: number; parameters: number; seconds: number; backend: string }
interface EvalLine extends Figures { steps: number }
interface StageLine { type: string; steps: number; seconds: number; student: Figures; teacherDdim: Figures }
const lines = <T>(f: string): T[] =>
  existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : [];

const train = lines<TrainLine>('train.jsonl');
const evals = lines<EvalLine>('eval.jsonl');
const stages = lines<StageLine>('distill.jsonl').filter((l) => l.type === 'stage');
const real = lines<Figures & { n: number }>('real.json')[0];

const rows: { sampler: string; steps: number; f: Figures }[] = [];
for (const e of evals) rows.push({ sampler: 'teacher, DDIM', steps: e.steps, f: e });
for (const s of stages) if (s.teacherDdim.fid !== undefined) rows.push({ sampler: 'teacher, DDIM', steps: s.steps, f: s.teacherDdim });
rows.sort((a, b) => b.steps - a.steps);
const studentEvals = lines<EvalLine>('students.jsonl');
const students = studentEvals.length
  ? studentEvals.map((e) => ({ sampler: `student-${e.steps}`, steps: e.steps, f: e }))
  : stages.filter((s) => s.student.fid !== undefined).map((s) => ({ sampler: `student-${s.steps}`, steps: s.steps, f: s.student }));

const fmt = (r: { sampler: string; steps: number; f: Figures }) =>
  `| ${r.sampler} | ${r.steps} | ${r.f.fid.toFixed(1)} | ${r.f.kid.toFixed(2)} | ${(100 * r.f.confident).toFixed(1)}% | ${r.f.classEntropy.toFixed(2)} | ${(1000 / r.f.msPerImage).toFixed(1)} |`;
const out = [
  '| sampler | steps | FID | KID | p ≥ 0.9 | class entropy (max 2.30) | images/s |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...(real ? [`| MNIST training images | | ${real.fid.toFixed(1)} | ${real.kid.toFixed(2)} | ${(100 * real.confident).toFixed(1)}% | ${real.classEntropy.toFixed(2)} | |`] : []),
  ...rows.map(fmt),
  ...students.map(fmt),
];
const fid = (list: typeof rows, steps: number) => list.find((r) => r.steps === steps)?.f.fid;
const from = Math.max(...rows.map((r) => r.steps));
const [t4, s4, tFrom] = [fid(rows, 4), fid(students, 4), fid(rows, from)];
if (t4 && s4) out.push('', `teacher DDIM@4 / student-4 FID: ${(t4 / s4).toFixed(2)}x (target ≥ 2.5x)`);
if (s4 && tFrom) out.push(`student-4 / teacher DDIM@${from} FID: ${(s4 / tFrom).toFixed(2)}x (target ≤ 3x)`);
const confident = rows.find((r) => r.steps === from)?.f.confident;
if (confident !== undefined) out.push(`teacher@${from} samples with p ≥ 0.9: ${(100 * confident).toFixed(1)}% (target ≥ 70%)`);
if (train.length) {
  const last = train.at(-1)!;
  const seconds = train.reduce((a, t) => a + t.seconds, 0);
  out.push(`teacher: ${last.iterations} iterations, ${last.parameters} parameters, ${(seconds / 60).toFixed(0)} min of training on ${last.backend} (${train.length} run${train.length > 1 ? 's' : ''})`);
}
const chainSeconds = stages.reduce((a, s) => a + s.seconds, 0);
if (stages.length) out.push(`${studentEvals.length ? 'the teacher\'s DDIM at 8 to 1 steps from distill.jsonl\'s chain, whose students the rows above are not: ' : ''}chain: ${stages.length} halvings, ${stages.map((s) => s.steps).join(', ')} steps, ${(chainSeconds / 60).toFixed(0)} min of distillation (evaluation not counted)`);
process.stdout.write(`${out.join('\n')}\n`);
