// `halfstep train`: a teacher from scratch in continuous time (t ~ U[0, 1]): an MLP on a 2D toy set, or the
// UNet on MNIST with an EMA of the weights saved as the teacher, resumable, with an optional time budget.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { TuningMode } from '../../kernels/autotune';
import { Option, type Command } from 'commander';
import type { Parameterization } from '../../core/schedule';
import { TOY_DATASETS, type ToyDatasetName } from '../../data/toy2d';
import { parseSafetensors, serializeSafetensors } from '../../io/safetensors';
import { buildNetwork } from '../../model/build';
import { modelConfigSchema } from '../../model/config';
import { mnistConfig, toyConfig } from '../../model/presets';
import type { Network } from '../../model/network';
import { parameterCount } from '../../model/network';
import { trainTeacher } from '../../train/teacher';
import type { Trainer } from '../../train/trainer';
import { type BackendFlags, backendOption, kernelTuningOption, startBackend, threadsOption } from '../backendOption';
import { checkpointBytes, loadCheckpoint, networkFromCheckpoint, readBytes } from '../checkpointFile';
import { CliError } from '../cliError';
import { trainingData } from '../datasets';
import { positiveInt, positiveNumber, probability, seed, unetChannels, weightingOption } from '../options';
import { checkOutputFile, stopOnInterrupt, writeFileAtomic } from '../outputs';
import { progressBar } from '../progress';

type DataName = ToyDatasetName | 'mnist';

interface TrainOpts extends BackendFlags {
  data: DataName;
  iters: number;
  seed: number;
  out: string;
  batch?: number;
  lr?: number;
  hidden: number;
  blocks: number;
  channels: number[];
  dropout: number;
  param: Parameterization;
  weighting: 'snr_trunc' | 'snr+1';
  ema?: number;
  dtype: 'f32' | 'f16';
  resume?: boolean;
  force?: boolean;
  maxSeconds?: number;
  saveEvery: number;
  kernelTuning: TuningMode;
  json?: boolean;
}

/** Per-data defaults: [batch, learning rate, EMA decay]. */
const DEFAULTS: Record<'toy' | 'mnist', [number, number, number | undefined]> = {
  toy: [256, 2e-3, undefined],
  mnist: [128, 5e-4, 0.999],
};

/** The resume file beside a teacher: raw weights, EMA weights, Adam's state and the step reached. */
const STATE_FORMAT = 'halfstep-train-state';
const stateFile = (out: string) => out.replace(/(\.safetensors)?$/, '.state.safetensors');

