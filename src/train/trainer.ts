// A training loop with named hooks and nothing model-specific in it (as minGPT's trainer):
// Adam, a learning rate that decays linearly to 0 (Salimans & Ho, Algorithm 2 setup) or stays constant,
// global-norm gradient clipping, an optional EMA of the weights, periodic loss reports that are the
// only GPU readbacks, a non-finite guard that restores the last good weights, pause and cancel.
// On webgpu the optimizer side (clipping, Adam, EMA) runs as our fused WGSL programs, ~1 dispatch per
// parameter tensor instead of ~17 tfjs ops: the step is bound by per-dispatch CPU cost, not by FLOPs.
import * as tf from '@tensorflow/tfjs';
import { yieldToEventLoop } from '../core/eventLoop';
import { adamStepTensor, adamUpdateWebGPU } from '../kernels/adamUpdate_webgpu';
import { tunePendingKernels } from '../kernels/autotune';
import { kernelVariant, useWebGPUKernels } from '../kernels/customKernels';
import { globalNormWebGPU } from '../kernels/gradNorm_webgpu';
import { getWebGPUBackend } from '../tensor/backend';
import { ReplayCache, copyOnGPU } from '../tensor/replay';

export interface TrainerOptions {
  iterations: number;
  learningRate: number;
  /** 'linear-decay': lr·(1 - step/iterations), the paper's choice for every distillation round. */
  schedule?: 'linear-decay' | 'constant';
  /** Linear warm-up steps (teacher training); 0 for distillation, whose student starts at its teacher. */
  warmup?: number;
  /** Global-norm gradient clipping threshold (1 in the paper's setup). */
  clipNorm?: number;
  /** Steps between loss reports: each report is one GPU readback, so the loop never reads back per step. */
  reportEvery?: number;
  /**
   * Report at whole multiples of reportEvery (step 150, 200, …) rather than every reportEvery steps from
   * startStep: a resumed run's reports, and the saves made at them, then land where a fresh run's do.
   */
  alignReports?: boolean;
  /** Exponential moving average of the weights (e.g. 0.999 for a teacher); none when undefined. */
  emaDecay?: number;
  /** Resume: the step count the run continues from (lr schedule and EMA warm-up continue from here). */
  startStep?: number;
  signal?: AbortSignal;
  /** Awaited before every step: the app resolves it only while not paused. */
  gate?: () => Promise<void>;
  /** May return a promise (e.g. a checkpoint write): the loop waits for it before the next step. */
  onReport?: (r: TrainReport) => void | Promise<void>;
  /**
   * The caller's promise that `loss` depends on the batch alone, not on the step (no dropout): then, on
   * webgpu with our kernels, a step (forward, backward, clipping, Adam, EMA) is recorded once and replayed
   * after (src/tensor/replay.ts), its learning rate and bias corrections passed in as a tensor.
   */
  replaySteps?: boolean;
}

export interface TrainReport {
  /** Steps finished so far (1-based count). */
  step: number;
  /** Mean loss over the steps since the previous report. */
  loss: number;
  lr: number;
  /** Mean global gradient norm (before clipping) over the same steps. */
  gradNorm: number;
}

/** One tensor of Adam's state as tfjs names it. */
export interface OptimizerTensor {
  name: string;
  tensor: tf.Tensor;
}

export type StopReason = 'done' | 'cancelled' | 'nonfinite';

export interface TrainResult {
  /** Steps completed and kept (after a non-finite stop: up to the last report whose weights proved good). */
  steps: number;
  finalLoss: number;
  reports: TrainReport[];
  stopped: StopReason;
  /** For 'nonfinite': the first step whose loss or gradient norm was NaN or infinite. */
  nonFiniteStep?: number;
  /** With replaySteps on webgpu: steps recorded, replayed and taken eagerly after the run's first. */
  replay?: { recordings: number; replays: number; eager: number };
}

/** Weights (and EMA) at a step count, copied aside so that a run can go back to them. */
interface Snapshot {
  steps: number;
  vars: tf.Tensor[];
  ema: tf.Tensor[] | null;
}

export class NonFiniteLossError extends Error {
  constructor(readonly step: number) {
    super(`non-finite loss or gradient at step ${step}; the last good weights were kept`);
    this.name = 'NonFiniteLossError';
  }
}

