// Run by nodeWasmThreads.test.ts as its own process (a process starts wasm once): starts wasm on the threads
// asked for (mode 1 or 3), or on 2 with one part of the threaded setup broken (missing-worker, missing-binary),
// multiplies two matrices, and prints what it got as JSON. It must then exit by itself.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { startNodeWasm } from '../../src/tensor/nodeWasmThreads';

const mode = process.argv[2];
const start = () => tf.setBackend('wasm');
let result;
if (mode === 'missing-worker') {
  result = await startNodeWasm(wasm, 2, start, new URL('./no-such-worker.cjs', import.meta.url));
} else if (mode === 'missing-binary') {
  // Only the threaded .wasm is sent elsewhere: tfjs fails to start that build, the one-thread build can start.
  const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': join(dist, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(dist, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': '/nonexistent/tfjs-backend-wasm-threaded-simd.wasm',
  });
  result = await startNodeWasm(wasm, 2, start);
} else {
  result = await startNodeWasm(wasm, Number(mode), start);
}
const product = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]));
process.stdout.write(`${JSON.stringify({ ...result, backend: tf.getBackend(), product: Array.from(product.dataSync()) })}\n`);
