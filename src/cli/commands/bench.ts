// `halfstep bench`: how fast the UNet trains and samples on this machine's backend, and how our WGSL
// kernels compare with the stock tfjs-webgpu kernels they replace, timed in the same run.
// Every figure is a median over repetitions after warm-up; each repetition ends with a readback
// (`await data()`), so queued GPU work is inside the time. Short operations are repeated inside one
// repetition until it lasts MIN_REP_MS, so that the ~ms readback does not dominate them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { type KernelChoice, type PassChoice, type TuningMode, kernelTuning, passChoices, stockChosen, tunePendingKernels, tuningActive, withKernelTuning, withOursOnly } from '../../kernels/autotune';
import { ddimStepCoefficients } from '../../core/ddimCoefficients';
import { Rng } from '../../core/rng';
import { DEFAULT_SCHEDULE, timePoint } from '../../core/schedule';
import { sizeOf } from '../../core/shape';
import { columnSumWebGPU } from '../../kernels/columnSum_webgpu';
import { conv2dWebGPU } from '../../kernels/conv2d_webgpu';
import { type ConvPad, conv2dBackpropFilter, conv2dBackpropFilterStock, conv2dBackpropInput, conv2dBackpropInputStock } from '../../kernels/conv2dGradients';
import { useWebGPUKernels, withCustomKernels } from '../../kernels/customKernels';
import { ddimStep, ddimStepPlain } from '../../kernels/ddimStep';
import { denseForward } from '../../kernels/dense';
import { groupNorm } from '../../kernels/groupNorm';
import { buildNetwork } from '../../model/build';
import { type ModelConfig, modelConfigSchema, sampleShape } from '../../model/config';
import { type Network, parameterCount } from '../../model/network';
import { distillRound } from '../../distill/round';
import { checkForwardPasses, forcePassChoice, passChoiceOf, replayedForward } from '../../model/replayedForward';
import { sampleDdim, seededNoise } from '../../samplers/ddim';
import { networkDenoiser } from '../../samplers/denoiser';
import { countDispatches, dispatchCounter } from '../../tensor/dispatchCounter';
import { replaySupported, withReplay } from '../../tensor/replay';
import { Trainer, type TrainerOptions } from '../../train/trainer';
import { type BackendFlags, backendOption, kernelTuningOption, startBackend, threadsOption } from '../backendOption';
import { loadCheckpoint } from '../checkpointFile';
import { CliError } from '../cliError';

/** Debian's Chromium package ships SwiftShader's Vulkan driver here (see README, Performance). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface BenchOpts extends BackendFlags {
  json?: boolean;
  quick?: boolean;
  model?: string;
  kernelTuning: TuningMode;
}

/** What a run measures. `full` is the MNIST teacher at the batch sizes of training and sampling grids. */
interface Plan {
  channels: [number, number, number];
  batches: number[];
  samplerSteps: number[];
  samplerBatch: number;
  kernelBatch: number;
  reps: number;
  /** Timed runs of `reps` Trainer steps per variant (their median is reported). */
  trainerRuns: number;
}

const FULL: Plan = { channels: [32, 64, 64], batches: [1, 16, 64], samplerSteps: [1, 4, 64], samplerBatch: 64, kernelBatch: 64, reps: 5, trainerRuns: 3 };
/** About two minutes on SwiftShader (2 shared CPU cores): a narrower UNet of the same shape, small batches. */
const QUICK: Plan = { channels: [8, 16, 16], batches: [1, 2], samplerSteps: [1, 4], samplerBatch: 1, kernelBatch: 1, reps: 3, trainerRuns: 1 };

const WARMUP = 1;
const MIN_REP_MS = 40;
const MAX_INNER = 16;

