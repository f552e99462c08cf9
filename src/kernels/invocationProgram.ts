// The shape our register-tiled programs share (the convolution and its two gradients): 64 threads per
// workgroup, numbered g = 0, 1, … across the whole dispatch (tfjs's getGlobalIndex, in one or two
// dimensions), each program working out its own output coordinates from g and guarding the tail itself.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export const WORKGROUP = 64;

/**
 * Workgroup counts for `invocations` threads: [n, 1, 1] where n fits one dimension (`maxPerDim`, the
 * device's maxComputeWorkgroupsPerDimension), else spread over x and y.
 */
export function flatDispatch(invocations: number, maxPerDim: number): [number, number, number] {
  const groups = Math.ceil(invocations / WORKGROUP);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const rows = Math.ceil(groups / maxPerDim);
  if (rows > maxPerDim) throw new Error(`${invocations} GPU invocations exceed the device's dispatch limit`);
  return [Math.ceil(groups / rows), rows, 1];
}

export abstract class InvocationProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  abstract readonly uniforms: string;
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  /** `invocations` threads writing `outputShape` (in vectors of `outputComponent` floats). */
  constructor(invocations: number, maxPerDim: number, readonly outputShape: number[], readonly variableComponents: number[], readonly outputComponent: number, readonly shaderKey: string) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = flatDispatch(invocations, maxPerDim);
  }

  abstract getUserCode(): string;
}
