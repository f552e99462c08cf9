// What the controls do: load files, resolve the link's columns to loaded models, start, pause and cancel jobs.
// Each function reads the store, sends one request to the worker and records the job; results come back as events.
import type { ColumnSpec, JobKind, ModelInfo } from '../worker/protocol';
import { MAX_COLUMNS, MAX_STEPS, MIN_COLUMNS, type ColumnRef, type Mode, type Settings } from './settings';
import { METRIC_FILES, shippedFilesOf, shippedSetFor } from './shipped';
import { useStore } from './store';
import type { DistillRun } from './store/distillSlice';
import type { JobStatus } from './store/jobsSlice';
import { inView } from './store/modelsSlice';
import { exportModel, newId, send } from './workerClient';

// ------------------------------------------------------------------ models

/** A dropped or picked file: read its bytes and hand them to the worker, which validates them. */
export async function loadFile(file: File): Promise<void> {
  const requestId = newId('load');
  useStore.getState().startLoad(requestId, file.name, true);
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    useStore.getState().failLoad(requestId, file.name, `cannot read the file: ${(e as Error).message}`);
    return;
  }
  send({ type: 'load', requestId, name: file.name, source: 'dropped', bytes }, [bytes]);
}

const requestedShipped = new Set<string>();

/** Loads the shipped checkpoints of a set (once each); resolves when the worker has answered for all of them. */
export async function loadShippedSet(set: string): Promise<void> {
  const files = shippedFilesOf(set).filter((f) => !requestedShipped.has(f.key));
  const waits = files.map(async (f) => {
    requestedShipped.add(f.key);
    const requestId = newId('load');
    useStore.getState().startLoad(requestId, f.key);
    try {
      const res = await fetch(f.url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const bytes = await res.arrayBuffer();
      send({ type: 'load', requestId, name: `${f.key}.safetensors`, source: 'shipped', shippedKey: f.key, bytes }, [bytes]);
    } catch (e) {
      useStore.getState().failLoad(requestId, f.key, `cannot fetch the shipped model: ${(e as Error).message}`);
    }
    await waitFor(() => !(requestId in useStore.getState().pendingLoads));
  });
  await Promise.all(waits);
}

let metricRequested = false;

/** Sends the shipped MNIST classifier and reference statistics to the worker (once), for the KID figure. */
export async function loadImageMetric(): Promise<void> {
  const { classifier, reference } = METRIC_FILES;
  if (metricRequested || !classifier || !reference) return;
  metricRequested = true;
  try {
    const [c, r] = await Promise.all([classifier, reference].map(async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.arrayBuffer();
    }));
    send({ type: 'loadMetric', classifier: c, reference: r }, [c, r]);
  } catch (e) {
    useStore.getState().setImageMetric(false, `cannot fetch the MNIST classifier: ${(e as Error).message}`);
  }
}

/** The short label of a model: its shipped name or its file name, without extension. */
export function modelLabel(m: ModelInfo): string {
  if (m.shippedKey) return m.shippedKey.slice(m.shippedKey.lastIndexOf('/') + 1);
  return m.name.replace(/\.safetensors$/, '');
}

/** How a link names a model: the stem of a shipped file of the current set, else a hash prefix. */
export function modelRef(m: ModelInfo, set: string): string {
  if (m.shippedKey && m.shippedKey.startsWith(`${set}/`)) return m.shippedKey.slice(set.length + 1);
  return `h:${m.hash.slice(0, 8)}`;
}

export function currentSet(s: Settings): string {
  return shippedSetFor(s.mode, s.toy);
}

/**
 * The models a mode can compare: images in MNIST mode, 2D points of the chosen toy set in toy mode, in load
 * order (which numbers same-name models, "#1", "#2", as the checkpoint list does); menus show them in
 * `listOrder`.
 */
export function modelsOfMode(models: ModelInfo[], mode: Mode, toy: string): ModelInfo[] {
  return models.filter((m) => inView(m, mode, toy));
}

const SOURCE_ORDER = { shipped: 0, dropped: 1, trained: 2 } as const;

/**
 * The order of the checkpoint list and the menus: the on-screen set first, then by set name; teacher before
 * students; students by steps, most first; shipped, dropped, trained. Stable, so equal models keep load order.
 */
export function listOrder(models: ModelInfo[], mode: string, toy: string): ModelInfo[] {
  return [...models].sort((a, b) =>
    Number(inView(b, mode, toy)) - Number(inView(a, mode, toy))
    || modelSet(a).localeCompare(modelSet(b))
    || Number(a.role === 'student') - Number(b.role === 'student')
    || (b.steps ?? Infinity) - (a.steps ?? Infinity)
    || SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source]);
}

