// A training loop with named hooks and nothing model-specific in it (as minGPT's trainer):
// Adam, a learning rate that decays linearly to 0 (Salimans & Ho, Algorithm 2 setup) or stays constant,
// global-norm gradient clipping, an optional EMA of the weights, periodic loss reports that are the
// only GPU readbacks, a non-finite guard that restores the last good weights, pause and cancel.
import * as tf from '@tensorflow/tfjs';

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
  /** Exponential moving average of the weights (e.g. 0.999 for a teacher); none when undefined. */
  emaDecay?: number;
  /** Resume: the step count the run continues from (lr schedule and EMA warm-up continue from here). */
  startStep?: number;
  signal?: AbortSignal;
  /** Awaited before every step: the app resolves it only while not paused. */
  gate?: () => Promise<void>;
  /** May return a promise (e.g. a checkpoint write): the loop waits for it before the next step. */
  onReport?: (r: TrainReport) => void | Promise<void>;
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
  /** Steps completed and kept (after a non-finite stop: up to the last good report). */
  steps: number;
  finalLoss: number;
  reports: TrainReport[];
  stopped: StopReason;
  /** For 'nonfinite': the first step whose loss or gradient norm was NaN or infinite. */
  nonFiniteStep?: number;
}

export class NonFiniteLossError extends Error {
  constructor(readonly step: number) {
    super(`non-finite loss or gradient at step ${step}; the last good weights were kept`);
    this.name = 'NonFiniteLossError';
  }
}

