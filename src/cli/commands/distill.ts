// `halfstep distill`: the chain of halvings N → N/2 → … → M (Salimans & Ho, Algorithm 2), one student
// checkpoint per stage, with its loss and quality beside the teacher's own DDIM at the same step count.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import type { TuningMode } from '../../kernels/autotune';
import type { LossWeighting } from '../../core/schedule';
import { chainStages, distillChain, roundIterations } from '../../distill/chain';
import { type BackendFlags, backendOption, kernelTuningOption, startBackend, threadsOption } from '../backendOption';
import { loadCheckpoint, networkFromCheckpoint, saveCheckpoint } from '../checkpointFile';
import { CliError } from '../cliError';
import { MNIST_TEACHER, checkKnownData, checkQualityCount, qualityFor, trainingData } from '../datasets';
import { sampleNetwork } from '../evaluation';
import { intList, positiveInt, positiveNumber, powerOfTwo, sampleCount, seed, stepList, weightingOption } from '../options';
import { checkOutputDir, checkOutputFile, stopOnInterrupt } from '../outputs';
import { progressBar } from '../progress';
import { article, count } from '../../core/words';

interface DistillOpts extends BackendFlags {
  teacher: string;
  from: number;
  to: number;
  iters: number[];
  outDir: string;
  batch: number;
  lr: number;
  seed: number;
  weighting: LossWeighting;
  n: number;
  evalSeed: number;
  evalSteps?: number[];
  dtype: 'f32' | 'f16';
  teacherEval: boolean;
  force?: boolean;
  kernelTuning: TuningMode;
  json?: boolean;
}

export interface StageRow {
  stage: number;
  steps: number;
  loss: number;
  /** The student's quality figure(s) at its step count. */
  student: Record<string, number>;
  /** The teacher's own DDIM at the same step count, from the same noise. */
  teacherDdim: Record<string, number>;
  seconds: number;
  file: string;
}