export interface KernelTiming {
  name: string;
  ours_ms: number;
  /** null where the backend has no stock kernel for it (tfjs-wasm has no Conv2DBackpropFilter). */
  stock_ms: number | null;
  speedup: number | null;
  /** The forward convolution of the same shape, for scale. */
  forward_ms?: number;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('time UNet forward, training step and DDIM sampling, and our WGSL kernels against stock tfjs (one JSON object with --json)')
    .option('--quick', 'a narrower UNet and small batches: a few minutes on SwiftShader (2 CPU cores)')
    .option('--model <checkpoint>', "time this checkpoint's UNet (e.g. models/mnist/teacher.safetensors) instead of the 32/64/64 one (8/16/16 with --quick)")
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(kernelTuningOption())
    .option('--json', 'print one JSON object')
    .action(async (opts: BenchOpts) => {
      // The model first: a bad --model fails before any backend starts (or the SwiftShader child below).
      const model = opts.model ? await modelConfigOf(opts.model) : null;
      const info = await startBackend(opts, opts.json);
      // The bench is about WebGPU: on a machine without a GPU adapter, measure on SwiftShader (Chromium's
      // software Vulkan) with the quick plan, in a child process since Dawn reads its driver list at start.
      if (info.name !== 'webgpu' && opts.backend === 'auto' && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
        process.stderr.write(`bench: no GPU adapter (${info.fallbackReason ?? info.name}); measuring WebGPU on SwiftShader with --quick\n`);
        const args = [...process.execArgv, ...process.argv.slice(1), ...(opts.quick ? [] : ['--quick'])];
        const child = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD } });
        process.exit(child.status ?? 1);
      }
      const plan = opts.quick ? QUICK : FULL;
      const config = model ?? benchConfig(plan.channels);
      // kernels[] is each program of ours against tfjs's: with tuning off, whatever a tuning would choose.
      const kernels = await withKernelTuning('off', () => benchKernels(plan));
      const tuning = await tuneKernels(config, plan);
      const unet = await benchUnet(config, plan);
      const sampler = await benchSampler(config, plan);
      const distill = replaySupported() === null ? await benchDistillStep(config, plan) : undefined;
      const result = {
        backend: info.name,
        adapter: info.adapter,
        ...(info.threads ? { threads: info.threads } : {}),
        ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}),
        quick: !!opts.quick,
        unetConfig: config.network,
        image: [28, 28, 1],
        unet,
        sampler_batch: plan.samplerBatch,
        sampler_ms_per_image: sampler.replayed,
        ...(sampler.eager ? { sampler_ms_per_image_eager: sampler.eager } : {}),
        ...(distill ? { distill_step: distill } : {}),
        kernel_batch: plan.kernelBatch,
        kernels,
        kernel_tuning: tuning,
        method: `median of ${plan.reps} repetitions after ${WARMUP} warm-up; each repetition ends with a readback`,
      };
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
    });
}

function benchConfig(channels: [number, number, number]): ModelConfig {
  return modelConfigSchema.parse({
    network: { arch: 'unet', channels, resBlocks: 1, attention: true, groups: Math.min(8, channels[0]), embedDim: 64, dropout: 0 },
    data: { kind: 'image', height: 28, width: 28, channels: 1, name: 'mnist' },
    parameterization: 'v',
    schedule: DEFAULT_SCHEDULE,
    conditioning: 't',
  });
}

/** The network config of a checkpoint, which must be a UNet on 28×28×1 images (the bench's inputs). */
async function modelConfigOf(file: string): Promise<ModelConfig> {
  const { config } = await loadCheckpoint(file);
  const d = config.data;
  if (config.network.arch !== 'unet' || d.kind !== 'image' || d.height !== 28 || d.width !== 28 || d.channels !== 1) {
    const data = d.kind === 'image' ? `${d.height}x${d.width}x${d.channels} images` : `${d.kind} data`;
    throw new CliError(`${file}: the bench times a UNet on 28x28x1 images; this checkpoint is a ${config.network.arch} on ${data}`, 2);
  }
  return config;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (ms: number): number => Math.round(ms * 1000) / 1000;
const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** Waits for everything `out` depends on (the GPU queue is in order), then frees it. */
async function fence(out: tf.Tensor | tf.Tensor[]): Promise<void> {
  const list = Array.isArray(out) ? out : [out];
  await list[list.length - 1].data();
  tf.dispose(list);
}

/**
 * Median ms of one call of `run`, after warm-up (which also compiles every pipeline it needs). The first
 * timed call sets how many calls one repetition holds; when that is one call, it is the first sample.
 */
export async function timeMs(run: () => tf.Tensor | tf.Tensor[], reps: number): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fence(run());
  let t0 = performance.now();
  await fence(run());
  const first = performance.now() - t0;
  const inner = Math.max(1, Math.min(MAX_INNER, Math.ceil(MIN_REP_MS / Math.max(first, 1e-3))));
  const samples: number[] = inner === 1 ? [first] : [];
  while (samples.length < reps) {
    t0 = performance.now();
    for (let i = 0; i < inner; i++) {
      const out = run();
      if (i < inner - 1) tf.dispose(out);
      else await fence(out);
    }
    samples.push((performance.now() - t0) / inner);
  }
  return median(samples);
}