/** Adam whose learning rate the loop sets per step (tfjs reads `learningRate` at every update). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class Trainer {
  readonly ema: Map<string, tf.Variable> | null;
  private readonly optimizer: ScheduledAdam;
  private readonly opts: Required<Omit<TrainerOptions, 'emaDecay' | 'signal' | 'gate' | 'onReport'>> & TrainerOptions;

  constructor(private readonly params: ReadonlyMap<string, tf.Variable>, opts: TrainerOptions) {
    this.opts = { schedule: 'linear-decay', warmup: 0, clipNorm: 1, reportEvery: 10, startStep: 0, ...opts };
    // β₂ = 0.99 as in the paper's released code; a fresh optimizer per Trainer, so each round resets it.
    this.optimizer = new ScheduledAdam(opts.learningRate, 0.9, 0.99, 1e-8);
    this.ema = opts.emaDecay === undefined ? null : new Map([...params].map(([n, v]) => [n, tf.variable(v.clone() as tf.Tensor, false)]));
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
    const { iterations, clipNorm, reportEvery, startStep, signal, gate, onReport } = this.opts;
    const names = [...this.params.keys()];
    const vars = names.map((n) => this.params.get(n)!);
    const reports: TrainReport[] = [];
    // Running sums on the device: read back once per report.
    let lossSum = tf.scalar(0);
    let normSum = tf.scalar(0);
    // Smallest step index whose loss/norm was non-finite; `iterations` means none.
    let firstBad = tf.scalar(iterations);
    let good = vars.map((v) => v.clone());
    let goodEma = this.ema ? [...this.ema.values()].map((v) => v.clone()) : null;
    let sinceReport = 0;
    let lrSum = 0;
    let stopped: StopReason = 'done';
    let nonFiniteStep: number | undefined;
    let keptSteps = startStep;
    let step = startStep;

    const disposeAll = (ts: tf.Tensor[] | null) => ts?.forEach((t) => t.dispose());
    try {
      for (; step < iterations; step++) {
        if (gate) await gate();
        if (signal?.aborted) {
          stopped = 'cancelled';
          break;
        }
        const lr = this.learningRateAt(step);
        this.optimizer.setLearningRate(lr);
        lrSum += lr;
        const [l, n, bad] = tf.tidy(() => {
          const batch = makeBatch(step);
          const { value, grads } = tf.variableGrads(() => loss(batch, step), vars);
          const gList = vars.map((v) => grads[v.name]);
          // Global norm over all parameters; scale = min(1, clip / ‖g‖).
          // A chain of adds, not addN: webgpu's addN binds every input at once (8 storage buffers at most).
          const norm = tf.sqrt(gList.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)));
          const scale = tf.minimum(1, tf.div(clipNorm, tf.maximum(norm, 1e-12)));
          this.optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: tf.mul(grads[v.name], scale) })));
          const finite = tf.logicalAnd(tf.isFinite(value), tf.isFinite(norm));
          const badNow = tf.where(finite, firstBad, tf.minimum(firstBad, step));
          return [tf.add(lossSum, value), tf.add(normSum, norm), badNow] as tf.Scalar[];
        });
        lossSum.dispose();
        normSum.dispose();
        firstBad.dispose();
        lossSum = l;
        normSum = n;
        firstBad = bad;
        if (this.ema) this.updateEma(step);
        sinceReport++;
        const atEnd = step + 1 === iterations;
        if (sinceReport === reportEvery || atEnd) {
          const [lv, nv, bv] = await Promise.all([lossSum.data(), normSum.data(), firstBad.data()]);
          if (bv[0] < iterations || !Number.isFinite(lv[0]) || !Number.isFinite(nv[0])) {
            // Restore the weights of the last good report: the steps since then are lost, nothing else.
            vars.forEach((v, i) => v.assign(good[i]));
            if (this.ema && goodEma) [...this.ema.values()].forEach((v, i) => v.assign(goodEma![i]));
            stopped = 'nonfinite';
            nonFiniteStep = bv[0] < iterations ? bv[0] : step;
            break;
          }
          const report = { step: step + 1, loss: lv[0] / sinceReport, lr: lrSum / sinceReport, gradNorm: nv[0] / sinceReport };
          reports.push(report);
          await onReport?.(report);
          disposeAll(good);
          disposeAll(goodEma);
          good = vars.map((v) => v.clone());
          goodEma = this.ema ? [...this.ema.values()].map((v) => v.clone()) : null;
          keptSteps = step + 1;
          lossSum.dispose();
          normSum.dispose();
          lossSum = tf.scalar(0);
          normSum = tf.scalar(0);
          sinceReport = 0;
          lrSum = 0;
        }
        // Let the event loop run (cancel messages, progress bars) between steps.
        await nextTask();
      }
      if (stopped === 'cancelled' && sinceReport > 0) {
        // The steps since the last report are kept (nothing failed): report them too.
        const [lv, nv] = await Promise.all([lossSum.data(), normSum.data()]);
        reports.push({ step, loss: lv[0] / sinceReport, lr: lrSum / sinceReport, gradNorm: nv[0] / sinceReport });
        keptSteps = step;
      }
    } finally {
      disposeAll(good);
      disposeAll(goodEma);
      lossSum.dispose();
      normSum.dispose();
      firstBad.dispose();
    }
    const last = reports.at(-1);
    return { steps: keptSteps, finalLoss: last?.loss ?? Number.NaN, reports, stopped, nonFiniteStep };
  }

  /** ema ← d·ema + (1 - d)·θ, with the usual warm-up d = min(decay, (1 + k)/(10 + k)). */
  private updateEma(k: number): void {
    const d = Math.min(this.opts.emaDecay!, (1 + k) / (10 + k));
    tf.tidy(() => {
      for (const [name, shadow] of this.ema!) shadow.assign(tf.add(tf.mul(shadow, d), tf.mul(this.params.get(name)!, 1 - d)));
    });
  }

  /** Adam's state (step count, first and second moments, in parameter order) for a resumable run. */
  async optimizerState(): Promise<OptimizerTensor[]> {
    return this.optimizer.getWeights();
  }

  /** Restores optimizerState(); the moments are matched to parameters by position. */
  async loadOptimizerState(state: OptimizerTensor[]): Promise<void> {
    await this.optimizer.setWeights(state);
  }

  dispose(): void {
    this.optimizer.dispose();
    if (this.ema) for (const v of this.ema.values()) v.dispose();
  }
}
