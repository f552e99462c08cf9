// The README's "GroupNorm on wasm" op timings: single tfjs ops on wasm (one thread) at the shipped teacher's
// largest activation, batch 64 of 28×28×16 (and 28×28×32 for the column sum), each the mean of 20 calls after
// 3 warm-up calls. wasm ops run synchronously, so a call's time is the op's.
//   npx tsx scripts/wasmOps.ts
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/rng';
import { initBackend } from '../src/tensor/backend';

const info = await initBackend('wasm');
if (info.name !== 'wasm') throw new Error(`wasm did not start: ${info.fallbackReason ?? info.name}`);

function msPerCall(f: () => tf.Tensor): number {
  for (let i = 0; i < 3; i++) tf.tidy(() => { f(); });
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) tf.tidy(() => { f(); });
  return Math.round(((performance.now() - t0) / 20) * 1000) / 1000;
}

const rng = new Rng(1);
const random = (shape: number[]) => tf.tensor(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);
const [b, h, w, c, groups] = [64, 28, 28, 16, 8];
const x = random([b, h, w, c]);
const y = random([b, h, w, c]);
const grouped = tf.reshape(x, [b, h * w, groups, c / groups]); // [B, H·W, G, C/G]
const groupStat = random([b, 1, groups, 1]);
const channelStat = random([b, 1, 1, c]);
const wide = random([b, h, w, 32]);
const ones = tf.ones([1, b * h * w]);

const figures = {
  shape: [b, h, w, c],
  sub_equal_shapes_ms: msPerCall(() => tf.sub(x, y)),
  sub_grouped_view_minus_B1G1_ms: msPerCall(() => tf.sub(grouped, groupStat)),
  sub_minus_B11C_ms: msPerCall(() => tf.sub(x, channelStat)),
  column_sum_28x28x32: {
    tf_sum_leading_axes_ms: msPerCall(() => tf.sum(wide, [0, 1, 2])),
    ones_row_matmul_ms: msPerCall(() => tf.reshape(tf.matMul(ones, tf.reshape(wide, [b * h * w, 32])), [32])),
  },
};
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