function imageBatch(rng: Rng, batch: number): tf.Tensor4D {
  return tf.tensor4d(rng.normals(batch * 28 * 28), [batch, 28, 28, 1]);
}

/** One training step as the trainer takes it: gradients of a regression loss, then an Adam update. */
function trainStep(net: Network, optimizer: tf.Optimizer, z: tf.Tensor4D, t: tf.Tensor1D, target: tf.Tensor4D): tf.Scalar {
  const vars = [...net.params.values()];
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(net.apply(z, t, { training: true, seed: 0 }), target)) as tf.Scalar, vars);
    optimizer.applyGradients(grads);
    return value;
  });
}

/**
 * Before anything is timed: one training step and one forward pass of the UNet at every batch size the bench
 * runs, then ours against tfjs's kernels timed at each shape they met (autotune.ts), so that every figure
 * below runs the kernels a user's run would settle on. Nothing to do where tuning is off (SwiftShader, by
 * default).
 */
async function tuneKernels(config: ModelConfig, plan: Plan): Promise<{ mode: TuningMode; active: boolean; ms: number; choices: KernelChoice[]; passes: PassChoice[] }> {
  const mode = kernelTuning();
  if (!tuningActive()) return { mode, active: false, ms: 0, choices: [], passes: [] };
  progress('timing our kernels against stock at each shape (kernel tuning)');
  const t0 = performance.now();
  const net = buildNetwork(config, 0);
  const rng = new Rng(2);
  const optimizer = tf.train.sgd(0);
  for (const b of new Set([...plan.batches, plan.samplerBatch])) {
    const z = imageBatch(rng, b);
    const t = tf.tensor1d(Array.from({ length: b }, () => rng.uniform()));
    await fence(trainStep(net, optimizer, z, t, z));
    await fence(tf.tidy(() => net.apply(z, t)));
    tf.dispose([z, t]);
  }
  optimizer.dispose();
  const choices = await tunePendingKernels();
  // Then, where tfjs's kernel was chosen somewhere, each batch's replayed forward pass whole: the tuned choices
  // against ours at every op (autotune.ts, pass checks). benchUnet's passes (the same network shape) run the faster.
  await checkForwardPasses(net, [...new Set([...plan.batches, plan.samplerBatch])].map((b) => [b, ...sampleShape(config.data)]));
  net.dispose();
  return { mode, active: true, ms: round(performance.now() - t0), choices, passes: passChoices() };
}

