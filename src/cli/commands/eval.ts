// `halfstep eval`: a checkpoint's sample quality at a step count, from seeded noise.
import type { Command } from 'commander';
import type { BackendPreference } from '../../tensor/backend';
import { backendOption, startBackend } from '../backendOption';
import { loadCheckpoint, networkFromCheckpoint } from '../checkpointFile';
import { qualityFor } from '../datasets';
import { sampleNetwork } from '../evaluation';
import { nonNegativeInt, positiveInt } from '../options';
import { progressBar } from '../progress';
import { resolveSteps } from '../steps';

interface EvalOpts {
  ckpt: string;
  steps?: number;
  n: number;
  seed: number;
  backend: BackendPreference;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('sample a checkpoint and measure quality (2D: sliced Wasserstein distance to the data; MNIST: FID, KID, classifier confidence)')
    .requiredOption('--ckpt <file>', 'teacher or student checkpoint')
    .option('--steps <n>', 'sampling steps (default: a student\'s own step count)', positiveInt)
    .option('--n <count>', 'number of samples', positiveInt, 2000)
    .option('--seed <s>', 'noise seed', nonNegativeInt, 1)
    .addOption(backendOption())
    .option('--json', 'print one JSON object')
    .action(async (opts: EvalOpts) => {
      const ckpt = await loadCheckpoint(opts.ckpt);
      const steps = resolveSteps(opts.ckpt, ckpt, opts.steps);
      const info = await startBackend(opts.backend, opts.json);
      const net = networkFromCheckpoint(opts.ckpt, ckpt);
      const quality = await qualityFor(net.config.data);
      const bar = progressBar('sample', opts.n);
      const run = await sampleNetwork(net, steps, opts.n, opts.seed, (done) => bar.update(done));
      bar.stop();
      net.dispose();
      const figures = await quality.evaluate(run.samples);
      const report = { ckpt: opts.ckpt, role: ckpt.role, steps, n: opts.n, seed: opts.seed, backend: info.name, ...figures, msPerImage: run.msPerImage, imagesPerSecond: 1000 / run.msPerImage };
      if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(`${Object.entries(report).map(([k, v]) => `${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : v}`).join('\n')}\n`);
    });
}
