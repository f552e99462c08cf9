// `halfstep grid`: a PNG of samples from the same noise, one row per sampler and step count
// (e.g. teacher DDIM at 256 and at 4 steps, the 4-step student, the 1-step student).
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { encode } from 'fast-png';
import { type BackendFlags, backendOption, startBackend, threadsOption } from '../backendOption';
import { loadCheckpoint, networkFromCheckpoint } from '../checkpointFile';
import { checkOutputFile, writeFileAtomic } from '../outputs';
import { CliError } from '../cliError';
import { sampleNetwork } from '../evaluation';
import { MAX_SAMPLING_STEPS, gridColumns, gridScale, seed } from '../options';
import { resolveSteps } from '../steps';
import { count } from '../../core/words';

interface GridOpts extends BackendFlags {
  row: string[];
  n: number;
  seed: number;
  out: string;
  scale: number;
}

/**
 * 'FILE' or 'FILE@STEPS' (a positive whole number); anything else after the last '@' is a usage error, unless
 * the whole of it names an existing file ('runs/s@4.safetensors').
 */
export function parseRow(spec: string): { file: string; steps?: number } {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { file: spec };
  const steps = spec.slice(at + 1);
  // An '@' inside a directory name ('runs/v@1/student.safetensors') is part of the path.
  if (steps.includes('/') || (!/^[1-9]\d*$/.test(steps) && existsSync(spec))) return { file: spec };
  if (!/^[1-9]\d*$/.test(steps) || Number(steps) > MAX_SAMPLING_STEPS) throw new CliError(`--row ${spec}: '${steps}' is not a step count from 1 to ${MAX_SAMPLING_STEPS} (FILE@STEPS, e.g. teacher.safetensors@64)`);
  return { file: spec.slice(0, at), steps: Number(steps) };
}

const GAP = 2;

export function register(program: Command): void {
  program
    .command('grid')
    .description('write a PNG grid of image samples from the same seeded noise, one row per checkpoint@steps')
    .requiredOption('--row <ckpt[@steps]>', 'required: a row, FILE or FILE@STEPS (a teacher needs @STEPS; repeat the option for more rows)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('--out <file>', 'required: PNG to write')
    .option('--n <count>', 'samples per row', gridColumns, 10)
    .option('--seed <s>', 'noise seed (shared by every row; eval, sample and the playground default to 1 too)', seed, 1)
    .option('--scale <k>', 'pixel scale factor', gridScale, 2)
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (opts: GridOpts) => {
      if (!/\.png$/i.test(opts.out)) throw new CliError(`--out ${opts.out}: grid writes a PNG; give a file name ending in .png`, 2);
      await checkOutputFile(opts.out, { inputs: opts.row.map((r) => parseRow(r).file) });
      // Every row is read and checked before any sampling: a bad last row fails in a second, not after the others.
      let size: [number, number, number] | null = null;
      const plan = [];
      for (const spec of opts.row) {
        const { file, steps } = parseRow(spec);
        const ckpt = await loadCheckpoint(file);
        if (ckpt.config.data.kind !== 'image') throw new CliError(`${file}: grid draws image models (MNIST); this one is a 2D model of ${ckpt.config.data.name}: use sample for its points`, 2);
        const { height, width, channels } = ckpt.config.data;
        if (size && (size[0] !== height || size[1] !== width || size[2] !== channels)) throw new CliError(`${file}: image size differs from the first row's`, 2);
        size = [height, width, channels];
        plan.push({ file, ckpt, steps: resolveSteps(file, ckpt, steps, `${file}@STEPS`) });
      }
      await startBackend(opts, true);
      const rows: Float32Array[] = [];
      for (const { file, ckpt, steps } of plan) {
        const net = networkFromCheckpoint(file, ckpt);
        rows.push((await sampleNetwork(net, { steps, count: opts.n, seed: opts.seed })).samples);
        net.dispose();
      }
      const [h, w, c] = size!;
      const k = opts.scale;
      const W = opts.n * (w * k + GAP) + GAP;
      const H = rows.length * (h * k + GAP) + GAP;
      const px = new Uint8Array(W * H * 3).fill(255);
      rows.forEach((samples, r) => {
        for (let i = 0; i < opts.n; i++) {
          for (let y = 0; y < h * k; y++) {
            for (let x = 0; x < w * k; x++) {
              const src = ((i * h + Math.floor(y / k)) * w + Math.floor(x / k)) * c;
              const dst = ((GAP + r * (h * k + GAP) + y) * W + GAP + i * (w * k + GAP) + x) * 3;
              for (let ch = 0; ch < 3; ch++) {
                const v = samples[src + (c === 3 ? ch : 0)];
                // [-1, 1] → [0, 255], clipped.
                px[dst + ch] = Math.round(Math.min(255, Math.max(0, (v + 1) * 127.5)));
              }
            }
          }
        }
      });
      await writeFileAtomic(opts.out, encode({ width: W, height: H, data: px, channels: 3 }));
      process.stdout.write(`wrote ${opts.out}: ${count(rows.length, 'row')} × ${count(opts.n, 'sample')}\n`);
    });
}