/** The model a link's name ('teacher', 'student-4', 'h:1a2b3c4d') stands for among `models`, if loaded. */
export function resolveRef(ref: string, models: ModelInfo[], set: string): ModelInfo | undefined {
  if (ref.startsWith('h:')) return models.find((m) => m.hash.startsWith(ref.slice(2)));
  return models.find((m) => m.shippedKey === `${set}/${ref}`) ?? models.find((m) => modelLabel(m) === ref);
}

/**
 * The default comparison of a set: the teacher with many steps (the quality to reach), the teacher with few
 * steps (what plain DDIM gives at that budget), and the students that reach that budget in one or a few steps.
 */
export function defaultColumns(models: ModelInfo[], set: string): ColumnRef[] {
  const teacher = models.find((m) => m.role === 'teacher' && m.shippedKey?.startsWith(`${set}/`)) ?? models.find((m) => m.role === 'teacher');
  const students = models.filter((m) => m.role === 'student' && m.steps !== null).sort((a, b) => a.steps! - b.steps!);
  const cols: ColumnRef[] = [];
  const ref = (m: ModelInfo) => modelRef(m, set);
  const fewest = students[0];
  const four = students.find((m) => m.steps === 4) ?? students[1];
  if (teacher) {
    cols.push({ model: ref(teacher), steps: 256 });
    cols.push({ model: ref(teacher), steps: four?.steps ?? fewest?.steps ?? 4 });
  }
  if (four) cols.push({ model: ref(four), steps: four.steps! });
  if (fewest && fewest !== four) cols.push({ model: ref(fewest), steps: fewest.steps! });
  if (teacher && students.length === 0) cols.push({ model: ref(teacher), steps: 1 });
  // No teacher: the other students, then the one model at twice its steps, so that the page shows (and a link
  // holds) the two columns at least that a link must have.
  for (const m of students) {
    if (cols.length >= MIN_COLUMNS) break;
    if (!cols.some((c) => c.model === ref(m) && c.steps === m.steps)) cols.push({ model: ref(m), steps: m.steps! });
  }
  if (cols.length === 1) cols.push({ ...cols[0], steps: cols[0].steps >= MAX_STEPS ? cols[0].steps / 2 : cols[0].steps * 2 });
  return cols.slice(0, MAX_COLUMNS);
}

export interface ResolvedColumn {
  ref: ColumnRef;
  model: ModelInfo | undefined;
  /** When `model` is missing: a loaded model the link names that belongs to another mode or toy set. */
  elsewhere?: ModelInfo;
}

/** The columns to draw: the link's, or the set's defaults when the link names none. */
export function resolveColumns(s: Settings, models: ModelInfo[]): ResolvedColumn[] {
  const set = currentSet(s);
  const pool = modelsOfMode(models, s.mode, s.toy);
  const refs = s.cols.length ? s.cols : defaultColumns(pool, set);
  return refs.map((ref) => {
    const model = resolveRef(ref.model, pool, set);
    return model || !ref.model.startsWith('h:') ? { ref, model } : { ref, model, elsewhere: resolveRef(ref.model, models, set) };
  });
}

/** The set a model belongs to, named as shipped sets are: 'mnist' or 'toy/moons'. */
export function modelSet(m: ModelInfo): string {
  return shippedSetFor(m.dataKind === 'image' ? 'mnist' : 'toy', m.dataName);
}

/** Where a model belongs, in words: 'MNIST' or 'the 2D set moons'. */
export function setName(m: ModelInfo): string {
  return m.dataKind === 'image' ? 'MNIST' : `the 2D set ${m.dataName}`;
}

/**
 * Menu labels of a pool of models: the short label, and where two share it (a shipped student-4 and one
 * distilled here), which one: its source, then a number.
 */
export function menuLabels(pool: ModelInfo[]): Map<string, string> {
  const byLabel = new Map<string, ModelInfo[]>();
  for (const m of pool) byLabel.set(modelLabel(m), [...(byLabel.get(modelLabel(m)) ?? []), m]);
  const out = new Map<string, string>();
  for (const [label, group] of byLabel) {
    const seen = new Map<string, number>();
    for (const m of group) {
      if (group.length === 1) {
        out.set(m.id, label);
        continue;
      }
      const n = (seen.get(m.source) ?? 0) + 1;
      seen.set(m.source, n);
      const sameSource = group.filter((g) => g.source === m.source).length > 1;
      out.set(m.id, `${label} (${m.source}${sameSource ? ` #${n}` : ''})`);
    }
  }
  return out;
}

// ------------------------------------------------------------------ jobs

function waitFor(done: () => boolean): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = useStore.subscribe(() => {
      if (done()) {
        unsubscribe();
        resolve();
      }
    });
  });
}

