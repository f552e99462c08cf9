// columnSum (a layer's bias gradient: Σ over every axis but the last) on wasm, where it is a matrix product
// with a row of ones, and on cpu, where it is tf.sum: both against a float64 loop.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { columnSum } from '../../src/kernels/columnSum';
import { expectClose, on } from './webgpuSetup';

describe.each(['wasm', 'cpu'] as const)('columnSum on %s', (backend) => {
  it.each([[[3, 5, 7, 6]], [[64, 28, 28, 16]], [[9, 4]], [[1, 1, 1, 3]]])('sums a %j tensor over all but its last axis', async (shape) => {
    const values = new Rng(shape.length + shape[0]).normals(shape.reduce((a, b) => a * b, 1)).map((v) => v + 0.5);
    const c = shape[shape.length - 1];
    const want = new Array<number>(c).fill(0);
    values.forEach((v, i) => { want[i % c] += v; });
    const [got] = await on(backend, () => columnSum(tf.tensor(values, shape)));
    expectClose(got, want, 1e-5, 1e-4);
  });
});