async function benchUnet(config: ModelConfig, plan: Plan) {
  const net = buildNetwork(config, 0);
  const forward: Record<string, number> = {};
  const train: Record<string, number> = {};
  const trainStock: Record<string, number> = {};
  let profile: KernelProfile | undefined;
  let trainer: TrainerBench | undefined;
  let forwardDispatches: number | undefined;
  const replayed: Record<string, number> = {};
  const allOurs: Record<string, number> = {};
  const tunedTogether: Record<string, number> = {};
  const issue: Record<string, { eager: number; replayed: number }> = {};
  const replays = replaySupported() === null;
  // The stock baseline exists where stock kernels differ from ours and exist at all: on webgpu.
  const compareStock = useWebGPUKernels();
  const rng = new Rng(1);
  for (const b of plan.batches) {
    const z = imageBatch(rng, b);
    const target = imageBatch(rng, b);
    const t = tf.tensor1d(Array.from({ length: b }, () => rng.uniform()));
    // The pass check's choice at this batch (tuneKernels made it): the eager pass runs the same kernels as the
    // replayed one, so that eager / replayed is what replay gained.
    const passChoice = passChoiceOf(net, z.shape);
    const eager = () => tf.tidy(() => (passChoice === 'ours' ? withOursOnly(() => net.apply(z, t)) : net.apply(z, t)));
    progress(`unet forward, batch ${b}`);
    forward[b] = round((await timeMs(eager, plan.reps)) / b);
    if (replays) {
      progress(`unet forward recorded once and replayed, batch ${b}`);
      const fwd = replayedForward(net);
      replayed[b] = round((await timeMs(() => fwd.apply(z, t), plan.reps)) / b);
      issue[b] = {
        eager: round(await issueMs(eager, plan.reps)),
        replayed: round(await issueMs(() => fwd.apply(z, t), plan.reps)),
      };
      // Where tuning chose a stock kernel somewhere, the same forward pass on ours alone (what tuning gained),
      // and, where the pass check then chose ours at every op, the per-op choices together (what it saved).
      if (tuningActive() && stockChosen()) {
        progress(`unet forward replayed, our kernels at every shape (tuning off), batch ${b}`);
        allOurs[b] = round((await withKernelTuning('off', () => timeMs(() => fwd.apply(z, t), plan.reps))) / b);
        if (passChoice === 'ours') {
          progress(`unet forward replayed, the per-op choices together, batch ${b}`);
          forcePassChoice(net, z.shape, 'tuned');
          try {
            tunedTogether[b] = round((await timeMs(() => fwd.apply(z, t), plan.reps)) / b);
          } finally {
            forcePassChoice(net, z.shape, 'ours');
          }
        }
      }
      fwd.dispose();
    }
    progress(`unet training step, batch ${b}`);
    const optimizer = tf.train.adam(1e-4);
    train[b] = round(await timeMs(() => trainStep(net, optimizer, z, t, target), plan.reps));
    if (compareStock) {
      progress(`unet training step on stock kernels, batch ${b}`);
      trainStock[b] = round(await withCustomKernels(false, () => timeMs(() => trainStep(net, optimizer, z, t, target), plan.reps)));
    }
    if (compareStock && b === plan.batches[plan.batches.length - 1]) {
      progress(`unet training step, per-kernel GPU times, batch ${b}`);
      profile = await kernelProfile(() => trainStep(net, optimizer, z, t, target));
      // A fresh t, as a sampler makes one per step (the replays above moved this t's values onto the GPU,
      // where tfjs no longer computes the time embedding's small ops on the CPU).
      const tValues = await t.data();
      forwardDispatches = await dispatchesOf(() => tf.tidy(() => net.apply(z, tf.tensor1d(tValues))));
      progress(`Trainer step: ours, tfjs's optimizer, all stock; batch ${b}`);
      trainer = await benchTrainer(net, z, t, target, plan.reps, plan.trainerRuns);
    }
    optimizer.dispose();
    tf.dispose([z, target, t]);
  }
  const parameters = parameterCount(net);
  net.dispose();
  return {
    parameters,
    forward_ms_per_image: forward,
    ...(replays
      ? {
          forward_replayed_ms_per_image: replayed,
          forward_replay_speedup: Object.fromEntries(plan.batches.map((b) => [b, round(forward[b] / replayed[b])])),
          ...(Object.keys(allOurs).length ? { forward_replayed_ms_per_image_all_ours: allOurs } : {}),
          ...(Object.keys(tunedTogether).length ? { forward_replayed_ms_per_image_tuned: tunedTogether } : {}),
          forward_issue_ms: issue,
        }
      : {}),
    train_step_ms: train,
    ...(compareStock
      ? { train_step_ms_stock: trainStock, train_step_speedup: Object.fromEntries(plan.batches.map((b) => [b, round(trainStock[b] / train[b])])) }
      : {}),
    ...(profile ? { train_step_kernel_profile: profile } : {}),
    ...(forwardDispatches !== undefined ? { dispatches_per_forward: forwardDispatches } : {}),
    ...(trainer ? { dispatches_per_train_step: trainer.dispatches, trainer_step_ms: trainer.ms, trainer_step_speedup_vs_stock: trainer.speedup_vs_stock, trainer_step_replayed_speedup_vs_stock: trainer.replayed_speedup_vs_stock, trainer_step_issue_ms: trainer.issue_ms, trainer_step_ms_by_submit_batch: trainer.ms_by_submit_batch } : {}),
  };
}