export function register(program: Command): void {
  program
    .command('train')
    .description('train a teacher (continuous time, v-parameterization, truncated-SNR weighting): an MLP on a 2D set or a UNet on MNIST')
    .addOption(new Option('--data <name>', 'required: data set').choices([...TOY_DATASETS, 'mnist']).makeOptionMandatory())
    .requiredOption('--out <file>', 'required: checkpoint to write (.safetensors)')
    .option('--iters <k>', 'training iterations (with --resume: the step to reach, counting the steps already done)', positiveInt, 3000)
    .option('--seed <s>', 'seed for init, data and noise', seed, 0)
    .option('--batch <b>', 'batch size (default 256 toy, 128 mnist)', positiveInt)
    .option('--lr <lr>', 'Adam learning rate, linear warm-up over 100 steps (default 2e-3 toy, 5e-4 mnist)', positiveNumber)
    .option('--ema <decay>', 'EMA decay of the saved weights (default: none toy, 0.999 mnist)', positiveNumber)
    .option('--hidden <h>', 'MLP width (toy)', positiveInt, 128)
    .option('--blocks <n>', 'MLP residual blocks (toy)', positiveInt, 3)
    .addOption(new Option('--channels <list>', 'UNet channels at 28, 14 and 7 pixels, multiples of 8 (mnist)').argParser(unetChannels).default([32, 64, 64], '32,64,64'))
    .option('--dropout <p>', 'dropout rate in the UNet\'s residual blocks (mnist)', probability, 0.1)
    .addOption(new Option('--param <p>', 'what the network predicts').choices(['v', 'x', 'eps']).default('v'))
    .addOption(weightingOption())
    .addOption(new Option('--dtype <d>', 'checkpoint dtype').choices(['f32', 'f16']).default('f32'))
    .option('--resume', 'continue from OUT and its .state.safetensors file: its network (the size options are ignored); --data must name its data set')
    .option('--force', 'replace an existing OUT (and its .state file) with a new run')
    .option('--max-seconds <s>', 'stop (and save) after this many seconds of training', positiveNumber)
    .option('--save-every <k>', 'write the checkpoint and resume state every k iterations (at the first progress report, every 50, at or past each multiple of k)', positiveInt, 500)
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(kernelTuningOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts: TrainOpts, command: Command) => {
      const kind = opts.data === 'mnist' ? 'mnist' : 'toy';
      // Options given that this run does not use: said, not silently dropped.
      const given = (names: string[]) => names.filter((n) => command.getOptionValueSource(n) === 'cli');
      const unused = opts.resume ? given(['hidden', 'blocks', 'channels', 'dropout', 'param']) : given(kind === 'mnist' ? ['hidden', 'blocks'] : ['channels', 'dropout']);
      const flag = (n: string) => `--${n}`;
      if (unused.length) process.stderr.write(`note: ${unused.map(flag).join(', ')} ${unused.length === 1 ? 'does' : 'do'} not apply ${opts.resume ? `when resuming (the network is ${opts.out}'s)` : `to ${kind === 'mnist' ? 'the MNIST UNet' : 'a 2D model'}`}: ignored\n`);
      const [batch, lr, ema] = [opts.batch ?? DEFAULTS[kind][0], opts.lr ?? DEFAULTS[kind][1], opts.ema ?? DEFAULTS[kind][2]];
      if (ema !== undefined && !(ema < 1)) throw new CliError(`--ema must be below 1, got ${ema}`);
      // The output is checked before the backend starts: a wrong --out fails at once, not after the training.
      if (opts.resume && opts.force) throw new CliError('--resume continues OUT, --force replaces it: give one of them');
      // The network a new run would build, checked against what a checkpoint may hold before any work (a size
      // the format refuses would otherwise fail at the first save, after the training).
      const newConfig = opts.resume ? null : kind === 'mnist' ? mnistConfig(opts.channels, opts.param, opts.dropout) : toyConfig(opts.data as ToyDatasetName, opts.hidden, opts.blocks, opts.param);
      const checked = newConfig && modelConfigSchema.safeParse(newConfig);
      if (checked && !checked.success) {
        const issue = checked.error.issues[0];
        const field = [...issue.path].reverse().find((k) => typeof k === 'string');
        const option = { hidden: '--hidden', blocks: '--blocks', channels: '--channels', dropout: '--dropout' }[String(field)];
        throw new CliError(`${option ?? issue.path.join('.')}: ${issue.message}`);
      }
      const advice = existsSync(stateFile(opts.out)) && existsSync(opts.out)
        ? 'pass --resume to continue training it, or --force to start a new run that replaces it'
        : 'choose another --out, or pass --force to replace it with a new run';
      await checkOutputFile(opts.out, { refuseExisting: opts.resume || opts.force ? undefined : advice });
      if (!opts.resume && !opts.force && existsSync(stateFile(opts.out))) throw new CliError(`${stateFile(opts.out)} exists (the resume state of an earlier run): ${advice}`, 2);
      const info = await startBackend(opts, opts.json);

      let net: Network;
      let startStep = 0;
      let lastTeacherHash = '';
      let resumeState: Map<string, tf.Tensor> | null = null;
      if (opts.resume) {
        if (!existsSync(opts.out) || !existsSync(stateFile(opts.out))) throw new CliError(`--resume needs ${opts.out} and ${stateFile(opts.out)}`, 2);
        const ckpt = await loadCheckpoint(opts.out);
        const resumedData = ckpt.config.data.kind === 'image' ? 'mnist' : ckpt.config.data.name;
        if (resumedData !== opts.data) throw new CliError(`${opts.out} is a ${resumedData} teacher: --resume continues it, so give --data ${resumedData}`);
        const stateBytes = await readBytes(stateFile(opts.out));
        let state: ReturnType<typeof parseSafetensors>;
        try {
          state = parseSafetensors(stateBytes);
        } catch (e) {
          throw new CliError(`${stateFile(opts.out)}: ${e instanceof Error ? e.message : String(e)} (the resume state is damaged: start a new run with --force)`, 2);
        }
        if (state.metadata.format !== STATE_FORMAT) throw new CliError(`${stateFile(opts.out)} is not a Halfstep training state (format '${state.metadata.format ?? ''}')`, 2);
        startStep = Number(state.metadata.step);
        if (!Number.isInteger(startStep) || startStep < 0) throw new CliError(`${stateFile(opts.out)}: bad step '${state.metadata.step}'`, 2);
        net = networkFromCheckpoint(opts.out, ckpt);
        resumeState = new Map([...state.tensors].map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
        for (const [name, v] of net.params) {
          const raw = resumeState.get(`param/${name}`);
          if (!raw) throw new CliError(`${stateFile(opts.out)}: no tensor 'param/${name}'`, 2);
          // A state file of another network (say a --force run with other --channels stopped between writing its
          // state and its teacher) is refused by name, before tfjs's assign would fail on the shapes.
          if (raw.shape.join() !== v.shape.join()) {
            throw new CliError(`${stateFile(opts.out)} does not fit ${opts.out}: param/${name} is [${raw.shape.join(', ')}], the network's is [${v.shape.join(', ')}] (the state of another run): start a new run with --force`, 2);
          }
          v.assign(raw);
        }
        // The state names the teacher saved with it (and the one before, which a run killed between its two
        // writes leaves beside it): another run's state of the same network is refused, not silently continued
        // over this teacher. (States written before this check name none.)
        const known = [state.metadata.teacher_hash, state.metadata.previous_teacher_hash].filter(Boolean);
        if (known.length && !known.includes(ckpt.hash)) {
          throw new CliError(`${stateFile(opts.out)} is not the state of ${opts.out} (it was saved with the teacher ${(state.metadata.teacher_hash ?? '?').slice(0, 8)}, this one is ${ckpt.hash.slice(0, 8)}: the state of another run): start a new run with --force`, 2);
        }
        lastTeacherHash = ckpt.hash;
      } else {
        net = buildNetwork(newConfig!, opts.seed);
      }
      if (startStep >= opts.iters) throw new CliError(`${opts.out} already reached step ${startStep} of --iters ${opts.iters}: --iters is the step to reach, so give more than ${startStep}`);

      const data = trainingData(net.config.data, opts.seed + 7 * startStep);
      const notes = `halfstep train --data ${opts.data} --iters ${opts.iters} --batch ${batch} --lr ${lr} --seed ${opts.seed} (${info.name}${info.adapter ? ` ${info.adapter.vendor} ${info.adapter.architecture}` : ''})`;
      const dtype = opts.dtype === 'f16' ? 'F16' : 'F32';
      const deadline = new AbortController();
      const timer = opts.maxSeconds ? setTimeout(() => deadline.abort(), opts.maxSeconds * 1000) : undefined;
      const interrupt = stopOnInterrupt(deadline);
      const bar = progressBar('train', opts.iters);
      const started = performance.now();
      let trainerRef: Trainer | null = null;
      let savedUpTo = startStep;
      /**
       * The teacher is the EMA when there is one; the state file holds what a resumed run needs. Without Adam's
       * moments after a non-finite loss (its NaN gradients reached them): a resumed run starts them afresh.
       * The state is written first and names the teacher written after it, and the one before.
       */
      const save = async (step: number, withOptimizer = true) => {
        savedUpTo = step;
        const trainer = trainerRef!;
        const teacherNet: Network = trainer.ema ? { ...net, params: trainer.ema } : net;
        const teacher = await checkpointBytes(teacherNet, { role: 'teacher', steps: null, lineage: null, notes: `${notes}; step ${step}` }, dtype);
        const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
        for (const [name, v] of net.params) tensors.set(`param/${name}`, { shape: v.shape, data: (await v.data()) as Float32Array });
        if (trainer.ema) for (const [name, v] of trainer.ema) tensors.set(`ema/${name}`, { shape: v.shape, data: (await v.data()) as Float32Array });
        for (const [i, t] of withOptimizer ? (await trainer.optimizerState()).entries() : []) {
          tensors.set(`adam/${String(i).padStart(4, '0')}`, { shape: t.tensor.shape, data: (await t.tensor.data()) as Float32Array });
        }
        const hashes = { teacher_hash: teacher.checkpoint.hash, ...(lastTeacherHash ? { previous_teacher_hash: lastTeacherHash } : {}) };
        await writeFileAtomic(stateFile(opts.out), serializeSafetensors(tensors, { step: String(step), format: STATE_FORMAT, ...hashes }));
        await writeFileAtomic(opts.out, teacher.bytes);
        lastTeacherHash = teacher.checkpoint.hash;
      };
      const { trainer, result } = await trainTeacher(net, {
        iterations: opts.iters, learningRate: lr, warmup: 100, batchSize: batch, data, seed: opts.seed, startStep,
        weighting: opts.weighting, reportEvery: 50, alignReports: true, emaDecay: ema, signal: deadline.signal,
        gate: async () => {
          // Restore optimizer and EMA state once, before the first step of a resumed run.
          if (resumeState && trainerRef) {
            const adam = [...resumeState].filter(([k]) => k.startsWith('adam/')).sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => ({ name: '', tensor: t }));
            if (adam.length) await trainerRef.loadOptimizerState(adam);
            if (trainerRef.ema) for (const [name, v] of trainerRef.ema) { const e = resumeState.get(`ema/${name}`); if (e) v.assign(e); }
            resumeState.forEach((t) => t.dispose());
            resumeState = null;
          }
        },
        onTrainer: (t) => { trainerRef = t; },
        onReport: async (r) => {
          bar.update(r.step, { loss: r.loss });
          // Reports come every 50 steps, at multiples of 50 (resumed runs too): a save at the first report at or
          // past each multiple of --save-every, exactly on it when --save-every is a multiple of 50.
          if (Math.floor(r.step / opts.saveEvery) > Math.floor(savedUpTo / opts.saveEvery)) await save(r.step);
        },
      });
      clearTimeout(timer);
      bar.stop();
      if (result.stopped === 'nonfinite') {
        // The trainer went back to the last weights a finite loss proved; a periodic save since may hold later ones.
        // A save at exactly the proved step holds those weights with sound moments: kept as it is.
        const resave = result.steps !== savedUpTo;
        if (resave) await save(result.steps, false);
        const kept = resave
          ? `saved the weights of step ${result.steps}, the last a finite loss proved: continue with --resume (Adam's moments start afresh) and a lower --lr`
          : savedUpTo > 0 ? `${opts.out} holds step ${savedUpTo}, the last a finite loss proved: continue with --resume and a lower --lr` : 'nothing was saved: try a lower --lr';
        throw new CliError(`training stopped: the loss became NaN or infinite at step ${result.nonFiniteStep}; ${kept}`, 1);
      }
      await save(result.steps);
      interrupt.release();
      const stoppedEarly = result.stopped === 'cancelled';
      const stopReason = !stoppedEarly ? null : interrupt.interrupted() ? 'interrupted' : 'max-seconds';
      const summary = { out: opts.out, data: opts.data, startStep, iterations: result.steps, finalLoss: result.finalLoss, parameters: parameterCount(net), seconds: (performance.now() - started) / 1000, backend: info.name, ...(info.threads ? { threads: info.threads } : {}), stoppedEarly, stopReason };
      trainer.dispose();
      net.dispose();
      const early = stopReason ? `; stopped early (${stopReason === 'interrupted' ? (interrupt.signal() === 'SIGINT' ? 'Ctrl-C' : interrupt.signal()) : `--max-seconds ${opts.maxSeconds}`}) at step ${summary.iterations} of ${opts.iters}: continue with --resume` : '';
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${summary.out}: ${summary.parameters} parameters, step ${summary.iterations}, final loss ${summary.finalLoss.toPrecision(4)}, ${summary.seconds.toFixed(1)} s${early}\n`);
      // Saved and said so; the status still tells a script that the run did not finish.
      if (stopReason === 'interrupted') process.exitCode = interrupt.exitCode();
    });
}