// β₂ = 0.99 as in the paper's released code.
const BETA1 = 0.9;
const BETA2 = 0.99;
const EPSILON = 1e-8;

/** Adam whose learning rate the loop sets per step (tfjs reads `learningRate` at every update). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

/** The optimizer side of one step: global-norm clipping, Adam, and the EMA when there is one. */
interface ParameterUpdate {
  /** Runs under the caller's tidy; returns the global gradient norm before clipping. */
  step(grads: tf.Tensor[], lr: number, emaDecay: number): tf.Scalar;
  /** tfjs Adam's layout: the step count ('iter'), then the first moments, then the second, in parameter order. */
  getWeights(): Promise<OptimizerTensor[]>;
  setWeights(state: OptimizerTensor[]): Promise<void>;
  dispose(): void;
}

/** Plain tfjs ops, for every backend: ~17 ops per parameter tensor. */
class PlainUpdate implements ParameterUpdate {
  private readonly optimizer = new ScheduledAdam(0, BETA1, BETA2, EPSILON);

  constructor(private readonly vars: tf.Variable[], private readonly ema: tf.Variable[] | null, private readonly clipNorm: number) {}

  step(grads: tf.Tensor[], lr: number, emaDecay: number): tf.Scalar {
    // Global norm over all parameters; scale = min(1, clip / ‖g‖).
    // A chain of adds, not addN: webgpu's addN binds every input at once (8 storage buffers at most).
    const norm = tf.sqrt(grads.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(this.clipNorm, tf.maximum(norm, 1e-12)));
    this.optimizer.setLearningRate(lr);
    this.optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: tf.mul(grads[i], scale) })));
    // ema ← d·ema + (1 - d)·θ, after the update.
    this.ema?.forEach((shadow, i) => shadow.assign(tf.add(tf.mul(shadow, emaDecay), tf.mul(this.vars[i], 1 - emaDecay))));
    return norm;
  }

  getWeights(): Promise<OptimizerTensor[]> {
    return this.optimizer.getWeights();
  }

  setWeights(state: OptimizerTensor[]): Promise<void> {
    return this.optimizer.setWeights(state);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/**
 * The same arithmetic as PlainUpdate on webgpu in ⌈n/7⌉ + 2 dispatches for the norm and one per parameter
 * tensor for clip·Adam·EMA (kernels/gradNorm_webgpu.ts, kernels/adamUpdate_webgpu.ts), updating θ, the
 * moments and the EMA in place. It keeps tfjs Adam's state as tfjs does: 1 - β₁ᵗ from a float32 running
 * product, the moments created at the first step, the same getWeights/setWeights layout.
 */
class FusedUpdate implements ParameterUpdate {
  private m: tf.Variable[] = [];
  private v: tf.Variable[] = [];
  private iterations = 0;
  // β₁ᵗ and β₂ᵗ for the coming step, as tfjs's float32 accBeta variables hold them.
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);

  constructor(private readonly vars: tf.Variable[], private readonly ema: tf.Variable[] | null, private readonly clipNorm: number) {}

  step(grads: tf.Tensor[], lr: number, emaDecay: number): tf.Scalar {
    const scalars = this.stepScalars(lr, emaDecay);
    const norm = this.apply(grads, scalars);
    this.advance();
    return norm;
  }

  /** The coming step's learning rate, bias corrections and EMA decay, as the tensor the update reads. */
  stepScalars(lr: number, emaDecay: number): tf.Tensor1D {
    return adamStepTensor({
      negLr: -lr, beta1: BETA1, beta2: BETA2, epsilon: EPSILON, clipNorm: this.clipNorm, emaDecay,
      oneMinusAccBeta1: Math.fround(1 - this.accBeta1), oneMinusAccBeta2: Math.fround(1 - this.accBeta2),
    });
  }

  /** Clipping, Adam and EMA on the GPU with the given step scalars; no JavaScript state changes. Returns ‖g‖. */
  apply(grads: tf.Tensor[], scalars: tf.Tensor): tf.Scalar {
    const gpu = getWebGPUBackend();
    if (!gpu) throw new Error('the fused optimizer runs on the webgpu backend only');
    const norm = globalNormWebGPU(gpu, grads);
    if (this.m.length === 0) {
      // Nested tidy: the zeros die here, so each moment owns its buffer before the first in-place write.
      this.m = this.vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v = this.vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
    adamUpdateWebGPU(gpu, { params: this.vars, grads, m: this.m, v: this.v, ema: this.ema, norm }, scalars);
    return norm;
  }

  /** Moves the JavaScript side (β powers, step count) past a step taken with apply(). */
  advance(): void {
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(BETA1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(BETA2));
    this.iterations++;
  }

  /** Everything the update writes in place: a recorded step stays valid while these keep their data. */
  stateTensors(): tf.Tensor[] {
    return [...this.vars, ...this.m, ...this.v, ...(this.ema ?? [])];
  }

  async getWeights(): Promise<OptimizerTensor[]> {
    return [
      { name: 'iter', tensor: tf.scalar(this.iterations, 'int32') },
      ...this.m.map((t, i) => ({ name: `${this.vars[i].name}/m`, tensor: t as tf.Tensor })),
      ...this.v.map((t, i) => ({ name: `${this.vars[i].name}/v`, tensor: t as tf.Tensor })),
    ];
  }

  async setWeights(state: OptimizerTensor[]): Promise<void> {
    this.iterations = (await state[0].tensor.data())[0];
    this.accBeta1 = Math.fround(BETA1 ** (this.iterations + 1));
    this.accBeta2 = Math.fround(BETA2 ** (this.iterations + 1));
    const moments = state.slice(1);
    const n = moments.length / 2;
    this.disposeMoments();
    this.m = moments.slice(0, n).map((w) => tf.variable(w.tensor, false));
    this.v = moments.slice(n).map((w) => tf.variable(w.tensor, false));
  }

  private disposeMoments(): void {
    tf.dispose([...this.m, ...this.v]);
    this.m = [];
    this.v = [];
  }

  dispose(): void {
    this.disposeMoments();
  }
}


export class Trainer {
  readonly ema: Map<string, tf.Variable> | null;
  private readonly update: ParameterUpdate;
  private readonly opts: Required<Omit<TrainerOptions, 'emaDecay' | 'signal' | 'gate' | 'onReport' | 'replaySteps'>> & TrainerOptions;

  constructor(private readonly params: ReadonlyMap<string, tf.Variable>, opts: TrainerOptions) {
    this.opts = { schedule: 'linear-decay', warmup: 0, clipNorm: 1, reportEvery: 10, startStep: 0, alignReports: false, ...opts };
    // tidy frees the clones; each shadow keeps its data.
    this.ema = opts.emaDecay === undefined ? null : new Map([...params].map(([n, v]) => [n, tf.tidy(() => tf.variable(v.clone() as tf.Tensor, false))]));
    // A fresh optimizer per Trainer, so each distillation round resets it.
    const vars = [...params.values()];
    const ema = this.ema ? [...this.ema.values()] : null;
    this.update = useWebGPUKernels() ? new FusedUpdate(vars, ema, this.opts.clipNorm) : new PlainUpdate(vars, ema, this.opts.clipNorm);
  }

  /**
   * One training step (gradients of `loss`, then the fused update with the step's scalars as an input) as a
   * replayable function of the batch's tensors. call() returns the step's [loss, ‖g‖], or null where the
   * batch is not a flat record of tensors (the caller then takes the step eagerly).
   */
  private stepReplay<B extends tf.TensorContainer>(fused: FusedUpdate, vars: tf.Variable[], loss: (batch: B, step: number) => tf.Scalar) {
    let keys: string[] | null = null;
    const cache = new ReplayCache((inputs) => {
      const batch = Object.fromEntries(keys!.map((k, i) => [k, inputs[i]])) as unknown as B;
      // The step number only feeds dropout seeds, which replaySteps promises the loss does not use.
      const { value, grads } = tf.variableGrads(() => loss(batch, 0), vars);
      const norm = fused.apply(vars.map((v) => grads[v.name]), inputs[inputs.length - 1]);
      return tf.stack([value, tf.reshape(norm, [])]);
    }, { maxRecordings: 1, variant: kernelVariant, watch: { tensors: () => fused.stateTensors(), writes: true } });
    return {
      stats: cache.stats,
      call(batch: B, lr: number, emaDecay: number): tf.Tensor | null {
        if (batch === null || typeof batch !== 'object' || Array.isArray(batch) || batch instanceof tf.Tensor) return null;
        const entries = Object.entries(batch);
        if (!entries.every(([, t]) => t instanceof tf.Tensor)) return null;
        const names = entries.map(([k]) => k);
        keys ??= names;
        if (names.join() !== keys.join()) return null;
        const packed = cache.call([...entries.map(([, t]) => t as tf.Tensor), fused.stepScalars(lr, emaDecay)]);
        fused.advance();
        return packed;
      },
      dispose: () => cache.dispose(),
    };
  }

  learningRateAt(step: number): number {
    const { learningRate, schedule, warmup, iterations } = this.opts;
    const warm = warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1;
    const decay = schedule === 'linear-decay' ? Math.max(0, 1 - step / iterations) : 1;
    return learningRate * warm * decay;
  }

  /**
   * Runs from startStep to iterations. `makeBatch` builds the step's inputs outside the gradient tape
   * (e.g. a frozen teacher's targets); `loss` maps them to a scalar inside it. Both run under tidy.
   */
  async run<B extends tf.TensorContainer>(makeBatch: (step: number) => B, loss: (batch: B, step: number) => tf.Scalar): Promise<TrainResult> {
    const { iterations, reportEvery, startStep, signal, gate, onReport, alignReports } = this.opts;
    const vars = [...this.params.values()];
    const reports: TrainReport[] = [];
    // Running sums of [loss, gradient norm] on the device: read back once per report.
    let sums = tf.zeros([2]);
    // Smallest step index whose loss/norm was non-finite; `iterations` means none.
    let firstBad = tf.scalar(iterations);
    // The fused update writes the weights in place, so its snapshots are copies, not clones sharing data.
    const fused = this.update instanceof FusedUpdate ? this.update : null;
    const emaVars = this.ema ? [...this.ema.values()] : null;
    const snapshot = (steps: number): Snapshot => ({ steps, vars: vars.map(copy), ema: emaVars?.map(copy) ?? null });
    const copy = (v: tf.Tensor) => (fused ? copyOnGPU(v) : v.clone());
    const restore = (to: Snapshot) => {
      vars.forEach((v, i) => v.assign(to.vars[i]));
      if (emaVars && to.ema) emaVars.forEach((v, i) => v.assign(to.ema![i]));
    };
    const release = (sn: Snapshot | null) => sn && [...sn.vars, ...(sn.ema ?? [])].forEach((t) => t.dispose());
    // A step's loss is that of the weights it starts from, so the weights a report sees (after its last update)
    // are proved only by the next step's loss. `candidate` holds them until then; `good` holds the last proved
    // ones: at first, the weights the run starts from, taken after the first gate (where a resumed run restores
    // its EMA and optimizer state).
    let good: Snapshot | null = null;
    let candidate: Snapshot | null = null;
    /** A finite loss from the candidate's weights proved them: they become the good ones. */
    const promote = () => {
      if (!candidate) return;
      release(good);
      good = candidate;
      candidate = null;
    };
    /** After a non-finite loss at step `bad`: back to the latest weights that a finite loss proved. */
    const fallBack = (bad: number) => {
      if (candidate && bad > candidate.steps) promote();
      restore(good!);
      return good!.steps;
    };
    /**
     * The window of steps since the last report, read back: its summed loss and gradient norm, and its first
     * non-finite step (null if none; a sum that overflowed with every step finite names no step, so the window's
     * first, `from`, is taken as bad).
     */
    const readWindow = async (from: number) => {
      const [[lv, nv], bv] = await Promise.all([sums.data(), firstBad.data()]);
      const bad = bv[0] < iterations ? bv[0] : Number.isFinite(lv) && Number.isFinite(nv) ? null : from;
      return { lv, nv, bad };
    };
    const replay = fused && this.opts.replaySteps ? this.stepReplay(fused, vars, loss) : null;
    let sinceReport = 0;
    let lrSum = 0;
    let stopped: StopReason = 'done';
    let nonFiniteStep: number | undefined;
    let keptSteps = startStep;
    let step = startStep;

    try {
      for (; step < iterations; step++) {
        if (gate) await gate();
        if (signal?.aborted) {
          stopped = 'cancelled';
          break;
        }
        good ??= snapshot(startStep);
        const lr = this.learningRateAt(step);
        lrSum += lr;
        const [s, bad] = tf.tidy(() => {
          const batch = makeBatch(step);
          // The first step of a run is eager: it creates Adam's moments and gives every buffer one owner.
          const packed = (step > startStep && replay?.call(batch, lr, this.emaDecayAt(step))) || tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => loss(batch, step), vars);
            const norm = this.update.step(vars.map((v) => grads[v.name]), lr, this.emaDecayAt(step));
            return tf.stack([value, tf.reshape(norm, [])]);
          });
          const badNow = tf.where(tf.all(tf.isFinite(packed)), firstBad, tf.minimum(firstBad, step));
          return [tf.add(sums, packed), badNow];
        });
        sums.dispose();
        firstBad.dispose();
        sums = s;
        firstBad = bad as tf.Scalar;
        sinceReport++;
        const atEnd = step + 1 === iterations;
        if ((alignReports ? (step + 1) % reportEvery === 0 : sinceReport === reportEvery) || atEnd) {
          const { lv, nv, bad } = await readWindow(step + 1 - sinceReport);
          if (bad !== null) {
            // Back to proved weights: the steps since then are lost, nothing else.
            stopped = 'nonfinite';
            nonFiniteStep = bad;
            keptSteps = fallBack(bad);
            break;
          }
          const report = { step: step + 1, loss: lv / sinceReport, lr: lrSum / sinceReport, gradNorm: nv / sinceReport };
          reports.push(report);
          await onReport?.(report);
          // This window's first loss proved the weights of the last report.
          promote();
          candidate = snapshot(step + 1);
          keptSteps = step + 1;
          sums.dispose();
          sums = tf.zeros([2]);
          sinceReport = 0;
          lrSum = 0;
        }
        // The first step ran every op of a step once: time ours against tfjs's kernels at shapes not timed
        // before (autotune.ts; nothing to do when tuning is off), before later steps are recorded.
        if (step === startStep) await tunePendingKernels({ passes: false }); // its own kernels only: no sampler's passes timed beside training
        // Let the event loop run (cancel messages, progress bars) between steps.
        await yieldToEventLoop();
      }
      if (stopped === 'cancelled' && sinceReport > 0) {
        // The steps since the last report are kept if their losses were finite: report them too.
        const { lv, nv, bad } = await readWindow(step - sinceReport);
        if (bad !== null) {
          stopped = 'nonfinite';
          nonFiniteStep = bad;
          keptSteps = fallBack(bad);
        } else {
          reports.push({ step, loss: lv / sinceReport, lr: lrSum / sinceReport, gradNorm: nv / sinceReport });
          promote();
          keptSteps = step;
        }
      }
      // The weights the run ends on have no step after them to prove them: one more loss, without an update,
      // at the next step's batch. Without it a last update that blew the weights up would be kept as a success.
      if (stopped !== 'nonfinite' && step > startStep) {
        const check = tf.tidy(() => loss(makeBatch(step), step));
        const finalLoss = (await check.data())[0];
        check.dispose();
        if (!Number.isFinite(finalLoss)) {
          stopped = 'nonfinite';
          nonFiniteStep = step;
          keptSteps = fallBack(step);
        }
      }
    } finally {
      release(good);
      release(candidate);
      sums.dispose();
      firstBad.dispose();
      replay?.dispose();
    }
    const last = reports.at(-1);
    return { steps: keptSteps, finalLoss: last?.loss ?? Number.NaN, reports, stopped, nonFiniteStep, ...(replay ? { replay: { ...replay.stats } } : {}) };
  }

  /** The EMA decay of step k, with the usual warm-up: d = min(decay, (1 + k)/(10 + k)). */
  private emaDecayAt(k: number): number {
    return this.opts.emaDecay === undefined ? 0 : Math.min(this.opts.emaDecay, (1 + k) / (10 + k));
  }

  /** Adam's state (step count, first and second moments, in parameter order) for a resumable run. */
  async optimizerState(): Promise<OptimizerTensor[]> {
    return this.update.getWeights();
  }

  /** Restores optimizerState(); the moments are matched to parameters by position. */
  async loadOptimizerState(state: OptimizerTensor[]): Promise<void> {
    await this.update.setWeights(state);
  }

  dispose(): void {
    this.update.dispose();
    if (this.ema) for (const v of this.ema.values()) v.dispose();
  }
}
