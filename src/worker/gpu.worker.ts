// The GPU worker: all tensor work of the page runs here (a module worker; WebGPU works in workers), so the
// page stays responsive. Requests and events are the typed messages of ./protocol.ts.
import * as tf from '@tensorflow/tfjs';
import { isToyDataset, toyBackdrop } from '../data/toy2d';
import { pendingKernelTuning, stockChosen, tunePendingKernels, tuningActive } from '../kernels/autotune';
import { sampleShape } from '../model/config';
import { checkForwardPasses, passChoiceOf } from '../model/replayedForward';
import { getWebGPUBackend, initBackend, onDeviceLost } from '../tensor/backend';
import { readCheckpoint } from '../io/checkpoint';
import { runDistill } from './distillJob';
import { IMAGE_METRIC, imageQualityOf, setImageMetric } from './imageMetric';
import { isAbort, Job, type Post } from './job';
import { stripFrames, type BackendInfo, type BackendPreference, type ColumnSpec, type Request, type WorkerEvent } from './protocol';
import { adoptAsShipped, checkAgainstLoadedTeacher, checkpointOf, disposeRetired, fileOf, forgetNetworks, loadedSame, modelInfo, networkOf, register, retire, studentsMisfitting, unregister } from './registry';
import { errorLine } from '../core/errorLine';
import { explainLoadError } from './loadErrors';
import { sampleNetwork, toyMetric, toyQualityOf, trajectories2d } from './sampling';
import { runToyTeacher } from './toyTeacherJob';
import { count } from '../core/words';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post: Post = (e: WorkerEvent, transfer: Transferable[] = []) => scope.postMessage(e, transfer);

let ready: Promise<BackendInfo> | null = null;
const jobs = new Map<string, Job>();

/** Set by the page's `?test-hooks=1`: only then are the debug requests served. */
let testHooks = false;
/** True while the test hook's own device.destroy() is on its way: its loss, reason 'destroyed', is not ours. */
let simulatedLoss = false;
/** Lost devices so far, and the last one's reason: a job running across a loss failed, it was not cancelled. */
let deviceLosses = 0;
let lastLoss = '';
/** The MNIST classifier's files, kept to rebuild it after a lost device. */
let metricFiles: { classifier: Uint8Array; reference: Uint8Array } | null = null;

async function init(pref: BackendPreference): Promise<BackendInfo> {
  const info: BackendInfo = await initBackend(pref);
  onDeviceLost((lost) => {
    // 'destroyed' is our own disposal (a failed start), unless the test hook simulated a loss.
    if (lost.reason === 'destroyed' && !simulatedLoss) return;
    simulatedLoss = false;
    const reason = lost.message || lost.reason;
    deviceLosses += 1;
    lastLoss = reason;
    const previous = ready;
    post({ type: 'backendLost', backend: info, message: `The WebGPU device was lost (${reason}). Restarting WebGPU and reloading the models from their checkpoints…` });
    ready = (previous ?? Promise.resolve(info)).catch(() => info).then(() => recover(pref, reason));
  });
  return info;
}

/**
 * Re-creates the backend after a lost device: WebGPU again when the adapter gives a new device (a driver
 * reset usually allows it), else wasm. The networks are rebuilt from their checkpoints on next use; jobs
 * that were running fail (their tensors died with the device) and new ones wait for this.
 */
