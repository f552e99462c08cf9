// Progressive distillation in the browser: the chain of halvings from the chosen teacher, the loss as the
// trainer reports it, and after each round the student registered as a model, measured and sent to the page.
import { sizeOf } from '../core/shape';
import { toyDataset, isToyDataset } from '../data/toy2d';
import { arrayBatchSource, type BatchSource } from '../data/batchSource';
import { chainStages, distillChain } from '../distill/chain';
import { contentHash, weightsFromNetwork, type Checkpoint } from '../io/checkpoint';
import { sampleShape } from '../model/config';
import type { Network } from '../model/network';
import type { Job, Post } from './job';
import { imageDataFor } from './imageData';
import { hasImageMetric, IMAGE_METRIC, imageQualityOf } from './imageMetric';
import { STAGE_IMAGES, type LossPoint, type Request } from './protocol';
import { checkpointOf, modelInfo, networkOf, register } from './registry';
import { rmsDistance, sampleNetwork, toyMetric, toyQualityOf } from './sampling';

type DistillRequest = Extract<Request, { type: 'distill' }>;

/** Toy points the distillation draws its x from: plenty for an MLP, generated in a few ms. */
const TOY_TRAIN_POINTS = 20_000;
/** Samples per quality figure: 2D points are cheap; images are measured on one small grid. */
const TOY_QUALITY_POINTS = 1024;
const IMAGE_QUALITY_IMAGES = 16;
/** KID is unbiased at any size; 64 images keep its spread below the gap between 8 and 1 steps. */
const IMAGE_KID_IMAGES = 64;
/** About this many loss points per round on the chart, whatever the iteration count. */
const REPORTS_PER_ROUND = 50;

export async function dataSourceFor(config: Checkpoint['config'], seed: number): Promise<BatchSource> {
  if (config.data.kind === 'toy2d') {
    if (!isToyDataset(config.data.name)) throw new Error(`no toy data set named '${config.data.name}' to distill on`);
    return arrayBatchSource(toyDataset(config.data.name, TOY_TRAIN_POINTS, seed), [2]);
  }
  return imageDataFor(config.data);
}

/** Measures a model at a step count against the job's yardstick (the toy set, or the reference teacher run). */
type Measure = (net: Network, steps: number, onStep?: (step: number) => void) => Promise<{ quality: number; samples: Float32Array }>;

function yardstick(teacher: Network, fromSteps: number, seed: number, job: Job): { measure: Measure; metric: string } {
  const { data } = teacher.config;
  if (data.kind === 'toy2d') {
    return {
      metric: toyMetric(data, TOY_QUALITY_POINTS),
      measure: async (net, steps, onStep) => {
        const { samples } = await sampleNetwork(net, { seed, count: TOY_QUALITY_POINTS, steps, signal: job.signal, gate: job.gate, onStep });
        return { quality: (await toyQualityOf(data, samples)) ?? Number.NaN, samples };
      },
    };
  }
  if (hasImageMetric(data)) {
    return {
      metric: `${IMAGE_METRIC}; each figure from ${IMAGE_KID_IMAGES} images, so it moves by a few units with the noise drawn`,
      measure: async (net, steps, onStep) => {
        const { samples } = await sampleNetwork(net, { seed, count: IMAGE_KID_IMAGES, steps, signal: job.signal, gate: job.gate, onStep });
        return { quality: (await imageQualityOf(data, samples)) ?? Number.NaN, samples };
      },
    };
  }
  // Without the classifier, images are compared with the teacher's own many-step samples from the same
  // noise: how far does each cheaper sampler land from where the teacher's ODE goes? Those samples are the
  // first measurement's (runDistill measures the teacher at fromSteps first), so they are drawn once, in the
  // measuring phase's progress.
  let reference: Float32Array | null = null;
  return {
    metric: `RMS pixel distance to the teacher's ${fromSteps}-step samples (same noise)`,
    measure: async (net, steps, onStep) => {
      if (!reference && (net !== teacher || steps !== fromSteps)) throw new Error('the teacher at its starting step count must be measured first');
      const { samples } = await sampleNetwork(net, { seed, count: IMAGE_QUALITY_IMAGES, steps, signal: job.signal, gate: job.gate, onStep });
      reference ??= samples;
      return { quality: rmsDistance(samples, reference), samples };
    },
  };
}

