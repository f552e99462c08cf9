// `halfstep eval`: a checkpoint's sample quality at a step count, from seeded noise.
import type { Command } from 'commander';
import type { TuningMode } from '../../kernels/autotune';
import { type BackendFlags, backendOption, kernelTuningOption, startBackend, threadsOption } from '../backendOption';
import { loadCheckpoint, networkFromCheckpoint } from '../checkpointFile';
import { MNIST_TEACHER, checkKnownData, checkQualityCount, qualityFor } from '../datasets';
import { sampleNetwork } from '../evaluation';
import { eta, sampleCount, seed, stepCount } from '../options';
import { progressBar } from '../progress';
import { resolveSteps } from '../steps';
import { Rng } from '../../core/rng';
import { MNIST_SIZE, gatherImages } from '../../data/mnist';
import { loadMnist } from '../../data/mnistNode';
import { CliError } from '../cliError';

interface EvalOpts extends BackendFlags {
  ckpt?: string;
  real?: boolean;
  steps?: number;
  eta: number;
  n: number;
  seed: number;
  kernelTuning: TuningMode;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('sample a checkpoint and measure quality (2D: sliced Wasserstein distance to the data; MNIST: FID, KID, classifier confidence)')
    .option('--ckpt <file>', 'teacher or student checkpoint (default: the shipped MNIST teacher, models/mnist/teacher.safetensors)')
    .option('--real', 'measure N seeded MNIST training images instead (the figures\' floor at this N: FID is biased upward at small N)')
    .argument('[extra...]') // only to say that a checkpoint goes with --ckpt
    .usage('[options]')
    .option('--steps <n>', 'sampling steps (default: a student\'s own step count; a teacher needs it)', stepCount)
    .option('--n <count>', 'number of samples', sampleCount, 2000)
    .option('--seed <s>', 'noise seed (sample, grid and the playground default to 1 too)', seed, 1)
    .option('--eta <η>', 'η of generalized DDIM in [0, 1]: 0 deterministic, 1 the ancestral sampler\'s noise', eta, 0)
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(kernelTuningOption())
    .option('--json', 'print one JSON object')
    .action(async (extra: string[], opts: EvalOpts) => {
      if (extra.length) throw new CliError(`unexpected argument '${extra[0]}': name the checkpoint with --ckpt ${extra[0]}`);
      if (opts.real) return evalReal(opts);
      const file = opts.ckpt ?? MNIST_TEACHER;
      const ckpt = await loadCheckpoint(file);
      checkKnownData(ckpt.config.data);
      checkQualityCount(ckpt.config.data, opts.n);
      const steps = resolveSteps(file, ckpt, opts.steps);
      const info = await startBackend(opts, opts.json);
      const net = networkFromCheckpoint(file, ckpt);
      const quality = await qualityFor(net.config.data);
      const bar = progressBar('sample', opts.n);
      const run = await sampleNetwork(net, { steps, count: opts.n, seed: opts.seed, eta: opts.eta, onBatch: (done) => bar.update(done) });
      bar.stop();
      net.dispose();
      const figures = await quality.evaluate(run.samples);
      const report = { ckpt: file, role: ckpt.role, steps, eta: opts.eta, n: opts.n, seed: opts.seed, backend: info.name, ...figures, msPerImage: run.msPerImage, imagesPerSecond: 1000 / run.msPerImage };
      printReport(report, opts.json);
    });
}

/** The metric on real data: N training images drawn without replacement with the seed, against the test set's statistics. */
async function evalReal(opts: EvalOpts): Promise<void> {
  if (opts.ckpt || opts.steps || opts.eta > 0) throw new CliError('--real measures training images: leave out --ckpt, --steps and --eta');
  const mnist = { kind: 'image', height: MNIST_SIZE, width: MNIST_SIZE, channels: 1, name: 'mnist' } as const;
  checkQualityCount(mnist, opts.n);
  const info = await startBackend(opts, opts.json);
  const quality = await qualityFor(mnist);
  const split = loadMnist('train');
  if (opts.n > split.count) throw new CliError(`--n ${opts.n}: MNIST has ${split.count} training images`);
  const figures = await quality.evaluate(gatherImages(split, new Rng(opts.seed).choose(split.count, opts.n)));
  printReport({ real: 'mnist-train', n: opts.n, seed: opts.seed, backend: info.name, ...figures }, opts.json);
}

/** One JSON object with --json, else one `key: value` line per figure. */
function printReport(report: Record<string, unknown>, json?: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${Object.entries(report).map(([k, v]) => `${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : v}`).join('\n')}\n`);
}
