// The typed messages between the page (src/app) and the GPU worker (src/worker/gpu.worker.ts).
// Everything here is plain data: numbers, strings, Float32Arrays (transferred, never copied) and arrays of them.
// The page never sees a tensor; the worker never sees React.
import type { Lineage } from '../io/checkpoint';

export type BackendPreference = 'auto' | 'webgpu' | 'wasm' | 'cpu';

/** What the worker found when it set up tfjs. */
export interface BackendInfo {
  /** The tfjs backend in use: 'webgpu', 'wasm' or 'cpu'. */
  name: string;
  adapter: { vendor: string; architecture: string; description: string } | null;
  /** wasm only: the threads it runs on (always 1 in the browser: README, "wasm on several cores"). */
  threads?: number;
  /** Why WebGPU is not in use, when it is not (no navigator.gpu, no adapter, the device was lost, ...). */
  fallbackReason?: string;
}

export type ModelSource = 'shipped' | 'dropped' | 'trained';

/** A student's lineage, as its checkpoint metadata holds it. */
export type { Lineage };

/** A loaded checkpoint as the page sees it: its description, never its weights. */
export interface ModelInfo {
  /** Worker-assigned, unique for the session. */
  id: string;
  /** File name, or the shipped path (e.g. 'mnist/student-4'). */
  name: string;
  source: ModelSource;
  /** For shipped models, the key links use: '<set>/<file stem>', e.g. 'toy/moons/teacher'. */
  shippedKey?: string;
  role: 'teacher' | 'student';
  /** The step count a student was distilled for; null for a teacher (any step count). */
  steps: number | null;
  lineage: Lineage | null;
  hash: string;
  dataKind: 'toy2d' | 'image';
  /** The data set named in the config ('mnist', 'moons', ...). */
  dataName: string;
  /** One sample's shape: [2] or [H, W, C]. */
  sampleShape: number[];
  arch: 'mlp' | 'unet';
  parameterCount: number;
  /** Size of the checkpoint file in bytes. */
  fileBytes: number;
}

/** One column of the comparison: a model and the number of DDIM steps to run it with. */
export interface ColumnSpec {
  modelId: string;
  steps: number;
  /** How the page's menus name the model ("student-4", "teacher (trained)"), for the progress line. */
  label?: string;
}

/** Images per distillation stage that the Distill view shows (a 4 x 4 grid). */
export const STAGE_IMAGES = 16;

/** At most this many x̂ frames per column: every step of a few-step sampler, evenly spaced ones of a long one. */
export const STRIP_FRAMES = 8;

/** Which of `steps` steps a column's x̂ strip shows: all when few, else STRIP_FRAMES evenly spaced, first and last included. */
export function stripFrames(steps: number): number[] {
  if (steps <= STRIP_FRAMES) return Array.from({ length: steps }, (_, i) => i);
  return Array.from({ length: STRIP_FRAMES }, (_, i) => Math.round((i * (steps - 1)) / (STRIP_FRAMES - 1)));
}

export type JobKind = 'sample' | 'distill' | 'trainToy' | 'trajectories' | 'load';

// ---------------------------------------------------------------- page → worker

export type Request =
  /** `testHooks` (the page's `?test-hooks=1`) enables the debug requests below; without it they are ignored. */
  | { type: 'init'; backend: BackendPreference; testHooks?: boolean }
  /** `bytes` is transferred. */
  | { type: 'load'; requestId: string; name: string; source: ModelSource; shippedKey?: string; bytes: ArrayBuffer }
  | { type: 'unload'; modelId: string }
  /** The MNIST classifier and its reference statistics, for the image quality figure. Both transferred. */
  | { type: 'loadMetric'; classifier: ArrayBuffer; reference: ArrayBuffer }
  | { type: 'sample'; jobId: string; columns: ColumnSpec[]; seed: number; batch: number; /** η of generalized DDIM (0: deterministic) */ eta?: number }
  | { type: 'distill'; jobId: string; teacherId: string; fromSteps: number; toSteps: number; iterations: number; batchSize: number; learningRate: number; seed: number }
  | { type: 'trainToy'; jobId: string; dataset: string; iterations: number; batchSize: number; learningRate: number; seed: number }
  /** ODE paths z_t of `count` points, from z₁ (noise) to x̂₀, for each column (2D models). */
  | { type: 'trajectories'; jobId: string; columns: ColumnSpec[]; seed: number; count: number }
  | { type: 'pause'; jobId: string }
  | { type: 'resume'; jobId: string }
  | { type: 'cancel'; jobId: string }
  | { type: 'export'; requestId: string; modelId: string }
  /** Test hook: destroys tfjs's WebGPU device, as a driver reset would take it away. */
  | { type: 'debugDestroyDevice' }
  /** Test hook: answers with tf.memory(), to check that jobs leave no tensors behind. */
  | { type: 'debugMemory'; requestId: string };