const FINISHED: JobStatus[] = ['done', 'cancelled', 'failed'];

export async function waitForJob(id: string): Promise<JobStatus> {
  await waitFor(() => FINISHED.includes(useStore.getState().jobs[id]?.status));
  return useStore.getState().jobs[id].status;
}

function begin(kind: JobKind, label: string): string {
  const id = newId(kind);
  useStore.getState().startJob(id, kind, label);
  return id;
}

export function cancelJob(id: string): void {
  send({ type: 'cancel', jobId: id });
}

export function setPaused(id: string, paused: boolean): void {
  send({ type: paused ? 'pause' : 'resume', jobId: id });
}

function cancelIfRunning(id: string | null): void {
  if (!id) return;
  const job = useStore.getState().jobs[id];
  if (job && !FINISHED.includes(job.status)) cancelJob(id);
}

/** Draws every column from the same seeded noise; the worker adds each 2D column's quality figure. */
export function runCompare(): void {
  const s = useStore.getState();
  const labels = menuLabels(modelsOfMode(s.models, s.settings.mode, s.settings.toy));
  const specs: ColumnSpec[] = resolveColumns(s.settings, s.models)
    .filter((c) => c.model)
    .map((c) => ({ modelId: c.model!.id, steps: c.ref.steps, label: labels.get(c.model!.id) }));
  cancelIfRunning(s.compareJobId);
  if (specs.length === 0) return;
  const { seed, eta, mode } = s.settings;
  const batch = mode === 'toy' ? TOY_POINTS : s.settings.batch;
  const jobId = begin('sample', 'Sampling');
  s.beginCompare(jobId, specs);
  send({ type: 'sample', jobId, columns: specs, seed, eta, batch });
}

/** Points per 2D column: enough to see the shape and for the sliced Wasserstein figure to vary by only a few percent. */
export const TOY_POINTS = 1024;

/**
 * The distillation the settings describe for `teacher` (none picked: the settings alone): a student goes on
 * from its own step count, and the chain stops at `to` or after one round, whichever halves less.
 */
export function distillRunOf(teacher: ModelInfo | undefined, s: Settings): DistillRun {
  const fromSteps = teacher?.role === 'student' && teacher.steps ? teacher.steps : s.from;
  return { teacherId: teacher?.id ?? '', fromSteps, toSteps: Math.min(s.to, fromSteps / 2), iterations: s.iters, batchSize: s.dbatch, learningRate: s.lr };
}

/** Halves the chosen teacher's steps round by round; every student appears in the model list as it is made. */
export function startDistill(teacherId: string): void {
  const s = useStore.getState();
  cancelIfRunning(s.distillJobId);
  const teacher = s.models.find((m) => m.id === teacherId);
  if (!teacher) return;
  const run = distillRunOf(teacher, s.settings);
  if (run.fromSteps < 2) return; // a 1-step model has no step to halve (the page disables Start for it)
  const jobId = begin('distill', 'Distillation');
  s.beginDistill(jobId, run);
  send({ type: 'distill', jobId, ...run, seed: s.settings.seed });
}

/** Iterations of a toy teacher: the CLI's `halfstep train` default learns every toy set. */
export const TOY_TEACHER_ITERATIONS = 3000;

/** Trains a toy teacher on the chosen 2D set: a few thousand MLP steps, seconds on any backend. */
export function startToyTraining(iterations: number): string {
  const s = useStore.getState();
  cancelIfRunning(s.toyJobId);
  const jobId = begin('trainToy', 'Training a toy teacher');
  s.beginToyTraining(jobId, s.settings.toy);
  send({ type: 'trainToy', jobId, dataset: s.settings.toy, iterations, batchSize: 256, learningRate: 2e-3, seed: s.settings.seed });
  return jobId;
}

/** ODE paths from the same noise for each (model, steps) pair. */
export function runTrajectories(columns: { model: ModelInfo; steps: number; label: string }[], count: number): void {
  const s = useStore.getState();
  cancelIfRunning(s.trajectoryJobId);
  const jobId = begin('trajectories', 'Trajectories');
  s.beginTrajectories(jobId, columns.map((c) => c.label), s.settings.toy);
  send({ type: 'trajectories', jobId, columns: columns.map((c) => ({ modelId: c.model.id, steps: c.steps })), seed: s.settings.seed, count });
}

/** Saves a checkpoint as .safetensors, written by the worker with the io layer's writer. */
export async function downloadModel(modelId: string): Promise<void> {
  const { fileName, bytes } = await exportModel(modelId);
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
