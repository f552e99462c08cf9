// `halfstep sample`: DDIM samples from a checkpoint as a NumPy .npy file (float32, shape [n, ...sample]).
import { Option, type Command } from 'commander';
import type { TuningMode } from '../../kernels/autotune';
import { type BackendFlags, backendOption, kernelTuningOption, startBackend, threadsOption } from '../backendOption';
import { loadCheckpoint, networkFromCheckpoint } from '../checkpointFile';
import { checkOutputFile, writeFileAtomic } from '../outputs';
import { sampleNetwork } from '../evaluation';
import { encodeNpyFloat32 } from '../npy';
import { CliError } from '../cliError';
import { eta, sampleCount, seed, stepCount } from '../options';
import { progressBar } from '../progress';
import { resolveSteps } from '../steps';
import { MNIST_TEACHER } from '../datasets';
import { count } from '../../core/words';

interface SampleOpts extends BackendFlags {
  ckpt: string;
  steps?: number;
  eta: number;
  n: number;
  seed: number;
  out: string;
  kernelTuning: TuningMode;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('sample')
    .description('draw samples with DDIM (deterministic, or stochastic with --eta) from seeded noise and write them as .npy')
    .addOption(new Option('--ckpt <file>', 'teacher or student checkpoint').default(MNIST_TEACHER, 'the shipped MNIST teacher, models/mnist/teacher.safetensors'))
    .requiredOption('--out <file>', 'required: .npy file to write')
    .argument('[extra...]') // only to say that a checkpoint goes with --ckpt
    .usage('[options]')
    .option('--steps <n>', 'sampling steps (default: a student\'s own step count; a teacher needs it)', stepCount)
    .option('--n <count>', 'number of samples', sampleCount, 1000)
    .option('--seed <s>', 'noise seed: the same seed gives the same starting noise for any model and step count (eval, grid and the playground default to 1 too)', seed, 1)
    .option('--eta <η>', 'η of generalized DDIM in [0, 1]: 0 deterministic, 1 the ancestral sampler\'s noise (fresh noise per sample from --seed)', eta, 0)
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(kernelTuningOption())
    .option('--json', 'print a JSON summary')
    .action(async (extra: string[], opts: SampleOpts) => {
      if (extra.length) throw new CliError(`unexpected argument '${extra[0]}': name the checkpoint with --ckpt ${extra[0]}`);
      if (!/\.npy$/i.test(opts.out)) throw new CliError(`--out ${opts.out}: sample writes a NumPy array; give a file name ending in .npy`, 2);
      await checkOutputFile(opts.out, { inputs: [opts.ckpt] });
      const ckpt = await loadCheckpoint(opts.ckpt);
      const steps = resolveSteps(opts.ckpt, ckpt, opts.steps);
      const backend = await startBackend(opts, opts.json);
      const net = networkFromCheckpoint(opts.ckpt, ckpt);
      const bar = progressBar('sample', opts.n);
      const run = await sampleNetwork(net, { steps, count: opts.n, seed: opts.seed, eta: opts.eta, onBatch: (done) => bar.update(done) });
      bar.stop();
      net.dispose();
      await writeFileAtomic(opts.out, encodeNpyFloat32(run.samples, [opts.n, ...run.shape]));
      const summary = { out: opts.out, ckpt: opts.ckpt, shape: [opts.n, ...run.shape], steps, eta: opts.eta, seed: opts.seed, msPerImage: run.msPerImage, backend: backend.name };
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${opts.out}: [${summary.shape.join(', ')}] float32, ${count(steps, 'step')}${opts.eta > 0 ? `, η = ${opts.eta}` : ''}, ${run.msPerImage.toFixed(2)} ms per sample\n`);
    });
}
