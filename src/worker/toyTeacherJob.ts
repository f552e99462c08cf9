// Trains a 2D toy teacher in the browser: a small MLP on one toy set, seconds on any backend.
import { arrayBatchSource } from '../data/batchSource';
import { isToyDataset, toyDataset } from '../data/toy2d';
import { contentHash, weightsFromNetwork } from '../io/checkpoint';
import { buildNetwork } from '../model/build';
import { toyConfig } from '../model/presets';
import { trainTeacher } from '../train/teacher';
import type { Job, Post } from './job';
import type { LossPoint, Request } from './protocol';
import { register } from './registry';
import { sampleNetwork } from './sampling';

type TrainToyRequest = Extract<Request, { type: 'trainToy' }>;

/** Steps of the teacher's own DDIM for the preview scatter: far more than enough for a 2D ODE. */
const PREVIEW_STEPS = 256;
const PREVIEW_POINTS = 1024;

export async function runToyTeacher(req: TrainToyRequest, job: Job, post: Post): Promise<void> {
  if (!isToyDataset(req.dataset)) throw new Error(`unknown toy data set '${req.dataset}'`);
  const config = toyConfig(req.dataset);
  const net = buildNetwork(config, req.seed);
  let owned = true;
  try {
    const reportEvery = Math.max(1, Math.round(req.iterations / 100));
    let pending: LossPoint[] = [];
    let lastFlush = 0;
    const { trainer, result } = await trainTeacher(net, {
      iterations: req.iterations,
      learningRate: req.learningRate,
      batchSize: req.batchSize,
      data: arrayBatchSource(toyDataset(req.dataset, 20_000, req.seed), [2]),
      seed: req.seed,
      warmup: Math.min(100, Math.floor(req.iterations / 10)),
      reportEvery,
      signal: job.signal,
      gate: job.gate,
      onReport: (r) => {
        pending.push({ round: 0, step: r.step, globalStep: r.step, loss: r.loss, lr: r.lr });
        if (performance.now() - lastFlush > 200) {
          post({ type: 'loss', jobId: job.id, points: pending });
          pending = [];
          lastFlush = performance.now();
        }
        job.progress(r.step, req.iterations, `Training the ${req.dataset} teacher`);
      },
    });
    trainer.dispose();
    if (pending.length) post({ type: 'loss', jobId: job.id, points: pending });
    if (result.stopped === 'cancelled') throw new DOMException('cancelled', 'AbortError');
    if (result.stopped === 'nonfinite') throw new Error(`the loss became NaN or infinite at step ${result.nonFiniteStep}; try a lower learning rate`);
    job.progress(req.iterations, req.iterations, 'Sampling the new teacher', true);
    const weights = await weightsFromNetwork(net);
    const { info } = register(
      { config, role: 'teacher', steps: null, lineage: null, weights, hash: contentHash(weights) },
      { name: `toy-${req.dataset}-teacher.safetensors`, source: 'trained', net },
    );
    owned = false;
    // Not cancellable: the teacher is trained and registered, and a Cancel now would hide it from the page.
    const { samples } = await sampleNetwork(net, { seed: req.seed, count: PREVIEW_POINTS, steps: PREVIEW_STEPS });
    post({ type: 'trained', jobId: job.id, model: info, points: samples });
  } finally {
    if (owned) net.dispose();
  }
}
