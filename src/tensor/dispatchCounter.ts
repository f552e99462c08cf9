// GPU dispatches counted where they happen, at the WebGPU API (every compute pass's dispatchWorkgroups), for
// tfjs's kernels and for the programs that record their own: what a training step or a forward pass costs on a
// GPU, where each dispatch carries a fixed CPU cost (README, Performance). For the bench and the tests.

type Encoder = { prototype: GPUComputePassEncoder };

/** Counts dispatches from now until stop(). Needs WebGPU (navigator.gpu's classes on globalThis). */
export function dispatchCounter(): { readonly count: number; stop(): void } {
  const proto = (globalThis as { GPUComputePassEncoder?: Encoder }).GPUComputePassEncoder!.prototype;
  const dispatch = proto.dispatchWorkgroups;
  const counter = { count: 0, stop: () => { proto.dispatchWorkgroups = dispatch; } };
  proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...xyz: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    counter.count++;
    dispatch.apply(this, xyz);
  };
  return counter;
}

/** `run`'s result and the dispatches it recorded while it ran (tfjs records a kernel's dispatch when it is called). */
export function countDispatches<T>(run: () => T): { result: T; dispatches: number } {
  const counter = dispatchCounter();
  try {
    const result = run();
    return { result, dispatches: counter.count };
  } finally {
    counter.stop();
  }
}