async function recover(pref: BackendPreference, reason: string): Promise<BackendInfo> {
  const models = forgetNetworks();
  warmed.clear();
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  let info: BackendInfo;
  try {
    info = await initBackend(pref === 'webgpu' ? 'webgpu' : 'auto');
  } catch (e) {
    info = { name: 'none', adapter: null, fallbackReason: errorLine(e) };
  }
  if (metricFiles) {
    try {
      setImageMetric(metricFiles.classifier, metricFiles.reference);
    } catch (e) {
      post({ type: 'metric', ready: false, message: errorLine(e) });
    }
  }
  const reloaded = `${count(models, 'model')} reloaded from ${models === 1 ? 'its checkpoint' : 'their checkpoints'}`;
  if (info.name === 'webgpu') {
    post({ type: 'backendRecovered', backend: info, message: `The WebGPU device was lost (${reason}); WebGPU was restarted and ${reloaded}. Jobs that were running stopped: start them again.` });
    return info;
  }
  const fallback = { ...info, fallbackReason: `the WebGPU device was lost (${reason}) and could not be re-created` };
  post({ type: 'backendRecovered', backend: fallback, message: `The WebGPU device was lost (${reason}) and could not be re-created; ${reloaded} on ${info.name}.` });
  return fallback;
}

/**
 * Jobs run side by side in this worker: a sampling time measured while a training job ran (not paused) is not
 * its own. `trainingStarts` counts starts and resumes: a change tells one that began, or went on, meanwhile.
 */
const isTraining = (kind: Job['kind']) => kind === 'distill' || kind === 'trainToy';
let trainingStarts = 0;
const trainingRunning = () => [...jobs.values()].some((j) => isTraining(j.kind) && !j.isPaused);

/** Runs a job with its own cancel signal and pause gate; reports done, cancelled or failed exactly once. */
async function runJob(jobId: string, kind: Job['kind'], body: (job: Job) => Promise<void>): Promise<void> {
  const job = new Job(jobId, kind, post);
  jobs.set(jobId, job);
  if (isTraining(kind)) trainingStarts += 1;
  const lossesBefore = deviceLosses;
  try {
    await ready;
    await body(job);
    post({ type: job.signal.aborted ? 'cancelled' : 'done', jobId });
  } catch (e) {
    // Only the user cancels (the job's own signal). WebGPU rejects the work of a lost device with an AbortError,
    // often before the device's `lost` promise settles: give that a moment to say why.
    if (job.signal.aborted) {
      post({ type: 'cancelled', jobId });
    } else {
      if (isAbort(e)) await settled(() => deviceLosses !== lossesBefore, 1000);
      const message = deviceLosses !== lossesBefore
        ? `the WebGPU device was lost while this ran (${lastLoss}): what it finished is kept; start it again`
        : isAbort(e) ? `stopped by the GPU, not by Cancel (${errorLine(e)}): start it again` : errorLine(e);
      post({ type: 'failed', jobId, message });
    }
  } finally {
    jobs.delete(jobId);
    if (jobs.size === 0) disposeRetired();
  }
}

/** Resolves when `done()` holds (checked every 20 ms) or after `ms`, whichever comes first. */
async function settled(done: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !done() && waited < ms; waited += 20) await new Promise((r) => setTimeout(r, 20));
}

/** Cheapest columns first, so the first comparison appears while the 256-step teacher still runs. */
function byCost(columns: ColumnSpec[]): number[] {
  return columns.map((_, i) => i).sort((a, b) => columns[a].steps - columns[b].steps);
}

/** Networks already run at a batch size: their shaders are compiled, so timings leave compilation out. */
const warmed = new Set<string>();

