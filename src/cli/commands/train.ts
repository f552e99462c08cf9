// `halfstep train`: a teacher from scratch, in continuous time (t ~ U[0, 1]).
import { Option, type Command } from 'commander';
import { DEFAULT_SCHEDULE, type Parameterization } from '../../core/schedule';
import { arrayBatchSource } from '../../data/batchSource';
import { TOY_DATASETS, type ToyDatasetName, toyDataset } from '../../data/toy2d';
import { buildNetwork } from '../../model/build';
import type { ModelConfig } from '../../model/config';
import { parameterCount } from '../../model/network';
import { trainTeacher } from '../../train/teacher';
import type { BackendPreference } from '../../tensor/backend';
import { backendOption, startBackend } from '../backendOption';
import { saveCheckpoint } from '../checkpointFile';
import { CliError } from '../cliError';
import { nonNegativeInt, positiveInt, positiveNumber } from '../options';
import { progressBar } from '../progress';

interface TrainOpts {
  data: ToyDatasetName;
  iters: number;
  seed: number;
  out: string;
  batch: number;
  lr: number;
  hidden: number;
  blocks: number;
  param: Parameterization;
  weighting: 'snr_trunc' | 'snr+1';
  dtype: 'f32' | 'f16';
  backend: BackendPreference;
  json?: boolean;
}

/** The toy teacher: a 3-block residual MLP of width 128 learns every 2D set in ~3k CPU steps. */
export function toyConfig(name: ToyDatasetName, hidden = 128, blocks = 3, parameterization: Parameterization = 'v'): ModelConfig {
  return { network: { arch: 'mlp', hidden, blocks, embedDim: 32 }, data: { kind: 'toy2d', name }, parameterization, schedule: DEFAULT_SCHEDULE, conditioning: 't' };
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a teacher on a 2D toy set (continuous time, v-parameterization, truncated-SNR weighting)')
    .addOption(new Option('--data <name>', 'data set').choices([...TOY_DATASETS]).makeOptionMandatory())
    .requiredOption('--out <file>', 'checkpoint to write (.safetensors)')
    .option('--iters <k>', 'training iterations', positiveInt, 3000)
    .option('--seed <s>', 'seed for init, data and noise', nonNegativeInt, 0)
    .option('--batch <b>', 'batch size', positiveInt, 256)
    .option('--lr <lr>', 'Adam learning rate (linear warm-up over 100 steps, then constant)', positiveNumber, 2e-3)
    .option('--hidden <h>', 'MLP width', positiveInt, 128)
    .option('--blocks <n>', 'residual blocks', positiveInt, 3)
    .addOption(new Option('--param <p>', 'what the network predicts').choices(['v', 'x', 'eps']).default('v'))
    .addOption(new Option('--weighting <w>', 'loss weighting').choices(['snr_trunc', 'snr+1']).default('snr_trunc'))
    .addOption(new Option('--dtype <d>', 'checkpoint dtype').choices(['f32', 'f16']).default('f32'))
    .addOption(backendOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts: TrainOpts) => {
      await startBackend(opts.backend, opts.json);
      const config = toyConfig(opts.data, opts.hidden, opts.blocks, opts.param);
      const net = buildNetwork(config, opts.seed);
      const data = arrayBatchSource(toyDataset(opts.data, 20_000, opts.seed), [2]);
      const bar = progressBar('train', opts.iters);
      const started = performance.now();
      const { trainer, result } = await trainTeacher(net, {
        iterations: opts.iters, learningRate: opts.lr, warmup: 100, batchSize: opts.batch, data, seed: opts.seed,
        weighting: opts.weighting, reportEvery: 50,
        onReport: (r) => bar.update(r.step, { loss: r.loss }),
      });
      bar.stop();
      trainer.dispose();
      if (result.stopped === 'nonfinite') throw new CliError(`training stopped: non-finite loss at step ${result.nonFiniteStep}; nothing was written`);
      await saveCheckpoint(opts.out, net, { role: 'teacher', steps: null, lineage: null, notes: `halfstep train --data ${opts.data} --iters ${opts.iters} --seed ${opts.seed}` }, opts.dtype === 'f16' ? 'F16' : 'F32');
      const summary = { out: opts.out, data: opts.data, iterations: result.steps, finalLoss: result.finalLoss, parameters: parameterCount(net), seconds: (performance.now() - started) / 1000 };
      net.dispose();
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${summary.out}: ${summary.parameters} parameters, ${summary.iterations} iterations, final loss ${summary.finalLoss.toPrecision(4)}, ${summary.seconds.toFixed(1)} s\n`);
    });
}