export async function runDistill(req: DistillRequest, job: Job, post: Post): Promise<void> {
  const teacherInfo = modelInfo(req.teacherId);
  const teacherCheckpoint = checkpointOf(req.teacherId);
  const teacher = networkOf(req.teacherId);
  const stages = chainStages(req.fromSteps, req.toSteps);
  const isToy = teacher.config.data.kind === 'toy2d';
  // What the page draws per stage: every 2D point, or the first grid of images.
  const perImage = sizeOf(sampleShape(teacher.config.data));
  const shown = (samples: Float32Array) => (isToy ? samples : samples.slice(0, STAGE_IMAGES * perImage));
  // First the teacher's quality at every step count of the chain (progress in DDIM steps: a 256-step teacher
  // takes minutes on wasm), then the rounds (progress in iterations, each student's measurement included).
  const measured = [req.fromSteps, ...stages];
  const measuring = `Measuring the teacher's quality at ${measured.join(', ')} steps, before training`;
  const measureSteps = measured.reduce((a, b) => a + b, 0);
  job.progress(0, measureSteps, measuring, true);

  const { measure, metric } = yardstick(teacher, req.fromSteps, req.seed, job);
  const curve: { steps: number; quality: number }[] = [];
  let teacherPoints: Float32Array | null = null;
  let measuredSteps = 0;
  for (const steps of measured) {
    const m = await measure(teacher, steps, (step) => job.progress(measuredSteps + step + 1, measureSteps, measuring));
    measuredSteps += steps;
    // A teacher whose outputs overflow cannot teach: say so now, not as a student's NaN loss later.
    if (steps === req.fromSteps && !m.samples.every(Number.isFinite)) {
      throw new Error(`${teacherInfo.name} samples NaN or infinite values at ${steps} steps (its weights overflow): it cannot be distilled`);
    }
    curve.push({ steps, quality: m.quality });
    if (steps === req.fromSteps) teacherPoints = shown(m.samples);
  }
  const curveOf = (steps: number) => curve.find((p) => p.steps === steps)?.quality ?? null;
  post({ type: 'teacherCurve', jobId: job.id, points: curve, metric, teacherPoints });

  const total = stages.length * req.iterations;
  const roundLabel = (stage: number, teacherSteps: number) => `Round ${stage} of ${stages.length}: ${teacherSteps} → ${teacherSteps / 2} steps`;
  job.progress(0, total, roundLabel(1, req.fromSteps), true);
  const data = await dataSourceFor(teacher.config, req.seed);
  const reportEvery = Math.max(1, Math.round(req.iterations / REPORTS_PER_ROUND));
  const firstStage = teacherCheckpoint.lineage?.stage ?? 0;
  let parentHash = teacherInfo.hash;
  let pending: LossPoint[] = [];
  let lastFlush = 0;
  const flush = () => {
    if (pending.length) post({ type: 'loss', jobId: job.id, points: pending });
    pending = [];
    lastFlush = performance.now();
  };

  const result = await distillChain(teacher, {
    fromSteps: req.fromSteps,
    toSteps: req.toSteps,
    iterations: req.iterations,
    batchSize: req.batchSize,
    learningRate: req.learningRate,
    data,
    seed: req.seed,
    clip: !isToy,
    reportEvery,
    signal: job.signal,
    gate: job.gate,
    onReport: (round, r) => {
      const globalStep = (round.stage - 1) * req.iterations + r.step;
      pending.push({ round: round.stage, step: r.step, globalStep, loss: r.loss, lr: r.lr });
      if (performance.now() - lastFlush > 200) flush();
      job.progress(globalStep, total, roundLabel(round.stage, round.teacherSteps));
    },
    onRound: async (round) => {
      flush();
      const weights = await weightsFromNetwork(round.student);
      const checkpoint: Checkpoint = {
        config: round.student.config,
        role: 'student',
        steps: round.studentSteps,
        lineage: {
          teacherHash: parentHash,
          teacherSteps: round.teacherSteps,
          stage: firstStage + round.stage,
          iterations: round.result.steps,
          finalLoss: round.result.finalLoss,
        },
        weights,
        hash: contentHash(weights),
      };
      parentHash = checkpoint.hash;
      const { info } = register(checkpoint, { name: `student-${round.studentSteps}.safetensors`, source: 'trained', net: round.student });
      const m = await measure(round.student, round.studentSteps);
      post({
        type: 'round',
        jobId: job.id,
        result: {
          round: round.stage,
          fromSteps: round.teacherSteps,
          toSteps: round.studentSteps,
          student: info,
          finalLoss: round.result.finalLoss,
          studentQuality: Number.isFinite(m.quality) ? m.quality : null,
          teacherQuality: curveOf(round.studentSteps),
          points: shown(m.samples),
        },
      });
    },
  });
  flush();
  if (result.stopped === 'cancelled') throw new DOMException('cancelled', 'AbortError');
  if (result.stopped === 'nonfinite') {
    const { stage, studentSteps, step } = result.failure!;
    throw new Error(`the loss became NaN or infinite in round ${stage} (${2 * studentSteps} → ${studentSteps} steps) at step ${step}; ${result.rounds.length ? 'the students before it are kept: ' : ''}try a lower learning rate`);
  }
}