export function register(program: Command): void {
  program
    .command('distill')
    .description('progressive distillation: halve the teacher\'s step count round by round, writing DIR/student-<steps>.safetensors per stage')
    .addOption(new Option('--teacher <file>', 'teacher checkpoint').default(MNIST_TEACHER, 'the shipped MNIST teacher, models/mnist/teacher.safetensors'))
    .requiredOption('--from <n>', 'required: the teacher\'s step count (a power of two)', powerOfTwo)
    .requiredOption('--to <m>', 'required: the last student\'s step count (a power of two)', powerOfTwo)
    .requiredOption('--out-dir <dir>', 'required: where to write the students')
    .addOption(new Option('--iters <k[,k…]>', 'training iterations per halving, or a comma list by round (the last repeats): early rounds at large N converge almost at once').argParser(intList).default([400], '400'))
    .option('--batch <b>', 'batch size', positiveInt, 256)
    .option('--lr <lr>', 'Adam learning rate, decayed linearly to 0 over each round', positiveNumber, 1e-3)
    .option('--seed <s>', 'seed for data and noise draws', seed, 0)
    .addOption(weightingOption())
    .option('--n <count>', 'samples per quality figure', sampleCount, 2000)
    .option('--eval-steps <list>', 'student step counts to measure (comma-separated; default: every stage)', stepList)
    .option('--eval-seed <s>', 'seed of the evaluation noise (the same for every sampler)', seed, 1)
    .addOption(new Option('--dtype <d>', 'student checkpoint dtype').choices(['f32', 'f16']).default('f32'))
    .option('--force', 'replace student files of this chain that OUT-DIR already holds (never the teacher)')
    .option('--no-teacher-eval', 'skip the teacher\'s figure at --from steps (the costliest one: run `halfstep eval` for it beside the chain)')
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(kernelTuningOption())
    .option('--json', 'print JSON Lines: the teacher\'s figure, one line per stage as it finishes, then a summary')
    .action(async (opts: DistillOpts) => {
      if (opts.to >= opts.from) throw new CliError(`--to (${opts.to}) must be below --from (${opts.from})`);
      const teacherCkpt = await loadCheckpoint(opts.teacher);
      if (teacherCkpt.role === 'student' && teacherCkpt.steps !== opts.from) {
        throw new CliError(`${opts.teacher} is ${article(teacherCkpt.steps!)} ${teacherCkpt.steps}-step student: distill it with --from ${teacherCkpt.steps}`);
      }
      const { data } = teacherCkpt.config;
      const stages = chainStages(opts.from, opts.to);
      const evalSteps = new Set(opts.evalSteps ?? stages);
      if (opts.iters.length > stages.length) throw new CliError(`--iters has ${opts.iters.length} values for ${count(stages.length, 'round')} (${opts.from} → ${opts.to} steps): give at most ${stages.length}`);
      const notInChain = [...evalSteps].filter((n) => !stages.includes(n));
      if (notInChain.length) throw new CliError(`--eval-steps ${notInChain.join(',')}: not a student of this chain (${stages.join(', ')} steps)`);
      checkKnownData(data);
      if (evalSteps.size || opts.teacherEval) checkQualityCount(data, opts.n);
      // Before any work: the directory, and students of an earlier run it would overwrite (a chain half replaced
      // leaves files whose lineage no longer matches their neighbours).
      await checkOutputDir(opts.outDir);
      const studentFile = (steps: number) => join(opts.outDir, `student-${steps}.safetensors`);
      const studentFiles = stages.map(studentFile);
      const existing = studentFiles.filter((f) => existsSync(f));
      // The teacher is never replaced, --force or not (it would be a student of itself).
      for (const f of studentFiles) await checkOutputFile(f, { inputs: [opts.teacher] });
      if (existing.length && !opts.force) throw new CliError(`${opts.outDir} already holds ${existing.map((f) => basename(f)).join(', ')}: choose another --out-dir, or pass --force to replace them`, 2);
      await startBackend(opts, opts.json);
      const quality = await qualityFor(data);
      const dataSource = trainingData(data, opts.seed + 1);
      const teacher = networkFromCheckpoint(opts.teacher, teacherCkpt);
      // The teacher's own figure at its full step count first, so a run cut short still has the reference.
      let teacherAtFrom: Record<string, number> | null = null;
      if (opts.teacherEval) {
        const teacherRun = await sampleNetwork(teacher, { steps: opts.from, count: opts.n, seed: opts.evalSeed });
        teacherAtFrom = { ...(await quality.evaluate(teacherRun.samples)), msPerImage: teacherRun.msPerImage };
        // --json prints JSON Lines as results arrive (a run cut short keeps what it finished), then a summary.
        if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'teacher', steps: opts.from, ...teacherAtFrom })}\n`);
      }
      // The text table streams too: its head now, a row per stage as it finishes.
      const metric = quality.primary;
      // On a terminal the progress bar owns the last line (and erases it when it stops): the table then comes
      // whole at the end; piped or logged, it streams.
      const streamTable = !opts.json && !(process.stdout.isTTY && process.stderr.isTTY);
      if (streamTable) process.stdout.write(tableHead(metric, opts.from, teacherAtFrom));
      // A student of a student continues its teacher's stage numbering (compat checks stage = teacher's + 1).
      const firstStage = teacherCkpt.lineage?.stage ?? 0;
      const stop = new AbortController();
      const interrupt = stopOnInterrupt(stop);

      const rows: StageRow[] = [];
      let parent = teacherCkpt;
      let roundStart = performance.now();
      const bar = progressBar('distill', chainStages(opts.from, opts.to).reduce((n, _s, k) => n + roundIterations(opts.iters, k), 0));
      let done = 0;
      const result = await distillChain(teacher, {
        fromSteps: opts.from, toSteps: opts.to, iterations: opts.iters, batchSize: opts.batch, learningRate: opts.lr,
        data: dataSource, seed: opts.seed, weighting: opts.weighting, reportEvery: 50, clip: data.kind === 'image', signal: stop.signal,
        onReport: (info, r) => bar.update(done + r.step, { stage: `${firstStage + info.stage} (${info.stage}/${stages.length})`, steps: info.studentSteps, loss: r.loss }),
        onRound: async (round) => {
          const file = studentFile(round.studentSteps);
          // Made with the first student: a run that writes none (a NaN loss, Ctrl-C) leaves no empty directory.
          await mkdir(opts.outDir, { recursive: true });
          const saved = await saveCheckpoint(file, round.student, {
            role: 'student', steps: round.studentSteps,
            lineage: { teacherHash: parent.hash, teacherSteps: round.teacherSteps, stage: firstStage + round.stage, iterations: round.result.steps, finalLoss: round.result.finalLoss },
          }, opts.dtype === 'f16' ? 'F16' : 'F32');
          // Continue from exactly what was written (F16 rounds the weights), so lineage hashes chain up.
          if (opts.dtype === 'f16') for (const [name, v] of round.student.params) v.assign(tf.tensor(saved.weights.get(name)!.data, v.shape));
          const seconds = (performance.now() - roundStart) / 1000;
          const row: StageRow = { stage: firstStage + round.stage, steps: round.studentSteps, loss: round.result.finalLoss, seconds, file, student: {}, teacherDdim: {} };
          if (evalSteps.has(round.studentSteps)) {
            const student = await sampleNetwork(round.student, { steps: round.studentSteps, count: opts.n, seed: opts.evalSeed });
            const teacherRun = await sampleNetwork(teacher, { steps: round.studentSteps, count: opts.n, seed: opts.evalSeed });
            row.student = { ...(await quality.evaluate(student.samples)), msPerImage: student.msPerImage };
            row.teacherDdim = { ...(await quality.evaluate(teacherRun.samples)), msPerImage: teacherRun.msPerImage };
          }
          rows.push(row);
          if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'stage', ...rows.at(-1) })}\n`);
          else if (streamTable) process.stdout.write(tableRow(metric, rows.at(-1)!));
          parent = saved;
          done += round.result.steps;
          roundStart = performance.now();
        },
      });
      bar.stop();
      interrupt.release();
      for (const r of result.rounds) r.student.dispose();
      teacher.dispose();

      const report = { type: 'summary', teacher: opts.teacher, fromSteps: opts.from, metric: quality.primary, teacherAtFrom, stages: rows, stopped: result.stopped };
      if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else if (!streamTable) process.stdout.write(formatTable(metric, opts.from, teacherAtFrom, rows));
      // Where a chain cut short goes on from: its last student, or the teacher it started from.
      const last = rows.at(-1);
      const goOn = `--teacher ${last ? last.file : opts.teacher} --from ${last ? last.steps : opts.from}`;
      if (result.stopped === 'cancelled') {
        const kept = last ? `${count(rows.length, 'student')} kept in ${opts.outDir} (the last: ${count(last.steps, 'step')})` : 'no stage had finished';
        process.stderr.write(`interrupted: ${kept}; continue the chain with ${goOn}\n`);
        process.exitCode = interrupt.exitCode();
      }
      if (result.stopped === 'nonfinite') {
        const failed = result.failure!;
        const kept = last
          ? `the ${count(rows.length, 'student')} before it ${rows.length === 1 ? 'is' : 'are'} kept in ${opts.outDir}; continue with ${goOn} and a lower --lr`
          : 'no student was written; try a lower --lr';
        throw new CliError(`stage ${firstStage + failed.stage} (${2 * failed.studentSteps} → ${failed.studentSteps} steps) stopped at step ${failed.step}: the loss became NaN or infinite; ${kept}`, 1);
      }
    });
}

