// The worker's job code in Node (cpu backend): a cancelled sampling run and a distillation cancelled mid-round
// leave no live tensors beyond the networks the registry holds (the teacher, and the students of finished rounds).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, weightsFromNetwork, writeCheckpoint } from '../../src/io/checkpoint';
import { buildNetwork } from '../../src/model/build';
import { initBackend } from '../../src/tensor/backend';
import { runDistill } from '../../src/worker/distillJob';
import { isAbort, Job } from '../../src/worker/job';
import type { WorkerEvent } from '../../src/worker/protocol';
import { networkOf, register, unregister } from '../../src/worker/registry';
import { sampleNetwork } from '../../src/worker/sampling';
import { TINY_TOY_CONFIG } from '../e2e/fixtures';

type Memory = { numTensors: number; numBytes: number };

function memory(): Memory {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, numBytes };
}

const plus = (a: Memory, b: Memory, times = 1): Memory => ({ numTensors: a.numTensors + times * b.numTensors, numBytes: a.numBytes + times * b.numBytes });

let teacherId: string;
/** What one buildNetwork leaves behind after dispose (src/model/layers.ts; see leaks.test.ts). */
let buildLeak: Memory;
/** One network's variables. */
let netMemory: Memory;

beforeAll(async () => {
  await initBackend('cpu');
  const net = buildNetwork(TINY_TOY_CONFIG, 3);
  const bytes = writeCheckpoint({ config: TINY_TOY_CONFIG, role: 'teacher', steps: null, lineage: null, weights: await weightsFromNetwork(net) });
  net.dispose();
  teacherId = register(readCheckpoint(bytes), { name: 'teacher.safetensors', source: 'dropped', bytes }).info.id;
  const start = memory();
  const teacher = networkOf(teacherId);
  netMemory = { numTensors: teacher.params.size, numBytes: [...teacher.params.values()].reduce((n, v) => n + 4 * v.size, 0) };
  buildLeak = { numTensors: memory().numTensors - start.numTensors - netMemory.numTensors, numBytes: memory().numBytes - start.numBytes - netMemory.numBytes };
  // Warm-up: tfjs keeps a few tensors of its own after the first op of a kind.
  await sampleNetwork(teacher, { seed: 1, count: 16, steps: 2 });
});

describe('the worker leaves only its loaded networks after a cancel', () => {
  it('in a sampling run cancelled mid-run (trajectory frames kept so far included)', async () => {
    const before = memory();
    const job = new Job('s1', 'sample', () => {});
    const run = sampleNetwork(networkOf(teacherId), {
      seed: 1, count: 64, steps: 16, signal: job.signal, frameSteps: [0, 2, 4, 6, 8, 10, 12, 15],
      onStep: (step) => step === 5 && job.cancel(),
    });
    await expect(run).rejects.toSatisfy(isAbort);
    expect(memory()).toEqual(before);
    const done = await sampleNetwork(networkOf(teacherId), { seed: 1, count: 64, steps: 4, frameSteps: [0, 1, 2, 3] });
    expect(done.samples.every(Number.isFinite)).toBe(true);
    expect(memory()).toEqual(before);
  });

  it('in a distillation cancelled in the middle of its second round', async () => {
    const before = memory();
    const events: WorkerEvent[] = [];
    const post = (e: WorkerEvent) => events.push(e);
    const job = new Job('d1', 'distill', post);
    // The trainer awaits the gate before every step (the measuring samplers between theirs): once round 1's
    // result is out, cancel at the third gate, before step 3 of round 2.
    let afterRound1 = 0;
    job.gate = async () => {
      if (events.some((e) => e.type === 'round') && ++afterRound1 === 3) job.cancel();
    };
    const req = { type: 'distill', jobId: 'd1', teacherId, fromSteps: 4, toSteps: 1, iterations: 6, batchSize: 16, learningRate: 1e-3, seed: 1 } as const;
    await expect(runDistill(req, job, post)).rejects.toSatisfy(isAbort);
    const rounds = events.flatMap((e) => (e.type === 'round' ? [e.result] : []));
    expect(rounds.map((r) => r.toSteps)).toEqual([2]);
    expect(events.some((e) => e.type === 'loss')).toBe(true);
    // Registered: round 1's student. Built: two students (round 2's was discarded), each with its build leak.
    expect(memory()).toEqual(plus(plus(before, netMemory), buildLeak, 2));
    // The finished student still samples, and unloading it frees its variables.
    const s = await sampleNetwork(networkOf(rounds[0].student.id), { seed: 2, count: 16, steps: 2 });
    expect(s.samples.every(Number.isFinite)).toBe(true);
    unregister(rounds[0].student.id);
    expect(memory()).toEqual(plus(before, buildLeak, 2));
  });
});

describe('the x̂ frames a column keeps', () => {
  it('are x̂ of sample 0 at the steps asked for, in order, and nothing else', async () => {
    const net = networkOf(teacherId);
    const all = await sampleNetwork(net, { seed: 4, count: 3, steps: 6, frameSteps: [0, 1, 2, 3, 4, 5] });
    const some = await sampleNetwork(net, { seed: 4, count: 3, steps: 6, frameSteps: [0, 2, 5] });
    const none = await sampleNetwork(net, { seed: 4, count: 3, steps: 6 });
    expect(all.trajectory.length).toBe(6 * 2); // [6, 2]
    expect([...some.trajectory]).toEqual([...all.trajectory.subarray(0, 2), ...all.trajectory.subarray(4, 6), ...all.trajectory.subarray(10, 12)]);
    expect(none.trajectory.length).toBe(0);
    expect([...none.samples]).toEqual([...all.samples]);
  });
});
