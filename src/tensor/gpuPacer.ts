// Pacing a loop of queued GPU work (a sampler) to the GPU, without a readback: see gpuPacer.
import { internals, submitEncoded } from './replay';

export interface GpuPacer {
  /**
   * Call after each step is queued: submits it, then waits until at most `depth` submitted steps are unfinished
   * on the GPU. Resolves to how many steps the GPU has finished.
   */
  step(): Promise<number>;
  /** Waits for every submitted step; resolves to how many the GPU has finished. */
  drain(): Promise<number>;
}

/**
 * Keeps a loop that queues GPU work step after step, with no readback (a sampler), at most `depth` steps ahead
 * of the GPU, so that a progress bar counts steps done rather than steps queued (which reaches the end long
 * before a slow GPU does), and a cancel is not left behind a long queue. It submits what tfjs has encoded and
 * waits on queue.onSubmittedWorkDone(): no buffer is mapped, so it is not a readback. With `depth` 2 the GPU
 * still has a step queued while the CPU wakes and encodes the next. A lost device ends every wait (the worker's
 * device-loss handling reports it); off webgpu, or without tfjs's internals, a step counts as done once queued.
 */
export function gpuPacer(depth = 2): GpuPacer {
  const pending: Promise<unknown>[] = [];
  let finished = 0;
  const settleOldest = async () => {
    await pending.shift();
    finished++;
  };
  return {
    async step() {
      const b = internals();
      if (!b) return ++finished;
      submitEncoded(b);
      pending.push(Promise.race([b.device.queue.onSubmittedWorkDone(), b.device.lost]).catch(() => undefined));
      while (pending.length > depth) await settleOldest();
      return finished;
    },
    async drain() {
      while (pending.length > 0) await settleOldest();
      return finished;
    },
  };
}