const f3 = (x: number) => x.toPrecision(3);

function tableHead(metric: string, fromSteps: number, teacherAtFrom: Record<string, number> | null): string {
  return [
    teacherAtFrom ? `teacher DDIM at ${fromSteps} steps: ${metric} ${f3(teacherAtFrom[metric])}` : `teacher DDIM at ${fromSteps} steps: not measured (--no-teacher-eval)`,
    `| stage | steps | distillation loss | student ${metric} | teacher DDIM ${metric} | seconds |`,
    '| --- | --- | --- | --- | --- | --- |',
  ].join('\n') + '\n';
}

function tableRow(metric: string, r: StageRow): string {
  return `| ${r.stage} | ${r.steps} | ${f3(r.loss)} | ${r.student[metric] === undefined ? '' : f3(r.student[metric])} | ${r.teacherDdim[metric] === undefined ? '' : f3(r.teacherDdim[metric])} | ${r.seconds.toFixed(1)} |\n`;
}

/** The whole table as the text mode prints it, head then rows. */
export function formatTable(metric: string, fromSteps: number, teacherAtFrom: Record<string, number> | null, rows: StageRow[]): string {
  return tableHead(metric, fromSteps, teacherAtFrom) + rows.map((r) => tableRow(metric, r)).join('');
}