/**
 * Median ms that one call of `run` keeps JavaScript busy: from the call until it returns, with the GPU queue
 * drained before each call and the GPU's own time left out. The per-dispatch CPU cost that a fast GPU waits on.
 */
async function issueMs(run: () => tf.Tensor, reps: number): Promise<number> {
  await fence(run());
  const samples: number[] = [];
  for (let i = 0; i < Math.max(reps, 5); i++) {
    const t0 = performance.now();
    const out = run();
    samples.push(performance.now() - t0);
    await fence(out);
  }
  return median(samples);
}

/**
 * Time from each step's batch draw to the next's, from stamps[from] on: the JavaScript of a step, before the
 * closing readback (the GPU runs behind it).
 */
function stepGaps(stamps: number[], from: number): number[] {
  return stamps.slice(from + 1).map((s, i) => s - stamps[from + i]);
}

/** Dispatches of one call of `run` (after a warm-up call, which also compiles its pipelines). */
async function dispatchesOf(run: () => tf.Tensor): Promise<number> {
  await fence(run());
  const { result, dispatches } = countDispatches(run);
  await fence(result);
  return dispatches;
}

/**
 * The Trainer step's variants: all ours, recorded once and replayed (what teacher training and distillation
 * run when the model has no dropout); all ours, eager; our kernels with tfjs's optimizer; all stock (the 8x
 * target's baseline).
 */
type TrainerVariant = 'replayed' | 'ours' | 'plain_optimizer' | 'stock';

interface TrainerBench {
  batch_note: string;
  dispatches: Record<TrainerVariant, number>;
  ms: Record<TrainerVariant, number>;
  speedup_vs_stock: number;
  replayed_speedup_vs_stock: number;
  /** Median ms from one step's start to the next's, without the closing readback: the JavaScript per step. */
  issue_ms: Record<TrainerVariant, number>;
  /** Ours, with tfjs-webgpu's WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (dispatches per queue submit) at each value. */
  ms_by_submit_batch: Record<string, number>;
}

/** Values of WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE timed: tfjs's default first. */
const SUBMIT_BATCHES = [15, 64, 256];

/**
 * A step as `halfstep train` takes it (Trainer: global-norm clipping, Adam, EMA) in three variants: with our
 * fused optimizer programs and our kernels (as Halfstep trains); with tfjs's optimizer and our kernels; and
 * all stock (tfjs's optimizer, stock kernels). GPU dispatches (counted at the WebGPU API) and ms per step over
 * a run of `steps` steps that reads back once. On a GPU this step is bound by per-dispatch CPU cost.
 */