// ---------------------------------------------------------------- worker → page

export interface ColumnSamples {
  /** [batch, ...sampleShape] row-major. */
  samples: Float32Array;
  sampleShape: number[];
  batch: number;
  /** Network evaluations per image: one per DDIM step. */
  nfe: number;
  /** Of those, how many replayed the recorded forward pass (webgpu: all but the first; elsewhere 0). */
  replayed: number;
  /** Wall time of the whole batch (after a warm-up) divided by the batch size. */
  msPerImage: number;
  /** A training job (distillation, a toy teacher) ran in this worker during that time: it shared the device. */
  sharedWithTraining: boolean;
  /** x̂ of sample 0 at the steps `frameSteps`, [frameSteps.length, ...sampleShape] row-major. */
  trajectory: Float32Array;
  /** The (0-based) steps of the `nfe` whose x̂ `trajectory` holds: `stripFrames(nfe)`. */
  frameSteps: number[];
}

export interface LossPoint {
  /** Index of the round (0 for a teacher's training). */
  round: number;
  /** Step within the round. */
  step: number;
  /** Step counted over the whole job, for one continuous chart. */
  globalStep: number;
  loss: number;
  lr: number;
}

export interface RoundResult {
  round: number;
  fromSteps: number;
  toSteps: number;
  student: ModelInfo;
  finalLoss: number;
  /** The student's quality figure at its own step count (lower is better), null when no metric applies. */
  studentQuality: number | null;
  /** The teacher of this round, run with DDIM at toSteps, for comparison. */
  teacherQuality: number | null;
  /**
   * The student's samples at toSteps from the job's seed: for 2D models all of them, [n, 2]; for image models
   * the first STAGE_IMAGES, [STAGE_IMAGES, H, W, C].
   */
  points: Float32Array | null;
}

export type WorkerEvent =
  | { type: 'ready'; backend: BackendInfo }
  /** The device was lost; the worker is re-creating the backend (jobs wait for it). */
  | { type: 'backendLost'; backend: BackendInfo; message: string }
  /** After a loss: the backend now in use (WebGPU again, or the fallback) and what happened, for the banner. */
  | { type: 'backendRecovered'; backend: BackendInfo; message: string }
  | { type: 'memory'; requestId: string; numTensors: number; numBytes: number }
  /** `alreadyLoaded`: the same checkpoint (weights, role, steps, teacher) was loaded before; it is listed once, as `model`. */
  | { type: 'loaded'; requestId: string; model: ModelInfo; alreadyLoaded?: boolean }
  | { type: 'metric'; ready: boolean; message: string }
  | { type: 'loadFailed'; requestId: string; name: string; message: string }
  /** A listed model taken off the list: a student that the teacher loaded after it showed not to fit. */
  | { type: 'unlisted'; modelId: string; name: string; message: string }
  | { type: 'progress'; jobId: string; kind: JobKind; done: number; total: number; label: string }
  | { type: 'column'; jobId: string; index: number; result: ColumnSamples }
  /** A column's quality figure (2D: sliced Wasserstein distance to the toy set; MNIST: KID), sent after its samples. */
  | { type: 'quality'; jobId: string; index: number; value: number; metric: string }
  /** The teacher's DDIM quality at each step count of the chain (the reference curve). */
  /** Also its samples at the first round's step count: 2D, [n, 2]; images, the first STAGE_IMAGES. */
  | { type: 'teacherCurve'; jobId: string; points: { steps: number; quality: number }[]; metric: string; teacherPoints: Float32Array | null }
  | { type: 'loss'; jobId: string; points: LossPoint[] }
  | { type: 'round'; jobId: string; result: RoundResult }
  | { type: 'trained'; jobId: string; model: ModelInfo; points: Float32Array | null }
  /** paths[c] is [count, steps + 1, 2] row-major for column c. */
  | { type: 'trajectories'; jobId: string; paths: Float32Array[]; steps: number[]; count: number; data: Float32Array }
  | { type: 'paused'; jobId: string; paused: boolean }
  | { type: 'done'; jobId: string }
  | { type: 'cancelled'; jobId: string }
  | { type: 'failed'; jobId: string; message: string }
  | { type: 'exported'; requestId: string; modelId: string; fileName: string; bytes: ArrayBuffer }
  | { type: 'exportFailed'; requestId: string; message: string };