async function sampleColumns(req: Extract<Request, { type: 'sample' }>, job: Job): Promise<void> {
  const total = req.columns.reduce((n, c) => n + c.steps, 0);
  let done = 0;
  for (const index of byCost(req.columns)) {
    const { modelId, steps, label: name } = req.columns[index];
    job.signal.throwIfAborted();
    const info = modelInfo(modelId);
    const net = networkOf(modelId);
    // Read now: a model taken off the list mid-column (retire) keeps its network for this job, not its entry.
    const data = checkpointOf(modelId).config.data;
    const label = `Column ${index + 1}: ${name ?? info.name.replace(/\.safetensors$/, '')} · ${count(steps, 'step')}`;
    job.progress(done, total, label, true);
    const warmKey = `${modelId}:${req.batch}`;
    if (!warmed.has(warmKey)) {
      await sampleNetwork(net, { seed: req.seed, count: req.batch, steps: 1, signal: job.signal });
      // On a GPU, the shapes this warm-up ran for the first time: ours against tfjs's kernels (autotune.ts),
      // before the timed run, which then runs the faster of each; then, where tfjs's won somewhere, the forward
      // pass at this batch whole, with those choices against ours at every op (the warm-up's sampler is gone).
      if (tuningActive() && pendingKernelTuning() > 0) {
        job.progress(done, total, "Timing our kernels against tfjs's on this GPU (once per shape)", true);
        await tunePendingKernels({ passes: false });
        job.progress(done, total, label, true);
      }
      warmed.add(warmKey);
    }
    // Where tfjs's kernel won somewhere, this batch's forward pass whole, those choices against ours at every op
    // (autotune.ts): after a warm-up, and again whenever other tuning (a training job's, another batch size's)
    // has changed the choices since (the warm-up's sampler is gone: checkForwardPasses).
    const zShape = [req.batch, ...sampleShape(data)];
    if (tuningActive() && stockChosen() && passChoiceOf(net, zShape) === undefined) {
      job.progress(done, total, "Timing this model's forward pass both ways on this GPU (once per batch size)", true);
      await checkForwardPasses(net, [zShape]);
      job.progress(done, total, label, true);
    }
    const frameSteps = info.dataKind === 'image' ? stripFrames(steps) : [];
    const [startsBefore, trainingBefore] = [trainingStarts, trainingRunning()];
    const run = await sampleNetwork(net, {
      seed: req.seed,
      eta: req.eta,
      count: req.batch,
      steps,
      signal: job.signal,
      frameSteps,
      onStep: (step) => job.progress(done + step + 1, total, label),
    });
    const sharedWithTraining = trainingBefore || trainingRunning() || trainingStarts !== startsBefore;
    done += steps;
    // Measured before the arrays are transferred to the page.
    const quality = data.kind === 'toy2d' ? await toyQualityOf(data, run.samples) : await imageQualityOf(data, run.samples);
    // Named before the samples' buffer is transferred (and emptied here).
    const metric = data.kind === 'toy2d' ? toyMetric(data, run.samples.length / 2) : IMAGE_METRIC;
    post(
      {
        type: 'column',
        jobId: job.id,
        index,
        result: {
          samples: run.samples,
          sampleShape: info.sampleShape,
          batch: req.batch,
          nfe: steps,
          replayed: run.replayed,
          msPerImage: run.ms / req.batch,
          sharedWithTraining,
          trajectory: run.trajectory,
          frameSteps,
        },
      },
      [run.samples.buffer, run.trajectory.buffer],
    );
    if (quality !== null) post({ type: 'quality', jobId: job.id, index, value: quality, metric });
  }
}

async function trajectoryColumns(req: Extract<Request, { type: 'trajectories' }>, job: Job): Promise<void> {
  const paths: Float32Array[] = [];
  const total = req.columns.length;
  for (const [i, c] of req.columns.entries()) {
    job.progress(i, total, `Trajectories ${i + 1} of ${total}`, true);
    paths.push(await trajectories2d(networkOf(c.modelId), req.seed, req.count, c.steps, job.signal));
  }
  const first = req.columns[0] ? modelInfo(req.columns[0].modelId) : null;
  const data = first && isToyDataset(first.dataName) ? toyBackdrop(first.dataName) : new Float32Array(0);
  post({ type: 'trajectories', jobId: job.id, paths, steps: req.columns.map((c) => c.steps), count: req.count, data }, [...paths.map((p) => p.buffer), data.buffer]);
}