async function benchTrainer(net: Network, z: tf.Tensor4D, t: tf.Tensor1D, target: tf.Tensor4D, steps: number, runs: number): Promise<TrainerBench> {
  const counter = dispatchCounter();
  const loss = () => tf.mean(tf.squaredDifference(net.apply(z, t, { training: true, seed: 0 }), target)) as tf.Scalar;
  // The model picks its kernels at every op (the switch around a whole run), the Trainer its optimizer path
  // once, when built (the switch around its construction).
  const trainerWith = (variant: TrainerVariant, opts: TrainerOptions): Trainer =>
    withCustomKernels(variant === 'ours' || variant === 'replayed', () => new Trainer(net.params, { ...opts, replaySteps: variant === 'replayed' }));
  /** Dispatches of the second step (the first creates the moments), and ms per step: the median of `timedRuns` further runs. */
  const run = async (variant: TrainerVariant, timedRuns: number): Promise<[number, number, number]> => {
    const warm = trainerWith(variant, { iterations: 3, learningRate: 1e-4, emaDecay: 0.999, reportEvery: 3 });
    let before = 0;
    let dispatches = 0;
    await warm.run((step) => {
      if (step === 1) before = counter.count;
      if (step === 2) dispatches = counter.count - before;
      return {};
    }, loss);
    warm.dispose();
    const samples: number[] = [];
    const issue: number[] = [];
    while (samples.length < timedRuns) {
      // steps + 2 steps, timed from the third (the first allocates the moments, the second is the one a
      // replayed run records) to the readback at the end.
      const iterations = steps + 3;
      let end = 0;
      const timed = trainerWith(variant, {
        iterations, startStep: 1, learningRate: 1e-4, emaDecay: 0.999, reportEvery: steps + 2,
        // The report's readback ends the timed steps; the Trainer's check of the final weights comes after it.
        onReport: () => { end = performance.now(); },
      });
      const stamps: number[] = []; // one per step, from step 1
      await timed.run((step) => {
        if (step < iterations) stamps.push(performance.now());
        return {};
      }, loss);
      samples.push((end - stamps[2]) / steps);
      issue.push(...stepGaps(stamps, 2));
      timed.dispose();
    }
    return [dispatches, median(samples), issue.length ? median(issue) : Number.NaN];
  };
  const submitDefault = tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
  try {
    const dispatches = {} as Record<TrainerVariant, number>;
    const ms = {} as Record<TrainerVariant, number>;
    const issueMs = {} as Record<TrainerVariant, number>;
    for (const variant of ['replayed', 'ours', 'plain_optimizer', 'stock'] as const) {
      [dispatches[variant], ms[variant], issueMs[variant]] = await withCustomKernels(variant !== 'stock', () => run(variant, runs));
      ms[variant] = round(ms[variant]);
      issueMs[variant] = round(issueMs[variant]);
    }
    const bySubmit: Record<string, number> = {};
    for (const size of SUBMIT_BATCHES) {
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', size);
      bySubmit[size] = round((await run('ours', 1))[1]); // one run each: a first look, for a GPU run to follow up
    }
    return {
      batch_note: 'the largest batch of train_step_ms; the Trainer step counts the loss dispatches too',
      dispatches,
      ms,
      speedup_vs_stock: round(ms.stock / ms.ours),
      replayed_speedup_vs_stock: round(ms.stock / ms.replayed),
      issue_ms: issueMs,
      ms_by_submit_batch: bySubmit,
    };
  } finally {
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', submitDefault);
    counter.stop();
  }
}

interface KernelProfile {
  batch_note: string;
  total_kernel_ms: number;
  top: { kernel: string; calls: number; ms: number }[];
}

/**
 * GPU time per tfjs kernel of one call (timestamp queries, one kernel at a time, so the total exceeds the
 * pipelined wall time): which kernels a training step spends its time in, e.g. whether GroupNorm's
 * reductions are worth fusing. Null where the device has no timestamp queries.
 */
async function kernelProfile(run: () => tf.Tensor): Promise<KernelProfile | undefined> {
  let out: tf.Tensor | undefined;
  const info = await tf.profile(() => (out = run()));
  if (out) await fence(out);
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    if (typeof k.kernelTimeMs !== 'number') return undefined;
    const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += k.kernelTimeMs;
    byName.set(k.name, e);
  }
  const all = [...byName].map(([kernel, e]) => ({ kernel, calls: e.calls, ms: round(e.ms) })).sort((a, b) => b.ms - a.ms);
  return {
    batch_note: 'the largest batch of train_step_ms, our kernels on',
    total_kernel_ms: round(all.reduce((a, e) => a + e.ms, 0)),
    top: all.slice(0, 15),
  };
}

async function benchSampler(config: ModelConfig, plan: Plan): Promise<{ replayed: Record<string, number>; eager?: Record<string, number> }> {
  const net = buildNetwork(config, 0);
  const z1 = seededNoise(0, plan.samplerBatch, [28, 28, 1]);
  const time = async (label: string): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    const denoiser = networkDenoiser(net);
    for (const steps of plan.samplerSteps) {
      progress(`DDIM sampling, ${steps} steps, batch ${plan.samplerBatch}${label}`);
      out[steps] = round((await timeMs(() => sampleDdim(denoiser, z1, { steps }), steps > 8 ? Math.min(plan.reps, 3) : plan.reps)) / plan.samplerBatch);
    }
    denoiser.dispose();
    return out;
  };
  // The sampler replays the recorded forward pass where it can (webgpu); the eager figure is the comparison.
  const replayed = await time('');
  const eager = replaySupported() === null ? await withReplay(false, () => time(', forward pass eager')) : undefined;
  z1.dispose();
  net.dispose();
  return { replayed, ...(eager ? { eager } : {}) };
}

