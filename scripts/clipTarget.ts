// How much clipping the teacher's x̂ to [-1, 1] inside Algorithm 2's target changes it (README, The math: the
// clip is our choice; the authors' code does not clip). For the shipped MNIST teacher at several student step
// counts N: MNIST test images x, fresh noise ε, every i ∈ {1, …, N} (t = i/N) equally often, z_t = α_t·x + σ_t·ε,
// then distillationTarget() with the clip and without, from the same z_t. Prints one JSON line per N:
//   rms_difference    RMS over pixels and examples of x̃_clip − x̃ (in data units: pixels span [-1, 1])
//   rms_target        RMS of x̃ (for scale)
//   changed_share     share of examples whose two targets differ by more than 1e-3 at some pixel
//   max_abs           the largest difference at one pixel
//   by_t              rms_difference per t bin (t ≤ 1/3, ≤ 2/3, above), where the clip acts
//   npx tsx scripts/clipTarget.ts [--backend wasm|cpu] [--n 256] [--steps 256,8,4,1] [--ckpt models/mnist/teacher.safetensors]
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng';
import { timePoint } from '../src/core/schedule';
import { MNIST_SIZE, gatherImages } from '../src/data/mnist';
import { loadMnist } from '../src/data/mnistNode';
import { distillationTarget, distillTimes } from '../src/distill/target';
import { loadCheckpoint, networkFromCheckpoint } from '../src/cli/checkpointFile';
import { MNIST_TEACHER } from '../src/cli/datasets';
import { initBackend, quietNodeBanner } from '../src/tensor/backend';
import { diffuseWith } from '../src/train/diffusionLoss';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    n: { type: 'string', default: '256' },
    steps: { type: 'string', default: '256,8,4,1' },
    ckpt: { type: 'string', default: MNIST_TEACHER },
    batch: { type: 'string', default: '64' },
  },
});
const backend = values.backend;
if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend ${backend}: wasm or cpu`);
const count = Number(values.n);
const batch = Number(values.batch);
const stepCounts = values.steps.split(',').map(Number);
const PIXELS = MNIST_SIZE * MNIST_SIZE;

async function main(): Promise<void> {
  quietNodeBanner();
  await initBackend(backend as 'wasm' | 'cpu');
  const teacher = networkFromCheckpoint(values.ckpt, await loadCheckpoint(values.ckpt));
  const { schedule } = teacher.config;
  const test = loadMnist('test');
  for (const n of stepCounts) {
    const rng = new Rng(n);
    const images = gatherImages(test, rng.choose(test.count, count));
    // i = 1 … N in turn, so every i appears equally often (as roundBatch draws them, in expectation).
    const is = Array.from({ length: count }, (_, k) => 1 + (k % n));
    let [sumSq, sumSqTarget, changed, maxAbs] = [0, 0, 0, 0];
    const bins = [0, 0, 0].map(() => ({ sumSq: 0, count: 0 }));
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      const b = end - start;
      const times = is.slice(start, end).map((i) => distillTimes(i, n));
      const at = times.map((k) => timePoint(k.t, schedule));
      const aMid = times.map((k) => timePoint(k.tMid, schedule));
      const aEnd = times.map((k) => timePoint(k.tEnd, schedule));
      const [plain, clipped] = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(start * PIXELS, end * PIXELS), [b, MNIST_SIZE, MNIST_SIZE, 1]);
        const eps = tf.tensor4d(rng.normals(b * PIXELS), [b, MNIST_SIZE, MNIST_SIZE, 1]);
        const shape = [b, 1, 1, 1];
        const zT = diffuseWith(x, eps, tf.tensor(at.map((a) => a.alpha), shape), tf.tensor(at.map((a) => a.sigma), shape));
        return [distillationTarget(teacher, zT, at, aMid, aEnd, false), distillationTarget(teacher, zT, at, aMid, aEnd, true)];
      });
      const [p, c] = [await plain.data(), await clipped.data()];
      tf.dispose([plain, clipped]);
      for (let e = 0; e < b; e++) {
        let [exSq, exMax] = [0, 0];
        for (let j = e * PIXELS; j < (e + 1) * PIXELS; j++) {
          const d = c[j] - p[j];
          exSq += d * d;
          exMax = Math.max(exMax, Math.abs(d));
          sumSqTarget += p[j] * p[j];
        }
        sumSq += exSq;
        maxAbs = Math.max(maxAbs, exMax);
        if (exMax > 1e-3) changed++;
        const bin = bins[Math.min(2, Math.floor(3 * times[e].t - 1e-9))];
        bin.sumSq += exSq;
        bin.count++;
      }
    }
    const rms = (sq: number, examples: number) => (examples ? Math.sqrt(sq / (examples * PIXELS)) : null);
    console.log(JSON.stringify({
      ckpt: values.ckpt, steps: n, n: count, backend,
      rms_difference: rms(sumSq, count), rms_target: rms(sumSqTarget, count), changed_share: changed / count, max_abs: maxAbs,
      by_t: { 't<=1/3': rms(bins[0].sumSq, bins[0].count), 't<=2/3': rms(bins[1].sumSq, bins[1].count), 't>2/3': rms(bins[2].sumSq, bins[2].count) },
    }));
  }
  teacher.dispose();
}

void main();