function handle(req: Request): void {
  switch (req.type) {
    case 'init':
      testHooks = req.testHooks === true;
      ready = init(req.backend);
      ready.then(
        (backend) => post({ type: 'ready', backend }),
        (e) => post({ type: 'ready', backend: { name: 'none', adapter: null, fallbackReason: errorLine(e) } }),
      );
      return;
    case 'load': {
      const bytes = new Uint8Array(req.bytes);
      void (async () => {
        await ready;
        try {
          const checkpoint = readCheckpoint(bytes);
          const same = loadedSame(checkpoint);
          if (same) {
            const model = req.source === 'shipped' && req.shippedKey && !same.shippedKey ? adoptAsShipped(same.id, req.name, req.shippedKey) : same;
            post({ type: 'loaded', requestId: req.requestId, model, alreadyLoaded: true });
            return;
          }
          checkAgainstLoadedTeacher(checkpoint);
          const { info } = register(checkpoint, { name: req.name, source: req.source, shippedKey: req.shippedKey, bytes });
          post({ type: 'loaded', requestId: req.requestId, model: info });
          // Students dropped before this, their teacher, get the check they would have had after it.
          for (const misfit of studentsMisfitting(checkpoint)) {
            retire(misfit.info.id);
            if (jobs.size === 0) disposeRetired();
            post({ type: 'unlisted', modelId: misfit.info.id, name: misfit.info.name, message: `a student that does not fit ${req.name}, the teacher its lineage names (${errorLine(misfit.error)})` });
          }
        } catch (e) {
          post({ type: 'loadFailed', requestId: req.requestId, name: req.name, message: explainLoadError(e, req.name, bytes) });
        }
      })();
      return;
    }
    case 'unload':
      unregister(req.modelId);
      return;
    case 'loadMetric':
      void (async () => {
        await ready;
        try {
          const files = { classifier: new Uint8Array(req.classifier), reference: new Uint8Array(req.reference) };
          setImageMetric(files.classifier, files.reference);
          metricFiles = files;
          post({ type: 'metric', ready: true, message: IMAGE_METRIC });
        } catch (e) {
          post({ type: 'metric', ready: false, message: errorLine(e) });
        }
      })();
      return;
    case 'sample':
      void runJob(req.jobId, 'sample', (job) => sampleColumns(req, job));
      return;
    case 'trajectories':
      void runJob(req.jobId, 'trajectories', (job) => trajectoryColumns(req, job));
      return;
    case 'distill':
      void runJob(req.jobId, 'distill', (job) => runDistill(req, job, post));
      return;
    case 'trainToy':
      void runJob(req.jobId, 'trainToy', (job) => runToyTeacher(req, job, post));
      return;
    case 'pause':
    case 'resume': {
      const job = jobs.get(req.jobId);
      if (job && req.type === 'resume' && job.isPaused && isTraining(job.kind)) trainingStarts += 1;
      job?.setPaused(req.type === 'pause');
      return;
    }
    case 'cancel':
      jobs.get(req.jobId)?.cancel();
      return;
    case 'export': {
      try {
        const { name, bytes } = fileOf(req.modelId);
        const info = modelInfo(req.modelId);
        // A student trained here is not the shipped file of the same name: student-4-trained-1a2b3c4d.safetensors.
        const fileName = info.source === 'trained' ? name.replace(/(\.safetensors)?$/, `-trained-${info.hash.slice(0, 8)}.safetensors`) : name;
        const copy = bytes.slice().buffer;
        post({ type: 'exported', requestId: req.requestId, modelId: req.modelId, fileName, bytes: copy }, [copy]);
      } catch (e) {
        post({ type: 'exportFailed', requestId: req.requestId, message: errorLine(e) });
      }
      return;
    }
    case 'debugDestroyDevice': {
      const gpu = testHooks ? getWebGPUBackend() : null;
      if (!gpu) return;
      simulatedLoss = true;
      gpu.device.destroy();
      return;
    }
    case 'debugMemory':
      if (!testHooks) return;
      void (async () => {
        await ready;
        const { numTensors, numBytes } = tf.memory();
        post({ type: 'memory', requestId: req.requestId, numTensors, numBytes });
      })();
      return;
  }
}

scope.addEventListener('message', (e: MessageEvent<Request>) => handle(e.data));