/**
 * One distillation round of a randomly initialized teacher (Algorithm 2: two teacher DDIM steps for the
 * target, the student's loss, gradients and update) at the largest batch, with replay on (each batch and the
 * student's step recorded and replayed, as rounds run on webgpu) and off. Per step:
 * GPU dispatches, and the JavaScript time from one step's batch draw to the next's (the GPU runs behind it).
 */
async function benchDistillStep(config: ModelConfig, plan: Plan): Promise<{ batch: number; dispatches: number; issue_ms: { replayed: number; eager: number } }> {
  const teacher = buildNetwork(config, 0);
  const batch = plan.batches[plan.batches.length - 1];
  const steps = Math.max(plan.reps, 3) + 3;
  const issue = { replayed: 0, eager: 0 };
  let dispatches = 0;
  try {
    for (const variant of ['replayed', 'eager'] as const) {
      progress(`distillation step, batch ${batch}, ${variant}`);
      const counter = dispatchCounter();
      const stamps: number[] = [];
      const counts: number[] = [];
      try {
        const { student } = await withReplay(variant === 'replayed', () => distillRound(teacher, {
          studentSteps: 4, batchSize: batch, seed: 1, iterations: steps, learningRate: 1e-4, reportEvery: steps,
          data: (n, rng) => {
            stamps.push(performance.now());
            counts.push(counter.count);
            return tf.tensor4d(rng.normals(n * 784), [n, 28, 28, 1]);
          },
        }));
        student.dispose();
      } finally {
        counter.stop();
      }
      // From the third step on: the first is eager and the second records. (The last batch is the one the
      // Trainer makes to check the final weights, after the steps.)
      issue[variant] = round(median(stepGaps(stamps.slice(0, steps), 2)));
      dispatches = counts[3] - counts[2];
    }
  } finally {
    teacher.dispose();
  }
  return { batch, dispatches, issue_ms: issue };
}

interface ConvShape { label: string; size: number; ci: number; co: number; stride: number; pad: ConvPad }

/** The UNet's convolutions, by resolution: res blocks, a stride-2 downsample, an up-path conv after concat. */
const CONV_SHAPES: ConvShape[] = [
  { label: '3x3 28x28 32->32', size: 28, ci: 32, co: 32, stride: 1, pad: 1 },
  { label: '3x3 28x28 64->32', size: 28, ci: 64, co: 32, stride: 1, pad: 1 },
  { label: '3x3 28x28->14x14 32->32 stride 2', size: 28, ci: 32, co: 32, stride: 2, pad: 1 },
  { label: '3x3 14x14 64->64', size: 14, ci: 64, co: 64, stride: 1, pad: 1 },
];

