// The --backend and --threads options every compute subcommand takes (and --kernel-tuning, which those that
// run a UNet on webgpu take), and the one place the CLI starts tfjs.
import { InvalidArgumentError, Option } from 'commander';
import { type KernelChoice, type PassChoice, TUNING_MODES, type TuningMode, onKernelsTuned, setKernelTuning, tuningActive } from '../kernels/autotune';
import { BACKEND_PREFERENCES, type BackendInfo, type BackendPreference, initBackend } from '../tensor/backend';
import { MAX_WASM_THREADS, defaultWasmThreads } from '../tensor/nodeWasmThreads';
import { CliError } from './cliError';
import { positiveInt } from './options';
import { count } from '../core/words';

export const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend: webgpu (Dawn; needs a GPU, or SwiftShader via VK_ICD_FILENAMES), wasm, cpu, or auto')
    .choices([...BACKEND_PREFERENCES])
    .default('auto');

export const threadsOption = () =>
  new Option('--threads <n>', `threads for the wasm backend (default: half the logical cores, at least 2 where there are 2, at most ${MAX_WASM_THREADS}; other backends ignore it)`)
    .argParser((value: string) => {
      const n = positiveInt(value);
      if (n > MAX_WASM_THREADS) throw new InvalidArgumentError(`at most ${MAX_WASM_THREADS}: tfjs-backend-wasm starts a pool of ${MAX_WASM_THREADS} threads`);
      return n;
    });

/** The options `--backend`, `--threads` and `--kernel-tuning` leave in a command's opts. */
export interface BackendFlags {
  backend: BackendPreference;
  threads?: number;
  kernelTuning?: TuningMode;
}

export const kernelTuningOption = () =>
  new Option('--kernel-tuning <mode>', "on webgpu, time our kernels against tfjs's at each shape and run the faster: auto (on a GPU, not on SwiftShader), on, off")
    .choices([...TUNING_MODES])
    .default('auto');

/**
 * Starts the backend and says on stderr which one runs (wasm: on how many threads, and why fewer than asked),
 * and whether kernels are tuned. `auto` takes the first that starts; a backend named with --backend that
 * cannot start is an error (a run asked for WebGPU is not quietly a wasm run), with tfjs's reason.
 */
export async function startBackend(flags: BackendFlags, quiet = false): Promise<BackendInfo> {
  const { backend: pref, kernelTuning: tuning } = flags;
  const asked = flags.threads ?? defaultWasmThreads();
  const info = await initBackend(pref, { wasmThreads: asked });
  if (pref !== 'auto' && info.name !== pref) throw new CliError(`--backend ${pref} cannot start here: ${info.fallbackReason ?? `tfjs started ${info.name}`}`, 2);
  if (flags.threads !== undefined && info.name !== 'wasm' && !quiet) process.stderr.write(`note: --threads applies to wasm only; ${info.name} runs as it is\n`);
  if (info.threadsNote && info.threads !== undefined) process.stderr.write(`note: wasm runs on ${count(info.threads, 'thread')}, not ${asked}: ${info.threadsNote}\n`);
  if (tuning === 'on' && info.name !== 'webgpu' && !quiet) process.stderr.write(`note: --kernel-tuning on applies to webgpu only; ${info.name} runs as it is\n`);
  if (tuning) setKernelTuning(tuning);
  if (!quiet && tuning) onKernelsTuned((choices, ms, passes) => process.stderr.write(`${describeTuning(choices, ms, passes)}\n`));
  if (!quiet) {
    const threads = info.threads && info.threads > 1 ? ` (${info.threads} threads)` : '';
    const adapter = info.adapter ? ` (${[info.adapter.vendor, info.adapter.architecture].filter(Boolean).join(' ')})` : threads;
    const tuned = tuning && info.name === 'webgpu' ? `, kernel tuning ${tuningActive() ? 'on' : 'off'}` : '';
    process.stderr.write(`backend: ${info.name}${adapter}${tuned}\n`);
  }
  return info;
}

/**
 * One line on what a tuning pass chose, e.g. `kernel tuning: timed 12 shapes in 1.3 s; tfjs's kernel faster at 2:
 * conv2d [64,28,28,32] …; whole passes: forward [64,28,28,1] faster with ours at every op (0.042 against 0.052 ms)`.
 */
export function describeTuning(choices: KernelChoice[], ms: number, passes: PassChoice[] = []): string {
  const stock = choices.filter((c) => c.impl === 'stock');
  const failed = choices.filter((c) => c.error);
  const where = stock.length ? `tfjs's kernel faster at ${stock.length}: ${stock.map((c) => c.signature).join('; ')}` : 'ours kept at every one';
  const shapes = choices.length ? `timed ${count(choices.length, 'shape')}` : 'no new shapes';
  const ops = choices.length ? `; ${where}${failed.length ? `; ${failed.length} could not be timed (${failed[0].error})` : ''}` : '';
  const whole = passes.map((p) => `${p.pass} ${p.error ? `not timed (${p.error})` : `${p.impl === 'ours' ? 'faster with ours at every op' : 'kept as tuned'} (${p.ours_ms} against ${p.tuned_ms} ms)`}`);
  return `kernel tuning: ${shapes} in ${(ms / 1000).toFixed(1)} s${ops}${whole.length ? `; whole passes: ${whole.join('; ')}` : ''}`;
}