async function benchKernels(plan: Plan): Promise<KernelTiming[]> {
  const webgpu = useWebGPUKernels();
  const wasm = tf.getBackend() === 'wasm';
  if (!webgpu && !wasm) return [];
  const rng = new Rng(2);
  const b = plan.kernelBatch;
  const timings: KernelTiming[] = [];
  type Run = () => tf.Tensor | tf.Tensor[];
  /** Times ours, then stock (null where tfjs has no such kernel), in the same run, and lists the pair. */
  const compare = async (name: string, ours: Run, stock: Run | null, extra: { forward_ms?: number } = {}): Promise<void> => {
    const oursMs = round(await timeMs(ours, plan.reps));
    const stockMs = stock === null ? null : round(await timeMs(stock, plan.reps));
    timings.push({ name, ours_ms: oursMs, stock_ms: stockMs, speedup: stockMs === null ? null : round(stockMs / oursMs), ...extra });
  };
  for (const s of CONV_SHAPES) {
    const { ci, co } = s;
    const xShape: [number, number, number, number] = [b, s.size, s.size, ci];
    const fShape: [number, number, number, number] = [3, 3, ci, co];
    const x = tf.tensor4d(rng.normals(b * s.size * s.size * ci), xShape);
    const f = tf.tensor4d(rng.normals(9 * ci * co), fShape);
    const yShape = tf.backend_util.computeConv2DInfo(xShape, fShape, s.stride, 1, s.pad).outShape as [number, number, number, number];
    const dy = tf.tensor4d(rng.normals(sizeOf(yShape)), yShape);
    const label = `${s.label}, batch ${b}`;
    progress(`kernels: ${label}`);
    const forward = round(await timeMs(() => tf.conv2d(x, f, s.stride, s.pad), plan.reps));
    if (webgpu) {
      // The forward pass as the UNet runs it, with its bias: our program against tfjs's fused conv.
      const bias = tf.tensor1d(rng.normals(co));
      await compare(`conv2d + bias ${label}`, () => conv2dWebGPU(x, f, s.stride, s.pad, bias), () => tf.fused.conv2d({ x, filter: f, strides: s.stride, pad: s.pad, bias }));
      bias.dispose();
    }
    await compare(`conv2dBackpropFilter ${label}`, () => conv2dBackpropFilter(x, dy, fShape, s.stride, s.pad), wasm ? null : () => conv2dBackpropFilterStock(x, dy, fShape, s.stride, s.pad), { forward_ms: forward });
    await compare(`conv2dBackpropInput ${label}`, () => conv2dBackpropInput(dy, f, xShape, s.stride, s.pad), () => conv2dBackpropInputStock(dy, f, xShape, s.stride, s.pad), { forward_ms: forward });
    tf.dispose([x, f, dy]);
  }
  if (webgpu) {
    const shape = [b, 28, 28, 1];
    const z = tf.tensor(rng.normals(b * 784), shape);
    const netOut = tf.tensor(rng.normals(b * 784), shape);
    const c = ddimStepCoefficients('v', timePoint(0.5), timePoint(0.25));
    const asList = (r: { zS: tf.Tensor; xHat: tf.Tensor }) => [r.xHat, r.zS];
    progress('kernels: DDIM step');
    await compare(`ddimStep (clip) [${shape.join(', ')}]`, () => asList(ddimStep(z, netOut, c, true)), () => asList(ddimStepPlain(z, netOut, c, true)));
    tf.dispose([z, netOut]);
    // A dense layer of a residual block's embedding-projection shape ([B, T]·[T, C], T = 4·c₀: here c₀ = 64),
    // and the bias gradient of a 28×28, 32-channel conv.
    const [x, w, bias] = [tf.tensor2d(rng.normals(b * 256), [b, 256]), tf.tensor2d(rng.normals(256 * 64), [256, 64]), tf.tensor1d(rng.normals(64))];
    progress('kernels: dense, column sum');
    await compare(`dense + bias [${b}, 256] x [256, 64]`, () => denseForward(x, w, bias), () => tf.fused.matMul({ a: x, b: w, bias }));
    const dy = tf.tensor4d(rng.normals(b * 784 * 32), [b, 28, 28, 32]);
    await compare(`bias gradient (column sum) [${b}, 28, 28, 32]`, () => columnSumWebGPU(dy), () => tf.sum(dy, [0, 1, 2]));
    // GroupNorm + SiLU as a residual block runs it, 8 groups: the forward pass alone (sampling), and with the
    // gradients of x, γ and β (training); stock is groupNormPlain (closed-form gradient) + tfjs's SiLU.
    const [gamma, beta] = [tf.tensor1d(rng.normals(32)), tf.tensor1d(rng.normals(32))];
    const gn = () => groupNorm(dy, 8, gamma, beta, true);
    const gnGrads = () => tf.grads((a: tf.Tensor, g: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(groupNorm(a as tf.Tensor4D, 8, g as tf.Tensor1D, c as tf.Tensor1D, true), dy)))([dy, gamma, beta]);
    progress('kernels: GroupNorm + SiLU');
    const gnRuns: [string, Run][] = [['forward', gn], ['forward and backward', gnGrads]];
    for (const [label, run] of gnRuns) {
      await compare(`groupNorm + SiLU ${label} [${b}, 28, 28, 32], 8 groups`, run, () => withCustomKernels(false, run));
    }
    tf.dispose([x, w, bias, dy, gamma, beta]);
  }
  return timings;
}
